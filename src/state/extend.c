/* Extending a sweep: see extend.h. */
#include "state/extend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "state/lock.h"
#include "state/spec_log.h"
#include "state/store.h"
#include "spec/template.h"
#include "core/value.h"

/* A hash of an element's values, independent of parameter order in neither spec: by name. */
static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdULL;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = mix(h, (unsigned char)*s);
    return mix(h, 0xfe);
}

/* Values of element I of SPEC, in the order of ORDER (parameter positions of SPEC). */
static uint64_t hash_values(const smx_value *vals, const int *order, size_t np)
{
    uint64_t h = 0x51ed270b;
    char buf[512];
    for (size_t k = 0; k < np; k++) {
        const smx_value *v = &vals[order[k]];
        smx__value_format(v, buf, sizeof buf);
        h = mix(h, (uint64_t)v->type);
        h = hash_str(h, buf);
    }
    return h;
}

typedef struct table {
    uint64_t *keys; /* hash, or 0 for empty (hashes are forced non-zero) */
    uint64_t *vals; /* new index */
    uint64_t cap;
} table;

static int matches(const smx_spec *a, const smx_value *av, const smx_spec *b, uint64_t bi,
                   smx_value *bv, const int *b_of_a, size_t np)
{
    if (smx__spec_values(b, bi, bv) != SMX_OK)
        return 0;
    (void)a;
    for (size_t k = 0; k < np; k++)
        if (!smx__value_equal(&av[k], &bv[b_of_a[k]]))
            return 0;
    return 1;
}

static void describe(const smx_spec *s, const smx_value *vals, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    char buf[128];
    for (size_t k = 0; k < smx__spec_nparams(s) && used + 8 < cap; k++) {
        smx__value_format(&vals[k], buf, sizeof buf);
        used += (size_t)snprintf(out + used, cap - used, "%s%s=%s", k ? ", " : "",
                                 smx__spec_param_name(s, k), buf);
    }
}

/* map[i] = the index in NEU's own numbering of the element with old element i's values. */
static int build_map(const smx_spec *old, const smx_spec *neu, uint64_t *map)
{
    size_t np = smx__spec_nparams(old);
    if (np != smx__spec_nparams(neu))
        return smx__error(SMX_EINPUT,
                          "--extend: the new spec has %zu parameters, the stored one %zu; an "
                          "extension may only add values, not parameters",
                          smx__spec_nparams(neu), np);
    int *new_of_old = malloc(sizeof(int) * (np ? np : 1));
    int *ident = malloc(sizeof(int) * (np ? np : 1));
    if (!new_of_old || !ident) {
        free(new_of_old);
        free(ident);
        return smx__error_oom();
    }
    for (size_t k = 0; k < np; k++) {
        ident[k] = (int)k;
        new_of_old[k] = smx__spec_param_find(neu, smx__spec_param_name(old, k));
        if (new_of_old[k] < 0) {
            int rc = smx__error(SMX_EINPUT, "--extend: the new spec has no parameter '%s'",
                                smx__spec_param_name(old, k));
            free(new_of_old);
            free(ident);
            return rc;
        }
    }
    uint64_t nn = smx__spec_count(neu), no = smx__spec_count(old);
    table t;
    t.cap = 1;
    while (t.cap < 2 * nn + 2)
        t.cap <<= 1;
    t.keys = calloc(t.cap, sizeof(uint64_t));
    t.vals = malloc(t.cap * sizeof(uint64_t));
    smx_value *va = calloc(np ? np : 1, sizeof *va), *vb = calloc(np ? np : 1, sizeof *vb);
    uint8_t *used = calloc(nn ? nn : 1, 1);
    int rc = (!t.keys || !t.vals || !va || !vb || !used) ? smx__error_oom() : SMX_OK;
    /* Hash the new elements with parameters in the OLD order, so both sides hash alike. */
    for (uint64_t j = 0; rc == SMX_OK && j < nn; j++) {
        rc = smx__spec_values(neu, j, vb);
        for (size_t k = 0; k < np; k++)
            va[k] = vb[new_of_old[k]];
        uint64_t h = hash_values(va, ident, np) | 1;
        uint64_t p = h & (t.cap - 1);
        while (t.keys[p])
            p = (p + 1) & (t.cap - 1);
        t.keys[p] = h;
        t.vals[p] = j;
    }
    char what[1024];
    for (uint64_t i = 0; rc == SMX_OK && i < no; i++) {
        rc = smx__spec_values(old, i, va);
        if (rc != SMX_OK)
            break;
        uint64_t h = hash_values(va, ident, np) | 1;
        uint64_t p = h & (t.cap - 1);
        int found = 0;
        for (; t.keys[p]; p = (p + 1) & (t.cap - 1)) {
            if (t.keys[p] != h || used[t.vals[p]])
                continue;
            if (matches(old, va, neu, t.vals[p], vb, new_of_old, np)) {
                map[i] = t.vals[p];
                used[t.vals[p]] = 1;
                found = 1;
                break;
            }
        }
        if (!found) {
            describe(old, va, what, sizeof what);
            rc = smx__error(SMX_EINPUT,
                            "--extend: element %llu of the stored spec (%s) is not in the new "
                            "spec; an extension may only add elements",
                            (unsigned long long)i, what);
        }
    }
    free(t.keys);
    free(t.vals);
    free(va);
    free(vb);
    free(used);
    free(new_of_old);
    free(ident);
    return rc;
}

/* Copies one session's tables and records from OS (old) to NS (new): indices do not change. */
static int copy_session(smx__records *os, smx__records *ns)
{
    char rn[SMX__RESULT_COLUMNS][SMX__RESULT_NAME_MAX];
    int64_t meta[SMX__META_LEN] = {0};
    char(*hosts)[SMX__HOST_NAME_MAX] = calloc(SMX__HOSTS_MAX, SMX__HOST_NAME_MAX);
    smx__job *jobs = calloc(SMX__JOBS_MAX, sizeof *jobs);
    smx__failure *fails = calloc(SMX__FAILURES_MAX, sizeof *fails);
    const uint64_t chunk = 16384;
    smx__record *recs = malloc(sizeof *recs * chunk);
    int rc = (!hosts || !jobs || !fails || !recs) ? smx__error_oom() : SMX_OK;
    if (rc == SMX_OK)
        rc = smx__records_result_names(os, rn);
    for (int k = 0; rc == SMX_OK && k < SMX__RESULT_COLUMNS && rn[k][0]; k++)
        rc = smx__records_set_result_name(ns, k, rn[k]);
    if (rc == SMX_OK)
        rc = smx__records_meta(os, meta);
    if (rc == SMX_OK)
        rc = smx__records_put_meta(ns, meta);
    if (rc == SMX_OK)
        rc = smx__records_hosts(os, hosts);
    for (int k = 0; rc == SMX_OK && k < SMX__HOSTS_MAX && hosts[k][0]; k++)
        rc = smx__records_set_host(ns, k, hosts[k]);
    if (rc == SMX_OK)
        rc = smx__records_jobs(os, jobs);
    for (int k = 0; rc == SMX_OK && k < SMX__JOBS_MAX && k < meta[SMX__META_N_JOBS]; k++)
        rc = smx__records_put_job(ns, k, &jobs[k]);
    if (rc == SMX_OK)
        rc = smx__records_failures(os, fails);
    for (int k = 0; rc == SMX_OK && k < SMX__FAILURES_MAX && k < meta[SMX__META_N_FAILURES]; k++)
        rc = smx__records_put_failure(ns, k, &fails[k]);
    uint64_t n = smx__records_count(os);
    for (uint64_t s = 0; rc == SMX_OK && s < n; s += chunk) {
        uint64_t c = n - s < chunk ? n - s : chunk, k = 0;
        rc = smx__records_read_records(os, s, c, recs);
        for (uint64_t i = 0; rc == SMX_OK && i < c; i++) {
            if (recs[i].status == SMX_STATUS_PENDING && recs[i].attempts == 0)
                continue; /* untouched: zeros in the new file already say so */
            recs[k++] = recs[i];
        }
        if (rc == SMX_OK && k)
            rc = smx__records_write_records(ns, recs, k);
    }
    free(hosts);
    free(jobs);
    free(fails);
    free(recs);
    return rc;
}

/* Appends spec index J to the runs, extending the last run when J follows it. */
static int push_run(uint64_t **runs, size_t *n, size_t *cap, uint64_t j)
{
    if (*n && (*runs)[2 * *n - 2] + (*runs)[2 * *n - 1] == j) {
        (*runs)[2 * *n - 1]++;
        return 0;
    }
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        uint64_t *r = realloc(*runs, nc * 2 * sizeof *r);
        if (!r)
            return smx__error_oom();
        *runs = r;
        *cap = nc;
    }
    (*runs)[2 * *n] = j;
    (*runs)[2 * *n + 1] = 1;
    (*n)++;
    return 0;
}

/*
 * Numbers NEU's elements so that the old ones keep their indices (MAP: old element -> NEU's own
 * index) and the new ones follow in NEU's own order, and sets that order on NEU.
 */
static int order_new(smx_spec *neu, const uint64_t *map, uint64_t no)
{
    uint64_t nn = smx__spec_count(neu);
    uint8_t *used = calloc(nn / 8 + 1, 1);
    uint64_t *runs = NULL;
    size_t nruns = 0, cap = 0;
    int rc = used ? SMX_OK : smx__error_oom();
    for (uint64_t i = 0; rc == SMX_OK && i < no; i++) {
        used[map[i] / 8] |= (uint8_t)(1u << (map[i] % 8));
        rc = push_run(&runs, &nruns, &cap, map[i]);
    }
    for (uint64_t j = 0; rc == SMX_OK && j < nn; j++)
        if (!(used[j / 8] & (1u << (j % 8))))
            rc = push_run(&runs, &nruns, &cap, j);
    /* The spec's own order needs no table: leave it unset. */
    int identity = nruns == 1 && runs[0] == 0;
    if (rc == SMX_OK)
        rc = smx__spec_set_order(neu, identity ? NULL : runs, identity ? 0 : nruns);
    free(used);
    free(runs);
    return rc;
}

/* Refuses (SMX_EINPUT) an extension that changes how existing elements run. */
static int check_unchanged(const smx_spec *old, const smx_spec *neu, const char *path)
{
    char what[2200];
    if (smx__spec_run_diff(old, neu, what, sizeof what))
        return smx__error(SMX_EINPUT,
                          "--extend: the new spec changes how the existing elements of %s run "
                          "(%s); an extension may only add elements. Use a new state file for a "
                          "changed sweep",
                          path, what);
    size_t np = smx__spec_nparams(old);
    for (size_t k = 0; k < np; k++) {
        const char *name = smx__spec_param_name(old, k);
        int j = smx__spec_param_find(neu, name);
        if (j >= 0 && smx__spec_param_type(neu, (size_t)j) != smx__spec_param_type(old, k)) {
            static const char *const tn[] = {"", "int", "float", "string", "bool"};
            return smx__error(SMX_EINPUT,
                              "--extend: parameter '%s' is %s in the new spec but %s in %s, so "
                              "every stored value would change; keep its type (write floats "
                              "as 1.0, quote strings)",
                              name, tn[smx__spec_param_type(neu, (size_t)j)],
                              tn[smx__spec_param_type(old, k)], path);
        }
    }
    return SMX_OK;
}

/* Writes TMP: NEU's spec and parameters in the extended order, every session of OST at size NN
 * with its records. */
static int write_extended(smx__store *ost, const char *tmp, const smx_spec *neu, char **names,
                          size_t nsess, const char *workdir, int *created, const char *job_id,
                          const char *changes)
{
    smx__store *nst = NULL;
    uint64_t nn = smx__spec_count(neu);
    int rc = SMX_OK;
    unlink(tmp);
    for (size_t k = 0; rc == SMX_OK && k < nsess; k++) {
        smx__records *os = NULL;
        rc = smx__records_open(ost, names[k], &os);
        const char *cmd = rc == SMX_OK ? smx__records_command(os) : NULL;
        if (rc == SMX_OK && k == 0) {
            rc = smx__store_create_sweep(tmp, neu, names[k], nn, cmd && *cmd ? cmd : NULL, workdir);
            *created = rc == SMX_OK;
        } else if (rc == SMX_OK) {
            rc = smx__store_add_session(tmp, names[k], nn, cmd && *cmd ? cmd : NULL);
        }
    }
    if (rc == SMX_OK && nsess == 0) {
        rc = smx__store_create_sweep(tmp, neu, NULL, 0, NULL, workdir);
        *created = rc == SMX_OK;
    }
    if (rc == SMX_OK)
        rc = smx__store_open(&nst, tmp, SMX__STORE_WRITE);
    if (rc == SMX_OK)
        rc = smx__spec_log_write(ost, nst, job_id, changes);
    for (size_t k = 0; rc == SMX_OK && k < nsess; k++) {
        smx__records *os = NULL, *ns = NULL;
        rc = smx__records_open(ost, names[k], &os);
        if (rc == SMX_OK)
            rc = smx__records_open(nst, names[k], &ns);
        if (rc == SMX_OK)
            rc = copy_session(os, ns);
    }
    if (rc == SMX_OK)
        rc = smx__store_sync(nst);
    smx__store_close(nst);
    return rc;
}

int smx__extend(const char *path, smx_spec *neu, const char *job_id, uint64_t *added)
{
    smx__lock *lock = NULL;
    smx__store *ost = NULL;
    smx_spec *old = NULL;
    char **names = NULL, *workdir = NULL, tmp[4200], changes[1024] = "";
    size_t nsess = 0;
    uint64_t *map = NULL;
    int created = 0;
    snprintf(tmp, sizeof tmp, "%s.extend-%ld", path, (long)getpid());
    int rc = smx__lock_acquire(&lock, path, SMX__LOCK_STALE_SECONDS);
    if (rc == SMX_OK)
        rc = smx__store_open(&ost, path, SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__store_load_spec(ost, &old);
    if (rc == SMX_OK)
        rc = smx__store_workdir(ost, &workdir);
    if (rc == SMX_OK)
        rc = smx__store_sessions(ost, &names, &nsess);
    if (rc == SMX_OK)
        rc = check_unchanged(old, neu, path);
    if (rc == SMX_OK)
        smx__spec_settings_diff(old, neu, changes, sizeof changes);
    uint64_t no = rc == SMX_OK ? smx__spec_count(old) : 0, nn = smx__spec_count(neu);
    if (rc == SMX_OK && nn < no)
        rc = smx__error(SMX_EINPUT,
                        "--extend: the new spec has %llu elements, fewer than the stored %llu",
                        (unsigned long long)nn, (unsigned long long)no);
    if (rc == SMX_OK) {
        map = malloc(sizeof(uint64_t) * (no ? no : 1));
        rc = map ? build_map(old, neu, map) : smx__error_oom();
    }
    if (rc == SMX_OK)
        rc = order_new(neu, map, no);
    if (rc == SMX_OK)
        rc = write_extended(ost, tmp, neu, names, nsess, workdir, &created, job_id, changes);
    smx__store_close(ost);
    if (rc == SMX_OK)
        rc = smx__store_replace(tmp, path);
    if (rc != SMX_OK && created)
        unlink(tmp);
    if (rc == SMX_OK)
        *added = nn - no;
    smx__lock_release(lock);
    smx__strv_free(names);
    smx__spec_free(old);
    free(workdir);
    free(map);
    return rc;
}
