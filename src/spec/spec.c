/*
 * The sweep spec: YAML text -> an immutable smx_spec. The YAML is first read with libyaml's event
 * API into a small tree that keeps every node's line and column (and shares aliased nodes instead
 * of copying them, with a bound on what aliases may expand to), then interpreted key by key. Every
 * mistake stops the parse with ONE message "FILE:LINE:COL: what is wrong; what is expected".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "core/duration.h"
#include "core/error.h"
#include "core/sha256.h"
#include "core/suggest.h"
#include "spec/spec_impl.h"
#include "core/value.h"

/* Bounds that keep a hostile spec from using unbounded time or memory. */
#define MAX_DEPTH 64           /* nesting of sequences and mappings */
#define MAX_ANCHORS 1000       /* distinct anchors in one document */
#define MAX_ALIAS_NODES 100000 /* nodes that aliases may add when expanded */
#define MAX_NAME 128           /* length of a parameter or environment variable name */
#define COUNT_MAX ((uint64_t)INT64_MAX - 1)

/* ------------------------------------------------------------------------------------------ */
/* The YAML tree */

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

typedef struct ynode {
    enum ytype type;
    int line, col;       /* 1-based */
    char *str;           /* scalar text */
    int quoted;          /* a quoted or block scalar: always a string */
    int strtag;          /* tagged !!str */
    struct ynode **kids; /* sequence items, or mapping key, value, key, value, ... */
    size_t nkids, capkids;
    uint64_t weight; /* nodes in the subtree, aliases expanded */
} ynode;

typedef struct ctx {
    smx_spec *spec;
    const char *file;
    const char *basedir;
    const char *csv_text; /* the rows' CSV as captured in a state file, or NULL: read the file */
    size_t csv_len;
    yaml_parser_t parser;
    ynode **all;
    size_t nall, capall;
    struct anchor {
        char *name;
        ynode *node;
    } * anchors;
    size_t nanchors;
    uint64_t alias_nodes;
} ctx;

SMX__PRINTF(3, 4) static int fail(ctx *c, const ynode *n, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return smx__error(SMX_EINPUT, "%s:%d:%d: %s", c->file, n ? n->line : 1, n ? n->col : 1, msg);
}

SMX__PRINTF(4, 5) static int fail_at(ctx *c, int line, int col, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return smx__error(SMX_EINPUT, "%s:%d:%d: %s", c->file, line, col, msg);
}

static ynode *node_new(ctx *c, enum ytype type, yaml_mark_t mark)
{
    if (c->nall == c->capall) {
        size_t cap = c->capall ? 2 * c->capall : 64;
        ynode **all = realloc(c->all, cap * sizeof *all);
        if (!all)
            return NULL;
        c->all = all;
        c->capall = cap;
    }
    ynode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->type = type;
    n->line = (int)mark.line + 1;
    n->col = (int)mark.column + 1;
    n->weight = 1;
    c->all[c->nall++] = n;
    return n;
}

static int node_add(ynode *parent, ynode *kid)
{
    if (parent->nkids == parent->capkids) {
        size_t cap = parent->capkids ? 2 * parent->capkids : 8;
        ynode **k = realloc(parent->kids, cap * sizeof *k);
        if (!k)
            return smx__error_oom();
        parent->kids = k;
        parent->capkids = cap;
    }
    parent->kids[parent->nkids++] = kid;
    parent->weight += kid->weight;
    return 0;
}

static int yaml_fail(ctx *c)
{
    yaml_parser_t *p = &c->parser;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    yaml_mark_t m = p->problem_mark;
    if (p->context)
        return fail_at(c, (int)m.line + 1, (int)m.column + 1,
                       "invalid YAML: %s %s (line %d); fix the YAML syntax", problem, p->context,
                       (int)p->context_mark.line + 1);
    return fail_at(c, (int)m.line + 1, (int)m.column + 1, "invalid YAML: %s; fix the YAML syntax",
                   problem);
}

static int next_event(ctx *c, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&c->parser, ev))
        return yaml_fail(c);
    return 0;
}

static int add_anchor(ctx *c, const yaml_char_t *name, ynode *n, yaml_mark_t mark)
{
    if (!name)
        return 0;
    if (c->nanchors >= MAX_ANCHORS)
        return fail_at(c, (int)mark.line + 1, (int)mark.column + 1,
                       "too many anchors (more than %d); a spec needs only a few", MAX_ANCHORS);
    struct anchor *a = realloc(c->anchors, (c->nanchors + 1) * sizeof *a);
    if (!a)
        return smx__error_oom();
    c->anchors = a;
    /* A redefined anchor replaces the old one for later aliases, as YAML says. */
    a[c->nanchors].name = strdup((const char *)name);
    if (!a[c->nanchors].name)
        return smx__error_oom();
    a[c->nanchors].node = n;
    c->nanchors++;
    return 0;
}

static int is_str_tag(const yaml_char_t *tag)
{
    return tag && (!strcmp((const char *)tag, "tag:yaml.org,2002:str") ||
                   !strcmp((const char *)tag, "!!str"));
}

/* Builds the node that starts with EV (consumed). */
static int build(ctx *c, yaml_event_t *ev, ynode **out, int depth)
{
    int rc = 0;
    ynode *n = NULL;
    if (depth > MAX_DEPTH)
        return fail_at(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                       "nesting deeper than %d levels; a spec needs only a few", MAX_DEPTH);
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (size_t i = c->nanchors; i-- > 0;)
            if (!strcmp(c->anchors[i].name, name)) {
                n = c->anchors[i].node;
                break;
            }
        if (!n)
            return fail_at(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                           "unknown alias '*%s'; define the anchor '&%s' before using it", name,
                           name);
        c->alias_nodes += n->weight;
        if (c->alias_nodes > MAX_ALIAS_NODES)
            return fail_at(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                           "aliases expand to more than %d nodes; a spec may use aliases only "
                           "for small repeated parts",
                           MAX_ALIAS_NODES);
        *out = n;
        return 0;
    }
    case YAML_SCALAR_EVENT:
        n = node_new(c, Y_SCALAR, ev->start_mark);
        if (!n)
            return smx__error_oom();
        n->str = malloc(ev->data.scalar.length + 1);
        if (!n->str)
            return smx__error_oom();
        memcpy(n->str, ev->data.scalar.value, ev->data.scalar.length);
        n->str[ev->data.scalar.length] = '\0';
        if (strlen(n->str) != ev->data.scalar.length)
            return fail(c, n, "a NUL character inside a value; remove it");
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        n->strtag = is_str_tag(ev->data.scalar.tag);
        rc = add_anchor(c, ev->data.scalar.anchor, n, ev->start_mark);
        *out = n;
        return rc;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int seq = ev->type == YAML_SEQUENCE_START_EVENT;
        yaml_mark_t mark = ev->start_mark;
        /* Copy the anchor: it is registered once the collection is complete, so that a
         * collection cannot contain itself. */
        const yaml_char_t *a = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
        char *anchor = a ? strdup((const char *)a) : NULL;
        if (a && !anchor)
            return smx__error_oom();
        n = node_new(c, seq ? Y_SEQ : Y_MAP, mark);
        if (!n) {
            free(anchor);
            return smx__error_oom();
        }
        for (;;) {
            yaml_event_t kid;
            if ((rc = next_event(c, &kid)))
                break;
            if (kid.type == YAML_SEQUENCE_END_EVENT || kid.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&kid);
                break;
            }
            ynode *k = NULL;
            rc = build(c, &kid, &k, depth + 1);
            yaml_event_delete(&kid);
            if (rc)
                break;
            if ((rc = node_add(n, k)))
                break;
        }
        if (!rc)
            rc = add_anchor(c, (const yaml_char_t *)anchor, n, mark);
        free(anchor);
        *out = n;
        return rc;
    }
    default:
        return fail_at(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                       "unexpected YAML structure; expected a value");
    }
}

/* Reads the whole document; *root is NULL for an empty document. */
static int load_tree(ctx *c, const char *text, size_t len, ynode **root)
{
    yaml_event_t ev;
    int rc;
    *root = NULL;
    yaml_parser_set_input_string(&c->parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&c->parser, YAML_UTF8_ENCODING);
    for (;;) {
        if ((rc = next_event(c, &ev)))
            return rc;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (t == YAML_DOCUMENT_START_EVENT && *root) {
            rc = fail_at(c, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                         "a second YAML document; a spec is one document");
            yaml_event_delete(&ev);
            return rc;
        }
        if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
            t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
            rc = build(c, &ev, root, 0);
            yaml_event_delete(&ev);
            if (rc)
                return rc;
            continue;
        }
        yaml_event_delete(&ev);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Scalars */

/* What a plain scalar means under the YAML 1.2 core schema. */
enum skind { K_NULL, K_BOOL, K_INT, K_FLOAT, K_STR, K_BADNUM };

static int match_float(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF"))
        return 1;
    if (p == s && (!strcmp(p, ".nan") || !strcmp(p, ".NaN") || !strcmp(p, ".NAN")))
        return 1;
    int digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
    }
    if (!digits)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

static enum skind classify(const ynode *n, smx_value *v)
{
    const char *s = n->str;
    v->type = SMX_VALUE_STRING;
    v->u.s = s;
    if (n->type != Y_SCALAR)
        return K_STR;
    if (n->quoted || n->strtag)
        return K_STR;
    if (!s[0] || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
        return K_NULL;
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        v->type = SMX_VALUE_BOOL;
        v->u.b = 1;
        return K_BOOL;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        v->type = SMX_VALUE_BOOL;
        v->u.b = 0;
        return K_BOOL;
    }
    const char *p = s + (s[0] == '+' || s[0] == '-');
    int base = 10;
    const char *digits = p;
    if (p == s && p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p[2])
        base = p[1] == 'x' ? 16 : 8, digits = p + 2;
    if (*digits && strspn(digits, base == 16  ? "0123456789abcdefABCDEF"
                                  : base == 8 ? "01234567"
                                              : "0123456789") == strlen(digits)) {
        errno = 0;
        char *end;
        long long x = strtoll(base == 10 ? s : digits, &end, base);
        if (errno == ERANGE)
            return K_BADNUM;
        v->type = SMX_VALUE_INT;
        v->u.i = x;
        return K_INT;
    }
    if (match_float(s)) {
        v->type = SMX_VALUE_FLOAT;
        if (strstr(s, "inf") || strstr(s, "Inf") || strstr(s, "INF"))
            v->u.f = s[0] == '-' ? -INFINITY : INFINITY;
        else if (strstr(s, "nan") || strstr(s, "NaN") || strstr(s, "NAN"))
            v->u.f = NAN;
        else {
            errno = 0;
            v->u.f = strtod(s, NULL);
            if (errno == ERANGE && isinf(v->u.f))
                return K_BADNUM;
        }
        return K_FLOAT;
    }
    return K_STR;
}

static const char *type_name(smx_value_type t)
{
    switch (t) {
    case SMX_VALUE_INT:
        return "an integer";
    case SMX_VALUE_FLOAT:
        return "a float";
    case SMX_VALUE_BOOL:
        return "a boolean";
    default:
        return "a string";
    }
}

static const char *node_desc(const ynode *n)
{
    if (n->type == Y_SEQ)
        return "a list";
    if (n->type == Y_MAP)
        return "a mapping";
    smx_value v;
    switch (classify(n, &v)) {
    case K_NULL:
        return "empty";
    case K_BOOL:
        return "a boolean";
    case K_INT:
        return "an integer";
    case K_FLOAT:
        return "a float";
    default:
        return "a string";
    }
}

/* Keeps a string for the life of the spec. */
static const char *keep(ctx *c, const char *s)
{
    smx_spec *spec = c->spec;
    char **v = realloc(spec->strings, (spec->nstrings + 1) * sizeof *v);
    if (!v)
        return NULL;
    spec->strings = v;
    v[spec->nstrings] = strdup(s);
    if (!v[spec->nstrings])
        return NULL;
    return v[spec->nstrings++];
}

/* A parameter value from a scalar node: typed, never empty. */
static int get_value(ctx *c, const ynode *n, const char *what, smx_value *out)
{
    if (n->type != Y_SCALAR)
        return fail(c, n, "%s is %s; expected a number, a string or true/false", what,
                    node_desc(n));
    switch (classify(n, out)) {
    case K_NULL:
        return fail(c, n, "%s is empty; expected a value (write \"\" for an empty string)", what);
    case K_BADNUM:
        return fail(c, n, "%s '%s' is out of range; expected a 64-bit integer or a finite double",
                    what, n->str);
    case K_STR:
        if (!(out->u.s = keep(c, n->str)))
            return smx__error_oom();
        return 0;
    default:
        return 0;
    }
}

static int get_number(ctx *c, const ynode *n, const char *what, smx_value *out)
{
    smx_value v;
    enum skind k = n->type == Y_SCALAR ? classify(n, &v) : K_STR;
    if (k == K_BADNUM)
        return fail(c, n, "%s '%s' is out of range; expected a 64-bit integer or a finite double",
                    what, n->str);
    if (k == K_FLOAT && !isfinite(v.u.f))
        return fail(c, n, "%s is %s; expected a finite number", what, n->str);
    if (k != K_INT && k != K_FLOAT)
        return fail(c, n, "%s is %s%s%s%s; expected a number", what, node_desc(n),
                    n->type == Y_SCALAR && n->str[0] ? " ('" : "",
                    n->type == Y_SCALAR && n->str[0] ? n->str : "",
                    n->type == Y_SCALAR && n->str[0] ? "')" : "");
    *out = v;
    return 0;
}

static double num_f(const smx_value *v)
{
    return v->type == SMX_VALUE_INT ? (double)v->u.i : v->u.f;
}

static int get_int(ctx *c, const ynode *n, const char *what, int64_t *out)
{
    smx_value v;
    enum skind k = n->type == Y_SCALAR ? classify(n, &v) : K_STR;
    if (k == K_BADNUM)
        return fail(c, n, "%s '%s' is out of range; expected a 64-bit integer", what, n->str);
    if (k != K_INT)
        return fail(c, n, "%s is %s%s%s%s; expected an integer", what, node_desc(n),
                    n->type == Y_SCALAR && n->str[0] ? " ('" : "",
                    n->type == Y_SCALAR && n->str[0] ? n->str : "",
                    n->type == Y_SCALAR && n->str[0] ? "')" : "");
    *out = v.u.i;
    return 0;
}

static int get_bool(ctx *c, const ynode *n, const char *what, int *out)
{
    smx_value v;
    if (n->type != Y_SCALAR || classify(n, &v) != K_BOOL)
        return fail(c, n, "%s is %s%s%s%s; expected true or false", what, node_desc(n),
                    n->type == Y_SCALAR && n->str[0] ? " ('" : "",
                    n->type == Y_SCALAR && n->str[0] ? n->str : "",
                    n->type == Y_SCALAR && n->str[0] ? "')" : "");
    *out = v.u.b;
    return 0;
}

/* A text setting (name, a template): any non-empty scalar, numbers taken as written. */
static int get_text(ctx *c, const ynode *n, const char *what, int allow_empty)
{
    if (n->type != Y_SCALAR)
        return fail(c, n, "%s is %s; expected a string", what, node_desc(n));
    smx_value v;
    if (!allow_empty && classify(n, &v) == K_NULL)
        return fail(c, n, "%s is empty; expected a string", what);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Keys, names and suggestions */

static void join_words(char *buf, size_t n, const char *const *words)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; words[i] && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? ", " : "", words[i]);
}

static int unknown_key(ctx *c, const ynode *key, const char *where, const char *const *known)
{
    const char *s = smx__suggest(key->str, known);
    if (s)
        return fail(c, key, "unknown key '%s' in %s; did you mean '%s'?", key->str, where, s);
    char list[512];
    join_words(list, sizeof list, known);
    return fail(c, key, "unknown key '%s' in %s; expected one of: %s", key->str, where, list);
}

static int cmp_keyp(const void *a, const void *b)
{
    const ynode *const *x = a, *const *y = b;
    int r = strcmp((*x)->str, (*y)->str);
    if (r)
        return r;
    return (*x)->line != (*y)->line ? (*x)->line - (*y)->line : (*x)->col - (*y)->col;
}

/* Every key a non-empty plain scalar, no key twice; WHAT names the mapping for messages. */
static int check_map(ctx *c, const ynode *m, const char *what, const char *dupword)
{
    size_t n = m->nkids / 2;
    for (size_t i = 0; i < n; i++) {
        const ynode *k = m->kids[2 * i];
        if (k->type != Y_SCALAR)
            return fail(c, k, "a key in %s is %s; expected a name", what, node_desc(k));
        if (!k->str[0])
            return fail(c, k, "an empty key in %s; expected a name", what);
    }
    if (n < 2)
        return 0;
    const ynode **keys = malloc(n * sizeof *keys);
    if (!keys)
        return smx__error_oom();
    for (size_t i = 0; i < n; i++)
        keys[i] = m->kids[2 * i];
    qsort(keys, n, sizeof *keys, cmp_keyp);
    int rc = 0;
    for (size_t i = 1; i < n; i++)
        if (!strcmp(keys[i]->str, keys[i - 1]->str)) {
            rc = fail(c, keys[i],
                      "duplicate %s '%s' (first at line %d, column %d); each %s may "
                      "appear once",
                      dupword, keys[i]->str, keys[i - 1]->line, keys[i - 1]->col, dupword);
            break;
        }
    free(keys);
    return rc;
}

static const ynode *map_get(const ynode *m, const char *key)
{
    for (size_t i = 0; i + 1 < m->nkids; i += 2)
        if (!strcmp(m->kids[i]->str, key))
            return m->kids[i + 1];
    return NULL;
}

static const ynode *map_key(const ynode *m, const char *key)
{
    for (size_t i = 0; i + 1 < m->nkids; i += 2)
        if (!strcmp(m->kids[i]->str, key))
            return m->kids[i];
    return NULL;
}

static int check_keys(ctx *c, const ynode *m, const char *where, const char *const *known)
{
    for (size_t i = 0; i + 1 < m->nkids; i += 2) {
        const ynode *k = m->kids[i];
        int ok = 0;
        for (size_t j = 0; known[j] && !ok; j++)
            ok = !strcmp(k->str, known[j]);
        if (!ok)
            return unknown_key(c, k, where, known);
    }
    return 0;
}

static int valid_name(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");
    return s[n] == '\0' && n <= MAX_NAME;
}

static int check_param_name(ctx *c, const ynode *k)
{
    if (!valid_name(k->str))
        return fail(c, k,
                    "invalid parameter name '%s'; expected a letter or '_' followed by "
                    "letters, digits, '_', '.' or '-' (at most %d characters)",
                    k->str, MAX_NAME);
    if (!strcmp(k->str, "index"))
        return fail(c, k,
                    "parameter name 'index' is reserved for the element index ({index}); "
                    "choose another name");
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Parameters */

static smx__param *param_add(ctx *c, const char *name, int line, int col)
{
    smx_spec *s = c->spec;
    smx__param *p = realloc(s->params, (s->nparams + 1) * sizeof *p);
    if (!p)
        return NULL;
    s->params = p;
    p = &s->params[s->nparams];
    memset(p, 0, sizeof *p);
    p->name = strdup(name);
    if (!p->name)
        return NULL;
    p->line = line;
    p->col = col;
    s->nparams++;
    return p;
}

SMX__PRINTF(3, 4) static int warn(ctx *c, const ynode *n, const char *fmt, ...)
{
    char msg[1024], *w = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (asprintf(&w, "%s:%d:%d: %s", c->file, n->line, n->col, msg) < 0)
        return smx__error_oom();
    char **v = realloc(c->spec->warnings, (c->spec->nwarnings + 1) * sizeof *v);
    if (!v) {
        free(w);
        return smx__error_oom();
    }
    c->spec->warnings = v;
    v[c->spec->nwarnings++] = w;
    return 0;
}

/* Unifies the type of a parameter's values: integers mixed with floats become floats; any other
 * mix is refused, so that every parameter has one type (the state file stores one column). */
static int unify(ctx *c, const ynode *n, const char *pname, smx_value *vals, size_t nvals,
                 smx_value_type *type)
{
    smx_value_type t = vals[0].type;
    for (size_t i = 1; i < nvals; i++) {
        smx_value_type u = vals[i].type;
        if (u == t)
            continue;
        if ((t == SMX_VALUE_INT || t == SMX_VALUE_FLOAT) &&
            (u == SMX_VALUE_INT || u == SMX_VALUE_FLOAT)) {
            t = SMX_VALUE_FLOAT;
            continue;
        }
        const ynode *at = n && n->type == Y_SEQ && i < n->nkids ? n->kids[i] : n;
        return fail(c, at,
                    "value %zu of '%s' is %s but the earlier ones are %s; give every value "
                    "of a parameter the same type (quote them all to make strings)",
                    i + 1, pname, type_name(u), type_name(t));
    }
    if (t == SMX_VALUE_FLOAT)
        for (size_t i = 0; i < nvals; i++)
            if (vals[i].type == SMX_VALUE_INT) {
                vals[i].type = SMX_VALUE_FLOAT;
                vals[i].u.f = (double)vals[i].u.i;
            }
    *type = t;
    return 0;
}

static int parse_values(ctx *c, smx__param *p, const ynode *n)
{
    if (n->type != Y_SEQ)
        return fail(c, n, "'values' of '%s' is %s; expected a list such as [1, 2, 3]", p->name,
                    node_desc(n));
    if (n->nkids == 0)
        return fail(c, n, "'values' of '%s' is empty; expected at least one value", p->name);
    p->vals = calloc(n->nkids, sizeof *p->vals);
    if (!p->vals)
        return smx__error_oom();
    p->nvals = n->nkids;
    char what[MAX_NAME + 64];
    for (size_t i = 0; i < n->nkids; i++) {
        snprintf(what, sizeof what, "value %zu of '%s'", i + 1, p->name);
        int rc = get_value(c, n->kids[i], what, &p->vals[i]);
        if (rc)
            return rc;
    }
    return unify(c, n, p->name, p->vals, p->nvals, &p->type);
}

static int parse_value(ctx *c, smx__param *p, const ynode *n)
{
    p->vals = calloc(1, sizeof *p->vals);
    if (!p->vals)
        return smx__error_oom();
    p->nvals = 1;
    char what[MAX_NAME + 64];
    snprintf(what, sizeof what, "'value' of '%s'", p->name);
    int rc = get_value(c, n, what, &p->vals[0]);
    p->type = p->vals[0].type;
    return rc;
}

/* Refuses KEY in parameter map M when present: it does not combine with the form being used. */
static int refuse(ctx *c, const ynode *m, const char *pname, const char *key, const char *form)
{
    const ynode *k = map_key(m, key);
    if (k)
        return fail(c, k, "'%s' cannot be used with %s in parameter '%s'; remove one of them", key,
                    form, pname);
    return 0;
}

/* Reads the 'min' and 'max' numbers of parameter P and checks min <= max (exactly, for integers).
 */
static int get_bounds(ctx *c, const smx__param *p, const ynode *nmin, const ynode *nmax,
                      smx_value *vmin, smx_value *vmax)
{
    char w[MAX_NAME + 32];
    int rc;
    snprintf(w, sizeof w, "'min' of '%s'", p->name);
    if ((rc = get_number(c, nmin, w, vmin)))
        return rc;
    snprintf(w, sizeof w, "'max' of '%s'", p->name);
    if ((rc = get_number(c, nmax, w, vmax)))
        return rc;
    if (num_f(vmin) > num_f(vmax) ||
        (vmin->type == SMX_VALUE_INT && vmax->type == SMX_VALUE_INT && vmin->u.i > vmax->u.i))
        return fail(c, nmin, "'min' of '%s' (%s) is greater than 'max' (%s); expected min <= max",
                    p->name, nmin->str, nmax->str);
    return 0;
}

static int parse_grid_range(ctx *c, smx__param *p, const ynode *m)
{
    const ynode *nmin = map_get(m, "min"), *nmax = map_get(m, "max");
    const ynode *nstep = map_get(m, "step"), *nnum = map_get(m, "num");
    const ynode *nscale = map_get(m, "scale");
    int rc;
    char w[MAX_NAME + 32];
    if (!nmin || !nmax)
        return fail(c, nmin ? map_key(m, "min") : map_key(m, "max"),
                    "parameter '%s' has '%s' but no '%s'; a range needs both min and max", p->name,
                    nmin ? "min" : "max", nmin ? "max" : "min");
    if (nstep && nnum)
        return fail(c, map_key(m, "num"),
                    "parameter '%s' has both 'step' and 'num'; give one of them", p->name);
    smx_value vmin, vmax;
    if ((rc = get_bounds(c, p, nmin, nmax, &vmin, &vmax)))
        return rc;
    /* An integer range without step counts in ones: {min: 1, max: 10} is 1, 2, ..., 10. */
    int unit_step = !nstep && !nnum && vmin.type == SMX_VALUE_INT && vmax.type == SMX_VALUE_INT;
    if (!nstep && !nnum && !unit_step)
        return fail(c, map_key(m, "min"),
                    "the range of '%s' has float bounds but no 'step' or 'num'; give 'step: S' "
                    "for min, min+S, ... or 'num: N' for N evenly spaced points",
                    p->name);
    if (nstep || unit_step) {
        if (nscale)
            return fail(c, map_key(m, "scale"),
                        "'scale' of '%s' needs 'num', not 'step'; use {min, max, num, scale: log}",
                        p->name);
        smx_value vstep = {.type = SMX_VALUE_INT, .u.i = 1};
        snprintf(w, sizeof w, "'step' of '%s'", p->name);
        if (nstep && (rc = get_number(c, nstep, w, &vstep)))
            return rc;
        if (num_f(&vstep) <= 0)
            return fail(c, nstep, "'step' of '%s' is %s; expected a positive step (min <= max)",
                        p->name, nstep->str);
        if (vmin.type == SMX_VALUE_INT && vmax.type == SMX_VALUE_INT &&
            vstep.type == SMX_VALUE_INT) {
            p->kind = SMX__P_IRANGE;
            p->type = SMX_VALUE_INT;
            p->imin = vmin.u.i;
            p->imax = vmax.u.i;
            p->istep = vstep.u.i;
            uint64_t span = (uint64_t)vmax.u.i - (uint64_t)vmin.u.i;
            uint64_t q = span / (uint64_t)vstep.u.i;
            if (q >= COUNT_MAX)
                return fail(c, map_key(m, "min"),
                            "the range of '%s' has more than %" PRIu64 " values; use a larger step",
                            p->name, COUNT_MAX);
            p->len = q + 1;
            if (span % (uint64_t)vstep.u.i)
                rc = warn(c, nmax,
                          "the range of '%s' stops at %" PRId64 ", not at max %" PRId64
                          " (max - min is not a multiple of step)",
                          p->name, (int64_t)((uint64_t)p->imin + q * (uint64_t)p->istep), p->imax);
            return rc;
        }
        p->kind = SMX__P_FRANGE;
        p->type = SMX_VALUE_FLOAT;
        p->fmin = num_f(&vmin);
        p->fmax = num_f(&vmax);
        p->fstep = num_f(&vstep);
        double q = floor((p->fmax - p->fmin) / p->fstep + 1e-9);
        if (!(q < 9.0e18))
            return fail(c, nstep, "the range of '%s' has too many values; use a larger step",
                        p->name);
        p->len = (uint64_t)q + 1;
        double last = p->fmin + q * p->fstep;
        if (fabs(last - p->fmax) > 1e-9 * fmax(fabs(p->fstep), fabs(p->fmax))) {
            char a[40], b[40];
            smx_value la = {.type = SMX_VALUE_FLOAT, .u.f = last};
            smx_value lb = {.type = SMX_VALUE_FLOAT, .u.f = p->fmax};
            smx__value_format(&la, a, sizeof a);
            smx__value_format(&lb, b, sizeof b);
            rc = warn(c, nmax,
                      "the range of '%s' stops at %s, not at max %s (max - min is not a multiple "
                      "of step)",
                      p->name, a, b);
        }
        return rc;
    }
    int64_t num;
    snprintf(w, sizeof w, "'num' of '%s'", p->name);
    if ((rc = get_int(c, nnum, w, &num)))
        return rc;
    if (num < 1)
        return fail(c, nnum, "'num' of '%s' is %" PRId64 "; expected at least 1", p->name, num);
    if ((uint64_t)num > COUNT_MAX)
        return fail(c, nnum, "'num' of '%s' is too large; expected at most %" PRIu64, p->name,
                    COUNT_MAX);
    p->len = (uint64_t)num;
    p->fmin = num_f(&vmin);
    p->fmax = num_f(&vmax);
    p->type = SMX_VALUE_FLOAT;
    p->kind = SMX__P_LINEAR;
    if (nscale) {
        if (nscale->type != Y_SCALAR ||
            (strcmp(nscale->str, "linear") && strcmp(nscale->str, "log")))
            return fail(c, nscale, "'scale' of '%s' is '%s'; expected linear or log", p->name,
                        nscale->type == Y_SCALAR ? nscale->str : node_desc(nscale));
        if (!strcmp(nscale->str, "log")) {
            if (p->fmin <= 0 || p->fmax <= 0)
                return fail(c, p->fmin <= 0 ? nmin : nmax,
                            "a log scale needs positive bounds but '%s' of '%s' is %s; expected "
                            "min > 0 and max > 0",
                            p->fmin <= 0 ? "min" : "max", p->name,
                            p->fmin <= 0 ? nmin->str : nmax->str);
            p->kind = SMX__P_LOG;
        }
    }
    return 0;
}

static const char *const grid_param_keys[] = {"values", "value", "min",         "max", "step",
                                              "num",    "scale", "description", NULL};
static const char *const random_param_keys[] = {
    "distribution", "values", "value", "min", "max", "q", "mu", "sigma", "description", NULL};
static const char *const distributions[] = {
    "constant",           "categorical", "uniform", "int_uniform", "q_uniform",
    "log_uniform_values", "log_uniform", "normal",  "log_normal",  NULL};

static int parse_grid_param(ctx *c, smx__param *p, const ynode *m)
{
    int rc;
    if (map_key(m, "distribution"))
        return fail(c, map_key(m, "distribution"),
                    "'distribution' is only used with 'method: random'; a grid parameter takes "
                    "values, value, or min/max with step or num");
    if ((rc = check_keys(c, m, "a grid parameter", grid_param_keys)))
        return rc;
    const ynode *v = map_get(m, "values"), *one = map_get(m, "value");
    if (v || one) {
        const char *form = v ? "'values'" : "'value'";
        const char *others[] = {v && one ? "value" : "", "min", "max", "step", "num", "scale"};
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
            if (others[i][0] && (rc = refuse(c, m, p->name, others[i], form)))
                return rc;
        p->kind = SMX__P_VALUES;
        rc = v ? parse_values(c, p, v) : parse_value(c, p, one);
        p->len = p->nvals;
        return rc;
    }
    if (map_get(m, "min") || map_get(m, "max"))
        return parse_grid_range(c, p, m);
    if (map_key(m, "step") || map_key(m, "num"))
        return fail(c, map_key(m, "step") ? map_key(m, "step") : map_key(m, "num"),
                    "parameter '%s' has '%s' but no min and max; a range needs min and max",
                    p->name, map_key(m, "step") ? "step" : "num");
    return fail(c, m,
                "parameter '%s' gives no values; expected values: [...], value: X, or "
                "min/max with step or num",
                p->name);
}

static int need(ctx *c, const ynode *m, const smx__param *p, const char *dist, const char *key,
                const ynode **out)
{
    *out = map_get(m, key);
    if (!*out)
        return fail(c, m, "distribution '%s' of '%s' needs '%s'", dist, p->name, key);
    return 0;
}

static int parse_random_param(ctx *c, smx__param *p, const ynode *m)
{
    int rc;
    if ((rc = check_keys(c, m, "a random parameter", random_param_keys)))
        return rc;
    const ynode *nd = map_get(m, "distribution");
    const char *dist;
    if (nd) {
        if (nd->type != Y_SCALAR)
            return fail(c, nd, "'distribution' of '%s' is %s; expected a name", p->name,
                        node_desc(nd));
        dist = NULL;
        for (size_t i = 0; distributions[i]; i++)
            if (!strcmp(nd->str, distributions[i]))
                dist = distributions[i];
        if (!dist) {
            const char *s = smx__suggest(nd->str, distributions);
            char list[512];
            join_words(list, sizeof list, distributions);
            if (s)
                return fail(c, nd, "unknown distribution '%s' of '%s'; did you mean '%s'?", nd->str,
                            p->name, s);
            return fail(c, nd, "unknown distribution '%s' of '%s'; expected one of: %s", nd->str,
                        p->name, list);
        }
    } else if (map_get(m, "values")) {
        dist = "categorical";
    } else if (map_get(m, "value")) {
        dist = "constant";
    } else if (map_get(m, "mu") || map_get(m, "sigma")) {
        dist = "normal";
    } else if (map_get(m, "min") || map_get(m, "max")) {
        smx_value a = {0}, b = {0};
        const ynode *x = map_get(m, "min"), *y = map_get(m, "max");
        if (x)
            classify(x, &a);
        if (y)
            classify(y, &b);
        dist = a.type == SMX_VALUE_INT && b.type == SMX_VALUE_INT ? "int_uniform" : "uniform";
    } else {
        return fail(c, m,
                    "parameter '%s' has no 'distribution'; expected e.g. {distribution: "
                    "uniform, min: 0, max: 1} or {values: [...]}",
                    p->name);
    }

    /* Each distribution takes a fixed set of keys; anything else is a mistake worth naming. */
    static const struct {
        const char *dist;
        const char *keys[4];
    } takes[] = {{"constant", {"value"}},
                 {"categorical", {"values"}},
                 {"uniform", {"min", "max"}},
                 {"int_uniform", {"min", "max"}},
                 {"q_uniform", {"min", "max", "q"}},
                 {"log_uniform_values", {"min", "max"}},
                 {"log_uniform", {"min", "max"}},
                 {"normal", {"mu", "sigma"}},
                 {"log_normal", {"mu", "sigma"}}};
    for (size_t i = 0; i < sizeof takes / sizeof takes[0]; i++) {
        if (strcmp(takes[i].dist, dist))
            continue;
        for (size_t j = 0; j + 1 < m->nkids; j += 2) {
            const char *k = m->kids[j]->str;
            int ok = !strcmp(k, "distribution") || !strcmp(k, "description");
            for (size_t t = 0; t < 4 && takes[i].keys[t] && !ok; t++)
                ok = !strcmp(k, takes[i].keys[t]);
            if (!ok)
                return fail(c, m->kids[j],
                            "'%s' is not used by distribution '%s' of '%s'; "
                            "remove it or choose another distribution",
                            k, dist, p->name);
        }
    }

    char w[MAX_NAME + 32];
    const ynode *a, *b;
    smx_value va, vb;
    if (!strcmp(dist, "constant")) {
        if ((rc = need(c, m, p, dist, "value", &a)))
            return rc;
        p->kind = SMX__P_CONSTANT;
        return parse_value(c, p, a);
    }
    if (!strcmp(dist, "categorical")) {
        if ((rc = need(c, m, p, dist, "values", &a)))
            return rc;
        p->kind = SMX__P_CATEGORICAL;
        return parse_values(c, p, a);
    }
    if (!strcmp(dist, "normal") || !strcmp(dist, "log_normal")) {
        p->kind = !strcmp(dist, "normal") ? SMX__P_NORMAL : SMX__P_LOG_NORMAL;
        p->type = SMX_VALUE_FLOAT;
        p->mu = 0;
        p->sigma = 1;
        if ((a = map_get(m, "mu"))) {
            snprintf(w, sizeof w, "'mu' of '%s'", p->name);
            if ((rc = get_number(c, a, w, &va)))
                return rc;
            p->mu = num_f(&va);
        }
        if ((b = map_get(m, "sigma"))) {
            snprintf(w, sizeof w, "'sigma' of '%s'", p->name);
            if ((rc = get_number(c, b, w, &vb)))
                return rc;
            p->sigma = num_f(&vb);
            if (p->sigma < 0)
                return fail(c, b, "'sigma' of '%s' is %s; expected sigma >= 0", p->name, b->str);
        }
        return 0;
    }
    if ((rc = need(c, m, p, dist, "min", &a)) || (rc = need(c, m, p, dist, "max", &b)))
        return rc;
    if ((rc = get_bounds(c, p, a, b, &va, &vb)))
        return rc;
    p->type = SMX_VALUE_FLOAT;
    p->fmin = num_f(&va);
    p->fmax = num_f(&vb);
    if (!strcmp(dist, "int_uniform")) {
        if (va.type != SMX_VALUE_INT || vb.type != SMX_VALUE_INT)
            return fail(c, va.type != SMX_VALUE_INT ? a : b,
                        "distribution int_uniform of '%s' needs integer bounds but '%s' is %s",
                        p->name, va.type != SMX_VALUE_INT ? "min" : "max",
                        va.type != SMX_VALUE_INT ? a->str : b->str);
        p->kind = SMX__P_INT_UNIFORM;
        p->type = SMX_VALUE_INT;
        p->imin = va.u.i;
        p->imax = vb.u.i;
    } else if (!strcmp(dist, "uniform")) {
        p->kind = SMX__P_UNIFORM;
    } else if (!strcmp(dist, "q_uniform")) {
        const ynode *q;
        smx_value vq;
        if ((rc = need(c, m, p, dist, "q", &q)))
            return rc;
        snprintf(w, sizeof w, "'q' of '%s'", p->name);
        if ((rc = get_number(c, q, w, &vq)))
            return rc;
        if (num_f(&vq) <= 0)
            return fail(c, q, "'q' of '%s' is %s; expected q > 0", p->name, q->str);
        p->kind = SMX__P_Q_UNIFORM;
        p->fstep = num_f(&vq);
    } else if (!strcmp(dist, "log_uniform_values")) {
        if (p->fmin <= 0)
            return fail(c, a,
                        "distribution log_uniform_values of '%s' needs min > 0 but min is "
                        "%s; expected positive bounds",
                        p->name, a->str);
        p->kind = SMX__P_LOG_UNIFORM;
    } else { /* log_uniform: W&B's bounds are natural logarithms of the values */
        p->kind = SMX__P_LOG_UNIFORM;
        p->fmin = exp(p->fmin);
        p->fmax = exp(p->fmax);
        if (p->fmin <= 0 || !isfinite(p->fmax))
            return fail(c, a,
                        "the bounds of log_uniform '%s' are natural logarithms and exp() "
                        "of them is out of range; use log_uniform_values for plain bounds",
                        p->name);
    }
    return 0;
}

static const char *const list_param_keys[] = {"value", "description", NULL};

static int parse_parameters(ctx *c, const ynode *pm)
{
    int rc;
    smx_spec *s = c->spec;
    if (pm->type != Y_MAP)
        return fail(c, pm,
                    "'parameters' is %s; expected a mapping from names to parameter "
                    "specs, e.g. lr: {values: [0.1, 0.01]}",
                    node_desc(pm));
    if ((rc = check_map(c, pm, "'parameters'", "parameter")))
        return rc;
    for (size_t i = 0; i + 1 < pm->nkids; i += 2) {
        const ynode *k = pm->kids[i], *v = pm->kids[i + 1];
        if ((rc = check_param_name(c, k)))
            return rc;
        if (v->type != Y_MAP)
            return fail(c, v,
                        "parameter '%s' is %s; expected a mapping such as {values: [1, 2]} "
                        "or {min: 0, max: 10, step: 2}",
                        k->str, node_desc(v));
        char where[MAX_NAME + 32];
        snprintf(where, sizeof where, "parameter '%s'", k->str);
        if ((rc = check_map(c, v, where, "key")))
            return rc;
        smx__param *p = param_add(c, k->str, k->line, k->col);
        if (!p)
            return smx__error_oom();
        p->key = 0;
        if (s->method == SMX__METHOD_GRID) {
            rc = parse_grid_param(c, p, v);
        } else if (s->method == SMX__METHOD_RANDOM) {
            rc = parse_random_param(c, p, v);
        } else {
            if ((rc = check_keys(c, v, "a list sweep's parameter", list_param_keys)))
                return rc;
            if (!map_get(v, "value"))
                return fail(c, v,
                            "in a list sweep, 'parameters' holds only constants such as "
                            "{value: 1}; the rows give the varying values");
            p->kind = SMX__P_VALUES;
            rc = parse_value(c, p, map_get(v, "value"));
            p->len = 1;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Lists: inline rows and CSV files */

static smx__param *find_param(smx_spec *s, const char *name)
{
    for (size_t i = 0; i < s->nparams; i++)
        if (!strcmp(s->params[i].name, name))
            return &s->params[i];
    return NULL;
}

/* Sets up the row columns as the first parameters (in the order of the first row or header). */
static int add_columns(ctx *c, const char *const *names, const int *lines, const int *cols,
                       size_t n, const char *file)
{
    smx_spec *s = c->spec;
    size_t nconst = s->nparams;
    for (size_t i = 0; i < n; i++) {
        smx__param *dup = find_param(s, names[i]);
        if (dup)
            return smx__error(SMX_EINPUT,
                              "%s:%d:%d: column '%s' is also declared in 'parameters' (line %d); "
                              "give each parameter once",
                              file, lines[i], cols[i], names[i], dup->line);
        smx__param *p = param_add(c, names[i], lines[i], cols[i]);
        if (!p)
            return smx__error_oom();
        p->kind = SMX__P_ROW;
        p->column = i;
    }
    /* Rows first, constants after: rotate the constants to the end. */
    smx__param *tmp = malloc(s->nparams * sizeof *tmp);
    if (!tmp)
        return smx__error_oom();
    memcpy(tmp, s->params + nconst, n * sizeof *tmp);
    memcpy(tmp + n, s->params, nconst * sizeof *tmp);
    memcpy(s->params, tmp, s->nparams * sizeof *tmp);
    free(tmp);
    s->ncols = n;
    return 0;
}

static int parse_inline_rows(ctx *c, const ynode *rows)
{
    smx_spec *s = c->spec;
    int rc;
    if (rows->nkids == 0)
        return fail(c, rows, "'rows' is empty; expected at least one row");
    const ynode *first = rows->kids[0];
    for (size_t r = 0; r < rows->nkids; r++) {
        const ynode *row = rows->kids[r];
        if (row->type != Y_MAP)
            return fail(c, row, "row %zu is %s; expected a mapping such as {lr: 0.1, depth: 4}",
                        r + 1, node_desc(row));
        char where[64];
        snprintf(where, sizeof where, "row %zu", r + 1);
        if ((rc = check_map(c, row, where, "key")))
            return rc;
    }
    size_t n = first->nkids / 2;
    if (n == 0)
        return fail(c, first, "row 1 is empty; expected parameter names and values");
    const char **names = malloc(n * sizeof *names);
    int *lines = malloc(n * sizeof *lines), *cols = malloc(n * sizeof *cols);
    if (!names || !lines || !cols) {
        free(names);
        free(lines);
        free(cols);
        return smx__error_oom();
    }
    rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const ynode *k = first->kids[2 * i];
        names[i] = k->str;
        lines[i] = k->line;
        cols[i] = k->col;
        rc = check_param_name(c, k);
    }
    if (!rc)
        rc = add_columns(c, names, lines, cols, n, c->file);
    free(names);
    free(lines);
    free(cols);
    if (rc)
        return rc;
    s->rows = calloc(rows->nkids * n, sizeof *s->rows);
    if (!s->rows)
        return smx__error_oom();
    s->count = rows->nkids;
    for (size_t r = 0; r < rows->nkids; r++) {
        const ynode *row = rows->kids[r];
        for (size_t j = 0; j + 1 < row->nkids; j += 2) {
            const ynode *k = row->kids[j];
            smx__param *p = find_param(s, k->str);
            if (!p || p->kind != SMX__P_ROW)
                return fail(c, k,
                            "row %zu has key '%s' that row 1 does not have; every row "
                            "needs the same keys as row 1",
                            r + 1, k->str);
            char what[MAX_NAME + 64];
            snprintf(what, sizeof what, "'%s' in row %zu", k->str, r + 1);
            if ((rc = get_value(c, row->kids[j + 1], what, &s->rows[r * n + p->column])))
                return rc;
        }
        if (row->nkids / 2 != n)
            for (size_t i = 0; i < n; i++)
                if (!map_get(row, s->params[i].name))
                    return fail(c, row,
                                "row %zu has no value for '%s'; every row needs the same "
                                "keys as row 1",
                                r + 1, s->params[i].name);
    }
    /* One type per column; a mix of ints and floats becomes floats. */
    smx_value *col = malloc(rows->nkids * sizeof *col);
    if (!col)
        return smx__error_oom();
    for (size_t i = 0; i < n && !rc; i++) {
        for (size_t r = 0; r < rows->nkids; r++)
            col[r] = s->rows[r * n + i];
        smx_value_type t = col[0].type;
        size_t bad = 0;
        for (size_t r = 1; r < rows->nkids && !bad; r++) {
            smx_value_type u = col[r].type;
            if (u == t)
                continue;
            if ((t == SMX_VALUE_INT || t == SMX_VALUE_FLOAT) &&
                (u == SMX_VALUE_INT || u == SMX_VALUE_FLOAT))
                t = SMX_VALUE_FLOAT;
            else
                bad = r;
        }
        if (bad) {
            const ynode *at = map_get(rows->kids[bad], s->params[i].name);
            rc = fail(c, at,
                      "'%s' in row %zu is %s but in row 1 it is %s; give a column one "
                      "type (quote the values to make strings)",
                      s->params[i].name, bad + 1, type_name(col[bad].type), type_name(col[0].type));
            break;
        }
        s->params[i].type = t;
        if (t == SMX_VALUE_FLOAT)
            for (size_t r = 0; r < rows->nkids; r++) {
                smx_value *v = &s->rows[r * n + i];
                if (v->type == SMX_VALUE_INT) {
                    v->type = SMX_VALUE_FLOAT;
                    v->u.f = (double)v->u.i;
                }
            }
    }
    free(col);
    return rc;
}

typedef struct cell {
    char *text;
    int quoted;
    int line, col;
} cell;

static int utf8_check(const char *file, const char *text, size_t len);

static int read_file(const char *path, const char *shown, char **out, size_t *outlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return smx__error(errno == ENOENT ? SMX_EINPUT : SMX_EIO, "%s: cannot open: %s", shown,
                          strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return smx__error(SMX_EIO, "%s: cannot stat: %s", shown, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return smx__error(SMX_EINPUT, "%s: is a directory; expected a file", shown);
    }
    if (st.st_size > (off_t)SMX__SPEC_MAX_BYTES) {
        close(fd);
        return smx__error(SMX_EINPUT,
                          "%s: the file has %lld bytes, more than the limit of %u bytes (16 MiB); "
                          "a spec must be smaller (generate large lists as CSV rows)",
                          shown, (long long)st.st_size, SMX__SPEC_MAX_BYTES);
    }
    /* Read up to one byte past the limit: a file that grew after fstat is still refused. */
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return smx__error_oom();
    }
    for (;;) {
        if (n == cap) {
            if (cap > SMX__SPEC_MAX_BYTES)
                break;
            size_t ncap = cap * 2 > SMX__SPEC_MAX_BYTES + 1 ? SMX__SPEC_MAX_BYTES + 1 : cap * 2;
            char *b = realloc(buf, ncap + 1);
            if (!b) {
                free(buf);
                close(fd);
                return smx__error_oom();
            }
            buf = b;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return smx__error(SMX_EIO, "%s: cannot read: %s", shown, strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > SMX__SPEC_MAX_BYTES) {
        free(buf);
        return smx__error(SMX_EINPUT,
                          "%s: the file has more than %u bytes (16 MiB); a spec must "
                          "be smaller",
                          shown, SMX__SPEC_MAX_BYTES);
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

static void cells_free(cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cells[i].text);
    free(cells);
}

/* Splits CSV text (RFC 4180: quoted fields may hold commas, quotes as "" and newlines) into
 * cells; *rowlen receives the number of fields of each record, blank lines are skipped. */
static int csv_split(const char *file, const char *t, size_t len, cell **out, size_t *ncells,
                     size_t **rowlen, size_t *nrows)
{
    cell *cells = NULL;
    size_t n = 0, cap = 0, *rl = NULL, nr = 0, capr = 0;
    size_t i = 0;
    int line = 1, col = 1;
    int rc = 0;
    while (i < len) {
        /* A blank line (or trailing newline) is not a record. */
        if (t[i] == '\n' || (t[i] == '\r' && i + 1 < len && t[i + 1] == '\n')) {
            i += t[i] == '\r' ? 2 : 1;
            line++;
            col = 1;
            continue;
        }
        size_t fields = 0;
        for (;;) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                cell *cc = realloc(cells, cap * sizeof *cc);
                if (!cc) {
                    rc = smx__error_oom();
                    goto done;
                }
                cells = cc;
            }
            cell *ce = &cells[n];
            ce->line = line;
            ce->col = col;
            ce->quoted = 0;
            ce->text = NULL;
            size_t bcap = 16, bl = 0;
            char *b = malloc(bcap);
            if (!b) {
                rc = smx__error_oom();
                goto done;
            }
            n++;
            ce->text = b;
            if (i < len && t[i] == '"') {
                ce->quoted = 1;
                i++;
                col++;
                for (;;) {
                    if (i >= len) {
                        rc = smx__error(SMX_EINPUT,
                                        "%s:%d:%d: unterminated quoted field; close it with '\"'",
                                        file, ce->line, ce->col);
                        goto done;
                    }
                    char ch = t[i];
                    if (ch == '"') {
                        if (i + 1 < len && t[i + 1] == '"') {
                            i += 2;
                            col += 2;
                        } else {
                            i++;
                            col++;
                            break;
                        }
                    } else {
                        i++;
                        if (ch == '\n') {
                            line++;
                            col = 1;
                        } else if (((unsigned char)ch & 0xC0) != 0x80) {
                            col++;
                        }
                    }
                    if (bl + 2 > bcap) {
                        char *nb = realloc(b, bcap *= 2);
                        if (!nb) {
                            rc = smx__error_oom();
                            goto done;
                        }
                        ce->text = b = nb;
                    }
                    b[bl++] = ch;
                }
                if (i < len && t[i] != ',' && t[i] != '\n' && t[i] != '\r') {
                    rc = smx__error(SMX_EINPUT,
                                    "%s:%d:%d: text after a quoted field; expected ',' or the end "
                                    "of the line",
                                    file, line, col);
                    goto done;
                }
            } else {
                while (i < len && t[i] != ',' && t[i] != '\n' &&
                       !(t[i] == '\r' && i + 1 < len && t[i + 1] == '\n')) {
                    if (t[i] == '"') {
                        rc = smx__error(SMX_EINPUT,
                                        "%s:%d:%d: a '\"' inside an unquoted field; quote the "
                                        "whole field and double the quote (\"\")",
                                        file, line, col);
                        goto done;
                    }
                    if (bl + 2 > bcap) {
                        char *nb = realloc(b, bcap *= 2);
                        if (!nb) {
                            rc = smx__error_oom();
                            goto done;
                        }
                        ce->text = b = nb;
                    }
                    if (((unsigned char)t[i] & 0xC0) != 0x80)
                        col++;
                    b[bl++] = t[i++];
                }
                /* Surrounding blanks are layout, not data, in an unquoted field. */
                while (bl && (b[bl - 1] == ' ' || b[bl - 1] == '\t'))
                    bl--;
                size_t lead = 0;
                while (lead < bl && (b[lead] == ' ' || b[lead] == '\t'))
                    lead++;
                memmove(b, b + lead, bl - lead);
                bl -= lead;
                ce->col += (int)lead;
            }
            b[bl] = '\0';
            fields++;
            if (i < len && t[i] == ',') {
                i++;
                col++;
                continue;
            }
            if (i < len)
                i += t[i] == '\r' ? 2 : 1;
            line++;
            col = 1;
            break;
        }
        if (nr == capr) {
            capr = capr ? 2 * capr : 64;
            size_t *r2 = realloc(rl, capr * sizeof *r2);
            if (!r2) {
                rc = smx__error_oom();
                goto done;
            }
            rl = r2;
        }
        rl[nr++] = fields;
    }
done:
    if (rc) {
        cells_free(cells, n);
        free(rl);
        return rc;
    }
    *out = cells;
    *ncells = n;
    *rowlen = rl;
    *nrows = nr;
    return 0;
}

static int parse_csv_rows(ctx *c, const ynode *m)
{
    smx_spec *s = c->spec;
    int rc;
    static const char *const keys[] = {"csv", NULL};
    if ((rc = check_map(c, m, "'rows'", "key")) || (rc = check_keys(c, m, "'rows'", keys)))
        return rc;
    const ynode *f = map_get(m, "csv");
    if (!f)
        return fail(c, m,
                    "'rows' is a mapping without 'csv'; expected {csv: FILE} or a list of "
                    "rows");
    if ((rc = get_text(c, f, "'csv'", 0)))
        return rc;
    char *path = NULL;
    if (f->str[0] == '/' || !c->basedir || !c->basedir[0])
        path = strdup(f->str);
    else if (asprintf(&path, "%s/%s", c->basedir, f->str) < 0)
        path = NULL;
    if (!path)
        return smx__error_oom();
    char *text = NULL;
    size_t len = 0;
    cell *cells = NULL;
    size_t ncells = 0, *rowlen = NULL, nrows = 0;
    if (c->csv_text) {
        /* Rows captured in a state file: the CSV on disk may have changed or be elsewhere. */
        if (!(text = malloc(c->csv_len + 1))) {
            rc = smx__error_oom();
            goto done;
        }
        memcpy(text, c->csv_text, c->csv_len);
        text[c->csv_len] = '\0';
        len = c->csv_len;
    } else if ((rc = read_file(path, path, &text, &len))) {
        /* Name the spec's line too, so the user sees which reference is broken. */
        smx__error_prefix(rc, "%s:%d:%d: cannot read the rows' CSV file", c->file, f->line, f->col);
        goto done;
    }
    if ((rc = utf8_check(path, text, len)))
        goto done;
    if ((rc = csv_split(path, text, len, &cells, &ncells, &rowlen, &nrows)))
        goto done;
    if (nrows < 2) {
        rc = smx__error(SMX_EINPUT,
                        "%s:1:1: the CSV file has %s; expected a header row of parameter names "
                        "and at least one row of values",
                        path, nrows ? "only a header" : "no rows");
        goto done;
    }
    size_t n = rowlen[0];
    const char **names = malloc(n * sizeof *names);
    int *lines = malloc(n * sizeof *lines), *cols = malloc(n * sizeof *cols);
    if (!names || !lines || !cols) {
        free(names);
        free(lines);
        free(cols);
        rc = smx__error_oom();
        goto done;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        names[i] = cells[i].text;
        lines[i] = cells[i].line;
        cols[i] = cells[i].col;
        if (!valid_name(names[i]) || !strcmp(names[i], "index"))
            rc = smx__error(SMX_EINPUT,
                            "%s:%d:%d: invalid column name '%s'; expected a parameter name (a "
                            "letter or '_' then letters, digits, '_', '.', '-'; not 'index')",
                            path, lines[i], cols[i], names[i]);
        for (size_t j = 0; j < i && !rc; j++)
            if (!strcmp(names[i], names[j]))
                rc = smx__error(SMX_EINPUT,
                                "%s:%d:%d: duplicate column '%s'; each parameter "
                                "may appear once",
                                path, lines[i], cols[i], names[i]);
    }
    if (!rc)
        rc = add_columns(c, names, lines, cols, n, path);
    free(names);
    free(lines);
    free(cols);
    if (rc)
        goto done;
    size_t ndata = nrows - 1;
    s->rows = calloc(ndata * n, sizeof *s->rows);
    if (!s->rows) {
        rc = smx__error_oom();
        goto done;
    }
    s->count = ndata;
    size_t at = n;
    for (size_t r = 1; r < nrows; r++) {
        if (rowlen[r] != n) {
            rc = smx__error(SMX_EINPUT,
                            "%s:%d:1: this row has %zu fields but the header has %zu; "
                            "every row needs one value per column",
                            path, cells[at].line, rowlen[r], n);
            goto done;
        }
        for (size_t j = 0; j < n; j++) {
            cell *ce = &cells[at + j];
            if (!ce->quoted && !ce->text[0]) {
                rc = smx__error(SMX_EINPUT,
                                "%s:%d:%d: empty value for '%s'; every row needs a value (write "
                                "\"\" for an empty string)",
                                path, ce->line, ce->col, s->params[j].name);
                goto done;
            }
        }
        at += n;
    }
    /* Column-wise inference: a column is integer if every unquoted cell is, else float if every
     * cell is a number, else boolean, else string (then every cell keeps its text). */
    for (size_t j = 0; j < n; j++) {
        int all_int = 1, all_num = 1, all_bool = 1;
        for (size_t r = 0; r < ndata; r++) {
            cell *ce = &cells[(r + 1) * n + j];
            ynode tmp = {.type = Y_SCALAR, .str = ce->text, .quoted = ce->quoted};
            smx_value v;
            enum skind k = classify(&tmp, &v);
            all_int &= k == K_INT;
            all_num &= (k == K_INT || (k == K_FLOAT && isfinite(v.u.f)));
            all_bool &= k == K_BOOL;
        }
        smx_value_type t = all_int    ? SMX_VALUE_INT
                           : all_num  ? SMX_VALUE_FLOAT
                           : all_bool ? SMX_VALUE_BOOL
                                      : SMX_VALUE_STRING;
        s->params[j].type = t;
        for (size_t r = 0; r < ndata; r++) {
            cell *ce = &cells[(r + 1) * n + j];
            ynode tmp = {.type = Y_SCALAR, .str = ce->text, .quoted = ce->quoted};
            smx_value *v = &s->rows[r * n + j];
            if (t == SMX_VALUE_STRING) {
                v->type = SMX_VALUE_STRING;
                if (!(v->u.s = keep(c, ce->text))) {
                    rc = smx__error_oom();
                    goto done;
                }
                continue;
            }
            classify(&tmp, v);
            if (t == SMX_VALUE_FLOAT && v->type == SMX_VALUE_INT) {
                v->type = SMX_VALUE_FLOAT;
                v->u.f = (double)v->u.i;
            }
        }
    }
    /* Keep the text and where it was read from: a state file stores both, so that every later
     * run, status and export sees these rows and not whatever the file holds by then. */
    s->csv_text = text;
    s->csv_len = len;
    s->csv_path = path;
    text = NULL;
    path = NULL;
done:
    cells_free(cells, ncells);
    free(rowlen);
    free(text);
    free(path);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Zip groups */

static int parse_zip(ctx *c, const ynode *z)
{
    smx_spec *s = c->spec;
    if (c->spec->method != SMX__METHOD_GRID)
        return fail(c, z, "'zip' is only used with 'method: grid'; remove it");
    if (z->type != Y_SEQ || z->nkids == 0)
        return fail(c, z, "'zip' is %s; expected a list of groups such as [[lr, warmup]]",
                    z->type == Y_SEQ ? "empty" : node_desc(z));
    int *group = malloc(s->nparams * sizeof *group);
    if (!group)
        return smx__error_oom();
    for (size_t i = 0; i < s->nparams; i++)
        group[i] = -1;
    int rc = 0;
    for (size_t g = 0; g < z->nkids && !rc; g++) {
        const ynode *grp = z->kids[g];
        if (grp->type != Y_SEQ || grp->nkids < 2) {
            rc = fail(c, grp,
                      "zip group %zu is %s; expected a list of at least two parameter "
                      "names such as [lr, warmup]",
                      g + 1, grp->type == Y_SEQ ? "too short" : node_desc(grp));
            break;
        }
        const smx__param *first = NULL;
        for (size_t j = 0; j < grp->nkids && !rc; j++) {
            const ynode *nm = grp->kids[j];
            int pi = nm->type == Y_SCALAR ? smx__spec_param_find(s, nm->str) : -1;
            if (pi < 0) {
                if (nm->type != Y_SCALAR) {
                    rc = fail(c, nm, "an entry of zip group %zu is %s; expected a parameter name",
                              g + 1, node_desc(nm));
                    break;
                }
                const char **cands = calloc(s->nparams + 1, sizeof *cands);
                if (!cands) {
                    rc = smx__error_oom();
                    break;
                }
                for (size_t i = 0; i < s->nparams; i++)
                    cands[i] = s->params[i].name;
                const char *sug = smx__suggest(nm->str, cands);
                if (sug)
                    rc = fail(c, nm,
                              "zip group %zu names '%s', which is not a parameter; did you "
                              "mean '%s'?",
                              g + 1, nm->str, sug);
                else
                    rc = fail(c, nm,
                              "zip group %zu names '%s', which is not a parameter; "
                              "expected a name declared under 'parameters'",
                              g + 1, nm->str);
                free(cands);
                break;
            }
            if (group[pi] >= 0) {
                rc = fail(c, nm, "'%s' is already in zip group %d; a parameter may be zipped once",
                          nm->str, group[pi] + 1);
                break;
            }
            group[pi] = (int)g;
            smx__param *p = &s->params[pi];
            if (!first) {
                first = p;
            } else if (p->len != first->len) {
                rc = fail(c, nm,
                          "zip group %zu has axes of different lengths: '%s' has %" PRIu64
                          " values but '%s' has %" PRIu64
                          "; zipped parameters need the same number of values",
                          g + 1, first->name, first->len, p->name, p->len);
                break;
            }
        }
    }
    if (!rc) {
        /* Axes in declaration order: a zip group is one axis, placed at its first member. */
        int naxes = 0;
        int *gaxis = malloc(z->nkids * sizeof *gaxis);
        if (!gaxis) {
            free(group);
            return smx__error_oom();
        }
        for (size_t g = 0; g < z->nkids; g++)
            gaxis[g] = -1;
        for (size_t i = 0; i < s->nparams; i++) {
            if (group[i] < 0) {
                s->params[i].axis = naxes++;
            } else {
                if (gaxis[group[i]] < 0)
                    gaxis[group[i]] = naxes++;
                s->params[i].axis = gaxis[group[i]];
            }
        }
        free(gaxis);
    }
    free(group);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Durations, UTF-8 */

static int parse_timeout(ctx *c, const ynode *n, double *out)
{
    smx_value v;
    if (n->type != Y_SCALAR)
        return fail(c, n,
                    "'timeout' is %s; expected seconds or a duration such as 90s, 10m, "
                    "2h, 1h30m",
                    node_desc(n));
    enum skind k = classify(n, &v);
    if (k == K_INT || k == K_FLOAT) {
        double d = num_f(&v);
        if (!(d >= 0) || !isfinite(d))
            return fail(c, n, "'timeout' is %s; expected a duration >= 0 (0 for none)", n->str);
        *out = d;
        return 0;
    }
    /* A string: the duration grammar shared with the command line (core/duration.h). */
    smx__duration_err err = smx__duration_parse(n->str, out);
    if (err != SMX__DURATION_OK)
        return fail(c, n, "'timeout' '%s' %s; expected seconds or a duration such as %s", n->str,
                    smx__duration_problem(err), SMX__DURATION_EXAMPLES);
    return 0;
}

static int utf8_check(const char *file, const char *t, size_t len)
{
    int line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)t[i];
        size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        int ok = n != 0 && i + n <= len && !(n == 2 && b < 0xC2) && !(b > 0xF4);
        for (size_t k = 1; ok && k < n; k++)
            ok = ((unsigned char)t[i + k] & 0xC0) == 0x80;
        if (ok && n == 3) {
            unsigned char b1 = (unsigned char)t[i + 1];
            ok = !(b == 0xE0 && b1 < 0xA0) && !(b == 0xED && b1 >= 0xA0);
        }
        if (ok && n == 4) {
            unsigned char b1 = (unsigned char)t[i + 1];
            ok = !(b == 0xF0 && b1 < 0x90) && !(b == 0xF4 && b1 >= 0x90);
        }
        if (!ok)
            return smx__error(SMX_EINPUT,
                              "%s:%d:%d: invalid UTF-8 (byte 0x%02X); the file must be UTF-8 text",
                              file, line, col, b);
        if (b == 0)
            return smx__error(SMX_EINPUT, "%s:%d:%d: a NUL byte; the file must be text", file, line,
                              col);
        if (b == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        i += n;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Templates and warnings */

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
static int unused_warnings(smx_spec *s)
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
            return fail(c, n,
                        "'command' is a string; expected a list of arguments such as "
                        "[python3, train.py, --lr, \"{lr}\"] (or set 'shell: true' to give "
                        "a shell script)");
        if ((rc = get_text(c, n, "'command'", 0)))
            return rc;
        s->command = calloc(1, sizeof *s->command);
        if (!s->command)
            return smx__error_oom();
        s->ncommand = 1;
        smx__where w = where_of(c, n);
        return smx__template_compile(s->params, s->nparams, n->str, &w, &s->command[0]);
    }
    if (n->type != Y_SEQ)
        return fail(c, n,
                    "'command' is %s; expected a list of arguments such as [python3, "
                    "train.py, --lr, \"{lr}\"]",
                    node_desc(n));
    if (n->nkids == 0)
        return fail(c, n, "'command' is empty; expected the program and its arguments");
    s->command = calloc(n->nkids, sizeof *s->command);
    if (!s->command)
        return smx__error_oom();
    s->ncommand = n->nkids;
    for (size_t i = 0; i < n->nkids; i++) {
        const ynode *a = n->kids[i];
        smx_value v;
        if (a->type != Y_SCALAR)
            return fail(c, a, "argument %zu of 'command' is %s; expected a string", i + 1,
                        node_desc(a));
        if (classify(a, &v) == K_NULL && !a->quoted)
            return fail(c, a,
                        "argument %zu of 'command' is empty; expected a string (write \"\" "
                        "for an empty argument)",
                        i + 1);
        smx__where w = where_of(c, a);
        if ((rc = smx__template_compile(s->params, s->nparams, a->str, &w, &s->command[i])))
            return rc;
    }
    if (s->command[0].nsegs == 0)
        return fail(c, n->kids[0],
                    "the program (argument 1 of 'command') is empty; expected a "
                    "program name or path");
    return 0;
}

static int parse_env(ctx *c, const ynode *n)
{
    smx_spec *s = c->spec;
    int rc;
    if (n->type != Y_MAP)
        return fail(c, n, "'env' is %s; expected a mapping NAME: VALUE", node_desc(n));
    if ((rc = check_map(c, n, "'env'", "variable")))
        return rc;
    s->env = calloc(n->nkids / 2 + 1, sizeof *s->env);
    if (!s->env)
        return smx__error_oom();
    for (size_t i = 0; i + 1 < n->nkids; i += 2) {
        const ynode *k = n->kids[i], *v = n->kids[i + 1];
        size_t ok =
            strspn(k->str, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
        if (k->str[ok] || (k->str[0] >= '0' && k->str[0] <= '9') || ok > MAX_NAME)
            return fail(c, k,
                        "invalid environment variable name '%s'; expected letters, digits "
                        "and '_', not starting with a digit",
                        k->str);
        if (v->type != Y_SCALAR)
            return fail(c, v, "'env' value of '%s' is %s; expected a string", k->str, node_desc(v));
        smx__env *e = &s->env[s->nenv];
        if (!(e->name = strdup(k->str)))
            return smx__error_oom();
        s->nenv++;
        smx_value tmp;
        const char *text = classify(v, &tmp) == K_NULL && !v->quoted ? "" : v->str;
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

static int parse_root(ctx *c, const ynode *root)
{
    smx_spec *s = c->spec;
    int rc;
    if (!root)
        return fail_at(c, 1, 1,
                       "the spec is empty; expected a mapping with 'command' and "
                       "'parameters'");
    if (root->type != Y_MAP)
        return fail(c, root,
                    "the spec is %s; expected a mapping with keys such as 'command' and "
                    "'parameters'",
                    node_desc(root));
    if ((rc = check_map(c, root, "the spec", "key")))
        return rc;
    for (size_t i = 0; i + 1 < root->nkids; i += 2) {
        const ynode *k = root->kids[i];
        if (!strcmp(k->str, "program"))
            return fail(c, k,
                        "unknown key 'program'; put the program and its arguments in "
                        "'command', e.g. command: [python3, train.py, --lr, \"{lr}\"]");
        if (!strcmp(k->str, "metric") || !strcmp(k->str, "early_terminate"))
            return fail(c, k,
                        "unknown key '%s' (a W&B sweep key); sweepmux runs every element "
                        "and does not optimise a metric; remove it",
                        k->str);
    }
    if ((rc = check_keys(c, root, "the spec", top_keys)))
        return rc;

    const ynode *n;
    if ((n = map_get(root, "name"))) {
        if ((rc = get_text(c, n, "'name'", 0)))
            return rc;
        if (!(s->name = strdup(n->str)))
            return smx__error_oom();
    }
    if ((n = map_get(root, "description"))) {
        if ((rc = get_text(c, n, "'description'", 1)))
            return rc;
        if (!(s->description = strdup(n->str)))
            return smx__error_oom();
    }
    s->method = SMX__METHOD_GRID;
    if ((n = map_get(root, "method"))) {
        static const char *const methods[] = {"grid", "random", "list", NULL};
        if (n->type != Y_SCALAR)
            return fail(c, n, "'method' is %s; expected grid, random or list", node_desc(n));
        if (!strcmp(n->str, "grid"))
            s->method = SMX__METHOD_GRID;
        else if (!strcmp(n->str, "random"))
            s->method = SMX__METHOD_RANDOM;
        else if (!strcmp(n->str, "list"))
            s->method = SMX__METHOD_LIST;
        else if (!strcmp(n->str, "bayes"))
            return fail(c, n,
                        "method 'bayes' is not supported (sweepmux runs a fixed set of "
                        "elements); expected grid, random or list");
        else {
            const char *sug = smx__suggest(n->str, methods);
            if (sug)
                return fail(c, n, "unknown method '%s'; did you mean '%s'?", n->str, sug);
            return fail(c, n, "unknown method '%s'; expected grid, random or list", n->str);
        }
    }
    if ((n = map_get(root, "shell")) && (rc = get_bool(c, n, "'shell'", &s->shell)))
        return rc;

    /* Keys that belong to another method are refused rather than silently ignored. */
    const ynode *kcount = map_key(root, "count"), *kseed = map_key(root, "seed");
    const ynode *krows = map_key(root, "rows");
    if (s->method != SMX__METHOD_RANDOM && (kcount || kseed))
        return fail(c, kcount ? kcount : kseed,
                    "'%s' is only used with 'method: random'; remove it or set the method",
                    kcount ? "count" : "seed");
    if (s->method != SMX__METHOD_LIST && krows)
        return fail(c, krows,
                    "'rows' is only used with 'method: list'; add 'method: list' or "
                    "remove it");

    const ynode *params = map_get(root, "parameters");
    if (params)
        if ((rc = parse_parameters(c, params)))
            return rc;
    if (s->method == SMX__METHOD_LIST) {
        if (!(n = map_get(root, "rows")))
            return fail(c, root, "a list sweep needs 'rows': a list of mappings or {csv: FILE}");
        if (n->type == Y_SEQ)
            rc = parse_inline_rows(c, n);
        else if (n->type == Y_MAP)
            rc = parse_csv_rows(c, n);
        else
            rc = fail(c, n, "'rows' is %s; expected a list of mappings or {csv: FILE}",
                      node_desc(n));
        if (rc)
            return rc;
    }
    if (s->nparams == 0)
        return fail(c, params ? params : root,
                    "the spec has no parameters; expected 'parameters:' with at least one "
                    "parameter, e.g. lr: {values: [0.1, 0.01]}");
    if (s->method == SMX__METHOD_RANDOM) {
        int64_t x;
        if (!kcount)
            return fail(c, root,
                        "a random sweep needs 'count' (the number of samples), e.g. "
                        "count: 100");
        if ((rc = get_int(c, map_get(root, "count"), "'count'", &x)))
            return rc;
        if (x < 1)
            return fail(c, map_get(root, "count"), "'count' is %" PRId64 "; expected at least 1",
                        x);
        if ((uint64_t)x > COUNT_MAX)
            return fail(c, map_get(root, "count"),
                        "'count' is too large; expected at most %" PRIu64, COUNT_MAX);
        s->count = (uint64_t)x;
        if (kseed) {
            if ((rc = get_int(c, map_get(root, "seed"), "'seed'", &x)))
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
    }
    if (s->method == SMX__METHOD_GRID) {
        for (size_t i = 0; i < s->nparams; i++)
            s->params[i].axis = (int)i;
        if ((n = map_get(root, "zip")) && (rc = parse_zip(c, n)))
            return rc;
    } else if ((n = map_key(root, "zip"))) {
        return fail(c, n, "'zip' is only used with 'method: grid'; remove it");
    }
    if ((rc = smx__space_init(s)))
        return rc;

    if ((n = map_get(root, "command"))) {
        if ((rc = parse_command(c, n)))
            return rc;
        s->has_command = 1;
    }
    if ((n = map_get(root, "env")) && (rc = parse_env(c, n)))
        return rc;
    if ((n = map_get(root, "workdir"))) {
        if ((rc = get_text(c, n, "'workdir'", 0)))
            return rc;
        smx__where w = where_of(c, n);
        if ((rc = smx__template_compile(s->params, s->nparams, n->str, &w, &s->workdir)))
            return rc;
        s->has_workdir = 1;
    }
    if ((n = map_get(root, "timeout")) && (rc = parse_timeout(c, n, &s->timeout)))
        return rc;
    if ((n = map_get(root, "retries"))) {
        int64_t x;
        if ((rc = get_int(c, n, "'retries'", &x)))
            return rc;
        if (x < 0 || x > 1000000)
            return fail(c, n, "'retries' is %" PRId64 "; expected an integer from 0 to 1000000", x);
        s->retries = (int)x;
    }
    return unused_warnings(s);
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
    if ((rc = utf8_check(c.file, s->text, len)))
        goto done;
    if (!yaml_parser_initialize(&c.parser)) {
        rc = smx__error_oom();
        goto done;
    }
    parser_ok = 1;
    if ((rc = load_tree(&c, s->text, len, &root)))
        goto done;
    rc = parse_root(&c, root);
done:
    if (parser_ok)
        yaml_parser_delete(&c.parser);
    for (size_t i = 0; i < c.nall; i++) {
        free(c.all[i]->str);
        free(c.all[i]->kids);
        free(c.all[i]);
    }
    free(c.all);
    for (size_t i = 0; i < c.nanchors; i++)
        free(c.anchors[i].name);
    free(c.anchors);
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
    int rc = read_file(path, path, &text, &len);
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
    return unused_warnings(s);
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
