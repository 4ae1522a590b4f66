/*
 * The sweep spec: YAML text -> an immutable smx_spec. The YAML is read into a tree (yaml_tree.c),
 * then interpreted key by key: the top level here, parameters (parameters.c) and rows (rows.c) in
 * their own files. Every mistake stops the parse with ONE message "FILE:LINE:COL: what is wrong;
 * what is expected" (nodes.c).
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/duration.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/sha256.h"
#include "core/suggest.h"
#include "spec/nodes.h"
#include "spec/parameters.h"
#include "spec/rows.h"
#include "spec/spec_impl.h"
#include "spec/template.h"
#include "spec/textfile.h"
#include "spec/yaml_tree.h"

/* ------------------------------------------------------------------------------------------ */
/* Durations, UTF-8 */

static int parse_timeout(ctx *c, const ynode *n, double *out)
{
    smx_value v;
    if (n->type != Y_SCALAR)
        return smx__sp_fail(c, n,
                            "'timeout' is %s; expected seconds or a duration such as 90s, 10m, "
                            "2h, 1h30m",
                            smx__sp_node_desc(n));
    enum skind k = smx__sp_classify(n, &v);
    if (k == K_INT || k == K_FLOAT) {
        double d = smx__sp_num_f(&v);
        if (!(d >= 0) || !isfinite(d))
            return smx__sp_fail(c, n, "'timeout' is %s; expected a duration >= 0 (0 for none)",
                                n->str);
        *out = d;
        return 0;
    }
    /* A string: the duration grammar shared with the command line (core/duration.h). */
    smx__duration_err err = smx__duration_parse(n->str, out);
    if (err != SMX__DURATION_OK)
        return smx__sp_fail(c, n, "'timeout' '%s' %s; expected seconds or a duration such as %s",
                            n->str, smx__duration_problem(err), SMX__DURATION_EXAMPLES);
    return 0;
}

/* Where a scalar's text starts: a quoted scalar's mark is on its opening quote. */
static smx__where where_of(ctx *c, const ynode *n)
{
    smx__where w = {c->file, n->line, n->col + (n->quoted ? 1 : 0), 0};
    return w;
}

static int parse_command(ctx *c, const ynode *n)
{
    smx_spec *s = c->spec;
    int rc;
    if (n->type == Y_SCALAR) {
        if (!s->shell)
            return smx__sp_fail(c, n,
                                "'command' is a string; expected a list of arguments such as "
                                "[python3, train.py, --lr, \"{lr}\"] (or set 'shell: true' to give "
                                "a shell script)");
        if ((rc = smx__sp_get_text(c, n, "'command'", 0)))
            return rc;
        s->command = calloc(1, sizeof *s->command);
        if (!s->command)
            return smx__error_oom();
        s->ncommand = 1;
        smx__where w = where_of(c, n);
        return smx__template_compile(s->params, s->nparams, n->str, &w, &s->command[0]);
    }
    if (n->type != Y_SEQ)
        return smx__sp_fail(c, n,
                            "'command' is %s; expected a list of arguments such as [python3, "
                            "train.py, --lr, \"{lr}\"]",
                            smx__sp_node_desc(n));
    if (n->nkids == 0)
        return smx__sp_fail(c, n, "'command' is empty; expected the program and its arguments");
    s->command = calloc(n->nkids, sizeof *s->command);
    if (!s->command)
        return smx__error_oom();
    s->ncommand = n->nkids;
    for (size_t i = 0; i < n->nkids; i++) {
        const ynode *a = n->kids[i];
        smx_value v;
        if (a->type != Y_SCALAR)
            return smx__sp_fail(c, a, "argument %zu of 'command' is %s; expected a string", i + 1,
                                smx__sp_node_desc(a));
        if (smx__sp_classify(a, &v) == K_NULL && !a->quoted)
            return smx__sp_fail(c, a,
                                "argument %zu of 'command' is empty; expected a string (write \"\" "
                                "for an empty argument)",
                                i + 1);
        smx__where w = where_of(c, a);
        if ((rc = smx__template_compile(s->params, s->nparams, a->str, &w, &s->command[i])))
            return rc;
    }
    if (s->command[0].nsegs == 0)
        return smx__sp_fail(c, n->kids[0],
                            "the program (argument 1 of 'command') is empty; expected a "
                            "program name or path");
    return 0;
}

static int parse_env(ctx *c, const ynode *n)
{
    smx_spec *s = c->spec;
    int rc;
    if (n->type != Y_MAP)
        return smx__sp_fail(c, n, "'env' is %s; expected a mapping NAME: VALUE",
                            smx__sp_node_desc(n));
    if ((rc = smx__sp_check_map(c, n, "'env'", "variable")))
        return rc;
    s->env = calloc(n->nkids / 2 + 1, sizeof *s->env);
    if (!s->env)
        return smx__error_oom();
    for (size_t i = 0; i + 1 < n->nkids; i += 2) {
        const ynode *k = n->kids[i], *v = n->kids[i + 1];
        size_t ok =
            strspn(k->str, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
        if (k->str[ok] || (k->str[0] >= '0' && k->str[0] <= '9') || ok > SMX__SP_MAX_NAME)
            return smx__sp_fail(c, k,
                                "invalid environment variable name '%s'; expected letters, digits "
                                "and '_', not starting with a digit",
                                k->str);
        /* The runner sets these for every task (README "What a task sees"); a spec that set
         * them too would either be overridden or mislead the task about its element (A2-13). */
        if (!strncmp(k->str, "SWEEPMUX_", 9))
            return smx__sp_fail(c, k,
                                "'env' sets '%s', but SWEEPMUX_* variables are set by sweepmux "
                                "for every task; use another name",
                                k->str);
        if (v->type != Y_SCALAR)
            return smx__sp_fail(c, v, "'env' value of '%s' is %s; expected a string", k->str,
                                smx__sp_node_desc(v));
        smx__env *e = &s->env[s->nenv];
        if (!(e->name = strdup(k->str)))
            return smx__error_oom();
        s->nenv++;
        smx_value tmp;
        const char *text = smx__sp_classify(v, &tmp) == K_NULL && !v->quoted ? "" : v->str;
        smx__where w = where_of(c, v);
        if ((rc = smx__template_compile(s->params, s->nparams, text, &w, &e->value)))
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The top level */

static const char *const top_keys[] = {"name",       "description", "command", "shell",   "method",
                                       "parameters", "count",       "seed",    "rows",    "zip",
                                       "timeout",    "retries",     "env",     "workdir", NULL};

/* The top level is a mapping of known keys; keys from other tools get a pointed message. */
static int check_root(ctx *c, const ynode *root)
{
    int rc;
    if (!root)
        return smx__sp_fail_at(c, 1, 1,
                               "the spec is empty; expected a mapping with 'command' and "
                               "'parameters'");
    if (root->type != Y_MAP)
        return smx__sp_fail(c, root,
                            "the spec is %s; expected a mapping with keys such as 'command' and "
                            "'parameters'",
                            smx__sp_node_desc(root));
    if ((rc = smx__sp_check_map(c, root, "the spec", "key")))
        return rc;
    for (size_t i = 0; i + 1 < root->nkids; i += 2) {
        const ynode *k = root->kids[i];
        if (!strcmp(k->str, "program"))
            return smx__sp_fail(c, k,
                                "unknown key 'program'; put the program and its arguments in "
                                "'command', e.g. command: [python3, train.py, --lr, \"{lr}\"]");
        if (!strcmp(k->str, "metric") || !strcmp(k->str, "early_terminate"))
            return smx__sp_fail(c, k,
                                "unknown key '%s' (a W&B sweep key); sweepmux runs every element "
                                "and does not optimise a metric; remove it",
                                k->str);
    }
    return smx__sp_check_keys(c, root, "the spec", top_keys);
}

/* A copy of an optional text setting (name, description), or NULL when the key is absent. */
static int parse_label(ctx *c, const ynode *root, const char *key, int allow_empty, char **out)
{
    const ynode *n = smx__sp_map_get(root, key);
    if (!n)
        return 0;
    char what[32];
    snprintf(what, sizeof what, "'%s'", key);
    int rc = smx__sp_get_text(c, n, what, allow_empty);
    if (rc)
        return rc;
    if (!(*out = strdup(n->str)))
        return smx__error_oom();
    return 0;
}

static int parse_method(ctx *c, const ynode *n, enum smx__method *out)
{
    static const char *const methods[] = {"grid", "random", "list", NULL};
    *out = SMX__METHOD_GRID;
    if (!n)
        return 0;
    if (n->type != Y_SCALAR)
        return smx__sp_fail(c, n, "'method' is %s; expected grid, random or list",
                            smx__sp_node_desc(n));
    if (!strcmp(n->str, "grid"))
        *out = SMX__METHOD_GRID;
    else if (!strcmp(n->str, "random"))
        *out = SMX__METHOD_RANDOM;
    else if (!strcmp(n->str, "list"))
        *out = SMX__METHOD_LIST;
    else if (!strcmp(n->str, "bayes"))
        return smx__sp_fail(c, n,
                            "method 'bayes' is not supported (sweepmux runs a fixed set of "
                            "elements); expected grid, random or list");
    else {
        const char *sug = smx__suggest(n->str, methods);
        if (sug)
            return smx__sp_fail(c, n, "unknown method '%s'; did you mean '%s'?", n->str, sug);
        return smx__sp_fail(c, n, "unknown method '%s'; expected grid, random or list", n->str);
    }
    return 0;
}

/* Keys that belong to another method are refused rather than silently ignored. */
static int check_method_keys(ctx *c, const ynode *root)
{
    enum smx__method m = c->spec->method;
    const ynode *kcount = smx__sp_map_key(root, "count"), *kseed = smx__sp_map_key(root, "seed");
    const ynode *krows = smx__sp_map_key(root, "rows"), *kzip = smx__sp_map_key(root, "zip");
    if (m != SMX__METHOD_RANDOM && (kcount || kseed))
        return smx__sp_fail(c, kcount ? kcount : kseed,
                            "'%s' is only used with 'method: random'; remove it or set the method",
                            kcount ? "count" : "seed");
    if (m != SMX__METHOD_LIST && krows)
        return smx__sp_fail(c, krows,
                            "'rows' is only used with 'method: list'; add 'method: list' or "
                            "remove it");
    if (m != SMX__METHOD_GRID && kzip)
        return smx__sp_fail(c, kzip, "'zip' is only used with 'method: grid'; remove it");
    return 0;
}

static int parse_rows(ctx *c, const ynode *root)
{
    const ynode *n = smx__sp_map_get(root, "rows");
    if (!n)
        return smx__sp_fail(c, root,
                            "a list sweep needs 'rows': a list of mappings or {csv: FILE}");
    if (n->type == Y_SEQ)
        return smx__sp_parse_inline_rows(c, n);
    if (n->type == Y_MAP)
        return smx__sp_parse_csv_rows(c, n);
    return smx__sp_fail(c, n, "'rows' is %s; expected a list of mappings or {csv: FILE}",
                        smx__sp_node_desc(n));
}

/* count, seed, and each parameter's stream key. */
static int parse_random(ctx *c, const ynode *root)
{
    smx_spec *s = c->spec;
    const ynode *n = smx__sp_map_get(root, "count");
    int64_t x;
    int rc;
    if (!n)
        return smx__sp_fail(c, root,
                            "a random sweep needs 'count' (the number of samples), e.g. "
                            "count: 100");
    if ((rc = smx__sp_get_int(c, n, "'count'", &x)))
        return rc;
    if (x < 1)
        return smx__sp_fail(c, n, "'count' is %" PRId64 "; expected at least 1", x);
    if ((uint64_t)x > SMX__SP_COUNT_MAX)
        return smx__sp_fail(c, n, "'count' is too large; expected at most %" PRIu64,
                            SMX__SP_COUNT_MAX);
    s->count = (uint64_t)x;
    if ((n = smx__sp_map_get(root, "seed"))) {
        if ((rc = smx__sp_get_int(c, n, "'seed'", &x)))
            return rc;
        s->seed = (uint64_t)x;
        s->has_seed = 1;
    }
    /* Streams are keyed by the parameter's name, so adding or reordering parameters leaves
     * the others' values unchanged. FNV-1a, then mixed by the generator. */
    for (size_t i = 0; i < s->nparams; i++) {
        uint64_t h = 0xcbf29ce484222325u;
        for (const char *p = s->params[i].name; *p; p++)
            h = (h ^ (unsigned char)*p) * 0x100000001b3u;
        s->params[i].key = h;
    }
    return 0;
}

/* What elements there are: parameters, rows, count, zip groups, then the space over them. */
static int parse_space(ctx *c, const ynode *root)
{
    smx_spec *s = c->spec;
    const ynode *params = smx__sp_map_get(root, "parameters"), *n;
    int rc;
    if (params && (rc = smx__sp_parse_parameters(c, params)))
        return rc;
    if (s->method == SMX__METHOD_LIST && (rc = parse_rows(c, root)))
        return rc;
    if (s->nparams == 0)
        return smx__sp_fail(c, params ? params : root,
                            "the spec has no parameters; expected 'parameters:' with at least one "
                            "parameter, e.g. lr: {values: [0.1, 0.01]}");
    if (s->method == SMX__METHOD_RANDOM && (rc = parse_random(c, root)))
        return rc;
    if (s->method == SMX__METHOD_GRID) {
        for (size_t i = 0; i < s->nparams; i++)
            s->params[i].axis = (int)i;
        if ((n = smx__sp_map_get(root, "zip")) && (rc = smx__sp_parse_zip(c, n)))
            return rc;
    }
    return smx__space_init(s);
}

/* How each element runs: command, env, workdir, timeout, retries. */
static int parse_task(ctx *c, const ynode *root)
{
    smx_spec *s = c->spec;
    const ynode *n;
    int rc;
    if ((n = smx__sp_map_get(root, "command"))) {
        if ((rc = parse_command(c, n)))
            return rc;
        s->has_command = 1;
    }
    if ((n = smx__sp_map_get(root, "env")) && (rc = parse_env(c, n)))
        return rc;
    if ((n = smx__sp_map_get(root, "workdir"))) {
        if ((rc = smx__sp_get_text(c, n, "'workdir'", 0)))
            return rc;
        if (!n->str[0]) /* A2-6: every task would fail to start */
            return smx__sp_fail(c, n,
                                "'workdir' is empty; expected a directory such as "
                                "\"runs/{index}\" (leave 'workdir' out to run the tasks in "
                                "the directory the sweep was created in)");
        smx__where w = where_of(c, n);
        if ((rc = smx__template_compile(s->params, s->nparams, n->str, &w, &s->workdir)))
            return rc;
        s->has_workdir = 1;
    }
    if ((n = smx__sp_map_get(root, "timeout")) && (rc = parse_timeout(c, n, &s->timeout)))
        return rc;
    if ((n = smx__sp_map_get(root, "retries"))) {
        int64_t x;
        if ((rc = smx__sp_get_int(c, n, "'retries'", &x)))
            return rc;
        /* Attempts are counted in 16 bits in the state file: 1 + retries must fit (A2-9). */
        if (x < 0 || x > SMX__RETRIES_MAX)
            return smx__sp_fail(c, n, "'retries' is %" PRId64 "; expected an integer from 0 to %d",
                                x, SMX__RETRIES_MAX);
        s->retries = (int)x;
    }
    return 0;
}

static int parse_root(ctx *c, const ynode *root)
{
    smx_spec *s = c->spec;
    const ynode *n;
    int rc;
    if ((rc = check_root(c, root)) || (rc = parse_label(c, root, "name", 0, &s->name)) ||
        (rc = parse_label(c, root, "description", 1, &s->description)) ||
        (rc = parse_method(c, smx__sp_map_get(root, "method"), &s->method)))
        return rc;
    if ((n = smx__sp_map_get(root, "shell")) && (rc = smx__sp_get_bool(c, n, "'shell'", &s->shell)))
        return rc;
    if ((rc = check_method_keys(c, root)) || (rc = parse_space(c, root)) ||
        (rc = parse_task(c, root)))
        return rc;
    return smx__spec_check_unused(s);
}

/* ------------------------------------------------------------------------------------------ */
/* The interface */

int smx__spec_parse(smx_spec **out, const char *text, size_t len, const char *filename,
                    const char *basedir)
{
    return smx__spec_parse_captured(out, text, len, filename, basedir, NULL, 0);
}

int smx__spec_parse_captured(smx_spec **out, const char *text, size_t len, const char *filename,
                             const char *basedir, const char *csv_text, size_t csv_len)
{
    if (!out || (!text && len))
        return smx__error(SMX_EUSAGE, "smx__spec_parse: NULL argument");
    *out = NULL;
    if (!filename)
        filename = "<spec>";
    if (len > SMX__SPEC_MAX_BYTES)
        return smx__error(SMX_EINPUT,
                          "%s: the spec has %zu bytes, more than the limit of %u "
                          "bytes (16 MiB); a spec must be smaller",
                          filename, len, SMX__SPEC_MAX_BYTES);
    smx_spec *s = calloc(1, sizeof *s);
    if (!s)
        return smx__error_oom();
    ctx c = {
        .spec = s, .file = filename, .basedir = basedir, .csv_text = csv_text, .csv_len = csv_len};
    ynode *root = NULL;
    int rc = 0, parser_ok = 0;
    s->text = malloc(len + 1);
    s->filename = strdup(filename);
    if (!s->text || !s->filename) {
        rc = smx__error_oom();
        goto done;
    }
    if (len)
        memcpy(s->text, text, len);
    s->text[len] = '\0';
    s->len = len;
    smx__sha256_hex(s->text, len, s->hash);
    c.file = s->filename;
    if ((rc = smx__sp_utf8_check(c.file, s->text, len)))
        goto done;
    if (!yaml_parser_initialize(&c.parser)) {
        rc = smx__error_oom();
        goto done;
    }
    parser_ok = 1;
    if ((rc = smx__sp_load_tree(&c, s->text, len, &root)))
        goto done;
    rc = parse_root(&c, root);
done:
    if (parser_ok)
        yaml_parser_delete(&c.parser);
    smx__sp_tree_free(&c);
    if (rc) {
        smx__spec_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int smx__spec_load(smx_spec **out, const char *path)
{
    if (!out || !path)
        return smx__error(SMX_EUSAGE, "smx__spec_load: NULL argument");
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = smx__sp_read_file(path, path, &text, &len);
    if (rc)
        return rc;
    char *dir = strdup(path);
    if (!dir) {
        free(text);
        return smx__error_oom();
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        slash == dir ? (void)(dir[1] = '\0') : (void)(*slash = '\0');
    rc = smx__spec_parse(out, text, len, path, slash ? dir : NULL);
    free(dir);
    free(text);
    return rc;
}
