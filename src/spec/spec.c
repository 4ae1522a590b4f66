/*
 * A parsed spec (built by parse.c): what it holds, read by the rest of the library, and the one
 * change a parsed spec allows (a command given on the command line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "spec/spec_impl.h"

static void mark_used(smx_spec *s, const smx__tmpl *t)
{
    for (size_t i = 0; i < t->nsegs; i++)
        if (!t->segs[i].lit && t->segs[i].param >= 0)
            s->params[t->segs[i].param].used = 1;
}

static void strv_clear(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Recomputes the "parameter never used" warnings from the current templates. */
int smx__spec_check_unused(smx_spec *s)
{
    strv_clear(s->uwarnings, s->nuwarnings);
    s->uwarnings = NULL;
    s->nuwarnings = 0;
    if (!s->has_command)
        return 0;
    for (size_t i = 0; i < s->nparams; i++)
        s->params[i].used = 0;
    for (size_t i = 0; i < s->ncommand; i++)
        mark_used(s, &s->command[i]);
    for (size_t i = 0; i < s->nenv; i++)
        mark_used(s, &s->env[i].value);
    if (s->has_workdir)
        mark_used(s, &s->workdir);
    for (size_t i = 0; i < s->nparams; i++) {
        if (s->params[i].used)
            continue;
        char *w = NULL;
        if (asprintf(&w,
                     "%s:%d:%d: parameter '%s' is not used by the command, env or workdir (the "
                     "task still sees it as an environment variable)",
                     s->filename, s->params[i].line, s->params[i].col, s->params[i].name) < 0)
            return smx__error_oom();
        char **v = realloc(s->uwarnings, (s->nuwarnings + 1) * sizeof *v);
        if (!v) {
            free(w);
            return smx__error_oom();
        }
        s->uwarnings = v;
        v[s->nuwarnings++] = w;
    }
    return 0;
}

void smx__spec_free(smx_spec *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nparams; i++) {
        free(s->params[i].name);
        free(s->params[i].vals);
    }
    free(s->params);
    free(s->axis_len);
    free(s->axis_stride);
    free(s->rows);
    for (size_t i = 0; i < s->ncommand; i++)
        smx__template_clear(&s->command[i]);
    free(s->command);
    for (size_t i = 0; i < s->nenv; i++) {
        free(s->env[i].name);
        smx__template_clear(&s->env[i].value);
    }
    free(s->env);
    smx__template_clear(&s->workdir);
    strv_clear(s->warnings, s->nwarnings);
    strv_clear(s->uwarnings, s->nuwarnings);
    strv_clear(s->strings, s->nstrings);
    free(s->text);
    free(s->csv_text);
    free(s->csv_path);
    free(s->order);
    free(s->order_end);
    free(s->filename);
    free(s->name);
    free(s->description);
    free(s);
}

const char *smx__spec_csv(const smx_spec *s, size_t *len, const char **path)
{
    if (len)
        *len = s->csv_len;
    if (path)
        *path = s->csv_path;
    return s->csv_text;
}

const char *smx__spec_text(const smx_spec *s, size_t *len)
{
    if (len)
        *len = s->len;
    return s->text;
}

const char *smx__spec_hash(const smx_spec *s)
{
    return s->hash;
}

const char *smx__spec_name(const smx_spec *s)
{
    return s->name ? s->name : "sweep";
}

size_t smx__spec_nparams(const smx_spec *s)
{
    return s->nparams;
}

const char *smx__spec_param_name(const smx_spec *s, size_t i)
{
    return i < s->nparams ? s->params[i].name : NULL;
}

int smx__spec_param_find(const smx_spec *s, const char *name)
{
    return smx__param_find(s->params, s->nparams, name);
}

smx_value_type smx__spec_param_type(const smx_spec *s, size_t i)
{
    return i < s->nparams ? s->params[i].type : SMX_VALUE_STRING;
}

const char *smx__spec_method(const smx_spec *s)
{
    static const char *const names[] = {"grid", "random", "list"};
    return names[s->method];
}

const char *smx__spec_description(const smx_spec *s)
{
    return s->description;
}

double smx__spec_timeout(const smx_spec *s)
{
    return s->timeout;
}

int smx__spec_retries(const smx_spec *s)
{
    return s->retries;
}

int smx__spec_shell(const smx_spec *s)
{
    return s->shell;
}

/* Writes the command of S as a flow list ("[a, b]") into BUF. */
static void command_text(const smx_spec *s, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "[");
    for (size_t i = 0; i < s->ncommand && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", s->command[i].src);
    if (used < n)
        snprintf(buf + used, n - used, "]");
}

/* Writes the env of S as "{A: x, B: y}" into BUF. */
static void env_text(const smx_spec *s, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "{");
    for (size_t i = 0; i < s->nenv && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s: %s", i ? ", " : "", s->env[i].name,
                                 s->env[i].value.src);
    if (used < n)
        snprintf(buf + used, n - used, "}");
}

int smx__spec_run_diff(const smx_spec *a, const smx_spec *b, char *what, size_t n)
{
    char x[1024], y[1024];
    command_text(a, x, sizeof x);
    command_text(b, y, sizeof y);
    if (a->has_command != b->has_command || strcmp(x, y) != 0) {
        snprintf(what, n, "command: stored %s; new %s", a->has_command ? x : "(none)",
                 b->has_command ? y : "(none)");
        return 1;
    }
    if (!a->shell != !b->shell) {
        snprintf(what, n, "shell: stored %s; new %s", a->shell ? "true" : "false",
                 b->shell ? "true" : "false");
        return 1;
    }
    env_text(a, x, sizeof x);
    env_text(b, y, sizeof y);
    if (strcmp(x, y) != 0) {
        snprintf(what, n, "env: stored %s; new %s", x, y);
        return 1;
    }
    const char *wa = a->has_workdir ? a->workdir.src : "(none)";
    const char *wb = b->has_workdir ? b->workdir.src : "(none)";
    if (strcmp(wa, wb) != 0) {
        snprintf(what, n, "workdir: stored %s; new %s", wa, wb);
        return 1;
    }
    return 0;
}

int smx__spec_has_workdir(const smx_spec *s)
{
    return s->has_workdir;
}

int smx__spec_has_command(const smx_spec *s)
{
    return s->has_command;
}

int smx__spec_set_command(smx_spec *s, int argc, char *const *argv)
{
    if (!s || argc < 0 || (argc && !argv))
        return smx__error(SMX_EUSAGE, "smx__spec_set_command: bad arguments");
    if (argc == 0 || !argv[0] || !argv[0][0])
        return smx__error(SMX_EINPUT, "the command after '--' is empty; expected a program and "
                                      "its arguments");
    smx__tmpl *cmd = calloc((size_t)argc, sizeof *cmd);
    if (!cmd)
        return smx__error_oom();
    for (int i = 0; i < argc; i++) {
        smx__where w = {NULL, 0, 1, i + 1};
        int rc = smx__template_compile(s->params, s->nparams, argv[i] ? argv[i] : "", &w, &cmd[i]);
        if (rc) {
            for (int j = 0; j <= i; j++)
                smx__template_clear(&cmd[j]);
            free(cmd);
            return rc;
        }
    }
    for (size_t i = 0; i < s->ncommand; i++)
        smx__template_clear(&s->command[i]);
    free(s->command);
    s->command = cmd;
    s->ncommand = (size_t)argc;
    s->has_command = 1;
    return smx__spec_check_unused(s);
}

size_t smx__spec_nwarnings(const smx_spec *s)
{
    return s->nwarnings + s->nuwarnings;
}

const char *smx__spec_warning(const smx_spec *s, size_t i)
{
    if (i < s->nwarnings)
        return s->warnings[i];
    i -= s->nwarnings;
    return i < s->nuwarnings ? s->uwarnings[i] : NULL;
}
