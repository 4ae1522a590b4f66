/* Reading a state file from the outside, and requeue: see inspect.h. */
#include "inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "spec/template.h"
#include "state/lock.h"
#include "state/mux_internal.h"
#include "state/params.h"
#include "state/spec_log.h"

struct smx__inspect {
    smx__params *params; /* the stored parameter values, opened on first use */
    smx__store *st;
    smx__records *sess;
    smx_spec *spec;
    char *path;
    char session[SMX__SESSION_NAME_MAX];
};

/* The session to show when none is named: "default", or the only one if there is just one. */
static int default_session(smx__inspect *in)
{
    char **names = NULL;
    size_t n = 0;
    int rc = smx__store_sessions(in->st, &names, &n);
    if (rc == SMX_OK)
        snprintf(in->session, sizeof in->session, "%s", n == 1 ? names[0] : "default");
    smx__strv_free(names);
    return rc;
}

int smx__inspect_open_file(smx__inspect **out, const char *path)
{
    *out = NULL;
    smx__inspect *in = calloc(1, sizeof *in);
    if (!in || !(in->path = strdup(path))) {
        free(in);
        return smx__error_oom();
    }
    int rc = smx__store_open(&in->st, path, SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__mux_stored_spec(in->st, path, &in->spec);
    if (rc != SMX_OK) {
        smx__inspect_close(in);
        return rc;
    }
    *out = in;
    return SMX_OK;
}

int smx__inspect_open(smx__inspect **out, const char *path, const char *session)
{
    smx__inspect *in = NULL;
    int rc = smx__inspect_open_file(&in, path);
    if (rc == SMX_OK && session)
        snprintf(in->session, sizeof in->session, "%s", session);
    else if (rc == SMX_OK)
        rc = default_session(in);
    if (rc == SMX_OK) {
        rc = smx__records_open(in->st, in->session, &in->sess);
        if (rc == SMX_ENOTFOUND)
            rc = smx__error(SMX_EINPUT, "%s has no session '%s' (see sweepmux sessions %s)", path,
                            in->session, path);
    }
    /* Its size and counters are checked too, so that every reader refuses a damaged session as
     * run does (A3-7: status and export showed a session decoded with a spec of another size). */
    if (rc == SMX_OK && smx__records_count(in->sess) != smx__spec_count(in->spec))
        rc = smx__error(SMX_EIO,
                        "%s: session '%s' has %llu elements, its spec %llu (the file is damaged)",
                        path, in->session, (unsigned long long)smx__records_count(in->sess),
                        (unsigned long long)smx__spec_count(in->spec));
    int64_t meta[SMX__META_LEN];
    if (rc == SMX_OK)
        rc = smx__records_meta(in->sess, meta);
    if (rc != SMX_OK) {
        smx__inspect_close(in);
        return rc;
    }
    *out = in;
    return SMX_OK;
}

void smx__inspect_close(smx__inspect *in)
{
    if (!in)
        return;
    if (in->sess)
        smx__records_close(in->sess);
    smx__params_close(in->params);
    smx__store_close(in->st);
    smx__spec_free(in->spec);
    free(in->path);
    free(in);
}

const char *smx__inspect_path(const smx__inspect *in)
{
    return in->path;
}

const char *smx__inspect_session(const smx__inspect *in)
{
    return in->session;
}

const smx_spec *smx__inspect_spec(const smx__inspect *in)
{
    return in->spec;
}

uint64_t smx__inspect_count(const smx__inspect *in)
{
    return smx__records_count(in->sess);
}

int smx__inspect_sessions(smx__inspect *in, char ***names, size_t *n)
{
    return smx__store_sessions(in->st, names, n);
}

int smx__inspect_meta(smx__inspect *in, int64_t *meta)
{
    return smx__records_meta(in->sess, meta);
}

/* The meta counters are exact when the file keeps them (layout >= 1) and the latest job's clean
 * close (or a requeue since) wrote them: any later writer first moves n_jobs or clears
 * counts_job. */
static int meta_exact(const int64_t *meta)
{
    return meta[SMX__META_LAYOUT] >= 1 && meta[SMX__META_N_JOBS] > 0 &&
           meta[SMX__META_COUNTS_JOB] == meta[SMX__META_N_JOBS];
}

/* Counts by scanning the status column (one byte per element, read in slices). */
static int scan_counts(smx__records *sess, smx_stat *out)
{
    uint64_t by[4] = {0, 0, 0, 0};
    int rc = smx__records_count_states(sess, by);
    out->total = smx__records_count(sess);
    out->pending = by[SMX_STATUS_PENDING];
    out->running = by[SMX_STATUS_RUNNING];
    out->done = by[SMX_STATUS_DONE];
    out->failed = by[SMX_STATUS_FAILED];
    return rc;
}

/* Counts from exact meta counters (see meta_exact). */
static void meta_counts(uint64_t n, const int64_t *meta, smx_stat *out)
{
    out->total = n;
    out->done = (uint64_t)meta[SMX__META_N_DONE];
    out->failed = (uint64_t)meta[SMX__META_N_FAILED];
    out->running = (uint64_t)meta[SMX__META_N_RUNNING];
    out->pending = n - out->done - out->failed - out->running;
}

static int counts_of(smx__records *sess, smx_stat *out, int *from_meta)
{
    int64_t meta[SMX__META_LEN];
    memset(out, 0, sizeof *out);
    int rc = smx__records_meta(sess, meta);
    uint64_t n = smx__records_count(sess);
    int exact = rc == SMX_OK && meta_exact(meta) && meta[SMX__META_N_DONE] >= 0 &&
                meta[SMX__META_N_FAILED] >= 0 && meta[SMX__META_N_RUNNING] >= 0 &&
                (uint64_t)(meta[SMX__META_N_DONE] + meta[SMX__META_N_FAILED] +
                           meta[SMX__META_N_RUNNING]) <= n;
    if (from_meta)
        *from_meta = exact;
    if (rc != SMX_OK)
        return rc;
    if (exact) {
        meta_counts(n, meta, out);
        return SMX_OK;
    }
    return scan_counts(sess, out);
}

int smx__inspect_counts(smx__inspect *in, const char *name, smx_stat *out, int *from_meta)
{
    if (in->sess && (!name || !strcmp(name, in->session)))
        return counts_of(in->sess, out, from_meta);
    smx__records *other = NULL;
    int rc = smx__records_open(in->st, name, &other);
    if (rc == SMX_OK)
        rc = counts_of(other, out, from_meta);
    if (other)
        smx__records_close(other);
    return rc;
}

int smx__inspect_jobs(smx__inspect *in, smx__job **rows, int64_t *njobs)
{
    int64_t meta[SMX__META_LEN];
    *rows = calloc(SMX__JOBS_MAX, sizeof **rows);
    if (!*rows)
        return smx__error_oom();
    int rc = smx__records_meta(in->sess, meta);
    if (rc == SMX_OK)
        rc = smx__records_jobs(in->sess, *rows);
    *njobs = rc == SMX_OK ? meta[SMX__META_N_JOBS] : 0;
    return rc;
}

int smx__inspect_failures(smx__inspect *in, smx__failure **rows, int64_t *nfailures)
{
    int64_t meta[SMX__META_LEN];
    *rows = calloc(SMX__FAILURES_MAX, sizeof **rows);
    if (!*rows)
        return smx__error_oom();
    int rc = smx__records_meta(in->sess, meta);
    if (rc == SMX_OK)
        rc = smx__records_failures(in->sess, *rows);
    *nfailures = rc == SMX_OK ? meta[SMX__META_N_FAILURES] : 0;
    return rc;
}

/* Elements whose latest record belongs to job row ROW and is final, by a scan of the records. */
static int scan_finished_by(smx__records *sess, int row, uint64_t *count)
{
    uint64_t n = smx__records_count(sess);
    const uint64_t chunk = 65536;
    smx__record *recs = malloc(sizeof *recs * chunk);
    if (!recs)
        return smx__error_oom();
    int rc = SMX_OK;
    *count = 0;
    for (uint64_t s = 0; s < n && rc == SMX_OK; s += chunk) {
        uint64_t c = n - s < chunk ? n - s : chunk;
        rc = smx__records_read_records(sess, s, c, recs);
        for (uint64_t i = 0; rc == SMX_OK && i < c; i++)
            if ((recs[i].status == SMX_STATUS_DONE || recs[i].status == SMX_STATUS_FAILED) &&
                recs[i].job == row + 1)
                (*count)++;
    }
    free(recs);
    return rc;
}

int smx__inspect_latest_finished(smx__inspect *in, uint64_t *n)
{
    int64_t meta[SMX__META_LEN];
    *n = 0;
    int rc = smx__records_meta(in->sess, meta);
    if (rc != SMX_OK || meta[SMX__META_N_JOBS] <= 0)
        return rc;
    if (meta[SMX__META_LAYOUT] >= 1 && meta[SMX__META_JOB_FINISHED] >= 0) {
        *n = (uint64_t)meta[SMX__META_JOB_FINISHED];
        return SMX_OK;
    }
    return scan_finished_by(in->sess, (int)((meta[SMX__META_N_JOBS] - 1) % SMX__JOBS_MAX), n);
}

int smx__inspect_hosts(smx__inspect *in, char (**hosts)[SMX__HOST_NAME_MAX])
{
    *hosts = calloc(SMX__HOSTS_MAX, SMX__HOST_NAME_MAX);
    if (!*hosts)
        return smx__error_oom();
    return smx__records_hosts(in->sess, *hosts);
}

int smx__inspect_result_names(smx__inspect *in, char (*names)[SMX__RESULT_NAME_MAX], int *n)
{
    *n = 0;
    int rc = smx__records_result_names(in->sess, names);
    while (rc == SMX_OK && *n < SMX__RESULT_COLUMNS && names[*n][0])
        (*n)++;
    return rc;
}

int smx__inspect_records(smx__inspect *in, uint64_t start, uint64_t count, smx__record *out)
{
    return smx__records_read_records(in->sess, start, count, out);
}

/* Requeue's work on an open, locked session: the elements in STATUS go back to pending. */
static int requeue_sess(smx__store *st, smx__records *sess, int status, uint64_t *count)
{
    uint64_t n = smx__records_count(sess), k = 0;
    uint8_t *stv = malloc(n ? n : 1), *newst = NULL;
    uint16_t *att = malloc(sizeof *att * (n ? n : 1));
    uint64_t *idx = malloc(sizeof *idx * (n ? n : 1));
    int64_t meta[SMX__META_LEN];
    int rc = stv && att && idx ? SMX_OK : smx__error_oom();
    if (rc == SMX_OK)
        rc = smx__records_read_state(sess, stv, att);
    for (uint64_t i = 0; rc == SMX_OK && i < n; i++)
        if (stv[i] == status) {
            idx[k] = i;
            att[k] = att[i];
            k++;
        }
    /* The meta counters stop being exact before the first status changes (a kill in between
     * must not leave counters that disagree with the column), and are exact again at the end. */
    int64_t counts_job = 0;
    if (rc == SMX_OK && k)
        rc = smx__records_meta(sess, meta);
    if (rc == SMX_OK && k) {
        counts_job = meta[SMX__META_COUNTS_JOB];
        meta[SMX__META_COUNTS_JOB] = 0;
        rc = smx__records_put_meta(sess, meta);
        if (rc == SMX_OK)
            rc = smx__store_sync(st);
        if (rc == SMX_OK && !(newst = calloc(k, 1))) /* all SMX_STATUS_PENDING */
            rc = smx__error_oom();
        if (rc == SMX_OK)
            rc = smx__records_write_state(sess, idx, newst, att, k);
    }
    if (rc == SMX_OK && k) {
        int slot = status == SMX_STATUS_DONE     ? SMX__META_N_DONE
                   : status == SMX_STATUS_FAILED ? SMX__META_N_FAILED
                                                 : SMX__META_N_RUNNING;
        meta[slot] -= (int64_t)k;
        meta[SMX__META_COUNTS_JOB] = counts_job;
        rc = smx__records_put_meta(sess, meta);
        if (rc == SMX_OK)
            rc = smx__store_sync(st);
    }
    free(stv);
    free(att);
    free(idx);
    free(newst);
    *count = k;
    return rc;
}

int smx__requeue(const char *path, const char *session, int status, uint64_t *count)
{
    smx__lock *lock = NULL;
    smx__store *st = NULL;
    smx__records *sess = NULL;
    *count = 0;
    int rc = smx__lock_acquire(&lock, path, SMX__LOCK_STALE_SECONDS);
    if (rc == SMX_OK) /* a damaged or foreign file is not changed */
        rc = smx__mux_check_sound(path, session);
    if (rc == SMX_OK)
        rc = smx__store_open(&st, path, SMX__STORE_WRITE);
    if (rc == SMX_OK) {
        rc = smx__records_open(st, session, &sess);
        if (rc == SMX_ENOTFOUND)
            rc = smx__error(SMX_EINPUT, "%s has no session '%s'", path, session);
    }
    if (rc == SMX_OK)
        rc = requeue_sess(st, sess, status, count);
    smx__store_close(st);
    smx__lock_release(lock);
    return rc;
}

static int open_params(smx__inspect *in)
{
    return in->params ? SMX_OK : smx__store_params(in->st, &in->params);
}

int smx__inspect_nparams(smx__inspect *in, size_t *n)
{
    int rc = open_params(in);
    *n = rc == SMX_OK ? smx__params_count(in->params) : 0;
    return rc;
}

const char *smx__inspect_param_name(smx__inspect *in, size_t i)
{
    return open_params(in) == SMX_OK ? smx__params_name(in->params, i) : "";
}

int smx__inspect_values(smx__inspect *in, uint64_t start, uint64_t count, smx_value *vals)
{
    int rc = open_params(in);
    if (rc == SMX_OK && smx__params_count(in->params))
        rc = smx__params_read(in->params, start, count, vals);
    return rc;
}

int smx__inspect_spec_changes(smx__inspect *in, char ***lines, size_t *n)
{
    return smx__spec_log_read(in->st, lines, n);
}
