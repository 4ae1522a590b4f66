/*
 * Parameters: explicit values, grid ranges (step, linear, log), random distributions, and zip
 * groups that make several grid parameters one axis.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/value.h"
#include "core/suggest.h"
#include "spec/nodes.h"
#include "spec/parameters.h"
#include "spec/spec_impl.h"
#include "spec/yaml_tree.h"

/* ------------------------------------------------------------------------------------------ */
/* Parameters */

smx__param *smx__sp_param_add(ctx *c, const char *name, int line, int col)
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
        if (smx__value_type_join(&t, u) == 0)
            continue;
        const ynode *at = n && n->type == Y_SEQ && i < n->nkids ? n->kids[i] : n;
        return smx__sp_fail(c, at,
                            "value %zu of '%s' is %s but the earlier ones are %s; give every value "
                            "of a parameter the same type (quote them all to make strings)",
                            i + 1, pname, smx__sp_type_name(u), smx__sp_type_name(t));
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
        return smx__sp_fail(c, n, "'values' of '%s' is %s; expected a list such as [1, 2, 3]",
                            p->name, smx__sp_node_desc(n));
    if (n->nkids == 0)
        return smx__sp_fail(c, n, "'values' of '%s' is empty; expected at least one value",
                            p->name);
    p->vals = calloc(n->nkids, sizeof *p->vals);
    if (!p->vals)
        return smx__error_oom();
    p->nvals = n->nkids;
    char what[SMX__SP_MAX_NAME + 64];
    for (size_t i = 0; i < n->nkids; i++) {
        snprintf(what, sizeof what, "value %zu of '%s'", i + 1, p->name);
        int rc = smx__sp_get_value(c, n->kids[i], what, &p->vals[i]);
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
    char what[SMX__SP_MAX_NAME + 64];
    snprintf(what, sizeof what, "'value' of '%s'", p->name);
    int rc = smx__sp_get_value(c, n, what, &p->vals[0]);
    p->type = p->vals[0].type;
    return rc;
}

/* Refuses KEY in parameter map M when present: it does not combine with the form being used. */
static int refuse(ctx *c, const ynode *m, const char *pname, const char *key, const char *form)
{
    const ynode *k = smx__sp_map_key(m, key);
    if (k)
        return smx__sp_fail(c, k,
                            "'%s' cannot be used with %s in parameter '%s'; remove one of them",
                            key, form, pname);
    return 0;
}

/* Reads the 'min' and 'max' numbers of parameter P and checks min <= max (exactly, for integers).
 */
static int get_bounds(ctx *c, const smx__param *p, const ynode *nmin, const ynode *nmax,
                      smx_value *vmin, smx_value *vmax)
{
    char w[SMX__SP_MAX_NAME + 32];
    int rc;
    snprintf(w, sizeof w, "'min' of '%s'", p->name);
    if ((rc = smx__sp_get_number(c, nmin, w, vmin)))
        return rc;
    snprintf(w, sizeof w, "'max' of '%s'", p->name);
    if ((rc = smx__sp_get_number(c, nmax, w, vmax)))
        return rc;
    if (smx__sp_num_f(vmin) > smx__sp_num_f(vmax) ||
        (vmin->type == SMX_VALUE_INT && vmax->type == SMX_VALUE_INT && vmin->u.i > vmax->u.i))
        return smx__sp_fail(c, nmin,
                            "'min' of '%s' (%s) is greater than 'max' (%s); expected min <= max",
                            p->name, nmin->str, nmax->str);
    return 0;
}

/* An integer range by step: min, min+step, ..., up to max (with a warning if it stops short). */
static int int_step_range(ctx *c, smx__param *p, const ynode *m, const smx_value *vmin,
                          const smx_value *vmax, const smx_value *vstep)
{
    p->kind = SMX__P_IRANGE;
    p->type = SMX_VALUE_INT;
    p->imin = vmin->u.i;
    p->imax = vmax->u.i;
    p->istep = vstep->u.i;
    uint64_t span = (uint64_t)vmax->u.i - (uint64_t)vmin->u.i;
    uint64_t q = span / (uint64_t)vstep->u.i;
    if (q >= SMX__SP_COUNT_MAX)
        return smx__sp_fail(c, smx__sp_map_key(m, "min"),
                            "the range of '%s' has more than %" PRIu64 " values; use a larger step",
                            p->name, SMX__SP_COUNT_MAX);
    p->len = q + 1;
    if (span % (uint64_t)vstep->u.i)
        return warn(c, smx__sp_map_get(m, "max"),
                    "the range of '%s' stops at %" PRId64 ", not at max %" PRId64
                    " (max - min is not a multiple of step)",
                    p->name, (int64_t)((uint64_t)p->imin + q * (uint64_t)p->istep), p->imax);
    return 0;
}

/* SMX_EINPUT at NMAX if max - min of P overflows a double: every value between would be inf or
 * max (A2-7). */
static int check_span(ctx *c, const smx__param *p, const ynode *nmax)
{
    if (isfinite(p->fmax - p->fmin))
        return 0;
    return smx__sp_fail(c, nmax,
                        "max - min of '%s' is beyond the largest double (about 1.8e308), so its "
                        "values would be inf; expected a narrower range",
                        p->name);
}

/* A float range by step; the last value may miss max by rounding, which is not worth a warning. */
static int float_step_range(ctx *c, smx__param *p, const ynode *m, const smx_value *vmin,
                            const smx_value *vmax, const smx_value *vstep)
{
    p->kind = SMX__P_FRANGE;
    p->type = SMX_VALUE_FLOAT;
    p->fmin = smx__sp_num_f(vmin);
    p->fmax = smx__sp_num_f(vmax);
    p->fstep = smx__sp_num_f(vstep);
    double q = floor((p->fmax - p->fmin) / p->fstep + 1e-9);
    if (!(q < 9.0e18))
        return smx__sp_fail(c, smx__sp_map_get(m, "step"),
                            "the range of '%s' has too many values; use a larger step", p->name);
    p->len = (uint64_t)q + 1;
    double last = p->fmin + q * p->fstep;
    if (fabs(last - p->fmax) <= 1e-9 * fmax(fabs(p->fstep), fabs(p->fmax)))
        return 0;
    char a[40], b[40];
    smx_value la = {.type = SMX_VALUE_FLOAT, .u.f = last};
    smx_value lb = {.type = SMX_VALUE_FLOAT, .u.f = p->fmax};
    smx__value_format(&la, a, sizeof a);
    smx__value_format(&lb, b, sizeof b);
    return warn(c, smx__sp_map_get(m, "max"),
                "the range of '%s' stops at %s, not at max %s (max - min is not a multiple "
                "of step)",
                p->name, a, b);
}

/* {min, max, step} or an integer {min, max} (step 1). */
static int step_range(ctx *c, smx__param *p, const ynode *m, const smx_value *vmin,
                      const smx_value *vmax)
{
    const ynode *nstep = smx__sp_map_get(m, "step");
    char w[SMX__SP_MAX_NAME + 32];
    int rc;
    if (smx__sp_map_get(m, "scale"))
        return smx__sp_fail(
            c, smx__sp_map_key(m, "scale"),
            "'scale' of '%s' needs 'num', not 'step'; use {min, max, num, scale: log}", p->name);
    smx_value vstep = {.type = SMX_VALUE_INT, .u.i = 1};
    snprintf(w, sizeof w, "'step' of '%s'", p->name);
    if (nstep && (rc = smx__sp_get_number(c, nstep, w, &vstep)))
        return rc;
    if (smx__sp_num_f(&vstep) <= 0)
        return smx__sp_fail(c, nstep, "'step' of '%s' is %s; expected a positive step (min <= max)",
                            p->name, nstep->str);
    if (vmin->type == SMX_VALUE_INT && vmax->type == SMX_VALUE_INT && vstep.type == SMX_VALUE_INT)
        return int_step_range(c, p, m, vmin, vmax, &vstep);
    return float_step_range(c, p, m, vmin, vmax, &vstep);
}

/* {min, max, num[, scale: linear|log]}: num evenly spaced points. */
static int num_range(ctx *c, smx__param *p, const ynode *m, const smx_value *vmin,
                     const smx_value *vmax)
{
    const ynode *nnum = smx__sp_map_get(m, "num"), *nscale = smx__sp_map_get(m, "scale");
    const ynode *nmin = smx__sp_map_get(m, "min"), *nmax = smx__sp_map_get(m, "max");
    char w[SMX__SP_MAX_NAME + 32];
    int64_t num;
    int rc;
    snprintf(w, sizeof w, "'num' of '%s'", p->name);
    if ((rc = smx__sp_get_int(c, nnum, w, &num)))
        return rc;
    if (num < 1)
        return smx__sp_fail(c, nnum, "'num' of '%s' is %" PRId64 "; expected at least 1", p->name,
                            num);
    if ((uint64_t)num > SMX__SP_COUNT_MAX)
        return smx__sp_fail(c, nnum, "'num' of '%s' is too large; expected at most %" PRIu64,
                            p->name, SMX__SP_COUNT_MAX);
    p->len = (uint64_t)num;
    p->fmin = smx__sp_num_f(vmin);
    p->fmax = smx__sp_num_f(vmax);
    p->type = SMX_VALUE_FLOAT;
    p->kind = SMX__P_LINEAR;
    if ((rc = check_span(c, p, nmax)))
        return rc;
    if (!nscale)
        return 0;
    if (nscale->type != Y_SCALAR || (strcmp(nscale->str, "linear") && strcmp(nscale->str, "log")))
        return smx__sp_fail(c, nscale, "'scale' of '%s' is '%s'; expected linear or log", p->name,
                            nscale->type == Y_SCALAR ? nscale->str : smx__sp_node_desc(nscale));
    if (!strcmp(nscale->str, "log")) {
        if (p->fmin <= 0 || p->fmax <= 0)
            return smx__sp_fail(c, p->fmin <= 0 ? nmin : nmax,
                                "a log scale needs positive bounds but '%s' of '%s' is %s; "
                                "expected min > 0 and max > 0",
                                p->fmin <= 0 ? "min" : "max", p->name,
                                p->fmin <= 0 ? nmin->str : nmax->str);
        p->kind = SMX__P_LOG;
    }
    return 0;
}

static int parse_grid_range(ctx *c, smx__param *p, const ynode *m)
{
    const ynode *nmin = smx__sp_map_get(m, "min"), *nmax = smx__sp_map_get(m, "max");
    const ynode *nstep = smx__sp_map_get(m, "step"), *nnum = smx__sp_map_get(m, "num");
    int rc;
    if (!nmin || !nmax)
        return smx__sp_fail(c, nmin ? smx__sp_map_key(m, "min") : smx__sp_map_key(m, "max"),
                            "parameter '%s' has '%s' but no '%s'; a range needs both min and max",
                            p->name, nmin ? "min" : "max", nmin ? "max" : "min");
    if (nstep && nnum)
        return smx__sp_fail(c, smx__sp_map_key(m, "num"),
                            "parameter '%s' has both 'step' and 'num'; give one of them", p->name);
    smx_value vmin, vmax;
    if ((rc = get_bounds(c, p, nmin, nmax, &vmin, &vmax)))
        return rc;
    if (nnum)
        return num_range(c, p, m, &vmin, &vmax);
    /* An integer range without step counts in ones: {min: 1, max: 10} is 1, 2, ..., 10. */
    if (!nstep && !(vmin.type == SMX_VALUE_INT && vmax.type == SMX_VALUE_INT))
        return smx__sp_fail(
            c, smx__sp_map_key(m, "min"),
            "the range of '%s' has float bounds but no 'step' or 'num'; give 'step: S' "
            "for min, min+S, ... or 'num: N' for N evenly spaced points",
            p->name);
    return step_range(c, p, m, &vmin, &vmax);
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
    if (smx__sp_map_key(m, "distribution"))
        return smx__sp_fail(
            c, smx__sp_map_key(m, "distribution"),
            "'distribution' is only used with 'method: random'; a grid parameter takes "
            "values, value, or min/max with step or num");
    if ((rc = smx__sp_check_keys(c, m, "a grid parameter", grid_param_keys)))
        return rc;
    const ynode *v = smx__sp_map_get(m, "values"), *one = smx__sp_map_get(m, "value");
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
    if (smx__sp_map_get(m, "min") || smx__sp_map_get(m, "max"))
        return parse_grid_range(c, p, m);
    if (smx__sp_map_key(m, "step") || smx__sp_map_key(m, "num"))
        return smx__sp_fail(
            c, smx__sp_map_key(m, "step") ? smx__sp_map_key(m, "step") : smx__sp_map_key(m, "num"),
            "parameter '%s' has '%s' but no min and max; a range needs min and max", p->name,
            smx__sp_map_key(m, "step") ? "step" : "num");
    return smx__sp_fail(c, m,
                        "parameter '%s' gives no values; expected values: [...], value: X, or "
                        "min/max with step or num",
                        p->name);
}

static int need(ctx *c, const ynode *m, const smx__param *p, const char *dist, const char *key,
                const ynode **out)
{
    *out = smx__sp_map_get(m, key);
    if (!*out)
        return smx__sp_fail(c, m, "distribution '%s' of '%s' needs '%s'", dist, p->name, key);
    return 0;
}

/* The distribution a random parameter names, or the one its keys imply. */
static int pick_distribution(ctx *c, const smx__param *p, const ynode *m, const char **dist)
{
    const ynode *nd = smx__sp_map_get(m, "distribution");
    if (nd) {
        if (nd->type != Y_SCALAR)
            return smx__sp_fail(c, nd, "'distribution' of '%s' is %s; expected a name", p->name,
                                smx__sp_node_desc(nd));
        for (size_t i = 0; distributions[i]; i++)
            if (!strcmp(nd->str, distributions[i])) {
                *dist = distributions[i];
                return 0;
            }
        const char *s = smx__suggest(nd->str, distributions);
        char list[512];
        smx__sp_join_words(list, sizeof list, distributions);
        if (s)
            return smx__sp_fail(c, nd, "unknown distribution '%s' of '%s'; did you mean '%s'?",
                                nd->str, p->name, s);
        return smx__sp_fail(c, nd, "unknown distribution '%s' of '%s'; expected one of: %s",
                            nd->str, p->name, list);
    }
    if (smx__sp_map_get(m, "values")) {
        *dist = "categorical";
    } else if (smx__sp_map_get(m, "value")) {
        *dist = "constant";
    } else if (smx__sp_map_get(m, "mu") || smx__sp_map_get(m, "sigma")) {
        *dist = "normal";
    } else if (smx__sp_map_get(m, "min") || smx__sp_map_get(m, "max")) {
        smx_value a = {0}, b = {0};
        const ynode *x = smx__sp_map_get(m, "min"), *y = smx__sp_map_get(m, "max");
        if (x)
            smx__sp_classify(x, &a);
        if (y)
            smx__sp_classify(y, &b);
        *dist = a.type == SMX_VALUE_INT && b.type == SMX_VALUE_INT ? "int_uniform" : "uniform";
    } else {
        return smx__sp_fail(c, m,
                            "parameter '%s' has no 'distribution'; expected e.g. {distribution: "
                            "uniform, min: 0, max: 1} or {values: [...]}",
                            p->name);
    }
    return 0;
}

/* Each distribution takes a fixed set of keys; anything else is a mistake worth naming. */
static int check_distribution_keys(ctx *c, const smx__param *p, const ynode *m, const char *dist)
{
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
                return smx__sp_fail(c, m->kids[j],
                                    "'%s' is not used by distribution '%s' of '%s'; "
                                    "remove it or choose another distribution",
                                    k, dist, p->name);
        }
    }
    return 0;
}

/* normal and log_normal: mu (default 0) and sigma >= 0 (default 1). */
static int parse_normal(ctx *c, smx__param *p, const ynode *m, const char *dist)
{
    char w[SMX__SP_MAX_NAME + 32];
    const ynode *n;
    smx_value v;
    int rc;
    p->kind = !strcmp(dist, "normal") ? SMX__P_NORMAL : SMX__P_LOG_NORMAL;
    p->type = SMX_VALUE_FLOAT;
    p->mu = 0;
    p->sigma = 1;
    if ((n = smx__sp_map_get(m, "mu"))) {
        snprintf(w, sizeof w, "'mu' of '%s'", p->name);
        if ((rc = smx__sp_get_number(c, n, w, &v)))
            return rc;
        p->mu = smx__sp_num_f(&v);
    }
    if ((n = smx__sp_map_get(m, "sigma"))) {
        snprintf(w, sizeof w, "'sigma' of '%s'", p->name);
        if ((rc = smx__sp_get_number(c, n, w, &v)))
            return rc;
        p->sigma = smx__sp_num_f(&v);
        if (p->sigma < 0)
            return smx__sp_fail(c, n, "'sigma' of '%s' is %s; expected sigma >= 0", p->name,
                                n->str);
    }
    return 0;
}

/* q_uniform's quantum q > 0. */
static int parse_quantum(ctx *c, smx__param *p, const ynode *m)
{
    char w[SMX__SP_MAX_NAME + 32];
    const ynode *q;
    smx_value vq;
    int rc;
    if ((rc = need(c, m, p, "q_uniform", "q", &q)))
        return rc;
    snprintf(w, sizeof w, "'q' of '%s'", p->name);
    if ((rc = smx__sp_get_number(c, q, w, &vq)))
        return rc;
    if (smx__sp_num_f(&vq) <= 0)
        return smx__sp_fail(c, q, "'q' of '%s' is %s; expected q > 0", p->name, q->str);
    p->kind = SMX__P_Q_UNIFORM;
    p->fstep = smx__sp_num_f(&vq);
    if (!isfinite((p->fmax - p->fmin) / p->fstep))
        return smx__sp_fail(c, q,
                            "'q' of '%s' is %s, too small for its range: (max - min) / q is beyond "
                            "the largest double; expected a larger q",
                            p->name, q->str);
    return 0;
}

/* The distributions between min and max: uniform, int_uniform, q_uniform, log_uniform(_values). */
static int parse_bounded(ctx *c, smx__param *p, const ynode *m, const char *dist)
{
    const ynode *a, *b;
    smx_value va, vb;
    int rc;
    if ((rc = need(c, m, p, dist, "min", &a)) || (rc = need(c, m, p, dist, "max", &b)) ||
        (rc = get_bounds(c, p, a, b, &va, &vb)))
        return rc;
    p->type = SMX_VALUE_FLOAT;
    p->fmin = smx__sp_num_f(&va);
    p->fmax = smx__sp_num_f(&vb);
    if (!strcmp(dist, "int_uniform")) {
        if (va.type != SMX_VALUE_INT || vb.type != SMX_VALUE_INT)
            return smx__sp_fail(
                c, va.type != SMX_VALUE_INT ? a : b,
                "distribution int_uniform of '%s' needs integer bounds but '%s' is %s", p->name,
                va.type != SMX_VALUE_INT ? "min" : "max",
                va.type != SMX_VALUE_INT ? a->str : b->str);
        p->kind = SMX__P_INT_UNIFORM;
        p->type = SMX_VALUE_INT;
        p->imin = va.u.i;
        p->imax = vb.u.i;
    } else if (!strcmp(dist, "uniform")) {
        p->kind = SMX__P_UNIFORM;
        return check_span(c, p, b);
    } else if (!strcmp(dist, "q_uniform")) {
        return (rc = check_span(c, p, b)) ? rc : parse_quantum(c, p, m);
    } else if (!strcmp(dist, "log_uniform_values")) {
        if (p->fmin <= 0)
            return smx__sp_fail(c, a,
                                "distribution log_uniform_values of '%s' needs min > 0 but min is "
                                "%s; expected positive bounds",
                                p->name, a->str);
        p->kind = SMX__P_LOG_UNIFORM;
    } else { /* log_uniform: W&B's bounds are natural logarithms of the values */
        p->kind = SMX__P_LOG_UNIFORM;
        p->fmin = exp(p->fmin);
        p->fmax = exp(p->fmax);
        if (p->fmin <= 0 || !isfinite(p->fmax))
            return smx__sp_fail(c, a,
                                "the bounds of log_uniform '%s' are natural logarithms and exp() "
                                "of them is out of range; use log_uniform_values for plain bounds",
                                p->name);
    }
    return 0;
}

static int parse_random_param(ctx *c, smx__param *p, const ynode *m)
{
    const char *dist = NULL;
    const ynode *a;
    int rc;
    if ((rc = smx__sp_check_keys(c, m, "a random parameter", random_param_keys)) ||
        (rc = pick_distribution(c, p, m, &dist)) || (rc = check_distribution_keys(c, p, m, dist)))
        return rc;
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
    if (!strcmp(dist, "normal") || !strcmp(dist, "log_normal"))
        return parse_normal(c, p, m, dist);
    return parse_bounded(c, p, m, dist);
}

static const char *const list_param_keys[] = {"value", "description", NULL};

int smx__sp_parse_parameters(ctx *c, const ynode *pm)
{
    int rc;
    smx_spec *s = c->spec;
    if (pm->type != Y_MAP)
        return smx__sp_fail(c, pm,
                            "'parameters' is %s; expected a mapping from names to parameter "
                            "specs, e.g. lr: {values: [0.1, 0.01]}",
                            smx__sp_node_desc(pm));
    if ((rc = smx__sp_check_map(c, pm, "'parameters'", "parameter")))
        return rc;
    for (size_t i = 0; i + 1 < pm->nkids; i += 2) {
        const ynode *k = pm->kids[i], *v = pm->kids[i + 1];
        if ((rc = smx__sp_check_param_name(c, k)))
            return rc;
        if (v->type != Y_MAP)
            return smx__sp_fail(c, v,
                                "parameter '%s' is %s; expected a mapping such as {values: [1, 2]} "
                                "or {min: 0, max: 10, step: 2}",
                                k->str, smx__sp_node_desc(v));
        char where[SMX__SP_MAX_NAME + 32];
        snprintf(where, sizeof where, "parameter '%s'", k->str);
        if ((rc = smx__sp_check_map(c, v, where, "key")))
            return rc;
        smx__param *p = smx__sp_param_add(c, k->str, k->line, k->col);
        if (!p)
            return smx__error_oom();
        p->key = 0;
        if (s->method == SMX__METHOD_GRID) {
            rc = parse_grid_param(c, p, v);
        } else if (s->method == SMX__METHOD_RANDOM) {
            rc = parse_random_param(c, p, v);
        } else {
            if ((rc = smx__sp_check_keys(c, v, "a list sweep's parameter", list_param_keys)))
                return rc;
            if (!smx__sp_map_get(v, "value"))
                return smx__sp_fail(c, v,
                                    "in a list sweep, 'parameters' holds only constants such as "
                                    "{value: 1}; the rows give the varying values");
            p->kind = SMX__P_VALUES;
            rc = parse_value(c, p, smx__sp_map_get(v, "value"));
            p->len = 1;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Zip groups */

/* A name in a zip group that is not a parameter: say which, with a suggestion if one is close. */
static int unknown_zip_name(ctx *c, const ynode *nm, size_t g)
{
    smx_spec *s = c->spec;
    if (nm->type != Y_SCALAR)
        return smx__sp_fail(c, nm, "an entry of zip group %zu is %s; expected a parameter name",
                            g + 1, smx__sp_node_desc(nm));
    const char **cands = calloc(s->nparams + 1, sizeof *cands);
    if (!cands)
        return smx__error_oom();
    for (size_t i = 0; i < s->nparams; i++)
        cands[i] = s->params[i].name;
    const char *sug = smx__suggest(nm->str, cands);
    int rc;
    if (sug)
        rc = smx__sp_fail(c, nm,
                          "zip group %zu names '%s', which is not a parameter; did you mean '%s'?",
                          g + 1, nm->str, sug);
    else
        rc = smx__sp_fail(c, nm,
                          "zip group %zu names '%s', which is not a parameter; expected a name "
                          "declared under 'parameters'",
                          g + 1, nm->str);
    free(cands);
    return rc;
}

/* One zip group: at least two parameters, each zipped once, all with the same number of values.
 * GROUP[i] receives the group of parameter i. */
static int parse_zip_group(ctx *c, const ynode *grp, size_t g, int *group)
{
    smx_spec *s = c->spec;
    if (grp->type != Y_SEQ || grp->nkids < 2)
        return smx__sp_fail(c, grp,
                            "zip group %zu is %s; expected a list of at least two parameter "
                            "names such as [lr, warmup]",
                            g + 1, grp->type == Y_SEQ ? "too short" : smx__sp_node_desc(grp));
    const smx__param *first = NULL;
    for (size_t j = 0; j < grp->nkids; j++) {
        const ynode *nm = grp->kids[j];
        int pi = nm->type == Y_SCALAR ? smx__spec_param_find(s, nm->str) : -1;
        if (pi < 0)
            return unknown_zip_name(c, nm, g);
        if (group[pi] >= 0)
            return smx__sp_fail(c, nm,
                                "'%s' is already in zip group %d; a parameter may be zipped once",
                                nm->str, group[pi] + 1);
        group[pi] = (int)g;
        const smx__param *p = &s->params[pi];
        if (!first)
            first = p;
        else if (p->len != first->len)
            return smx__sp_fail(c, nm,
                                "zip group %zu has axes of different lengths: '%s' has %" PRIu64
                                " values but '%s' has %" PRIu64
                                "; zipped parameters need the same number of values",
                                g + 1, first->name, first->len, p->name, p->len);
    }
    return 0;
}

/* Axes in declaration order: a zip group is one axis, placed at its first member. */
static int assign_axes(smx_spec *s, const int *group, size_t ngroups)
{
    int naxes = 0;
    int *gaxis = malloc(ngroups * sizeof *gaxis);
    if (!gaxis)
        return smx__error_oom();
    for (size_t g = 0; g < ngroups; g++)
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
    return 0;
}

int smx__sp_parse_zip(ctx *c, const ynode *z)
{
    smx_spec *s = c->spec;
    if (c->spec->method != SMX__METHOD_GRID)
        return smx__sp_fail(c, z, "'zip' is only used with 'method: grid'; remove it");
    if (z->type != Y_SEQ || z->nkids == 0)
        return smx__sp_fail(c, z, "'zip' is %s; expected a list of groups such as [[lr, warmup]]",
                            z->type == Y_SEQ ? "empty" : smx__sp_node_desc(z));
    int *group = malloc(s->nparams * sizeof *group);
    if (!group)
        return smx__error_oom();
    for (size_t i = 0; i < s->nparams; i++)
        group[i] = -1;
    int rc = 0;
    for (size_t g = 0; g < z->nkids && !rc; g++)
        rc = parse_zip_group(c, z->kids[g], g, group);
    if (!rc)
        rc = assign_axes(s, group, z->nkids);
    free(group);
    return rc;
}
