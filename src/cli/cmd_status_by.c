/* sweepmux status --by: the outcome of a sweep by parameter value (see status_by.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/error.h"
#include "core/value.h"
#include "render.h"
#include "spec/spec.h"
#include "state/inspect.h"
#include "status_by.h"

#define MAX_BY 8
#define VALUE_MAX 128
/* Records read per slice, so a session of millions of elements is not held in memory. */
#define SLICE 16384

/* One value, or combination of values, of the --by parameters. */
typedef struct group {
    char *key;     /* the formatted values joined by '\x1f' (NULL: a free slot) */
    uint64_t n[4]; /* elements by status: pending, running, done, failed */
    uint64_t nm;   /* done elements with a finite value of the metric */
    double sum, min, max;
} group;

typedef struct by_view {
    size_t nby;
    size_t col[MAX_BY]; /* the parameters' positions in the spec */
    int is_str[MAX_BY]; /* string values are quoted in JSON */
    int metric;         /* result column, or -1 */
    char metric_name[SMX__RESULT_NAME_MAX];
    group *g; /* open-addressing hash table of cap slots */
    size_t ng, cap;
    int best_max;
} by_view;

/* Appends SEP and S to the list in BUF (of N bytes), cutting it short when full. */
static void append(char *buf, size_t n, const char *sep, const char *s)
{
    size_t len = strlen(buf);
    if (snprintf(buf + len, n - len, "%s%s", len ? sep : "", s) >= (int)(n - len))
        buf[n - 1] = '\0';
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static group *find_slot(group *g, size_t cap, const char *key)
{
    size_t i = hash(key) & (cap - 1);
    while (g[i].key && strcmp(g[i].key, key))
        i = (i + 1) & (cap - 1);
    return &g[i];
}

/* The group of KEY, created if new; the table doubles when half full. */
static int lookup(by_view *v, const char *key, group **out)
{
    if (2 * (v->ng + 1) > v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        group *g = calloc(cap, sizeof *g);
        if (!g)
            return smx__error_oom();
        for (size_t i = 0; i < v->cap; i++)
            if (v->g[i].key)
                *find_slot(g, cap, v->g[i].key) = v->g[i];
        free(v->g);
        v->g = g;
        v->cap = cap;
    }
    group *s = find_slot(v->g, v->cap, key);
    if (!s->key) {
        if (!(s->key = strdup(key)))
            return smx__error_oom();
        s->min = INFINITY;
        s->max = -INFINITY;
        v->ng++;
    }
    *out = s;
    return SMX_OK;
}

/* Resolves the comma-separated parameter names BY and the result METRIC against the file. */
static int resolve(by_view *v, smx__inspect *in, const char *by, const char *metric)
{
    size_t np = 0;
    int rc = smx__inspect_nparams(in, &np);
    if (rc != SMX_OK)
        return rc;
    char names[MAX_BY * 64], *save = NULL;
    snprintf(names, sizeof names, "%s", by);
    for (char *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t j = 0;
        while (j < np && strcmp(smx__inspect_param_name(in, j), t))
            j++;
        if (j == np) {
            char list[1024] = "";
            for (size_t k = 0; k < np; k++)
                append(list, sizeof list, ", ", smx__inspect_param_name(in, k));
            return smx__error(SMX_EINPUT, "--by: the sweep has no parameter '%s' (parameters: %s)",
                              t, list);
        }
        if (v->nby == MAX_BY)
            return smx__error(SMX_EINPUT, "--by: at most %d parameters", MAX_BY);
        v->col[v->nby++] = j;
    }
    if (!v->nby)
        return smx__error(SMX_EINPUT, "--by needs parameter names (--by lr or --by lr,depth)");
    char rn[SMX__RESULT_COLUMNS][SMX__RESULT_NAME_MAX];
    int nr = 0;
    rc = smx__inspect_result_names(in, rn, &nr);
    v->metric = -1;
    for (int k = 0; rc == SMX_OK && k < nr && metric; k++)
        if (!strcmp(rn[k], metric))
            v->metric = k;
    if (rc == SMX_OK && metric && v->metric < 0) {
        char list[1024] = "";
        for (int k = 0; k < nr; k++)
            append(list, sizeof list, ", ", rn[k]);
        return smx__error(SMX_EINPUT, "--metric: no result '%s' in %s (results: %s)", metric,
                          smx__inspect_path(in), nr ? list : "none reported yet");
    }
    if (rc == SMX_OK && !metric && nr > 0)
        v->metric = 0; /* the first result reported */
    if (v->metric >= 0) {
        memcpy(v->metric_name, rn[v->metric], sizeof v->metric_name);
        v->metric_name[sizeof v->metric_name - 1] = '\0';
    }
    return rc;
}

/* Adds element INDEX (record R, parameter values VALS) to its group. */
static int add(by_view *v, const smx__record *r, const smx_value *vals)
{
    char key[MAX_BY * VALUE_MAX] = "", buf[VALUE_MAX];
    for (size_t b = 0; b < v->nby; b++) {
        smx__value_format(&vals[v->col[b]], buf, sizeof buf);
        v->is_str[b] = vals[v->col[b]].type == SMX_VALUE_STRING;
        append(key, sizeof key, "\x1f", buf[0] ? buf : "\x1e");
    }
    group *g = NULL;
    int rc = lookup(v, key, &g);
    if (rc != SMX_OK)
        return rc;
    g->n[r->status <= 3 ? r->status : 0]++;
    double m = v->metric >= 0 ? r->results[v->metric] : NAN;
    if (r->status == SMX_STATUS_DONE && isfinite(m)) {
        g->nm++;
        g->sum += m;
        g->min = m < g->min ? m : g->min;
        g->max = m > g->max ? m : g->max;
    }
    return SMX_OK;
}

/* Reads every record and its stored parameter values, slice by slice, into the groups. */
static int gather(by_view *v, smx__inspect *in)
{
    uint64_t n = smx__inspect_count(in);
    size_t np = 0;
    int rc = smx__inspect_nparams(in, &np);
    smx__record *recs = malloc(sizeof *recs * SLICE);
    smx_value *vals = calloc(SLICE * (np ? np : 1), sizeof *vals);
    if (rc == SMX_OK && (!recs || !vals))
        rc = smx__error_oom();
    for (uint64_t s = 0; rc == SMX_OK && s < n; s += SLICE) {
        uint64_t c = n - s < SLICE ? n - s : SLICE;
        rc = smx__inspect_records(in, s, c, recs);
        if (rc == SMX_OK)
            rc = smx__inspect_values(in, s, c, vals);
        for (uint64_t i = 0; rc == SMX_OK && i < c; i++)
            rc = add(v, &recs[i], &vals[i * np]);
    }
    free(recs);
    free(vals);
    return rc;
}

static int g_best_max;

/* Best mean first; groups without a mean last, most failures first among them; then by key. */
static int cmp_groups(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (!!x->nm != !!y->nm)
        return x->nm ? -1 : 1;
    if (x->nm) {
        double mx = x->sum / (double)x->nm, my = y->sum / (double)y->nm;
        if (mx != my)
            return (mx < my) != g_best_max ? -1 : 1;
    }
    if (x->n[3] != y->n[3])
        return x->n[3] > y->n[3] ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* Field B of KEY into BUF. */
static void field(const char *key, size_t b, char *buf, size_t n)
{
    for (; b > 0 && key; b--) {
        key = strchr(key, '\x1f');
        key = key ? key + 1 : NULL;
    }
    size_t len = key ? strcspn(key, "\x1f") : 0;
    if (len == 1 && key[0] == '\x1e') /* an empty value */
        len = 0;
    snprintf(buf, n, "%.*s", (int)len, key ? key : "");
}

/* X in JSON: the shortest text that reads back as X, or null. */
static void number_json(double x)
{
    smx_value v = {SMX_VALUE_FLOAT, {.f = x}};
    char buf[64];
    int len = smx__value_format(&v, buf, sizeof buf);
    if (isfinite(x) && len > 0 && len < (int)sizeof buf)
        fputs(buf, stdout);
    else
        printf("null");
}

static void render_json(const by_view *v, smx__inspect *in, const group *g)
{
    char buf[VALUE_MAX];
    printf("{\"state\": ");
    smx_json_string(stdout, smx__inspect_path(in));
    printf(", \"session\": ");
    smx_json_string(stdout, smx__inspect_session(in));
    printf(", \"by\": [");
    for (size_t b = 0; b < v->nby; b++) {
        printf("%s", b ? ", " : "");
        smx_json_string(stdout, smx__inspect_param_name(in, v->col[b]));
    }
    printf("], \"metric\": ");
    if (v->metric >= 0)
        smx_json_string(stdout, v->metric_name);
    else
        printf("null");
    printf(", \"best\": \"%s\", \"groups\": [", v->best_max ? "max" : "min");
    for (size_t k = 0; k < v->ng; k++) {
        printf("%s\n{\"values\": {", k ? "," : "");
        for (size_t b = 0; b < v->nby; b++) {
            field(g[k].key, b, buf, sizeof buf);
            printf("%s", b ? ", " : "");
            smx_json_string(stdout, smx__inspect_param_name(in, v->col[b]));
            printf(": ");
            if (v->is_str[b])
                smx_json_string(stdout, buf);
            else
                fputs(buf, stdout);
        }
        const uint64_t *n = g[k].n;
        printf("}, \"total\": %llu, \"done\": %llu, \"failed\": %llu, \"running\": %llu, "
               "\"pending\": %llu, \"n_metric\": %llu, \"mean\": ",
               (unsigned long long)(n[0] + n[1] + n[2] + n[3]), (unsigned long long)n[2],
               (unsigned long long)n[3], (unsigned long long)n[1], (unsigned long long)n[0],
               (unsigned long long)g[k].nm);
        number_json(g[k].nm ? g[k].sum / (double)g[k].nm : NAN);
        printf(", \"min\": ");
        number_json(g[k].nm ? g[k].min : NAN);
        printf(", \"max\": ");
        number_json(g[k].nm ? g[k].max : NAN);
        printf("}");
    }
    printf("\n]}\n");
}

static void render_text(const by_view *v, smx__inspect *in, const group *g)
{
    char buf[VALUE_MAX];
    int w[MAX_BY];
    for (size_t b = 0; b < v->nby; b++) {
        w[b] = (int)strlen(smx__inspect_param_name(in, v->col[b]));
        for (size_t k = 0; k < v->ng; k++) {
            field(g[k].key, b, buf, sizeof buf);
            w[b] = (int)strlen(buf) > w[b] ? (int)strlen(buf) : w[b];
        }
    }
    printf("%s, session '%s': by ", smx__inspect_path(in), smx__inspect_session(in));
    for (size_t b = 0; b < v->nby; b++)
        printf("%s%s", b ? "," : "", smx__inspect_param_name(in, v->col[b]));
    if (v->metric >= 0)
        printf(", %s mean of done elements, best (%s) first; * best, ! failures\n", v->metric_name,
               v->best_max ? "highest" : "lowest");
    else
        printf(", no results reported yet; most failures first; ! failures\n");
    printf("  ");
    for (size_t b = 0; b < v->nby; b++)
        printf("%-*s  ", w[b], smx__inspect_param_name(in, v->col[b]));
    printf("%7s %7s %7s %7s %7s", "total", "done", "failed", "running", "pending");
    if (v->metric >= 0)
        printf(" %12s %12s %12s", "mean", "min", "max");
    printf("\n");
    for (size_t k = 0; k < v->ng; k++) {
        const uint64_t *n = g[k].n;
        printf("%c%c", k == 0 && g[k].nm ? '*' : ' ', n[3] ? '!' : ' ');
        for (size_t b = 0; b < v->nby; b++) {
            field(g[k].key, b, buf, sizeof buf);
            printf("%-*s  ", w[b], buf);
        }
        printf("%7llu %7llu %7llu %7llu %7llu", (unsigned long long)(n[0] + n[1] + n[2] + n[3]),
               (unsigned long long)n[2], (unsigned long long)n[3], (unsigned long long)n[1],
               (unsigned long long)n[0]);
        if (v->metric >= 0 && g[k].nm)
            printf(" %12.6g %12.6g %12.6g", g[k].sum / (double)g[k].nm, g[k].min, g[k].max);
        else if (v->metric >= 0)
            printf(" %12s %12s %12s", "-", "-", "-");
        printf("\n");
    }
}

int smx_cli_status_by(const char *path, const char *session, const char *by, const char *metric,
                      int best_max, int json)
{
    smx__inspect *in = NULL;
    by_view v = {.best_max = best_max};
    int rc = smx__inspect_open(&in, path, session);
    if (rc == SMX_OK)
        rc = resolve(&v, in, by, metric);
    if (rc == SMX_OK)
        rc = gather(&v, in);
    if (rc == SMX_OK) {
        /* Compact the table into its first ng slots and sort them. */
        size_t m = 0;
        for (size_t i = 0; i < v.cap; i++)
            if (v.g[i].key)
                v.g[m++] = v.g[i];
        g_best_max = best_max;
        qsort(v.g, m, sizeof *v.g, cmp_groups);
        if (json)
            render_json(&v, in, v.g);
        else
            render_text(&v, in, v.g);
    }
    for (size_t i = 0; i < (rc == SMX_OK ? v.ng : v.cap); i++)
        free(v.g[i].key);
    free(v.g);
    smx__inspect_close(in);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    if (fflush(stdout) != 0) {
        perror("sweepmux status");
        return SMX_EXIT_OTHER;
    }
    return SMX_EXIT_COMPLETE;
}
