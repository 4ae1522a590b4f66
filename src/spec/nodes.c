/*
 * Reading the YAML tree's nodes: what a plain scalar means (YAML 1.2 core schema), typed getters,
 * mapping keys checked against the known ones (with "did you mean"), and the one way to report a
 * mistake at a node.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/suggest.h"
#include "spec/nodes.h"
#include "spec/spec_impl.h"
#include "spec/yaml_tree.h"

/* ------------------------------------------------------------------------------------------ */
/* Scalars */

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

enum skind smx__sp_classify(const ynode *n, smx_value *v)
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

const char *smx__sp_type_name(smx_value_type t)
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

const char *smx__sp_node_desc(const ynode *n)
{
    if (n->type == Y_SEQ)
        return "a list";
    if (n->type == Y_MAP)
        return "a mapping";
    smx_value v;
    switch (smx__sp_classify(n, &v)) {
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
const char *smx__sp_keep(ctx *c, const char *s)
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
int smx__sp_get_value(ctx *c, const ynode *n, const char *what, smx_value *out)
{
    if (n->type != Y_SCALAR)
        return smx__sp_fail(c, n, "%s is %s; expected a number, a string or true/false", what,
                            smx__sp_node_desc(n));
    switch (smx__sp_classify(n, out)) {
    case K_NULL:
        return smx__sp_fail(c, n, "%s is empty; expected a value (write \"\" for an empty string)",
                            what);
    case K_BADNUM:
        return smx__sp_fail(c, n,
                            "%s '%s' is out of range; expected a 64-bit integer or a finite double",
                            what, n->str);
    case K_STR:
        if (!(out->u.s = smx__sp_keep(c, n->str)))
            return smx__error_oom();
        return 0;
    default:
        return 0;
    }
}

int smx__sp_get_number(ctx *c, const ynode *n, const char *what, smx_value *out)
{
    smx_value v;
    enum skind k = n->type == Y_SCALAR ? smx__sp_classify(n, &v) : K_STR;
    if (k == K_BADNUM)
        return smx__sp_fail(c, n,
                            "%s '%s' is out of range; expected a 64-bit integer or a finite double",
                            what, n->str);
    if (k == K_FLOAT && !isfinite(v.u.f))
        return smx__sp_fail(c, n, "%s is %s; expected a finite number", what, n->str);
    if (k != K_INT && k != K_FLOAT)
        return smx__sp_fail(c, n, "%s is %s%s%s%s; expected a number", what, smx__sp_node_desc(n),
                            n->type == Y_SCALAR && n->str[0] ? " ('" : "",
                            n->type == Y_SCALAR && n->str[0] ? n->str : "",
                            n->type == Y_SCALAR && n->str[0] ? "')" : "");
    *out = v;
    return 0;
}

double smx__sp_num_f(const smx_value *v)
{
    return v->type == SMX_VALUE_INT ? (double)v->u.i : v->u.f;
}

int smx__sp_get_int(ctx *c, const ynode *n, const char *what, int64_t *out)
{
    smx_value v;
    enum skind k = n->type == Y_SCALAR ? smx__sp_classify(n, &v) : K_STR;
    if (k == K_BADNUM)
        return smx__sp_fail(c, n, "%s '%s' is out of range; expected a 64-bit integer", what,
                            n->str);
    if (k != K_INT)
        return smx__sp_fail(c, n, "%s is %s%s%s%s; expected an integer", what, smx__sp_node_desc(n),
                            n->type == Y_SCALAR && n->str[0] ? " ('" : "",
                            n->type == Y_SCALAR && n->str[0] ? n->str : "",
                            n->type == Y_SCALAR && n->str[0] ? "')" : "");
    *out = v.u.i;
    return 0;
}

int smx__sp_get_bool(ctx *c, const ynode *n, const char *what, int *out)
{
    smx_value v;
    if (n->type != Y_SCALAR || smx__sp_classify(n, &v) != K_BOOL)
        return smx__sp_fail(c, n, "%s is %s%s%s%s; expected true or false", what,
                            smx__sp_node_desc(n), n->type == Y_SCALAR && n->str[0] ? " ('" : "",
                            n->type == Y_SCALAR && n->str[0] ? n->str : "",
                            n->type == Y_SCALAR && n->str[0] ? "')" : "");
    *out = v.u.b;
    return 0;
}

/* A text setting (name, a template): any non-empty scalar, numbers taken as written. */
int smx__sp_get_text(ctx *c, const ynode *n, const char *what, int allow_empty)
{
    if (n->type != Y_SCALAR)
        return smx__sp_fail(c, n, "%s is %s; expected a string", what, smx__sp_node_desc(n));
    smx_value v;
    if (!allow_empty && smx__sp_classify(n, &v) == K_NULL)
        return smx__sp_fail(c, n, "%s is empty; expected a string", what);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Keys, names and suggestions */

void smx__sp_join_words(char *buf, size_t n, const char *const *words)
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
        return smx__sp_fail(c, key, "unknown key '%s' in %s; did you mean '%s'?", key->str, where,
                            s);
    char list[512];
    smx__sp_join_words(list, sizeof list, known);
    return smx__sp_fail(c, key, "unknown key '%s' in %s; expected one of: %s", key->str, where,
                        list);
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
int smx__sp_check_map(ctx *c, const ynode *m, const char *what, const char *dupword)
{
    size_t n = m->nkids / 2;
    for (size_t i = 0; i < n; i++) {
        const ynode *k = m->kids[2 * i];
        if (k->type != Y_SCALAR)
            return smx__sp_fail(c, k, "a key in %s is %s; expected a name", what,
                                smx__sp_node_desc(k));
        if (!k->str[0])
            return smx__sp_fail(c, k, "an empty key in %s; expected a name", what);
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
            rc = smx__sp_fail(c, keys[i],
                              "duplicate %s '%s' (first at line %d, column %d); each %s may "
                              "appear once",
                              dupword, keys[i]->str, keys[i - 1]->line, keys[i - 1]->col, dupword);
            break;
        }
    free(keys);
    return rc;
}

const ynode *smx__sp_map_get(const ynode *m, const char *key)
{
    for (size_t i = 0; i + 1 < m->nkids; i += 2)
        if (!strcmp(m->kids[i]->str, key))
            return m->kids[i + 1];
    return NULL;
}

const ynode *smx__sp_map_key(const ynode *m, const char *key)
{
    for (size_t i = 0; i + 1 < m->nkids; i += 2)
        if (!strcmp(m->kids[i]->str, key))
            return m->kids[i];
    return NULL;
}

int smx__sp_check_keys(ctx *c, const ynode *m, const char *where, const char *const *known)
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

int smx__sp_valid_name(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");
    return s[n] == '\0' && n <= SMX__SP_MAX_NAME;
}

int smx__sp_check_param_name(ctx *c, const ynode *k)
{
    if (!smx__sp_valid_name(k->str))
        return smx__sp_fail(c, k,
                            "invalid parameter name '%s'; expected a letter or '_' followed by "
                            "letters, digits, '_', '.' or '-' (at most %d characters)",
                            k->str, SMX__SP_MAX_NAME);
    if (!strcmp(k->str, "index"))
        return smx__sp_fail(c, k,
                            "parameter name 'index' is reserved for the element index ({index}); "
                            "choose another name");
    return 0;
}
