/* sweepmux check SPEC [--show N]: validate a spec, count its elements and show the first ones. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/error.h"
#include "options.h"
#include "spec/spec.h"
#include "sweepmux/errors.h"
#include "spec/template.h"
#include "state/prepare.h"
#include "core/value.h"

typedef struct check_args {
    int show;
} check_args;

static const smx_opt check_opts[] = {{.name = "show",
                                      .type = SMX_OPT_INT,
                                      .offset = offsetof(check_args, show),
                                      .metavar = "N",
                                      .help = "show the first N elements (default 5; 0: none)"},
                                     {0}};

static int check_main(int argc, char **argv);

const smx_cli_command smx_cli_cmd_check = {
    .name = "check",
    .summary = "validate a spec, count its elements and show the first ones",
    .synopsis = "SPEC.yaml [--show N] [-- CMD ARG...]",
    .description =
        "Validates a sweep spec without running anything: prints the method, the number\n"
        "of parameters and elements, then the first N elements with their parameter\n"
        "values and the command each would run. Warnings go to stderr. A command after\n"
        "-- is checked instead of the spec's (as 'run' would use it).",
    .epilog = "Exit codes: 0 valid, 2 invalid spec or usage.\n",
    .opts = check_opts,
    .min_args = 1,
    .max_args = 1,
    .args_name = "SPEC.yaml",
    .command_after_dashdash = 1,
    .fn = check_main,
};

/* Quotes an argument for display the way a shell would need it, so that the line can be pasted. */
static void print_arg(const char *s)
{
    if (*s &&
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-") ==
            strlen(s)) {
        fputs(s, stdout);
        return;
    }
    putchar('\'');
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", stdout);
        else
            putchar(*s);
    }
    putchar('\'');
}

static void print_summary(const smx_spec *spec, const char *path)
{
    size_t np = smx__spec_nparams(spec);
    uint64_t count = smx__spec_count(spec);
    printf("%s: valid\n", path);
    printf("name: %s\n", smx__spec_name(spec));
    printf("method: %s, %zu parameter%s, %" PRIu64 " element%s\n", smx__spec_method(spec), np,
           np == 1 ? "" : "s", count, count == 1 ? "" : "s");
    printf("sha256: %s\n", smx__spec_hash(spec));
    if (smx__spec_timeout(spec) > 0 || smx__spec_retries(spec) > 0)
        printf("timeout: %gs, retries: %d\n", smx__spec_timeout(spec), smx__spec_retries(spec));
    if (!smx__spec_has_command(spec))
        printf("note: no command (fine for library use; 'run' needs one, in the spec or after "
               "'--')\n");
}

/* "[IDX] name=value ..." */
static void print_values(const smx_spec *spec, uint64_t idx, const smx_value *vals)
{
    char buf[64];
    printf("[%" PRIu64 "]", idx);
    for (size_t p = 0; p < smx__spec_nparams(spec); p++) {
        printf(" %s=", smx__spec_param_name(spec, p));
        if (vals[p].type == SMX_VALUE_STRING) {
            print_arg(vals[p].u.s);
        } else {
            smx__value_format(&vals[p], buf, sizeof buf);
            fputs(buf, stdout);
        }
    }
    putchar('\n');
}

/* PREFIX followed by each word of V, quoted as a shell would need, on one line. */
static void print_words(const char *prefix, char **v)
{
    fputs(prefix, stdout);
    for (size_t i = 0; v[i]; i++) {
        putchar(' ');
        print_arg(v[i]);
    }
    putchar('\n');
}

/* One element: its values, then the command, environment and directory its task would get. */
static int print_element(const smx_spec *spec, uint64_t idx, smx_value *vals)
{
    int rc = smx__spec_values(spec, idx, vals);
    if (rc)
        return rc;
    print_values(spec, idx, vals);
    if (smx__spec_has_command(spec)) {
        char **av = NULL;
        if ((rc = smx__template_argv(spec, idx, vals, &av)))
            return rc;
        print_words("    $", av);
        smx__strv_free(av);
    }
    char **env = NULL;
    if ((rc = smx__template_env(spec, idx, vals, &env)))
        return rc;
    for (size_t e = 0; env[e]; e++) {
        char *one[] = {env[e], NULL};
        print_words("    env", one);
    }
    smx__strv_free(env);
    char *dir = NULL;
    if ((rc = smx__template_workdir(spec, idx, vals, &dir)))
        return rc;
    if (dir) {
        char *one[] = {dir, NULL};
        print_words("    workdir", one);
        free(dir);
    }
    return SMX_OK;
}

static int check_main(int argc, char **argv)
{
    check_args args = {.show = 5};
    smx_cli_parsed p;
    int prc = smx_cli_args(&smx_cli_cmd_check, argc, argv, &args, &p);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    smx_spec *spec = NULL;
    int rc = smx__spec_load(&spec, p.args[0]);
    if (rc == SMX_OK && p.cmd_argc)
        rc = smx__spec_set_command(spec, p.cmd_argc, p.cmd_argv);
    /* The verdict of `run` (A2-8): a sweep that no state file can hold is not valid. */
    if (rc == SMX_OK)
        rc = smx__prepare_check_size(spec, p.args[0]);
    if (rc != SMX_OK) {
        smx__spec_free(spec);
        return smx_cli_fail(rc);
    }
    for (size_t i = 0; i < smx__spec_nwarnings(spec); i++)
        fprintf(stderr, "warning: %s\n", smx__spec_warning(spec, i));
    print_summary(spec, p.args[0]);
    size_t np = smx__spec_nparams(spec);
    uint64_t count = smx__spec_count(spec);
    uint64_t n = (uint64_t)args.show < count ? (uint64_t)args.show : count;
    smx_value *vals = calloc(np ? np : 1, sizeof *vals);
    if (!vals)
        rc = smx__error_oom();
    for (uint64_t idx = 0; idx < n && rc == SMX_OK; idx++)
        rc = print_element(spec, idx, vals);
    if (rc == SMX_OK && n < count)
        printf("... %" PRIu64 " more\n", count - n);
    free(vals);
    smx__spec_free(spec);
    return rc ? smx_cli_fail(rc) : SMX_EXIT_COMPLETE;
}
