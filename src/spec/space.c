/*
 * The parameter space: how many elements a sweep has and which values element i takes. Nothing is
 * materialised: a grid element is decoded from its index (mixed radix, the last declared parameter
 * varying fastest, like nested loops in declaration order), a random element is drawn from a
 * counter-based generator keyed by (seed, index, parameter), and a list element is a row.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "spec/spec_impl.h"

/* The largest count accepted, so that "count" and "count + 1" both fit in an int64. */
#define SMX__COUNT_MAX ((uint64_t)INT64_MAX - 1)

int smx__space_init(smx_spec *spec)
{
    if (spec->method != SMX__METHOD_GRID)
        return 0;
    size_t naxes = 0;
    for (size_t i = 0; i < spec->nparams; i++)
        if ((size_t)spec->params[i].axis + 1 > naxes)
            naxes = (size_t)spec->params[i].axis + 1;
    spec->axis_len = calloc(naxes ? naxes : 1, sizeof *spec->axis_len);
    spec->axis_stride = calloc(naxes ? naxes : 1, sizeof *spec->axis_stride);
    if (!spec->axis_len || !spec->axis_stride)
        return smx__error_oom();
    spec->naxes = naxes;
    for (size_t i = 0; i < spec->nparams; i++)
        spec->axis_len[spec->params[i].axis] = spec->params[i].len;

    /* Multiply in declaration order so that the message names the parameter where the product
     * first went over the limit, which is where a user would cut the sweep. */
    uint64_t count = 1;
    for (size_t a = 0; a < naxes; a++) {
        uint64_t len = spec->axis_len[a];
        if (len > SMX__COUNT_MAX || count > SMX__COUNT_MAX / len) {
            const smx__param *p = spec->params;
            for (size_t i = 0; i < spec->nparams; i++)
                if ((size_t)spec->params[i].axis == a) {
                    p = &spec->params[i];
                    break;
                }
            return smx__error(SMX_EINPUT,
                              "%s:%d:%d: the grid has more than %" PRIu64
                              " elements (it overflows at parameter '%s', whose axis has %" PRIu64
                              " values); use fewer values or split the sweep",
                              spec->filename, p->line, p->col, SMX__COUNT_MAX, p->name, len);
        }
        count *= len;
    }
    uint64_t stride = 1;
    for (size_t a = naxes; a-- > 0;) {
        spec->axis_stride[a] = stride;
        stride *= spec->axis_len[a];
    }
    spec->count = count;
    return 0;
}

/* splitmix64's finaliser: a bijection on 64 bits with good avalanche. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t smx__space_random(uint64_t seed, uint64_t index, uint64_t key, uint64_t draw)
{
    /* Chained so that each input passes through a full mix before the next one is folded in: no
     * two (seed, index, key, draw) tuples that differ in one field share a stream by accident. */
    return mix64(mix64(mix64(mix64(seed) ^ index) ^ key) ^ draw);
}

/* A double in [0, 1) from the top 53 bits. */
static double unit(uint64_t u)
{
    return (double)(u >> 11) * 0x1.0p-53;
}

static double grid_float(const smx__param *p, uint64_t d)
{
    switch (p->kind) {
    case SMX__P_FRANGE:
        return p->fmin + (double)d * p->fstep;
    case SMX__P_LINEAR:
        if (d == 0)
            return p->fmin;
        if (d == p->len - 1)
            return p->fmax;
        return p->fmin + (p->fmax - p->fmin) * ((double)d / (double)(p->len - 1));
    case SMX__P_LOG: {
        if (d == 0)
            return p->fmin;
        if (d == p->len - 1)
            return p->fmax;
        /* Base 10, so that decades land on round numbers (1e-5, 1e-4, ...) as users expect. */
        double lo = log10(p->fmin), hi = log10(p->fmax);
        return pow(10.0, lo + (hi - lo) * ((double)d / (double)(p->len - 1)));
    }
    default:
        return 0;
    }
}

static smx_value random_value(const smx_spec *spec, const smx__param *p, uint64_t index)
{
    smx_value v = {.type = SMX_VALUE_FLOAT};
    uint64_t s = spec->seed, k = p->key;
    switch (p->kind) {
    case SMX__P_CONSTANT:
        return p->vals[0];
    case SMX__P_CATEGORICAL: {
        /* Lemire's multiply-shift maps 64 bits onto [0, n) with a bias below n / 2^64. */
        uint64_t u = smx__space_random(s, index, k, 0);
        uint64_t j = (uint64_t)(((unsigned __int128)u * p->nvals) >> 64);
        return p->vals[j];
    }
    case SMX__P_INT_UNIFORM: {
        uint64_t n = (uint64_t)p->imax - (uint64_t)p->imin + 1; /* 0 means all 2^64 values */
        uint64_t u = smx__space_random(s, index, k, 0);
        uint64_t off = n ? (uint64_t)(((unsigned __int128)u * n) >> 64) : u;
        v.type = SMX_VALUE_INT;
        v.u.i = (int64_t)((uint64_t)p->imin + off);
        return v;
    }
    case SMX__P_UNIFORM:
        v.u.f = p->fmin + (p->fmax - p->fmin) * unit(smx__space_random(s, index, k, 0));
        /* Rounding can reach max when the range is wide; keep the documented [min, max). */
        if (v.u.f >= p->fmax && p->fmax > p->fmin)
            v.u.f = nextafter(p->fmax, p->fmin);
        return v;
    case SMX__P_Q_UNIFORM: {
        double x = p->fmin + (p->fmax - p->fmin) * unit(smx__space_random(s, index, k, 0));
        v.u.f = round(x / p->fstep) * p->fstep;
        return v;
    }
    case SMX__P_LOG_UNIFORM: {
        double lo = log(p->fmin), hi = log(p->fmax);
        v.u.f = exp(lo + (hi - lo) * unit(smx__space_random(s, index, k, 0)));
        if (v.u.f < p->fmin)
            v.u.f = p->fmin;
        if (v.u.f > p->fmax)
            v.u.f = p->fmax;
        return v;
    }
    case SMX__P_NORMAL:
    case SMX__P_LOG_NORMAL: {
        /* Box-Muller with u1 in (0, 1] so that the logarithm is finite. */
        double u1 = 1.0 - unit(smx__space_random(s, index, k, 0));
        double u2 = unit(smx__space_random(s, index, k, 1));
        double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        v.u.f = p->mu + p->sigma * z;
        if (p->kind == SMX__P_LOG_NORMAL)
            v.u.f = exp(v.u.f);
        return v;
    }
    default:
        return v;
    }
}

uint64_t smx__spec_index_of(const smx_spec *spec, uint64_t index)
{
    if (!spec->order || index >= spec->count)
        return index;
    /* The first run that ends after INDEX. */
    size_t lo = 0, hi = spec->norder;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (spec->order_end[mid] <= index)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t before = lo ? spec->order_end[lo - 1] : 0;
    return spec->order[2 * lo] + (index - before);
}

int smx__spec_set_order(smx_spec *spec, const uint64_t *runs, size_t nruns)
{
    if (nruns == 0) {
        free(spec->order);
        free(spec->order_end);
        spec->order = spec->order_end = NULL;
        spec->norder = 0;
        return 0;
    }
    uint64_t *ord = malloc(2 * nruns * sizeof *ord), *end = malloc(nruns * sizeof *end);
    /* One bit per element, to check that the runs are a permutation. */
    uint8_t *seen = calloc(spec->count / 8 + 1, 1);
    int rc = 0;
    if (!ord || !end || !seen)
        rc = smx__error_oom();
    uint64_t total = 0;
    for (size_t k = 0; rc == 0 && k < nruns; k++) {
        uint64_t first = runs[2 * k], len = runs[2 * k + 1];
        if (len == 0 || first >= spec->count || len > spec->count - first ||
            total > spec->count - len) {
            rc = smx__error(SMX_EINPUT,
                            "element order run %zu (%" PRIu64 ", %" PRIu64
                            ") does not fit a sweep of %" PRIu64 " elements",
                            k, first, len, spec->count);
            break;
        }
        for (uint64_t j = first; rc == 0 && j < first + len; j++) {
            if (seen[j / 8] & (1u << (j % 8)))
                rc = smx__error(SMX_EINPUT, "element order: spec index %" PRIu64 " appears twice",
                                j);
            seen[j / 8] |= (uint8_t)(1u << (j % 8));
        }
        ord[2 * k] = first;
        ord[2 * k + 1] = len;
        total += len;
        end[k] = total;
    }
    if (rc == 0 && total != spec->count)
        rc = smx__error(SMX_EINPUT,
                        "element order covers %" PRIu64 " elements; the sweep has %" PRIu64, total,
                        spec->count);
    free(seen);
    if (rc) {
        free(ord);
        free(end);
        return rc;
    }
    free(spec->order);
    free(spec->order_end);
    spec->order = ord;
    spec->order_end = end;
    spec->norder = nruns;
    return 0;
}

const uint64_t *smx__spec_order(const smx_spec *spec, size_t *nruns)
{
    *nruns = spec->norder;
    return spec->order;
}

int smx__spec_values(const smx_spec *spec, uint64_t index, smx_value *vals)
{
    if (!spec || !vals)
        return smx__error(SMX_EUSAGE, "smx__spec_values: NULL argument");
    if (index >= spec->count)
        return smx__error(SMX_EINPUT,
                          "element %" PRIu64 " is out of range; the sweep has %" PRIu64
                          " elements (0 to %" PRIu64 ")",
                          index, spec->count, spec->count - 1);
    index = smx__spec_index_of(spec, index);
    for (size_t i = 0; i < spec->nparams; i++) {
        const smx__param *p = &spec->params[i];
        if (spec->method == SMX__METHOD_RANDOM) {
            vals[i] = random_value(spec, p, index);
            continue;
        }
        if (p->kind == SMX__P_ROW) {
            vals[i] = spec->rows[index * spec->ncols + p->column];
            continue;
        }
        uint64_t d = 0;
        if (spec->method == SMX__METHOD_GRID)
            d = (index / spec->axis_stride[p->axis]) % spec->axis_len[p->axis];
        switch (p->kind) {
        case SMX__P_VALUES:
            vals[i] = p->vals[d];
            break;
        case SMX__P_IRANGE:
            vals[i].type = SMX_VALUE_INT;
            vals[i].u.i = (int64_t)((uint64_t)p->imin + d * (uint64_t)p->istep);
            break;
        default:
            vals[i].type = SMX_VALUE_FLOAT;
            vals[i].u.f = grid_float(p, d);
            break;
        }
    }
    return 0;
}

uint64_t smx__spec_count(const smx_spec *spec)
{
    return spec->count;
}
