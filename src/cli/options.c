/* The table-driven option parser and help formatter: see options.h. */
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/duration.h"
#include "core/error.h"
#include "core/suggest.h"

/* Longest option table a suggestion looks through (plus "help" and the terminator). */
#define MAX_OPTS 62

static int failf(smx_cli_parsed *out, const char *fmt, ...) SMX__PRINTF(2, 3);

static int failf(smx_cli_parsed *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->error, sizeof out->error, fmt, ap);
    va_end(ap);
    return -1;
}

static const smx_opt *find_long(const smx_opt *opts, const char *name, size_t len)
{
    for (const smx_opt *o = opts; o && o->name; o++)
        if (strlen(o->name) == len && !strncmp(o->name, name, len))
            return o;
    return NULL;
}

static const smx_opt *find_short(const smx_opt *opts, char c)
{
    for (const smx_opt *o = opts; o && o->name; o++)
        if (o->short_name && o->short_name == c)
            return o;
    return NULL;
}

/* The value's name in help and messages: METAVAR, or an enum's choices as "a|b|c". */
static void value_name(const smx_opt *o, char *buf, size_t n)
{
    buf[0] = '\0';
    if (o->metavar) {
        snprintf(buf, n, "%s", o->metavar);
    } else if (o->type == SMX_OPT_ENUM) {
        size_t off = 0;
        for (size_t i = 0; o->choices[i] && off < n; i++)
            off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? "|" : "", o->choices[i]);
    }
}

/* Appends "; did you mean 'X'?" to OUT->error when WORD is close to one of CANDS. */
static void add_suggestion(smx_cli_parsed *out, const char *word, const char *const *cands,
                           const char *prefix)
{
    const char *s = smx__suggest(word, cands);
    size_t len = strlen(out->error);
    if (s)
        snprintf(out->error + len, sizeof out->error - len, "; did you mean '%s%s'?", prefix, s);
}

static int unknown_option(const smx_cli_command *cmd, const char *arg, smx_cli_parsed *out)
{
    const char *cands[MAX_OPTS + 2];
    size_t n = 0;
    for (const smx_opt *o = cmd->opts; o && o->name && n < MAX_OPTS; o++)
        cands[n++] = o->name;
    cands[n++] = "help";
    cands[n] = NULL;
    /* Compare the bare name: "--slotz=3" is a misspelt "slots". */
    char word[128];
    const char *name = arg + strspn(arg, "-");
    snprintf(word, sizeof word, "%.*s", (int)strcspn(name, "="), name);
    failf(out, "unknown option '%s'", arg);
    size_t before = strlen(out->error);
    add_suggestion(out, word, cands, "--");
    if (strlen(out->error) == before) {
        size_t len = strlen(out->error);
        snprintf(out->error + len, sizeof out->error - len, " (see 'sweepmux %s --help')",
                 cmd->name);
    }
    return -1;
}

static int set_int(const smx_opt *o, const char *v, int *dest, smx_cli_parsed *out)
{
    long long hi = o->max ? o->max : INT_MAX, lo = o->min;
    char *end;
    errno = 0;
    long long n = (*v == '-' || (*v >= '0' && *v <= '9')) ? strtoll(v, &end, 10) : 0;
    int ok = (*v == '-' || (*v >= '0' && *v <= '9')) && !*end && !errno && n >= lo && n <= hi;
    if (ok) {
        *dest = (int)n;
        return 0;
    }
    if (hi == INT_MAX)
        return failf(out, "--%s needs an integer >= %lld, not '%s'", o->name, lo, v);
    return failf(out, "--%s needs an integer from %lld to %lld, not '%s'", o->name, lo, hi, v);
}

/* A phrase for the bounds of a DOUBLE or DURATION option: ">= 0", "> 0", "from 0 to 1". */
static void bounds(const smx_opt *o, char *buf, size_t n)
{
    if (o->dmax > 0)
        snprintf(buf, n, "from %g to %g", o->dmin, o->dmax);
    else
        snprintf(buf, n, "%s %g", o->dmin_open ? ">" : ">=", o->dmin);
}

static int in_bounds(const smx_opt *o, double d)
{
    if (!isfinite(d) || d < o->dmin || (o->dmin_open && d == o->dmin))
        return 0;
    return !(o->dmax > 0 && d > o->dmax);
}

static int set_double(const smx_opt *o, const char *v, double *dest, smx_cli_parsed *out)
{
    char range[64], *end;
    bounds(o, range, sizeof range);
    errno = 0;
    double d = strtod(v, &end);
    /* Decimal only: strtod would also take hexadecimal, "inf", "nan" and leading spaces. */
    int decimal = strspn(v, "+-.0123456789eE") == strlen(v) && *v;
    if (!decimal || *end || errno || !in_bounds(o, d))
        return failf(out, "--%s needs a number %s, not '%s'", o->name, range, v);
    *dest = d;
    return 0;
}

static int set_duration(const smx_opt *o, const char *v, double *dest, smx_cli_parsed *out)
{
    double d;
    smx__duration_err err = smx__duration_parse(v, &d);
    if (err != SMX__DURATION_OK)
        return failf(out, "--%s '%s' %s; expected a duration such as %s", o->name, v,
                     smx__duration_problem(err), SMX__DURATION_EXAMPLES);
    if (!in_bounds(o, d)) {
        char range[64];
        bounds(o, range, sizeof range);
        return failf(out, "--%s needs a duration %s seconds, not '%s'", o->name, range, v);
    }
    *dest = d;
    return 0;
}

static int set_enum(const smx_opt *o, const char *v, int *dest, smx_cli_parsed *out)
{
    for (int i = 0; o->choices[i]; i++)
        if (!strcmp(o->choices[i], v)) {
            *dest = i;
            return 0;
        }
    char names[256];
    value_name(o, names, sizeof names);
    failf(out, "--%s is one of %s, not '%s'", o->name, names, v);
    add_suggestion(out, v, o->choices, "");
    return -1;
}

/* Stores V (NULL for a flag) as option O's value in ARGS. */
static int set_value(const smx_opt *o, const char *v, void *args, smx_cli_parsed *out)
{
    void *dest = (char *)args + o->offset;
    const char *expected = NULL;
    switch (o->type) {
    case SMX_OPT_FLAG:
        *(int *)dest = 1;
        return 0;
    case SMX_OPT_INT:
        return set_int(o, v, dest, out);
    case SMX_OPT_DOUBLE:
        return set_double(o, v, dest, out);
    case SMX_OPT_DURATION:
        return set_duration(o, v, dest, out);
    case SMX_OPT_STRING:
        *(const char **)dest = v;
        return 0;
    case SMX_OPT_ENUM:
        return set_enum(o, v, dest, out);
    case SMX_OPT_CUSTOM:
        if (o->parse(v, dest, &expected) == 0)
            return 0;
        return failf(out, "--%s needs %s, not '%s'", o->name, expected ? expected : "a value", v);
    }
    return failf(out, "--%s has an unknown type", o->name);
}

/*
 * One option at ARGV[*I]: finds it in the table, takes its value (attached after '=' or as the
 * next argument) and stores it. SEEN marks the options given, for the required-option check.
 */
static int take_option(const smx_cli_command *cmd, int argc, char **argv, int *i, void *args,
                       unsigned char *seen, smx_cli_parsed *out)
{
    const char *arg = argv[*i], *attached = NULL;
    const smx_opt *o;
    if (arg[1] == '-') {
        const char *name = arg + 2, *eq = strchr(name, '=');
        o = find_long(cmd->opts, name, eq ? (size_t)(eq - name) : strlen(name));
        attached = eq ? eq + 1 : NULL;
    } else {
        o = find_short(cmd->opts, arg[1]);
        attached = arg[2] ? arg + 2 : NULL;
    }
    /* Single-dash options are not bundled: "-flag" is a misspelt "--flag", not "-f lag". */
    if (!o || (arg[1] != '-' && o->type == SMX_OPT_FLAG && attached))
        return unknown_option(cmd, arg, out);
    seen[o - cmd->opts] = 1;
    if (o->type == SMX_OPT_FLAG) {
        if (attached)
            return failf(out, "option --%s takes no value (given '%s')", o->name, attached);
        return set_value(o, NULL, args, out);
    }
    if (!attached) {
        char what[256];
        value_name(o, what, sizeof what);
        if (*i + 1 >= argc)
            return failf(out, "option --%s needs a value (%s)", o->name, what);
        attached = argv[++*i];
    }
    return set_value(o, attached, args, out);
}

/* After the last argument: required options and the number of positional arguments. */
static int check_complete(const smx_cli_command *cmd, const unsigned char *seen,
                          smx_cli_parsed *out)
{
    for (const smx_opt *o = cmd->opts; o && o->name; o++)
        if (o->required && !seen[o - cmd->opts]) {
            char what[256];
            value_name(o, what, sizeof what);
            return failf(out, "--%s %s is required (see 'sweepmux %s --help')", o->name, what,
                         cmd->name);
        }
    if (out->nargs < cmd->min_args)
        return failf(out, "missing %s (see 'sweepmux %s --help')", cmd->args_name, cmd->name);
    return 0;
}

static int is_help(const char *arg)
{
    return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int smx_cli_parse(const smx_cli_command *cmd, int argc, char **argv, void *args,
                  smx_cli_parsed *out)
{
    unsigned char seen[MAX_OPTS] = {0};
    int options_end = 0, nopts = 0;
    memset(out, 0, sizeof *out);
    while (cmd->opts && cmd->opts[nopts].name)
        nopts++;
    if (nopts > MAX_OPTS)
        return failf(out, "sweepmux %s declares %d options; the parser takes at most %d", cmd->name,
                     nopts, MAX_OPTS);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_end && !strcmp(arg, "--")) {
            if (cmd->command_after_dashdash) {
                out->cmd_argc = argc - i - 1;
                out->cmd_argv = argv + i + 1;
                if (!out->cmd_argc)
                    return failf(out, "nothing after --; give a command, or leave out --");
                break;
            }
            options_end = 1;
        } else if (!options_end && is_help(arg)) {
            out->help = 1;
            return 0;
        } else if (!options_end && arg[0] == '-' && arg[1]) {
            if (take_option(cmd, argc, argv, &i, args, seen, out) < 0)
                return -1;
        } else if (out->nargs >= cmd->max_args || out->nargs >= SMX_CLI_MAX_ARGS) {
            if (out->nargs)
                return failf(out, "unexpected argument '%s' (after %s '%s')", arg, cmd->args_name,
                             out->args[out->nargs - 1]);
            return failf(out, "unexpected argument '%s'", arg);
        } else {
            out->args[out->nargs++] = arg;
        }
    }
    return check_complete(cmd, seen, out);
}

int smx_cli_args(const smx_cli_command *cmd, int argc, char **argv, void *args, smx_cli_parsed *out)
{
    if (smx_cli_parse(cmd, argc, argv, args, out) < 0) {
        fprintf(stderr, "sweepmux %s: %s\n", cmd->name, out->error);
        return SMX_EXIT_INPUT;
    }
    if (out->help) {
        smx_cli_help(cmd, stdout);
        return SMX_EXIT_COMPLETE;
    }
    return SMX_CLI_PROCEED;
}

/* Writes TEXT word-wrapped to WIDTH columns, continuation lines indented by INDENT. */
static void wrap(FILE *f, const char *text, int col, int indent, int width)
{
    const char *p = text;
    while (*p) {
        size_t w = strcspn(p, " ");
        if (col > indent && col + 1 + (int)w > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)w, p);
        col += (int)w;
        p += w;
        p += strspn(p, " ");
    }
    fputc('\n', f);
}

static void option_line(FILE *f, const char *label, const char *help)
{
    enum { COLUMN = 26, WIDTH = 100 };
    int len = fprintf(f, "  %s", label);
    if (len + 2 > COLUMN) {
        fprintf(f, "\n%*s", COLUMN, "");
        len = COLUMN;
    } else {
        fprintf(f, "%*s", COLUMN - len, "");
        len = COLUMN;
    }
    wrap(f, help, len, COLUMN, WIDTH);
}

void smx_cli_help(const smx_cli_command *cmd, FILE *f)
{
    fprintf(f, "usage: sweepmux %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->description);
    fprintf(f, "\noptions:\n");
    for (const smx_opt *o = cmd->opts; o && o->name; o++) {
        char label[128], what[96];
        value_name(o, what, sizeof what);
        int n = o->short_name ? snprintf(label, sizeof label, "-%c, ", o->short_name) : 0;
        snprintf(label + n, sizeof label - (size_t)n, "--%s%s%s", o->name, what[0] ? " " : "",
                 what);
        option_line(f, label, o->help);
    }
    option_line(f, "-h, --help", "show this help and exit");
    if (cmd->epilog)
        fprintf(f, "\n%s", cmd->epilog);
}
