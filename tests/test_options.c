/* Unit tests for the CLI's table-driven option parser (src/cli/options.h) and the real tables. */
#include <CUnit/CUnit.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "testutil.h"

typedef struct targs {
    int flag, count, level;
    double ratio, wait;
    const char *name;
    long custom;
} targs;

static const char *const levels[] = {"low", "medium", "high", NULL};

static int parse_even(const char *v, void *dest, const char **expected)
{
    char *end;
    long n = strtol(v, &end, 10);
    *expected = "an even number";
    if (*end || !*v || n % 2)
        return -1;
    *(long *)dest = n;
    return 0;
}

static const smx_opt topts[] = {{.name = "flag",
                                 .short_name = 'f',
                                 .type = SMX_OPT_FLAG,
                                 .offset = offsetof(targs, flag),
                                 .help = "a flag"},
                                {.name = "count",
                                 .short_name = 'n',
                                 .type = SMX_OPT_INT,
                                 .offset = offsetof(targs, count),
                                 .metavar = "N",
                                 .min = 1,
                                 .help = "a count >= 1"},
                                {.name = "level",
                                 .type = SMX_OPT_ENUM,
                                 .offset = offsetof(targs, level),
                                 .choices = levels,
                                 .help = "a level"},
                                {.name = "ratio",
                                 .type = SMX_OPT_DOUBLE,
                                 .offset = offsetof(targs, ratio),
                                 .metavar = "X",
                                 .dmin = 0,
                                 .dmax = 1,
                                 .help = "a ratio"},
                                {.name = "wait",
                                 .type = SMX_OPT_DURATION,
                                 .offset = offsetof(targs, wait),
                                 .metavar = "DUR",
                                 .dmin_open = 1,
                                 .help = "a positive duration"},
                                {.name = "name",
                                 .type = SMX_OPT_STRING,
                                 .offset = offsetof(targs, name),
                                 .metavar = "NAME",
                                 .required = 1,
                                 .help = "a required name"},
                                {.name = "even",
                                 .type = SMX_OPT_CUSTOM,
                                 .offset = offsetof(targs, custom),
                                 .metavar = "E",
                                 .parse = parse_even,
                                 .help = "an even number"},
                                {0}};

static int dummy(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static const smx_cli_command tcmd = {.name = "demo",
                                     .summary = "a test command",
                                     .synopsis = "FILE [options]",
                                     .description = "Demonstrates the parser.",
                                     .opts = topts,
                                     .min_args = 1,
                                     .max_args = 2,
                                     .args_name = "FILE",
                                     .fn = dummy};

static const smx_cli_command tcmd_dashdash = {.name = "demo2",
                                              .summary = "x",
                                              .synopsis = "x",
                                              .description = "x",
                                              .opts = topts,
                                              .min_args = 0,
                                              .max_args = 1,
                                              .args_name = "FILE",
                                              .command_after_dashdash = 1,
                                              .fn = dummy};

/* Parses the NULL-terminated words (argv[0] is the subcommand) against CMD. */
static int parse(const smx_cli_command *cmd, targs *a, smx_cli_parsed *p, const char **words)
{
    static char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)cmd->name;
    for (; *words; words++)
        argv[argc++] = (char *)*words;
    argv[argc] = NULL;
    memset(a, 0, sizeof *a);
    a->count = 7;
    int rc = smx_cli_parse(cmd, argc, argv, a, p);
    if (rc != 0)
        fprintf(stderr, "[%s] ", p->error);
    return rc;
}

#define WORDS(...) ((const char *[]){__VA_ARGS__, NULL})

static void test_values(void)
{
    targs a;
    smx_cli_parsed p;
    CU_ASSERT_EQUAL(parse(&tcmd, &a, &p,
                          WORDS("in.h5", "--flag", "--count", "3", "--level=high", "--ratio",
                                "0.25", "--wait=1h30m", "--name", "x", "--even=4")),
                    0);
    CU_ASSERT_EQUAL(a.flag, 1);
    CU_ASSERT_EQUAL(a.count, 3);
    CU_ASSERT_EQUAL(a.level, 2);
    CU_ASSERT_DOUBLE_EQUAL(a.ratio, 0.25, 0);
    CU_ASSERT_DOUBLE_EQUAL(a.wait, 5400, 0);
    CU_ASSERT_STRING_EQUAL(a.name, "x");
    CU_ASSERT_EQUAL(a.custom, 4);
    CU_ASSERT_EQUAL(p.nargs, 1);
    CU_ASSERT_STRING_EQUAL(p.args[0], "in.h5");
    /* Short names, attached or separate values; options before and after arguments; the last
     * occurrence wins; defaults stay when an option is absent. */
    CU_ASSERT_EQUAL(parse(&tcmd, &a, &p, WORDS("-f", "-n", "5", "a", "--name=y", "-n9", "b")), 0);
    CU_ASSERT_EQUAL(a.flag, 1);
    CU_ASSERT_EQUAL(a.count, 9);
    CU_ASSERT_EQUAL(p.nargs, 2);
    CU_ASSERT_STRING_EQUAL(p.args[1], "b");
    CU_ASSERT_EQUAL(parse(&tcmd, &a, &p, WORDS("a", "--name", "")), 0);
    CU_ASSERT_EQUAL(a.count, 7);
    CU_ASSERT_STRING_EQUAL(a.name, "");
    /* A value that looks like an option is still the value of the option before it. */
    CU_ASSERT_EQUAL(parse(&tcmd, &a, &p, WORDS("a", "--name", "--flag")), 0);
    CU_ASSERT_STRING_EQUAL(a.name, "--flag");
    CU_ASSERT_EQUAL(a.flag, 0);
    /* "-" alone is an argument (stdin by convention), not an option. */
    CU_ASSERT_EQUAL(parse(&tcmd, &a, &p, WORDS("-", "--name", "x")), 0);
    CU_ASSERT_STRING_EQUAL(p.args[0], "-");
}

/* Expects a usage error whose message contains every one of the NULL-terminated WANT. */
static void expect_error(const smx_cli_command *cmd, const char **words, const char **want)
{
    targs a;
    smx_cli_parsed p;
    int rc = parse(cmd, &a, &p, words);
    CU_ASSERT_EQUAL(rc, -1);
    for (; rc == -1 && *want; want++) {
        if (!strstr(p.error, *want))
            fprintf(stderr, "\nmessage '%s' lacks '%s'\n", p.error, *want);
        CU_ASSERT_PTR_NOT_NULL(strstr(p.error, *want));
    }
}

static void test_integers(void)
{
    expect_error(&tcmd, WORDS("a", "--name", "x", "--count", "0"), WORDS("--count", ">= 1", "'0'"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--count", "abc"), WORDS("--count", "'abc'"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--count", "3x"), WORDS("'3x'"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--count", ""), WORDS("--count"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--count", " 3"), WORDS("--count"));
    /* The old parser truncated to int: 4294967297 became 1. */
    expect_error(&tcmd, WORDS("a", "--name", "x", "--count", "4294967297"), WORDS("4294967297"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--count", "2147483648"), WORDS("2147483648"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--count", "99999999999999999999"),
                 WORDS("99999999999999999999"));
    targs a;
    smx_cli_parsed p;
    CU_ASSERT_EQUAL(parse(&tcmd, &a, &p, WORDS("a", "--name", "x", "--count", "2147483647")), 0);
    CU_ASSERT_EQUAL(a.count, INT_MAX);
}

static void test_other_types(void)
{
    expect_error(&tcmd, WORDS("a", "--name", "x", "--ratio", "1.5"), WORDS("from 0 to 1"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--ratio", "nan"), WORDS("--ratio"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--ratio", "0x1"), WORDS("--ratio"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--wait", "30m1h"),
                 WORDS("--wait", "misorders", "1h30m"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--wait", "0"), WORDS("> 0"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--wait", "soon"), WORDS("not a duration"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--level", "hihg"),
                 WORDS("low|medium|high", "'hihg'", "did you mean 'high'?"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--even", "3"), WORDS("an even number", "'3'"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--flag=1"), WORDS("--flag takes no value"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--count"), WORDS("--count needs a value (N)"));
}

static void test_did_you_mean(void)
{
    expect_error(&tcmd, WORDS("a", "--name", "x", "--cuont", "3"),
                 WORDS("unknown option '--cuont'", "did you mean '--count'?"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--levle=high"),
                 WORDS("'--levle=high'", "did you mean '--level'?"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "--hlep"), WORDS("did you mean '--help'?"));
    expect_error(&tcmd, WORDS("a", "--name", "x", "-flag"), WORDS("did you mean '--flag'?"));
    /* Nothing close: point at the help instead of guessing. */
    targs a;
    smx_cli_parsed p;
    CU_ASSERT_EQUAL(parse(&tcmd, &a, &p, WORDS("a", "--name", "x", "--zzzzzzzz")), -1);
    CU_ASSERT_PTR_NULL(strstr(p.error, "did you mean"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p.error, "sweepmux demo --help"));
    /* The real tables: run's --slots, status's --json, export's --format values. */
    const char *run_words[] = {"run", "--slotz", "2", NULL};
    CU_ASSERT_EQUAL(smx_cli_parse(&smx_cli_cmd_run, 3, (char **)run_words, &a, &p), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(p.error, "did you mean '--slots'?"));
}

static void test_arguments(void)
{
    expect_error(&tcmd, WORDS("--name", "x"), WORDS("missing FILE"));
    expect_error(&tcmd, WORDS("a", "b", "c", "--name", "x"), WORDS("unexpected argument 'c'"));
    expect_error(&tcmd, WORDS("a"), WORDS("--name NAME is required"));
    /* `--` ends the options: what follows is arguments, even if it starts with a dash. */
    targs a;
    smx_cli_parsed p;
    CU_ASSERT_EQUAL(parse(&tcmd, &a, &p, WORDS("--name", "x", "--", "--flag")), 0);
    CU_ASSERT_EQUAL(a.flag, 0);
    CU_ASSERT_EQUAL(p.nargs, 1);
    CU_ASSERT_STRING_EQUAL(p.args[0], "--flag");
    /* For run and check, what follows `--` is the task's command, untouched. */
    CU_ASSERT_EQUAL(parse(&tcmd_dashdash, &a, &p, WORDS("--name", "x", "--", "echo", "--flag")), 0);
    CU_ASSERT_EQUAL(a.flag, 0);
    CU_ASSERT_EQUAL(p.nargs, 0);
    CU_ASSERT_EQUAL(p.cmd_argc, 2);
    CU_ASSERT_STRING_EQUAL(p.cmd_argv[1], "--flag");
    expect_error(&tcmd_dashdash, WORDS("--name", "x", "--"), WORDS("nothing after --"));
    /* --help wins over everything missing and is not an error. */
    CU_ASSERT_EQUAL(parse(&tcmd, &a, &p, WORDS("--help")), 0);
    CU_ASSERT_EQUAL(p.help, 1);
    CU_ASSERT_EQUAL(parse(&tcmd, &a, &p, WORDS("-h")), 0);
    CU_ASSERT_EQUAL(p.help, 1);
}

static void test_help_page(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    smx_cli_help(&tcmd, f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "usage: sweepmux demo FILE [options]\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "  -f, --flag "));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "  -n, --count N "));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "  --level low|medium|high"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "  -h, --help "));
    free(text);
    /* Every real subcommand documents every option it takes, with a help sentence. */
    for (size_t i = 0; smx_cli_commands[i]; i++) {
        const smx_cli_command *c = smx_cli_commands[i];
        text = NULL;
        f = open_memstream(&text, &len);
        smx_cli_help(c, f);
        fclose(f);
        for (const smx_opt *o = c->opts; o && o->name; o++) {
            char want[64];
            snprintf(want, sizeof want, "  --%s", o->name);
            CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
            CU_ASSERT(o->help && o->help[0]);
        }
        free(text);
    }
}

int main(void)
{
    CU_initialize_registry();
    CU_pSuite suite = CU_add_suite("options", NULL, NULL);
    CU_add_test(suite, "values of every type", test_values);
    CU_add_test(suite, "integer ranges and overflow", test_integers);
    CU_add_test(suite, "doubles, durations, enums, custom", test_other_types);
    CU_add_test(suite, "did you mean", test_did_you_mean);
    CU_add_test(suite, "arguments, --, --help", test_arguments);
    CU_add_test(suite, "help pages", test_help_page);
    return smx_test_run();
}
