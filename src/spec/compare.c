/*
 * Comparing two parsed specs by what they mean rather than by their text (spec.h): comments,
 * layout, key order and YAML style never matter; what the elements are and how they run does;
 * timeout, retries, name and description are settings that change no element's meaning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/value.h"
#include "spec/spec.h"
#include "spec/spec_impl.h"

/* Writes the parameter names of S as "[a, b]" into BUF. */
static void names_text(const smx_spec *s, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "[");
    for (size_t i = 0; i < s->nparams && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", s->params[i].name);
    if (used < n)
        snprintf(buf + used, n - used, "]");
}

/* The parameters of A and B have the same names and types (in any order); map[k] is A's
 * parameter k's position in B. 1 with WHAT filled if not. */
static int params_diff(const smx_spec *a, const smx_spec *b, int *map, char *what, size_t n)
{
    char x[1024], y[1024];
    int differ = a->nparams != b->nparams;
    for (size_t k = 0; !differ && k < a->nparams; k++) {
        map[k] = smx__param_find(b->params, b->nparams, a->params[k].name);
        differ = map[k] < 0;
    }
    if (differ) {
        names_text(a, x, sizeof x);
        names_text(b, y, sizeof y);
        snprintf(what, n, "parameters: stored %s; new %s", x, y);
        return 1;
    }
    for (size_t k = 0; k < a->nparams; k++) {
        smx_value_type ta = a->params[k].type, tb = b->params[map[k]].type;
        if (ta != tb) {
            snprintf(what, n, "parameter '%s': stored type %s; new type %s", a->params[k].name,
                     smx__value_type_word(ta), smx__value_type_word(tb));
            return 1;
        }
    }
    return 0;
}

/* Compares every element's values; 1 with WHAT naming the first element that differs. B gets
 * A's element order for the comparison and its own order back afterwards. */
static int values_diff(const smx_spec *a, smx_spec *b, const int *map, char *what, size_t n,
                       int *err)
{
    size_t np = a->nparams, nruns = 0;
    const uint64_t *runs = smx__spec_order(a, &nruns);
    *err = nruns ? smx__spec_set_order(b, runs, nruns) : SMX_OK;
    smx_value *va = calloc(np ? np : 1, sizeof *va), *vb = calloc(np ? np : 1, sizeof *vb);
    if (*err == SMX_OK && (!va || !vb))
        *err = smx__error_oom();
    int differ = 0;
    for (uint64_t i = 0; *err == SMX_OK && !differ && i < smx__spec_count(a); i++) {
        *err = smx__spec_values(a, i, va);
        if (*err == SMX_OK)
            *err = smx__spec_values(b, i, vb);
        for (size_t k = 0; *err == SMX_OK && k < np; k++) {
            if (smx__value_equal(&va[k], &vb[map[k]]))
                continue;
            char x[256], y[256];
            smx__value_format(&va[k], x, sizeof x);
            smx__value_format(&vb[map[k]], y, sizeof y);
            snprintf(what, n, "parameter '%s' of element %llu: stored %s; new %s",
                     a->params[k].name, (unsigned long long)i, x, y);
            differ = 1;
            break;
        }
    }
    if (nruns) {
        int rc = smx__spec_set_order(b, NULL, 0);
        if (*err == SMX_OK)
            *err = rc;
    }
    free(va);
    free(vb);
    return differ;
}

int smx__spec_elements_diff(const smx_spec *a, smx_spec *b, char *what, size_t n)
{
    if (a->method != b->method) {
        snprintf(what, n, "method: stored %s; new %s", smx__spec_method(a), smx__spec_method(b));
        return 1;
    }
    int *map = malloc(sizeof(int) * (a->nparams ? a->nparams : 1));
    if (!map)
        return smx__error_oom();
    int differ = params_diff(a, b, map, what, n), err = SMX_OK;
    if (!differ)
        differ = smx__spec_run_diff(a, b, what, n);
    if (!differ && smx__spec_count(a) != smx__spec_count(b)) {
        snprintf(what, n, "elements: stored %llu; new %llu", (unsigned long long)smx__spec_count(a),
                 (unsigned long long)smx__spec_count(b));
        differ = 1;
    }
    if (!differ)
        differ = values_diff(a, b, map, what, n, &err);
    free(map);
    return err != SMX_OK ? err : differ;
}

/* Appends "FIELD A -> B" to WHAT (used bytes *USED of N). */
static void note(char *what, size_t n, size_t *used, const char *field, const char *x,
                 const char *y)
{
    if (*used < n)
        *used += (size_t)snprintf(what + *used, n - *used, "%s%s %s -> %s", *used ? ", " : "",
                                  field, x, y);
}

static void duration_text(double sec, char *buf, size_t n)
{
    if (sec <= 0)
        snprintf(buf, n, "none");
    else
        snprintf(buf, n, "%gs", sec);
}

int smx__spec_settings_diff(const smx_spec *a, const smx_spec *b, char *what, size_t n)
{
    size_t used = 0;
    int count = 0;
    char x[256], y[256];
    what[0] = '\0';
    if (a->timeout != b->timeout) {
        duration_text(a->timeout, x, sizeof x);
        duration_text(b->timeout, y, sizeof y);
        note(what, n, &used, "timeout", x, y);
        count++;
    }
    if (a->retries != b->retries) {
        snprintf(x, sizeof x, "%d", a->retries);
        snprintf(y, sizeof y, "%d", b->retries);
        note(what, n, &used, "retries", x, y);
        count++;
    }
    const char *na = smx__spec_name(a), *nb = smx__spec_name(b);
    if (strcmp(na, nb) != 0) {
        snprintf(x, sizeof x, "'%.200s'", na);
        snprintf(y, sizeof y, "'%.200s'", nb);
        note(what, n, &used, "name", x, y);
        count++;
    }
    const char *da = a->description ? a->description : "",
               *db = b->description ? b->description : "";
    if (strcmp(da, db) != 0) {
        snprintf(x, sizeof x, "'%.60s%s'", da, strlen(da) > 60 ? "..." : "");
        snprintf(y, sizeof y, "'%.60s%s'", db, strlen(db) > 60 ? "..." : "");
        note(what, n, &used, "description", x, y);
        count++;
    }
    return count;
}
