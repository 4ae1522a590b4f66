/* Rank 0's writer thread: see journal.h. */
#include "state/journal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/error.h"

enum op_kind { OP_FAILURE, OP_META, OP_JOB, OP_HOST, OP_RESULT_NAME };

typedef struct op {
    enum op_kind kind;
    int row;
    union {
        smx__failure failure;
        int64_t meta[SMX__META_LEN];
        smx__job job;
        char name[SMX__HOST_NAME_MAX];
    } u;
} op;

/* One batch of queued changes; the main thread fills one while the thread writes the other. */
typedef struct batch {
    smx__record *recs;
    size_t nrecs, caprecs;
    uint64_t *sidx;
    uint8_t *sstatus;
    uint16_t *sattempts;
    size_t nstates, capstates;
    op *ops;
    size_t nops, capops;
} batch;

struct smx__journal {
    smx__store *st;
    smx__sess *sess;
    smx__lock *lock;
    double sync_interval;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch filling, writing;
    uint64_t queued_seq;  /* bumped by every queued change */
    uint64_t sync_wanted; /* highest ticket asked for */
    uint64_t durable_seq; /* every change up to this seq is durable */
    int quit;
    int error;
    char errmsg[1024];
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return SMX_OK;
    size_t c = *cap ? *cap * 2 : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return smx__error_oom();
    *p = q;
    *cap = c;
    return SMX_OK;
}

static void batch_free(batch *b)
{
    free(b->recs);
    free(b->sidx);
    free(b->sstatus);
    free(b->sattempts);
    free(b->ops);
    memset(b, 0, sizeof *b);
}

static int write_batch(smx__journal *j, batch *b)
{
    int rc = SMX_OK;
    /* Fencing: a run that lost its lock (even one that was stopped and woke up) writes nothing. */
    if (j->lock && (b->nstates || b->nrecs || b->nops))
        rc = smx__lock_check(j->lock);
    if (rc != SMX_OK)
        return rc;
    /* Status changes first: an element claimed and finished within one batch ends up finished. */
    if (b->nstates)
        rc = smx__sess_write_state(j->sess, b->sidx, b->sstatus, b->sattempts, b->nstates);
    if (rc == SMX_OK && b->nrecs)
        rc = smx__sess_write_records(j->sess, b->recs, b->nrecs);
    for (size_t i = 0; rc == SMX_OK && i < b->nops; i++) {
        op *o = &b->ops[i];
        switch (o->kind) {
        case OP_FAILURE:
            rc = smx__sess_put_failure(j->sess, o->row, &o->u.failure);
            break;
        case OP_META:
            rc = smx__sess_put_meta(j->sess, o->u.meta);
            break;
        case OP_JOB:
            rc = smx__sess_put_job(j->sess, o->row, &o->u.job);
            break;
        case OP_HOST:
            rc = smx__sess_set_host(j->sess, o->row, o->u.name);
            break;
        case OP_RESULT_NAME:
            rc = smx__sess_set_result_name(j->sess, o->row, o->u.name);
            break;
        }
    }
    return rc;
}

static void *writer_main(void *arg)
{
    smx__journal *j = arg;
    double last_sync = smx__clock_mono();
    int dirty = 0;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        int want_sync = j->sync_wanted > j->durable_seq;
        int have = j->filling.nrecs || j->filling.nstates || j->filling.nops;
        if (!have && !want_sync && !j->quit) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            double wait = j->sync_interval > 0 ? j->sync_interval : 1.0;
            until.tv_sec += (time_t)wait;
            until.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&j->cv, &j->mu, &until);
            if (!(j->filling.nrecs || j->filling.nstates || j->filling.nops) &&
                j->sync_wanted <= j->durable_seq && !j->quit && !dirty)
                continue;
        }
        /* Take the filled batch; the main thread keeps queueing into the other one. */
        batch tmp = j->writing;
        j->writing = j->filling;
        j->filling = tmp;
        j->filling.nrecs = j->filling.nstates = j->filling.nops = 0;
        uint64_t seq = j->queued_seq;
        int quit = j->quit;
        uint64_t wanted = j->sync_wanted;
        pthread_mutex_unlock(&j->mu);

        int rc = SMX_OK;
        if (!j->error)
            rc = write_batch(j, &j->writing);
        dirty = dirty || j->writing.nrecs || j->writing.nstates || j->writing.nops;
        double t = smx__clock_mono();
        int do_sync =
            dirty && (quit || wanted > j->durable_seq || t - last_sync >= j->sync_interval);
        if (rc == SMX_OK && !j->error && do_sync) {
            if (j->lock)
                rc = smx__lock_check(j->lock);
            if (rc == SMX_OK)
                rc = smx__store_sync(j->st);
            last_sync = t;
            dirty = 0;
        }

        pthread_mutex_lock(&j->mu);
        if (rc != SMX_OK && !j->error) {
            j->error = rc;
            snprintf(j->errmsg, sizeof j->errmsg, "%s", smx_error_last());
        }
        if (!dirty || j->error)
            j->durable_seq = seq;
        if (quit && !(j->filling.nrecs || j->filling.nstates || j->filling.nops))
            break;
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

int smx__journal_start(smx__journal **out, smx__store *st, smx__sess *sess, smx__lock *lock,
                       double sync_interval)
{
    smx__journal *j = calloc(1, sizeof *j);
    if (!j)
        return smx__error_oom();
    j->st = st;
    j->sess = sess;
    j->lock = lock;
    j->sync_interval = sync_interval > 0 ? sync_interval : 1.0;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    if (pthread_create(&j->thread, NULL, writer_main, j) != 0) {
        free(j);
        return smx__error(SMX_EIO, "cannot start the state file writer thread: %s",
                          strerror(errno));
    }
    *out = j;
    return SMX_OK;
}

static op *push_op(smx__journal *j, enum op_kind kind, int row)
{
    if (grow((void **)&j->filling.ops, &j->filling.capops, j->filling.nops + 1, sizeof(op)))
        return NULL;
    op *o = &j->filling.ops[j->filling.nops++];
    o->kind = kind;
    o->row = row;
    j->queued_seq++;
    return o;
}

int smx__journal_record(smx__journal *j, const smx__record *r)
{
    pthread_mutex_lock(&j->mu);
    int rc = grow((void **)&j->filling.recs, &j->filling.caprecs, j->filling.nrecs + 1,
                  sizeof(smx__record));
    if (rc == SMX_OK) {
        j->filling.recs[j->filling.nrecs++] = *r;
        j->queued_seq++;
        /* Wake the writer for every few thousand records; between syncs it would otherwise sleep.
         */
        if ((j->filling.nrecs & 4095) == 0)
            pthread_cond_signal(&j->cv);
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

int smx__journal_state(smx__journal *j, uint64_t index, uint8_t status, uint16_t attempts)
{
    pthread_mutex_lock(&j->mu);
    batch *b = &j->filling;
    size_t need = b->nstates + 1, cap = b->capstates;
    int rc = grow((void **)&b->sidx, &cap, need, sizeof(uint64_t));
    cap = b->capstates;
    if (rc == SMX_OK)
        rc = grow((void **)&b->sstatus, &cap, need, sizeof(uint8_t));
    cap = b->capstates;
    if (rc == SMX_OK)
        rc = grow((void **)&b->sattempts, &cap, need, sizeof(uint16_t));
    if (rc == SMX_OK) {
        b->capstates = cap;
        b->sidx[b->nstates] = index;
        b->sstatus[b->nstates] = status;
        b->sattempts[b->nstates] = attempts;
        b->nstates++;
        j->queued_seq++;
        if ((b->nstates & 4095) == 0)
            pthread_cond_signal(&j->cv);
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

int smx__journal_failure(smx__journal *j, int slot, const smx__failure *f)
{
    pthread_mutex_lock(&j->mu);
    op *o = push_op(j, OP_FAILURE, slot);
    if (o)
        o->u.failure = *f;
    pthread_mutex_unlock(&j->mu);
    return o ? SMX_OK : smx__error_oom();
}

int smx__journal_meta(smx__journal *j, const int64_t *meta)
{
    pthread_mutex_lock(&j->mu);
    op *o = push_op(j, OP_META, 0);
    if (o)
        memcpy(o->u.meta, meta, sizeof o->u.meta);
    pthread_mutex_unlock(&j->mu);
    return o ? SMX_OK : smx__error_oom();
}

int smx__journal_job(smx__journal *j, int row, const smx__job *job)
{
    pthread_mutex_lock(&j->mu);
    op *o = push_op(j, OP_JOB, row);
    if (o)
        o->u.job = *job;
    pthread_mutex_unlock(&j->mu);
    return o ? SMX_OK : smx__error_oom();
}

static int push_name(smx__journal *j, enum op_kind kind, int row, const char *name)
{
    pthread_mutex_lock(&j->mu);
    op *o = push_op(j, kind, row);
    if (o)
        snprintf(o->u.name, sizeof o->u.name, "%s", name);
    pthread_mutex_unlock(&j->mu);
    return o ? SMX_OK : smx__error_oom();
}

int smx__journal_host(smx__journal *j, int row, const char *name)
{
    return push_name(j, OP_HOST, row, name);
}

int smx__journal_result_name(smx__journal *j, int col, const char *name)
{
    return push_name(j, OP_RESULT_NAME, col, name);
}

uint64_t smx__journal_sync(smx__journal *j)
{
    pthread_mutex_lock(&j->mu);
    /* A sync with nothing new queued still counts: bump the sequence so the ticket is reached. */
    uint64_t ticket = ++j->queued_seq;
    if (ticket > j->sync_wanted)
        j->sync_wanted = ticket;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return ticket;
}

int smx__journal_durable(smx__journal *j, uint64_t ticket)
{
    pthread_mutex_lock(&j->mu);
    int r = j->durable_seq >= ticket;
    if (j->error) {
        r = smx__error(j->error, "%s", j->errmsg);
    }
    pthread_mutex_unlock(&j->mu);
    return r;
}

size_t smx__journal_backlog(smx__journal *j)
{
    pthread_mutex_lock(&j->mu);
    size_t n = j->filling.nrecs + j->filling.nstates + j->filling.nops;
    pthread_mutex_unlock(&j->mu);
    return n;
}

int smx__journal_stop(smx__journal *j)
{
    if (!j)
        return SMX_OK;
    pthread_mutex_lock(&j->mu);
    j->quit = 1;
    j->sync_wanted = ++j->queued_seq;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL);
    int rc = j->error;
    if (rc)
        smx__error(rc, "%s", j->errmsg);
    batch_free(&j->filling);
    batch_free(&j->writing);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
    return rc;
}
