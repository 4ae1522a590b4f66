/* Unit tests for templates: placeholders, braces, shell quoting, workdir sanitising, env. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec/spec.h"
#include "sweepmux/errors.h"
#include "spec/template.h"
#include "testutil.h"

static smx_spec *parse(const char *text)
{
    smx_spec *s = NULL;
    if (smx__spec_parse(&s, text, strlen(text), "t.yaml", NULL))
        fprintf(stderr, "\n%s\n", smx_error_last());
    return s;
}

static void test_argv(void)
{
    smx_spec *s = parse("command: [run, \"--lr={lr}\", \"{name}\", \"{{literal}}\", \"{index}\", "
                        "\"x{lr}y{lr}\", \"}}{{\"]\n"
                        "parameters:\n  lr: {values: [0.5, 1.0e-5, 2]}\n"
                        "  name: {values: [\"a b\", \"it's\"]}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    smx_value v[2];
    char **av = NULL;
    CU_ASSERT_EQUAL(smx__spec_values(s, 5, v), 0);
    CU_ASSERT_EQUAL(smx__template_argv(s, 5, v, &av), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(av);
    const char *want[] = {"run", "--lr=2.0", "it's", "{literal}", "5", "x2.0y2.0", "}{", NULL};
    for (int i = 0; want[i]; i++)
        CU_ASSERT_STRING_EQUAL(av[i], want[i]);
    CU_ASSERT_PTR_NULL(av[7]);
    smx__strv_free(av);
    CU_ASSERT_EQUAL(smx__spec_values(s, 2, v), 0);
    CU_ASSERT_EQUAL(smx__template_argv(s, 2, v, &av), 0);
    CU_ASSERT_STRING_EQUAL(av[1], "--lr=1e-05");
    CU_ASSERT_STRING_EQUAL(av[2], "a b"); /* one argv element, no splitting */
    smx__strv_free(av);
    smx__strv_free(NULL);
    smx__spec_free(s);
}

/* Runs argv and returns what it printed. */
static char *run_capture(char **av)
{
    int fd[2];
    if (pipe(fd))
        return NULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        execv(av[0], av);
        _exit(127);
    }
    close(fd[1]);
    static char buf[4096];
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    return buf;
}

static void test_shell_quoting(void)
{
    const char *hostile[] = {"it's",   "$(touch /tmp/smx-pwned)",
                             "a b  c", "line1\nline2",
                             "`id`",   "\"dq\" \\ back",
                             "*",      ";exit 3",
                             "",       "--x=1|cat",
                             NULL};
    smx_spec *s = parse("shell: true\ncommand: [printf, \"'%s|'\", \"{v}\", \"{v}\"]\n"
                        "parameters:\n  v: {values: [dummy]}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    for (int i = 0; hostile[i]; i++) {
        smx_value v = {.type = SMX_VALUE_STRING, .u.s = hostile[i]};
        char **av = NULL;
        CU_ASSERT_EQUAL_FATAL(smx__template_argv(s, 0, &v, &av), 0);
        CU_ASSERT_STRING_EQUAL(av[0], "/bin/sh");
        CU_ASSERT_STRING_EQUAL(av[1], "-c");
        CU_ASSERT_PTR_NULL(av[3]);
        char want[256];
        snprintf(want, sizeof want, "%s|%s|", hostile[i], hostile[i]);
        char *got = run_capture(av);
        CU_ASSERT_PTR_NOT_NULL(got);
        if (got && strcmp(got, want))
            fprintf(stderr, "\nscript %s\n  printed '%s'\n  expected '%s'\n", av[2], got, want);
        CU_ASSERT(got && !strcmp(got, want));
        smx__strv_free(av);
    }
    CU_ASSERT_EQUAL(access("/tmp/smx-pwned", F_OK), -1);
    smx__spec_free(s);
}

static void test_workdir_and_env(void)
{
    smx_spec *s =
        parse("command: [x]\nworkdir: \"runs/{a}/{b}-{index}\"\n"
              "env: {A: \"{a}\", IDX: \"{index}\", PLAIN: hello, EMPTY: \"\"}\n"
              "parameters:\n  a: {values: [\"../../etc\", \".hidden\", \"x/y\", \"ok-1.5+2\", "
              "\"sp ace\", \"\"]}\n  b: {value: 3}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const char *want[] = {"runs/_._.._etc/3-0", "runs/_hidden/3-1", "runs/x_y/3-2",
                          "runs/ok-1.5+2/3-3",  "runs/sp_ace/3-4",  "runs/_/3-5"};
    smx_value v[2];
    for (uint64_t i = 0; i < 6; i++) {
        char *dir = NULL;
        CU_ASSERT_EQUAL(smx__spec_values(s, i, v), 0);
        CU_ASSERT_EQUAL(smx__template_workdir(s, i, v, &dir), 0);
        CU_ASSERT_PTR_NOT_NULL(dir);
        if (dir && strcmp(dir, want[i]))
            fprintf(stderr, "\nworkdir '%s', expected '%s'\n", dir, want[i]);
        CU_ASSERT(dir && !strcmp(dir, want[i]));
        free(dir);
    }
    char **env = NULL;
    CU_ASSERT_EQUAL(smx__spec_values(s, 0, v), 0);
    CU_ASSERT_EQUAL(smx__template_env(s, 0, v, &env), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(env);
    CU_ASSERT_STRING_EQUAL(env[0], "A=../../etc"); /* env values are not sanitised */
    CU_ASSERT_STRING_EQUAL(env[1], "IDX=0");
    CU_ASSERT_STRING_EQUAL(env[2], "PLAIN=hello");
    CU_ASSERT_STRING_EQUAL(env[3], "EMPTY=");
    CU_ASSERT_PTR_NULL(env[4]);
    smx__strv_free(env);
    smx__spec_free(s);

    s = parse("parameters:\n  a: {value: 1}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    char *dir = (char *)"x";
    CU_ASSERT_EQUAL(smx__template_workdir(s, 0, v, &dir), 0);
    CU_ASSERT_PTR_NULL(dir);
    CU_ASSERT_EQUAL(smx__template_env(s, 0, v, &env), 0);
    CU_ASSERT_PTR_NULL(env[0]);
    smx__strv_free(env);
    char **av = NULL;
    CU_ASSERT_EQUAL(smx__template_argv(s, 0, v, &av), SMX_EINPUT); /* no command */
    smx__spec_free(s);
}

static void test_placeholder_errors(void)
{
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"command: [a, \"{}\"]\nparameters: {x: {value: 1}}\n",
         "t.yaml:1:15: unknown placeholder '{}'"},
        {"command: [a, \"{x\"]\nparameters: {x: {value: 1}}\n", "t.yaml:1:15: unterminated"},
        {"command: [a, \"{x{y}}\"]\nparameters: {x: {value: 1}}\n", "t.yaml:1:15: unterminated"},
        {"command: [a, '{\"k\": 1}']\nparameters: {x: {value: 1}}\n",
         "t.yaml:1:15: unknown placeholder '{\"k\": 1}'"},
        {"command: [a, \"ok {{x}} }\"]\nparameters: {x: {value: 1}}\n",
         "t.yaml:1:24: a single '}'"},
        {"command: [a, \"{X}\"]\nparameters: {x: {value: 1}}\n",
         "unknown placeholder '{X}'; expected one of {x}, {index}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        smx_spec *s = NULL;
        int rc = smx__spec_parse(&s, cases[i].text, strlen(cases[i].text), "t.yaml", NULL);
        int ok = rc == SMX_EINPUT && strstr(smx_error_last(), cases[i].expect);
        if (!ok)
            fprintf(stderr, "\ncase %zu: got '%s'\n", i, smx_error_last());
        CU_ASSERT(ok);
        smx__spec_free(s);
    }
}

int main(void)
{
    CU_initialize_registry();
    CU_pSuite suite = CU_add_suite("template", NULL, NULL);
    CU_add_test(suite, "argv rendering", test_argv);
    CU_add_test(suite, "shell quoting of hostile values", test_shell_quoting);
    CU_add_test(suite, "workdir sanitising and env", test_workdir_and_env);
    CU_add_test(suite, "placeholder errors", test_placeholder_errors);
    return smx_test_run();
}
