/* Rank 0's writer thread: see journal.h. */
#include "state/journal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

enum op_kind { OP_FAILURE, OP_META, OP_JOB, OP_HOST, OP_RESULT_NAME, OP_NAN_RESULTS };

typedef struct op {
    enum op_kind kind;
    int row;
    union {
        smx__failure failure;
        int64_t meta[SMX__META_LEN];
        smx__job job;
        char name[SMX__HOST_NAME_MAX];
        struct {
            smx__range *runs; /* owned by the op */
            size_t n;
        } nan;
    } u;
} op;

/* Words of done bits (smx__journal_done_bits) in a batch's word pool. */
typedef struct bitblock {
    uint64_t first;
    size_t off, n;
    uint16_t nan_results;
} bitblock;

/* One batch of queued changes; the main thread fills one while the thread writes the other. */
typedef struct batch {
    smx__record *recs;
    size_t nrecs, caprecs;
    smx__range *ranges;
    size_t nranges, capranges;
    uint64_t nranged; /* elements in ranges */
    bitblock *blocks;
    size_t nblocks, capblocks;
    uint64_t *words; /* the blocks' words */
    size_t nwords, capwords;
    uint64_t *sidx;
    uint8_t *sstatus;
    uint16_t *sattempts;
    size_t nstates, capstates;
    op *ops;
    size_t nops, capops;
} batch;

struct smx__journal {
    smx__store *st;
    smx__records *sess;
    smx__lock *lock;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch filling, writing;
    smx__range *expanded; /* the writer's: a batch's ranges and its bits as ranges */
    size_t capexpanded;
    uint64_t queued_seq;  /* bumped by every queued change */
    uint64_t sync_wanted; /* highest ticket asked for */
    uint64_t durable_seq; /* every change up to this seq is durable */
    uint64_t syncs;       /* batches written and synced */
    int idle;             /* the writer waits for work: a queued change must wake it */
    int64_t durable_meta[SMX__META_LEN]; /* the last meta row a finished sync made durable */
    int have_durable_meta;
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

static int batch_empty(const batch *b)
{
    return !(b->nrecs || b->nranges || b->nblocks || b->nstates || b->nops);
}

/* Empties B for reuse, freeing what its ops own. */
static void batch_reset(batch *b)
{
    for (size_t i = 0; i < b->nops; i++)
        if (b->ops[i].kind == OP_NAN_RESULTS)
            free(b->ops[i].u.nan.runs);
    b->nrecs = b->nranges = b->nblocks = b->nwords = b->nstates = b->nops = 0;
    b->nranged = 0;
}

static void batch_free(batch *b)
{
    batch_reset(b);
    free(b->recs);
    free(b->ranges);
    free(b->blocks);
    free(b->words);
    free(b->sidx);
    free(b->sstatus);
    free(b->sattempts);
    free(b->ops);
    memset(b, 0, sizeof *b);
}

/*
 * The batch's ranges followed by its bits as ranges (runs of set bits), in j->expanded; *N gets
 * how many. Done on the writer thread, so that the coordinator hands over bits at the cost of
 * copying words.
 */
static int expand_bits(smx__journal *j, const batch *b, size_t *n)
{
    size_t k = b->nranges;
    if (grow((void **)&j->expanded, &j->capexpanded, k ? k : 1, sizeof(smx__range)))
        return SMX_ENOMEM;
    if (k)
        memcpy(j->expanded, b->ranges, k * sizeof(smx__range));
    /* One run across blocks too: the coordinator's successive blocks often continue each other. */
    smx__range run = {0, 0, 1, SMX_STATUS_DONE, 0};
    for (size_t bl = 0; bl < b->nblocks; bl++) {
        const bitblock *x = &b->blocks[bl];
        if (run.count && run.nan_results != x->nan_results) {
            if (grow((void **)&j->expanded, &j->capexpanded, k + 1, sizeof run))
                return SMX_ENOMEM;
            j->expanded[k++] = run;
            run.count = 0;
        }
        run.nan_results = x->nan_results;
        for (size_t w = 0; w < x->n; w++) {
            uint64_t word = b->words[x->off + w];
            uint64_t at = x->first + 64 * w;
            while (word) {
                int lo = __builtin_ctzll(word);
                uint64_t ones = ~(word >> lo); /* the run of set bits from lo up */
                int len = ones ? __builtin_ctzll(ones) : 64 - lo;
                if (run.count && run.first + run.count == at + (uint64_t)lo) {
                    run.count += (uint64_t)len;
                } else {
                    if (run.count) {
                        if (grow((void **)&j->expanded, &j->capexpanded, k + 1, sizeof run))
                            return SMX_ENOMEM;
                        j->expanded[k++] = run;
                    }
                    run.first = at + (uint64_t)lo;
                    run.count = (uint64_t)len;
                }
                word = len + lo >= 64 ? 0 : word & (~(uint64_t)0 << (lo + len));
            }
        }
    }
    if (run.count) {
        if (grow((void **)&j->expanded, &j->capexpanded, k + 1, sizeof run))
            return SMX_ENOMEM;
        j->expanded[k++] = run;
    }
    *n = k;
    return SMX_OK;
}

/* Applies the ops of B that name something (NAMING: hosts, result columns) or the others. */
static int apply_ops(smx__journal *j, const batch *b, int naming)
{
    int rc = SMX_OK;
    for (size_t i = 0; rc == SMX_OK && i < b->nops; i++) {
        const op *o = &b->ops[i];
        if ((o->kind == OP_HOST || o->kind == OP_RESULT_NAME) != naming)
            continue;
        switch (o->kind) {
        case OP_FAILURE:
            rc = smx__records_put_failure(j->sess, o->row, &o->u.failure);
            break;
        case OP_META:
            rc = smx__records_put_meta(j->sess, o->u.meta);
            break;
        case OP_JOB:
            rc = smx__records_put_job(j->sess, o->row, &o->u.job);
            break;
        case OP_HOST:
            rc = smx__records_set_host(j->sess, o->row, o->u.name);
            break;
        case OP_RESULT_NAME:
            rc = smx__records_set_result_name(j->sess, o->row, o->u.name);
            break;
        case OP_NAN_RESULTS:
            rc = smx__records_nan_results(j->sess, o->row, o->u.nan.runs, o->u.nan.n);
            break;
        }
    }
    return rc;
}

static int write_batch(smx__journal *j, batch *b)
{
    int rc = SMX_OK;
    /* Fencing: a run that lost its lock (even one that was stopped and woke up) writes nothing. */
    if (j->lock && !batch_empty(b))
        rc = smx__lock_check(j->lock);
    if (rc != SMX_OK)
        return rc;
    /*
     * Names first (hosts, result columns): a reader of the live file never sees a record whose
     * host or result column has no name yet. The counters and the job row come last.
     */
    rc = apply_ops(j, b, 1);
    /* Status changes before completions: an element claimed and finished within one batch ends up
     * finished. */
    if (rc == SMX_OK && b->nstates)
        rc = smx__records_write_state(j->sess, b->sidx, b->sstatus, b->sattempts, b->nstates);
    if (rc == SMX_OK && b->nblocks) {
        size_t n = 0;
        rc = expand_bits(j, b, &n);
        if (rc == SMX_OK)
            rc = smx__records_write_ranges(j->sess, j->expanded, n);
    } else if (rc == SMX_OK && b->nranges) {
        rc = smx__records_write_ranges(j->sess, b->ranges, b->nranges);
    }
    if (rc == SMX_OK && b->nrecs)
        rc = smx__records_write_records(j->sess, b->recs, b->nrecs);
    if (rc == SMX_OK)
        rc = apply_ops(j, b, 0);
    return rc;
}

/* After batch B was written and synced: its last meta row is the durable one now. */
static void note_durable_meta(smx__journal *j, const batch *b)
{
    for (size_t i = b->nops; i-- > 0;) {
        if (b->ops[i].kind == OP_META) {
            memcpy(j->durable_meta, b->ops[i].u.meta, sizeof j->durable_meta);
            j->have_durable_meta = 1;
            return;
        }
    }
}

/*
 * Group commit: the writer waits only while nothing is queued. Whatever the main thread queued
 * while the previous write and fsync ran is taken as one batch, written and synced at once, so a
 * completion becomes durable one write + fsync after it is queued when the file is idle, and at
 * most two when it is busy, and the number of fsyncs adapts to the load by itself.
 */
static void *writer_main(void *arg)
{
    smx__journal *j = arg;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        while (batch_empty(&j->filling) && j->sync_wanted <= j->durable_seq && !j->quit) {
            j->idle = 1;
            pthread_cond_wait(&j->cv, &j->mu);
            j->idle = 0;
        }
        /* Take the filled batch; the main thread keeps queueing into the other one. */
        batch tmp = j->writing;
        j->writing = j->filling;
        j->filling = tmp;
        batch_reset(&j->filling);
        uint64_t seq = j->queued_seq;
        int quit = j->quit;
        pthread_mutex_unlock(&j->mu);

        int rc = SMX_OK;
        if (!j->error)
            rc = write_batch(j, &j->writing);
        if (rc == SMX_OK && !j->error && !batch_empty(&j->writing) && j->lock)
            rc = smx__lock_check(j->lock);
        if (rc == SMX_OK && !j->error && !batch_empty(&j->writing))
            rc = smx__store_sync(j->st);

        pthread_mutex_lock(&j->mu);
        if (rc == SMX_OK && !j->error)
            note_durable_meta(j, &j->writing);
        if (rc != SMX_OK && !j->error) {
            j->error = rc;
            snprintf(j->errmsg, sizeof j->errmsg, "%s", smx_error_last());
        }
        j->durable_seq = seq;
        j->syncs++;
        if (quit && batch_empty(&j->filling))
            break;
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

int smx__journal_start(smx__journal **out, smx__store *st, smx__records *sess, smx__lock *lock)
{
    smx__journal *j = calloc(1, sizeof *j);
    if (!j)
        return smx__error_oom();
    j->st = st;
    j->sess = sess;
    j->lock = lock;
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

/* Counts one queued change (the caller holds the mutex) and wakes an idle writer. */
static void queued(smx__journal *j)
{
    j->queued_seq++;
    if (j->idle)
        pthread_cond_signal(&j->cv);
}

static op *push_op(smx__journal *j, enum op_kind kind, int row)
{
    if (grow((void **)&j->filling.ops, &j->filling.capops, j->filling.nops + 1, sizeof(op)))
        return NULL;
    op *o = &j->filling.ops[j->filling.nops++];
    o->kind = kind;
    o->row = row;
    queued(j);
    return o;
}

int smx__journal_record(smx__journal *j, const smx__record *r)
{
    pthread_mutex_lock(&j->mu);
    int rc = grow((void **)&j->filling.recs, &j->filling.caprecs, j->filling.nrecs + 1,
                  sizeof(smx__record));
    if (rc == SMX_OK) {
        j->filling.recs[j->filling.nrecs++] = *r;
        queued(j);
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

int smx__journal_ranges(smx__journal *j, const smx__range *r, size_t n)
{
    if (n == 0)
        return SMX_OK;
    pthread_mutex_lock(&j->mu);
    batch *b = &j->filling;
    int rc = grow((void **)&b->ranges, &b->capranges, b->nranges + n, sizeof(smx__range));
    if (rc == SMX_OK) {
        memcpy(b->ranges + b->nranges, r, n * sizeof *r);
        b->nranges += n;
        for (size_t i = 0; i < n; i++)
            b->nranged += r[i].count;
        queued(j);
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

int smx__journal_done_bits(smx__journal *j, uint64_t first, const uint64_t *words, size_t nwords,
                           uint16_t nan_results)
{
    if (nwords == 0)
        return SMX_OK;
    pthread_mutex_lock(&j->mu);
    batch *b = &j->filling;
    int rc = grow((void **)&b->blocks, &b->capblocks, b->nblocks + 1, sizeof(bitblock));
    if (rc == SMX_OK)
        rc = grow((void **)&b->words, &b->capwords, b->nwords + nwords, sizeof(uint64_t));
    if (rc == SMX_OK) {
        memcpy(b->words + b->nwords, words, nwords * sizeof *words);
        b->blocks[b->nblocks++] = (bitblock){first, b->nwords, nwords, nan_results};
        b->nwords += nwords;
        queued(j);
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

int smx__journal_nan_results(smx__journal *j, int col, const smx__range *runs, size_t n)
{
    smx__range *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        return smx__error_oom();
    memcpy(copy, runs, n * sizeof *runs);
    pthread_mutex_lock(&j->mu);
    op *o = push_op(j, OP_NAN_RESULTS, col);
    if (o) {
        o->u.nan.runs = copy;
        o->u.nan.n = n;
    }
    pthread_mutex_unlock(&j->mu);
    if (!o) {
        free(copy);
        return smx__error_oom();
    }
    return SMX_OK;
}

uint64_t smx__journal_syncs(smx__journal *j)
{
    pthread_mutex_lock(&j->mu);
    uint64_t n = j->syncs;
    pthread_mutex_unlock(&j->mu);
    return n;
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
        queued(j);
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

int smx__journal_idle(smx__journal *j)
{
    pthread_mutex_lock(&j->mu);
    int idle = j->idle && batch_empty(&j->filling);
    pthread_mutex_unlock(&j->mu);
    return idle;
}

size_t smx__journal_backlog(smx__journal *j)
{
    pthread_mutex_lock(&j->mu);
    /* A record weighs as much memory as about eight of the other changes (its result columns). */
    size_t n = j->filling.nrecs * (1 + sizeof(smx__record) / 256) + j->filling.nranges +
               j->filling.nwords + j->filling.nstates + j->filling.nops;
    pthread_mutex_unlock(&j->mu);
    return n;
}

int smx__journal_stop(smx__journal *j, int64_t *durable_meta)
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
    if (durable_meta && j->have_durable_meta)
        memcpy(durable_meta, j->durable_meta, sizeof j->durable_meta);
    batch_free(&j->filling);
    batch_free(&j->writing);
    free(j->expanded);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
    return rc;
}
