/*
 * Rank 0's coordinator (see coordinator.h). Everything here runs on the thread that opened the
 * session, between MPI calls that keep claims progressing; nothing here blocks.
 */
#include "session/coordinator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/result.h"
#include "core/clock.h"
#include "core/error.h"
#include "session/mpicheck.h"
#include "state/journal.h"
#include "state/lock.h"
#include "state/mux_internal.h"
#include "state/store.h"

#define DURATION_SAMPLES 1024
/* Dropped result names warned about one by one; later ones are summarised in one line. */
#define DROPPED_MAX 32
/* Queued changes above which rank 0 stops taking work and reports until the writer catches up. */
#define SMX__BACKLOG_MAX ((size_t)1 << 17)
/*
 * The claim watermark (store.h, SMX__META_MARK_*) moves ahead of the claim counter in steps of
 * about two seconds of claims at the recent rate, within these bounds (positions): a step costs
 * one meta write in a group commit, and after a crash the never-started elements of the last step
 * run with an attempt number one higher than they needed.
 */
#define MARK_STEP_MIN 16
#define MARK_STEP_MAX ((uint64_t)1 << 22)

struct smx__coord {
    smx_session_options opts;
    char name[SMX__SESSION_NAME_MAX];
    MPI_Comm comm; /* the session's; borrowed */
    int size;
    smx__claim *claim; /* the session's; borrowed */
    smx__lock *lock;
    smx__store *st;
    smx__records *sess;
    smx__journal *j;
    uint64_t n;
    uint8_t *status;      /* per element: the authority on what may still be committed */
    uint16_t *attempts;   /* per element */
    uint64_t seen;        /* claimed positions already marked running */
    uint64_t synced_seen; /* positions whose running state was considered at the last sync */
    uint64_t handed_out;  /* positions claimed before the stop */
    smx_stat counts;
    smx_stat durable; /* the counts as read at the start (see smx__outcome) */
    uint64_t done_this_job, failed_this_job, rejected;
    uint64_t reports; /* reports handled, for smx__coord_events */
    int finished_workers;
    int stopped;
    int halted;
    char reason[64];
    uint16_t *host_of_rank;
    int job_row;
    smx__job job;
    char result_names[SMX__RESULT_COLUMNS][SMX__RESULT_NAME_MAX];
    char dropped[DROPPED_MAX][SMX__RESULT_NAME_MAX]; /* result names warned about, not stored */
    int ndropped;
    int64_t meta[SMX__META_LEN];
    int64_t meta_queued[SMX__META_LEN]; /* what was last handed to the journal */
    double deadline;                    /* wall clock; 0: none */
    const char *deadline_reason;
    double t_start_wall, t_start_mono;
    double last_sync, last_poll, last_median;
    double last_flush; /* when coord_poll last handed completions to the journal */
    float durations[DURATION_SAMPLES];
    uint64_t ndurations;
    double median;
    int error; /* first fatal error (journal) */
    char errmsg[1024];
    smx__range *ranges; /* accepted range completions not handed to the journal yet */
    size_t nranges, capranges;
    /*
     * Accepted bits completions not handed to the journal yet, merged over the ranks: bit b of
     * acc[k] is element acc_first + 64 k + b; words [acc_lo, acc_hi) are in use (acc_hi == 0:
     * none), all with acc_nan named result columns.
     */
    uint64_t *acc;
    size_t acc_words; /* its size: ACC_WORDS, or the whole session if that is smaller */
    uint64_t acc_first;
    size_t acc_lo, acc_hi;
    uint16_t acc_nan;
    int named;             /* result columns with a name: they are taken from column 0 up */
    int rcols;             /* result columns of the session (store.h) */
    int plain;             /* a status byte is out of range: no word-at-a-time shortcuts */
    char stop_error[1024]; /* "rank N: ..." when a rank's error stopped the run */
    int retries;           /* this job's retries (the mark records them) */
    uint64_t *raised;      /* elements whose attempt count a dead job's mark raised */
    size_t nraised;
    uint64_t claimed;      /* the claim counter at the last notice (positions, capped) */
    uint64_t mark_pos;     /* positions the queued watermark covers */
    uint64_t mark_ticket;  /* the journal sync that makes it durable (0: it is) */
    uint64_t mark_step;    /* positions per watermark step */
    uint64_t mark_counter; /* the counter when the last step was taken, and when */
    double mark_t;
};

/*
 * The one failure path: the first error (with its message, which names what failed) is kept; the
 * next poll stops the run, and smx__coord_finish returns it to every rank. Returns RC.
 */
static int fail_with(smx__coord *c, int rc)
{
    if (rc != SMX_OK && !c->error) {
        c->error = rc;
        snprintf(c->errmsg, sizeof c->errmsg, "%s", smx_error_last());
    }
    return rc;
}

/* Checks a journal call: a change that cannot be queued for the state file fails the run. */
static int queued(smx__coord *c, int rc, const char *what)
{
    if (rc == SMX_OK)
        return SMX_OK;
    return fail_with(c, smx__error_prefix(rc, "cannot queue %s for the state file", what));
}

/*
 * The status and attempts arrays (3 bytes per element, 300 MB at 1e8) are anonymous mappings with
 * transparent huge pages where the kernel offers them on request: filling them from the file then
 * takes one page fault per 2 MB instead of one per 4 kB, which on a VM was most of a resume.
 */
static void *big_alloc(size_t bytes)
{
    void *p =
        mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (bytes >= ((size_t)4 << 20) && madvise(p, bytes, MADV_HUGEPAGE) != 0) {
        /* Only a hint (EINVAL without THP support): the pages are just smaller. */
    }
#endif
    return p;
}

static void big_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes ? bytes : 1);
}

void smx__coord_free(smx__coord *c)
{
    if (!c)
        return;
    if (c->j)
        smx__journal_stop(c->j, NULL);
    /* The guard may fence the descriptor until here; the store closes it next. */
    smx__lock_unguard(c->lock);
    if (c->st)
        smx__store_close(c->st);
    if (c->lock)
        smx__lock_release(c->lock);
    big_free(c->status, c->n);
    big_free(c->attempts, 2 * c->n);
    free(c->raised);
    free(c->ranges);
    free(c->acc);
    free(c->host_of_rank);
    free(c);
}

static void count_todo(smx__coord *c, int *identity, uint64_t *ntodo);

/* Appends I to the elements whose raised attempt count must reach the file. */
static int push_raised(smx__coord *c, uint64_t i, size_t *cap)
{
    if (c->nraised == *cap) {
        size_t n = *cap ? 2 * *cap : 256;
        uint64_t *v = realloc(c->raised, n * sizeof *v);
        if (!v)
            return smx__error_oom();
        c->raised = v;
        *cap = n;
    }
    c->raised[c->nraised++] = i;
    return SMX_OK;
}

/*
 * A job whose watermark is still set (store.h) died, and may have started any element of its
 * to-do list below the mark up to 1 + its retries times without the file saying so. Those
 * elements' attempt counts are raised past every number it could have used, so that the next run
 * of each sees a larger SWEEPMUX_ATTEMPT than any before (README "Guarantees"). An element the
 * file shows running had that attempt recorded, so only its retries can be missing. An element
 * with no attempt number left (SMX__ATTEMPTS_MAX) fails. Memory only: smx__coord_start writes
 * them before this job's own mark replaces the dead job's.
 */
static int raise_after_crash(smx__coord *c)
{
    if (c->meta[SMX__META_MARK_JOB] == 0)
        return SMX_OK;
    uint64_t bound = (uint64_t)c->meta[SMX__META_MARK_INDEX];
    unsigned extra = (unsigned)c->meta[SMX__META_MARK_RETRIES];
    int failed_too = (int)(c->meta[SMX__META_MARK_FLAGS] & 1);
    size_t cap = 0;
    for (uint64_t i = 0; i < bound && i < c->n; i++) {
        uint8_t st = c->status[i];
        if (st == SMX_STATUS_DONE || st > SMX_STATUS_FAILED ||
            (st == SMX_STATUS_FAILED && !failed_too))
            continue;
        unsigned a = c->attempts[i] + extra + (st == SMX_STATUS_RUNNING ? 0u : 1u);
        if (a == c->attempts[i])
            continue;
        if (a >= SMX__ATTEMPTS_MAX) {
            a = SMX__ATTEMPTS_MAX;
            c->status[i] = SMX_STATUS_FAILED;
        }
        c->attempts[i] = (uint16_t)a;
        int rc = push_raised(c, i, &cap);
        if (rc != SMX_OK)
            return rc;
    }
    return SMX_OK;
}

int smx__coord_open(smx__coord **out, const char *state_path, const char *session,
                    const smx_session_options *opts, smx_spec **spec, char **workdir,
                    int *todo_identity, uint64_t *todo_len)
{
    *out = NULL;
    if (!state_path || !*state_path)
        return smx_error_last_code() ? smx_error_last_code()
                                     : smx__error(SMX_EUSAGE, "no state file given");
    smx__coord *c = calloc(1, sizeof *c);
    if (!c)
        return smx__error_oom();
    *out = c;
    c->opts = *opts;
    snprintf(c->name, sizeof c->name, "%s", session);
    c->comm = MPI_COMM_NULL;
    int rc = smx__lock_acquire(&c->lock, state_path, SMX__LOCK_STALE_SECONDS);
    if (rc == SMX_OK)
        rc = smx__store_open(&c->st, state_path, SMX__STORE_WRITE);
    /* From here on a heartbeat thread keeps the lock fresh and fences the file if it is lost. */
    if (rc == SMX_OK)
        rc = smx__lock_guard(c->lock, smx__store_fd(c->st));
    if (rc == SMX_OK) {
        rc = smx__records_open(c->st, c->name, &c->sess);
        if (rc == SMX_ENOTFOUND)
            rc =
                smx__error(SMX_ENOTFOUND, "state file %s has no session '%s'", state_path, c->name);
    }
    if (rc == SMX_OK)
        rc = smx__mux_stored_spec(c->st, state_path, spec);
    if (rc == SMX_OK)
        rc = smx__store_workdir(c->st, workdir);
    if (rc != SMX_OK)
        return rc;
    c->n = smx__records_count(c->sess);
    if (c->n != smx__spec_count(*spec))
        return smx__error(SMX_EIO,
                          "%s: session '%s' has %llu elements, its spec %llu (the file is damaged)",
                          state_path, c->name, (unsigned long long)c->n,
                          (unsigned long long)smx__spec_count(*spec));
    c->status = big_alloc(c->n);
    c->attempts = big_alloc(sizeof(uint16_t) * c->n);
    if (!c->status || !c->attempts)
        return smx__error_oom();
    rc = smx__records_read_state(c->sess, c->status, c->attempts);
    if (rc == SMX_OK)
        rc = smx__records_meta(c->sess, c->meta);
    if (rc == SMX_OK)
        rc = raise_after_crash(c);
    if (rc != SMX_OK)
        return rc;
    c->retries = opts->retries >= 0 ? opts->retries : smx__spec_retries(*spec);
    if (c->retries > SMX__ATTEMPTS_MAX)
        c->retries = SMX__ATTEMPTS_MAX;
    count_todo(c, todo_identity, todo_len);
    return SMX_OK;
}

/* One byte of 1 in every lane of a word of eight status bytes. */
#define LANES 0x0101010101010101ull

/* The sum of the eight bytes of X. */
static uint64_t byte_sum(uint64_t x)
{
    x = (x & 0x00FF00FF00FF00FFull) + ((x >> 8) & 0x00FF00FF00FF00FFull);
    return (x * 0x0001000100010001ull) >> 48;
}

/* Exact counts from element FROM on, one at a time. */
static void count_plain(const smx__coord *c, uint64_t from, uint64_t *done, uint64_t *failed)
{
    for (uint64_t i = from; i < c->n; i++) {
        *done += c->status[i] == SMX_STATUS_DONE;
        *failed += c->status[i] == SMX_STATUS_FAILED;
    }
}

/*
 * The counts of a resumed session and the length of its to-do list: pending elements, elements a
 * dead job left running (they run again with a higher attempt number: at-least-once execution),
 * and failed ones if asked. A session nothing has touched yet has the identity as its list, which
 * is not materialised. Eight status bytes at a time (DONE is 0b10, FAILED 0b11: bit 1 counts both,
 * bits 1 and 0 together count FAILED), summed per byte lane for up to 255 words: at 1e8 elements
 * this pass takes tens of milliseconds. A byte out of range (a damaged file) makes the counts
 * exact one element at a time, and turns the word shortcuts off (c->plain).
 */
static void count_todo(smx__coord *c, int *identity, uint64_t *ntodo)
{
    uint64_t done = 0, failed = 0, seen = 0, words = c->n / 8;
    for (uint64_t w0 = 0; w0 < words; w0 += 255) {
        uint64_t end = words - w0 < 255 ? words : w0 + 255, both = 0, fail = 0;
        for (uint64_t w = w0; w < end; w++) {
            uint64_t x;
            memcpy(&x, c->status + 8 * w, 8);
            both += (x >> 1) & LANES;
            fail += x & (x >> 1) & LANES;
            seen |= x;
        }
        done += byte_sum(both) - byte_sum(fail);
        failed += byte_sum(fail);
    }
    c->plain = (seen & ~(3 * LANES)) != 0;
    if (c->plain)
        done = failed = 0;
    count_plain(c, c->plain ? 0 : 8 * words, &done, &failed);
    for (uint64_t i = 8 * words; i < c->n; i++)
        seen |= c->status[i];
    for (uint64_t i = 0; i < c->n && !seen; i += 4096) {
        uint64_t end = c->n - i < 4096 ? c->n : i + 4096;
        unsigned any = 0;
        for (uint64_t j = i; j < end; j++)
            any |= c->attempts[j];
        seen |= any;
    }
    if (c->opts.retry_failed) {
        /* Failed elements run again, except those with no attempt number left. */
        failed = 0;
        for (uint64_t i = 0; i < c->n; i++)
            failed += c->status[i] == SMX_STATUS_FAILED && c->attempts[i] >= SMX__ATTEMPTS_MAX;
    }
    c->counts.done = done;
    c->counts.failed = failed;
    c->counts.total = c->n;
    c->counts.pending = c->n - done - failed;
    *ntodo = c->counts.pending;
    *identity = seen == 0;
}

/*
 * Eight status bytes all final: each is done or failed (bit 1 set), and with retry_failed none is
 * failed (bit 0 clear). Only when every byte of the file is in range (!c->plain).
 */
static int word_final(const smx__coord *c, uint64_t x)
{
    if (((x >> 1) & LANES) != LANES)
        return 0;
    return !c->opts.retry_failed || (x & LANES) == 0;
}

int smx__coord_fill_todo(void *coord, uint64_t *dst, uint64_t n)
{
    /* Locals, not c->...: stores to DST could alias the struct and force reloads per element. */
    const smx__coord *c = coord;
    const uint8_t *st = c->status;
    const uint16_t *at = c->attempts;
    const uint64_t total = c->n;
    const int retry_failed = c->opts.retry_failed, words = !c->plain;
    uint64_t k = 0, i = 0;
    while (i < total && k < n) {
        if (words && total - i >= 8 && n - k >= 8) {
            uint64_t w;
            memcpy(&w, st + i, 8);
            /* Runs of final elements (most of a resumed sweep) are skipped eight at a time. */
            if (word_final(c, w)) {
                i += 8;
                continue;
            }
            /* Eight pending elements (the rest of it): eight entries without a branch. */
            if (w == 0) {
                for (int j = 0; j < 8; j++) {
                    unsigned a = at[i + j] + 1u;
                    dst[k + j] = SMX__ENTRY(i + j, a > 0xffff ? 0xffff : a);
                }
                i += 8;
                k += 8;
                continue;
            }
        }
        for (uint64_t end = total - i >= 8 ? i + 8 : total; i < end && k < n; i++) {
            if (st[i] == SMX_STATUS_DONE ||
                (st[i] == SMX_STATUS_FAILED && (!retry_failed || at[i] >= SMX__ATTEMPTS_MAX)))
                continue;
            unsigned a = at[i] + 1u;
            dst[k++] = SMX__ENTRY(i, a > 0xffff ? 0xffff : a);
        }
    }
    if (k != n)
        return smx__error(SMX_EIO, "the to-do list has %llu entries, not the %llu counted",
                          (unsigned long long)k, (unsigned long long)n);
    return SMX_OK;
}

/* Appends the run (POS, ENTRY) to *RUNS; 1 if that would make more than MAX, -1 without memory. */
static int push_run(uint64_t **runs, uint64_t *nruns, uint64_t *cap, uint64_t max, uint64_t pos,
                    uint64_t entry)
{
    if (*nruns == max)
        return 1;
    if (*nruns == *cap) {
        uint64_t n = *cap ? 2 * *cap : 64;
        n = n < max ? n : max;
        uint64_t *v = realloc(*runs, sizeof(uint64_t) * 2 * n);
        if (!v)
            return -1;
        *runs = v;
        *cap = n;
    }
    (*runs)[2 * *nruns] = pos;
    (*runs)[2 * *nruns + 1] = entry;
    ++*nruns;
    return 0;
}

/* Eight attempt counts from AT all equal to A. */
static int same_attempts(const uint16_t *at, unsigned a)
{
    uint64_t x[2], want = (uint64_t)a * 0x0001000100010001ull;
    memcpy(x, at, sizeof x);
    return x[0] == want && x[1] == want;
}

/*
 * The same pass as smx__coord_fill_todo, but a pending element that follows the previous one with
 * the same attempt count only lengthens the current run: a word of eight pending elements (status
 * 0) that continues the run costs one comparison of their attempt counts.
 */
int smx__coord_todo_runs(smx__coord *c, uint64_t max, uint64_t **runs, uint64_t *nruns)
{
    const uint8_t *st = c->status;
    const uint16_t *at = c->attempts;
    const uint64_t total = c->n;
    const int retry_failed = c->opts.retry_failed, words = !c->plain;
    uint64_t k = 0, i = 0, cap = 0, next = UINT64_MAX; /* NEXT: the index that continues the run */
    unsigned last = 0;                                 /* the run's attempt count */
    int full = 0;
    *runs = NULL;
    *nruns = 0;
    while (i < total && !full) {
        if (words && total - i >= 8) {
            uint64_t w;
            memcpy(&w, st + i, 8);
            if (word_final(c, w)) {
                i += 8;
                continue;
            }
            if (w == 0 && next == i && same_attempts(at + i, last)) {
                i += 8;
                k += 8;
                next = i;
                continue;
            }
        }
        for (uint64_t end = total - i >= 8 ? i + 8 : total; i < end && !full; i++) {
            if (st[i] == SMX_STATUS_DONE ||
                (st[i] == SMX_STATUS_FAILED && (!retry_failed || at[i] >= SMX__ATTEMPTS_MAX)))
                continue;
            if (next != i || at[i] != last) {
                unsigned a = at[i] + 1u;
                full = push_run(runs, nruns, &cap, max, k, SMX__ENTRY(i, a > 0xffff ? 0xffff : a));
                last = at[i];
            }
            next = i + 1;
            k++;
        }
    }
    if (full) {
        free(*runs);
        *runs = NULL;
        *nruns = 0;
        return full < 0 ? smx__error_oom() : SMX_OK;
    }
    if (k != c->counts.pending)
        return smx__error(SMX_EIO, "the to-do list has %llu entries, not the %llu counted",
                          (unsigned long long)k, (unsigned long long)c->counts.pending);
    return SMX_OK;
}

static int find_or_add_host(smx__coord *c, char (*table)[SMX__HOST_NAME_MAX], const char *name)
{
    int64_t n = c->meta[SMX__META_N_HOSTS];
    for (int64_t i = 0; i < n && i < SMX__HOSTS_MAX; i++)
        if (!strncmp(table[i], name, SMX__HOST_NAME_MAX - 1))
            return (int)i + 1;
    if (n >= SMX__HOSTS_MAX)
        return 0; /* table full: recorded as unknown */
    snprintf(table[n], SMX__HOST_NAME_MAX, "%s", name);
    queued(c, smx__journal_host(c->j, (int)n, name), "a host name");
    c->meta[SMX__META_N_HOSTS] = n + 1;
    return (int)n + 1;
}

/* The element-index bound of the watermark at position POS of the to-do list (sorted by index). */
static int mark_bound(smx__coord *c, uint64_t pos, uint64_t *bound)
{
    uint64_t e = 0;
    if (pos >= c->claim->todo_len) {
        *bound = c->n;
        return SMX_OK;
    }
    int rc = smx__claim_entries(c->claim, pos, 1, &e);
    *bound = SMX__ENTRY_INDEX(e);
    return rc;
}

/*
 * Before anything is handed out, with direct writes (the journal does not run yet), each made
 * durable before the next: the attempt counts a dead job's mark raised (raise_after_crash); then
 * this job's first watermark, replacing the dead job's, together with counts_job = 0 (the stored
 * counters stop being exact, README "Layout", before this job changes any status). Only then may
 * the first elements start (the open limit).
 */
static int open_mark(smx__coord *c)
{
    int rc = SMX_OK;
    if (c->nraised) {
        uint8_t *st = malloc(c->nraised);
        uint16_t *at = malloc(c->nraised * sizeof *at);
        if (!st || !at)
            rc = smx__error_oom();
        for (size_t k = 0; rc == SMX_OK && k < c->nraised; k++) {
            st[k] = c->status[c->raised[k]];
            at[k] = c->attempts[c->raised[k]];
        }
        if (rc == SMX_OK)
            rc = smx__records_write_state(c->sess, c->raised, st, at, c->nraised);
        if (rc == SMX_OK)
            rc = smx__store_sync(c->st);
        free(st);
        free(at);
        if (rc != SMX_OK)
            return rc;
    }
    /* The first step covers every consumer's first two claims (claim.c: guided chunks). */
    uint64_t consumers = (uint64_t)c->claim->consumers, bound = 0;
    uint64_t chunk = c->claim->todo_len / (8 * consumers);
    chunk = c->claim->chunk > 0 ? (uint64_t)c->claim->chunk
            : chunk < 1         ? 1
            : chunk > 64        ? 64
                                : chunk;
    uint64_t first = 2 * consumers * chunk;
    c->mark_step = first < MARK_STEP_MIN ? MARK_STEP_MIN : first;
    c->mark_pos = c->mark_step < c->claim->todo_len ? c->mark_step : c->claim->todo_len;
    c->mark_t = smx__clock_mono();
    if ((rc = mark_bound(c, c->mark_pos, &bound)) != SMX_OK)
        return rc;
    c->meta[SMX__META_COUNTS_JOB] = 0;
    c->meta[SMX__META_MARK_JOB] = c->meta[SMX__META_N_JOBS] + 1;
    c->meta[SMX__META_MARK_INDEX] = (int64_t)bound;
    c->meta[SMX__META_MARK_RETRIES] = c->retries;
    c->meta[SMX__META_MARK_FLAGS] = c->opts.retry_failed ? 1 : 0;
    rc = smx__records_put_meta(c->sess, c->meta);
    if (rc == SMX_OK)
        rc = smx__store_sync(c->st);
    if (rc == SMX_OK)
        rc = smx__claim_set_open(c->claim, c->mark_pos);
    return rc;
}

/*
 * Keeps the watermark ahead of the claims: once the last step is durable the open limit follows
 * it; once the claims come within half a step of it, the next step is queued with the journal's
 * next sync. A step is about two seconds of claims at the rate since the step before.
 */
static void advance_mark(smx__coord *c)
{
    if (c->mark_ticket) {
        int d = smx__journal_durable(c->j, c->mark_ticket);
        if (d <= 0) {
            if (d < 0)
                fail_with(c, d);
            return;
        }
        c->mark_ticket = 0;
        if (fail_with(c, smx__claim_set_open(c->claim, c->mark_pos)) != SMX_OK)
            return;
    }
    uint64_t todo = c->claim->todo_len;
    uint64_t ahead = c->mark_pos > c->claimed ? c->mark_pos - c->claimed : 0;
    if (c->stopped || c->mark_pos >= todo || ahead > c->mark_step / 2)
        return;
    double now = smx__clock_mono(), dt = now - c->mark_t;
    double want = dt > 0 ? 2.0 * (double)(c->claimed - c->mark_counter) / dt : 0;
    c->mark_step = want < MARK_STEP_MIN   ? MARK_STEP_MIN
                   : want > MARK_STEP_MAX ? MARK_STEP_MAX
                                          : (uint64_t)want;
    c->mark_t = now;
    c->mark_counter = c->claimed;
    uint64_t pos = (ahead ? c->mark_pos : c->claimed) + c->mark_step, bound = 0;
    if (pos > todo)
        pos = todo;
    if (fail_with(c, mark_bound(c, pos, &bound)) != SMX_OK)
        return;
    c->mark_pos = pos;
    c->meta[SMX__META_MARK_INDEX] = (int64_t)bound;
    memcpy(c->meta_queued, c->meta, sizeof c->meta);
    if (queued(c, smx__journal_meta(c->j, c->meta), "the claim watermark") == SMX_OK)
        c->mark_ticket = smx__journal_sync(c->j);
}

/*
 * Reads the session's counters, result names and host table, starts the journal and gives each
 * rank of this job its row in the host table (HOSTS: one name per rank).
 */
static int load_tables(smx__coord *c, char (*hosts)[64])
{
    int rc = smx__records_meta(c->sess, c->meta);
    if (rc == SMX_OK)
        rc = smx__records_result_names(c->sess, c->result_names);
    c->rcols = smx__records_result_columns(c->sess);
    while (c->named < c->rcols && c->result_names[c->named][0])
        c->named++;
    char(*table)[SMX__HOST_NAME_MAX] = calloc(SMX__HOSTS_MAX, SMX__HOST_NAME_MAX);
    if (!table)
        return smx__error_oom();
    if (rc == SMX_OK)
        rc = smx__records_hosts(c->sess, table);
    if (rc == SMX_OK)
        rc = open_mark(c);
    if (rc == SMX_OK)
        rc = smx__journal_start(&c->j, c->st, c->sess, c->lock);
    if (rc == SMX_OK && !(c->host_of_rank = calloc((size_t)c->size, sizeof(uint16_t))))
        rc = smx__error_oom();
    for (int r = 0; rc == SMX_OK && r < c->size; r++)
        c->host_of_rank[r] = (uint16_t)find_or_add_host(c, table, hosts[r]);
    free(table);
    return rc;
}

/*
 * Elements a dead job left running are pending again until someone claims them (and, with
 * retry_failed, failed ones too). Words with no running byte (0b01; nor failed, 0b11, with
 * retry_failed) are skipped.
 */
static void requeue_running(smx__coord *c)
{
    for (uint64_t i = 0; i < c->n; i++) {
        if (!c->plain && i % 8 == 0 && c->n - i >= 8) {
            uint64_t x;
            memcpy(&x, c->status + i, 8);
            uint64_t hit = c->opts.retry_failed ? x & LANES : x & ~(x >> 1) & LANES;
            if (!hit) {
                i += 7;
                continue;
            }
        }
        if (c->status[i] == SMX_STATUS_RUNNING ||
            (c->status[i] == SMX_STATUS_FAILED && c->opts.retry_failed &&
             c->attempts[i] < SMX__ATTEMPTS_MAX)) {
            c->status[i] = SMX_STATUS_PENDING;
            queued(c, smx__journal_state(c->j, i, SMX_STATUS_PENDING, c->attempts[i]),
                   "an element's state");
        }
    }
}

/* Opens this job's row in the jobs table (HOST: rank 0's) and sets its deadline. */
static void open_job_row(smx__coord *c, const char *host)
{
    c->t_start_wall = smx__clock_wall();
    c->t_start_mono = smx__clock_mono();
    c->job_row = (int)(c->meta[SMX__META_N_JOBS] % SMX__JOBS_MAX);
    c->meta[SMX__META_N_JOBS]++;
    c->meta[SMX__META_JOB_FINISHED] = 0; /* this job's, from now on */
    memset(&c->job, 0, sizeof c->job);
    const char *id = c->opts.job_id;
    if (id && *id)
        snprintf(c->job.id, sizeof c->job.id, "%s", id);
    else
        snprintf(c->job.id, sizeof c->job.id, "pid:%ld", (long)getpid());
    snprintf(c->job.host, sizeof c->job.host, "%s", host);
    c->job.t_start = c->t_start_wall;
    c->job.ranks = c->size;
    c->job.exit_code = -1;
    snprintf(c->job.reason, sizeof c->job.reason, "running");
    snprintf(c->job.claims, sizeof c->job.claims, "%s",
             c->claim->path == SMX__CLAIM_P2P ? "p2p" : "rma");
    queued(c, smx__journal_job(c->j, c->job_row, &c->job), "the job's row");
    if (c->opts.max_time > 0) {
        c->deadline = c->t_start_wall + c->opts.max_time;
        c->deadline_reason = "max-time";
    }
    if (c->opts.deadline > 0 && (c->deadline == 0 || c->opts.deadline < c->deadline)) {
        c->deadline = c->opts.deadline;
        c->deadline_reason = "deadline";
    }
}

int smx__coord_start(smx__coord *c, MPI_Comm comm, smx__claim *claim, char (*hosts)[64])
{
    c->comm = comm;
    c->claim = claim;
    int rc = smx__mpi_check(MPI_Comm_size(comm, &c->size), "MPI_Comm_size");
    if (rc == SMX_OK)
        rc = load_tables(c, hosts);
    if (rc != SMX_OK)
        return rc;
    requeue_running(c);
    c->durable = c->counts;
    open_job_row(c, hosts[0]);
    /* The counts as read go with the first row, so that every meta row this job writes holds its
     * counts at the time (the last durable one is smx__outcome's durable). */
    c->meta[SMX__META_N_DONE] = (int64_t)c->counts.done;
    c->meta[SMX__META_N_FAILED] = (int64_t)c->counts.failed;
    c->meta[SMX__META_N_RUNNING] = 0;
    queued(c, smx__journal_meta(c->j, c->meta), "the session's counters");
    memcpy(c->meta_queued, c->meta, sizeof c->meta);
    smx__journal_sync(c->j);
    c->last_sync = smx__clock_mono();
    return c->error;
}

void smx__coord_counts(const smx__coord *c, smx_stat *st, double *rate, uint64_t *done_this_job)
{
    *st = c->counts;
    double dt = smx__clock_mono() - c->t_start_mono;
    if (rate)
        *rate = dt > 0 ? (double)(c->done_this_job + c->failed_this_job) / dt : 0;
    if (done_this_job)
        *done_this_job = c->done_this_job;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void update_median(smx__coord *c)
{
    size_t n = c->ndurations < DURATION_SAMPLES ? (size_t)c->ndurations : DURATION_SAMPLES;
    if (!n)
        return;
    float tmp[DURATION_SAMPLES];
    memcpy(tmp, c->durations, n * sizeof(float));
    qsort(tmp, n, sizeof(float), cmp_float);
    c->median = tmp[n / 2];
}

/* A result name that found no free column: say so once per name (the first DROPPED_MAX). */
static void warn_dropped(smx__coord *c, const char *name, uint64_t index)
{
    for (int k = 0; k < c->ndropped && k < DROPPED_MAX; k++)
        if (!strcmp(c->dropped[k], name))
            return;
    if (c->ndropped < DROPPED_MAX) {
        snprintf(c->dropped[c->ndropped], SMX__RESULT_NAME_MAX, "%s", name);
        fprintf(stderr,
                "sweepmux: warning: result '%s' (first seen from element %llu) is not stored: "
                "this session keeps the first %d result names it sees%s\n",
                name, (unsigned long long)index, c->rcols,
                c->rcols < SMX__RESULT_COLUMNS ? " (it was created by state-file format 2)" : "");
    } else if (c->ndropped == DROPPED_MAX) {
        fprintf(stderr, "sweepmux: warning: more result names are not stored; not listing them\n");
    } else {
        return;
    }
    c->ndropped++;
}

/*
 * A result column named for the first time: every element already final reads NaN there ("not
 * reported"). Records have NaN in every unnamed column already; range writes leave unnamed
 * columns alone, so the final elements get their NaN now, as runs of the status array.
 */
static int nan_backfill(smx__coord *c, int col)
{
    smx__range *runs = NULL;
    size_t n = 0, cap = 0;
    int rc = SMX_OK;
    for (uint64_t i = 0; i < c->n && rc == SMX_OK;) {
        if (c->status[i] != SMX_STATUS_DONE && c->status[i] != SMX_STATUS_FAILED) {
            i++;
            continue;
        }
        uint64_t j = i + 1;
        while (j < c->n && (c->status[j] == SMX_STATUS_DONE || c->status[j] == SMX_STATUS_FAILED))
            j++;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            smx__range *nr = realloc(runs, cap * sizeof *nr);
            if (!nr) {
                rc = smx__error_oom();
                break;
            }
            runs = nr;
        }
        runs[n++] = (smx__range){i, j - i, 0, 0, 0};
        i = j;
    }
    if (rc == SMX_OK && n)
        rc = smx__journal_nan_results(c->j, col, runs, n);
    free(runs);
    return rc;
}

static int result_column(smx__coord *c, const char *name)
{
    for (int k = 0; k < c->rcols; k++) {
        if (!c->result_names[k][0]) {
            snprintf(c->result_names[k], SMX__RESULT_NAME_MAX, "%s", name);
            if (queued(c, smx__journal_result_name(c->j, k, name), "a result name") != SMX_OK)
                return -1;
            c->named = k + 1;
            if (queued(c, nan_backfill(c, k), "NaN for a new result column") != SMX_OK)
                return -1;
            return k;
        }
        if (!strcmp(c->result_names[k], name))
            return k;
    }
    return -1; /* more distinct result names than columns: dropped */
}

static int record_failure(smx__coord *c, const smx__report *r)
{
    smx__failure f;
    memset(&f, 0, sizeof f);
    f.index = r->index;
    f.attempt = r->attempt;
    f.exit_code = r->exit_code;
    f.term_signal = r->term_signal;
    f.t_end = r->t_end;
    snprintf(f.tail, sizeof f.tail, "%s", r->tail);
    int slot = (int)(c->meta[SMX__META_N_FAILURES] % SMX__FAILURES_MAX);
    c->meta[SMX__META_N_FAILURES]++;
    return queued(c, smx__journal_failure(c->j, slot, &f), "a failure");
}

uint64_t smx__coord_events(const smx__coord *c)
{
    return c->seen + c->reports;
}

/* Completions wait at most this long in the coordinator while the writer is busy (seconds). */
#define FLUSH_GAP 0.01

/* Words of the bits accumulator (2^22 elements, 512 KiB): a worker's report may lag the frontier by
 * 5 ms of completions (SEND_GAP in session.c), millions of elements in a fast loop. */
#define ACC_WORDS 65536

/* Hands the accepted bits to the journal (one queue operation for all of them). */
static void flush_acc(smx__coord *c)
{
    if (c->acc_hi == 0)
        return;
    queued(c,
           smx__journal_done_bits(c->j, c->acc_first + 64 * c->acc_lo, c->acc + c->acc_lo,
                                  c->acc_hi - c->acc_lo, c->acc_nan),
           "completed elements");
    memset(c->acc + c->acc_lo, 0, (c->acc_hi - c->acc_lo) * sizeof *c->acc);
    c->acc_lo = c->acc_hi = 0;
}

/* Hands the accepted ranges and bits to the journal (one queue operation for each). */
static void flush_ranges(smx__coord *c)
{
    flush_acc(c);
    if (c->nranges == 0)
        return;
    queued(c, smx__journal_ranges(c->j, c->ranges, c->nranges), "completed ranges");
    c->nranges = 0;
}

/*
 * Adds the accepted elements MASK of element word WORD (elements 64 WORD + b) to the accumulator,
 * which moves (handing its bits over first) when the word falls outside it or the named result
 * columns changed.
 */
static int acc_add(smx__coord *c, uint64_t word, uint64_t mask)
{
    uint64_t base = c->acc_first / 64;
    if (c->acc_hi == 0 || c->acc_nan != c->named || word < base || word - base >= c->acc_words) {
        flush_acc(c);
        if (!c->acc) {
            c->acc_words = c->n / 64 + 1 < ACC_WORDS ? (size_t)(c->n / 64 + 1) : ACC_WORDS;
            if (!(c->acc = calloc(c->acc_words, sizeof *c->acc)))
                return fail_with(c, smx__error_oom());
        }
        /* The whole session, or a quarter of the window behind the word, for ranks behind. */
        base = c->acc_words < ACC_WORDS || word <= c->acc_words / 4 ? 0 : word - c->acc_words / 4;
        c->acc_first = 64 * base;
        c->acc_lo = c->acc_hi = (size_t)(word - base);
        c->acc_nan = (uint16_t)c->named;
    }
    size_t w = (size_t)(word - base);
    c->acc[w] |= mask;
    if (w < c->acc_lo)
        c->acc_lo = w;
    if (w >= c->acc_hi)
        c->acc_hi = w + 1;
    return SMX_OK;
}

int smx__coord_bits(smx__coord *c, uint64_t first, const void *words, size_t nwords)
{
    c->reports++;
    uint64_t accepted = 0;
    int rc = SMX_OK;
    for (size_t k = 0; k < nwords && rc == SMX_OK; k++) {
        uint64_t w;
        memcpy(&w, (const char *)words + 8 * k, 8);
        uint64_t at = first + 64 * (uint64_t)k;
        if (first % 64 || at >= c->n) { /* not ours to commit */
            c->rejected += (uint64_t)__builtin_popcountll(w);
            continue;
        }
        if (c->n - at < 64) {
            uint64_t inside = ((uint64_t)1 << (c->n - at)) - 1;
            c->rejected += (uint64_t)__builtin_popcountll(w & ~inside);
            w &= inside;
        }
        /* Exactly-once commit, element by element: only a running first attempt is taken. */
        uint64_t ok = 0;
        for (uint64_t v = w; v; v &= v - 1) {
            int b = __builtin_ctzll(v);
            uint64_t i = at + (uint64_t)b;
            if (c->status[i] == SMX_STATUS_RUNNING && c->attempts[i] == 1) {
                c->status[i] = SMX_STATUS_DONE;
                ok |= (uint64_t)1 << b;
            }
        }
        uint64_t n_ok = (uint64_t)__builtin_popcountll(ok);
        c->rejected += (uint64_t)__builtin_popcountll(w) - n_ok;
        accepted += n_ok;
        if (ok)
            rc = acc_add(c, at / 64, ok);
    }
    c->counts.running -= accepted;
    c->counts.done += accepted;
    c->done_this_job += accepted;
    return rc;
}

/* Appends the run [first, first + count) of accepted elements, merged with the last if adjacent. */
static int push_range(smx__coord *c, uint64_t first, uint64_t count)
{
    smx__range *last = c->nranges ? &c->ranges[c->nranges - 1] : NULL;
    if (last && last->first + last->count == first && last->nan_results == c->named) {
        last->count += count;
        return SMX_OK;
    }
    if (c->nranges == c->capranges) {
        size_t cap = c->capranges ? 2 * c->capranges : 256;
        smx__range *nr = realloc(c->ranges, cap * sizeof *nr);
        if (!nr)
            return smx__error_oom();
        c->ranges = nr;
        c->capranges = cap;
    }
    c->ranges[c->nranges++] = (smx__range){first, count, 1, SMX_STATUS_DONE, (uint16_t)c->named};
    return SMX_OK;
}

/* Elements I..I+7 are all running their first attempt. */
static int all_running_first(const smx__coord *c, uint64_t i)
{
    uint64_t st, at[2];
    memcpy(&st, c->status + i, 8);
    memcpy(at, c->attempts + i, sizeof at);
    return st == SMX_STATUS_RUNNING * LANES && at[0] == 0x0001000100010001ull &&
           at[1] == 0x0001000100010001ull;
}

int smx__coord_range(smx__coord *c, uint64_t first, uint64_t count)
{
    c->reports++;
    if (first >= c->n || count > c->n - first) {
        c->rejected += count;
        return SMX_OK;
    }
    uint64_t accepted = 0, run = first, len = 0, end = first + count;
    int rc = SMX_OK;
    for (uint64_t i = first; i < end && rc == SMX_OK; i++) {
        /* Eight running first attempts at once (the usual case): all taken. */
        if (end - i >= 8 && all_running_first(c, i)) {
            memset(c->status + i, SMX_STATUS_DONE, 8);
            accepted += 8;
            if (len == 0)
                run = i;
            len += 8;
            i += 7;
            continue;
        }
        /* Exactly-once commit, element by element: only a running first attempt is taken. */
        if (c->status[i] != SMX_STATUS_RUNNING || c->attempts[i] != 1) {
            c->rejected++;
            if (len)
                rc = push_range(c, run, len);
            len = 0;
            continue;
        }
        c->status[i] = SMX_STATUS_DONE;
        accepted++;
        if (len++ == 0)
            run = i;
    }
    if (len && rc == SMX_OK)
        rc = push_range(c, run, len);
    c->counts.running -= accepted;
    c->counts.done += accepted;
    c->done_this_job += accepted;
    if (c->nranges >= 4096)
        flush_ranges(c);
    return rc;
}

int smx__coord_report(smx__coord *c, const smx__report *r)
{
    if (r->kind == SMX__REPORT_RANGE)
        return smx__coord_range(c, r->index, r->count);
    if (r->kind == SMX__REPORT_BITS)
        return smx__coord_bits(c, r->index, r->bits, (size_t)r->count);
    c->reports++;
    uint64_t i = r->index;
    if (i >= c->n || c->status[i] != SMX_STATUS_RUNNING) {
        /* Not ours to commit (already final, never claimed): exactly-once commit refuses it. */
        c->rejected++;
        return SMX_OK;
    }
    switch (r->kind) {
    case SMX__REPORT_RELEASE:
        c->status[i] = SMX_STATUS_PENDING;
        c->attempts[i] = r->attempt;
        c->counts.running--;
        c->counts.pending++;
        return queued(c, smx__journal_state(c->j, i, SMX_STATUS_PENDING, r->attempt),
                      "an element given back");
    case SMX__REPORT_FAILURE:
        c->attempts[i] = r->attempt;
        if (record_failure(c, r) != SMX_OK)
            return c->error;
        return queued(c, smx__journal_state(c->j, i, SMX_STATUS_RUNNING, r->attempt),
                      "an element's attempt count");
    case SMX__REPORT_FINAL:
        break;
    default:
        c->rejected++;
        return SMX_OK;
    }
    smx__record rec;
    memset(&rec, 0, sizeof rec);
    rec.index = i;
    rec.status = r->status == SMX_STATUS_DONE ? SMX_STATUS_DONE : SMX_STATUS_FAILED;
    rec.attempts = r->attempt;
    rec.rank = r->rank;
    rec.exit_code = r->exit_code;
    rec.term_signal = r->term_signal;
    rec.host = (r->rank >= 0 && r->rank < c->size) ? c->host_of_rank[r->rank] : 0;
    rec.job = (uint16_t)(c->job_row + 1);
    rec.t_start = r->t_start;
    rec.t_end = r->t_end;
    for (int k = 0; k < SMX__RESULT_COLUMNS; k++)
        rec.results[k] = smx__result_missing();
    for (unsigned k = 0; k < r->nresults; k++) {
        int col = result_column(c, r->result_names[k]);
        if (col >= 0)
            rec.results[col] = smx__result_reported(r->result_values[k]);
        else
            warn_dropped(c, r->result_names[k], r->index);
    }
    rec.ncols = (uint16_t)c->named;
    c->status[i] = rec.status;
    c->attempts[i] = rec.attempts;
    c->counts.running--;
    if (rec.status == SMX_STATUS_DONE) {
        c->counts.done++;
        c->done_this_job++;
        c->durations[c->ndurations++ % DURATION_SAMPLES] = (float)(r->t_end - r->t_start);
    } else {
        c->counts.failed++;
        c->failed_this_job++;
        if (record_failure(c, r) != SMX_OK)
            return c->error;
    }
    return queued(c, smx__journal_record(c->j, &rec), "an element's record");
}

/* To-do entries looked up at once by the loops over claimed positions below. */
#define ENTRY_BLOCK 256

/* Marks the positions claimed since the last look as running, in memory. */
int smx__coord_notice(smx__coord *c)
{
    uint64_t counter = 0;
    int rc = smx__claim_counter(c->claim, &counter);
    if (rc != SMX_OK)
        return fail_with(c, rc);
    uint64_t upto = counter >= SMX__CLAIM_STOP ? c->handed_out : counter;
    if (upto > c->claim->todo_len)
        upto = c->claim->todo_len;
    c->claimed = upto;
    if (c->claim->identity && !c->claim->nruns && c->seen < upto) {
        /* The identity: positions are indices, all on their first attempt. */
        uint64_t n = upto - c->seen;
        memset(c->status + c->seen, SMX_STATUS_RUNNING, n);
        for (uint64_t i = c->seen; i < upto; i++)
            c->attempts[i] = 1;
        c->counts.pending -= n;
        c->counts.running += n;
        c->seen = upto;
    }
    /* A block of entries at a time: this runs for every element any rank claims. */
    uint64_t e[ENTRY_BLOCK];
    while (c->seen < upto) {
        uint64_t n = upto - c->seen < ENTRY_BLOCK ? upto - c->seen : ENTRY_BLOCK;
        rc = smx__claim_entries(c->claim, c->seen, n, e);
        if (rc != SMX_OK)
            return fail_with(c, rc);
        for (uint64_t k = 0; k < n; k++) {
            uint64_t i = SMX__ENTRY_INDEX(e[k]);
            c->status[i] = SMX_STATUS_RUNNING;
            c->attempts[i] = (uint16_t)SMX__ENTRY_ATTEMPT(e[k]);
        }
        c->counts.pending -= n;
        c->counts.running += n;
        c->seen += n;
    }
    return SMX_OK;
}

/*
 * Before a sync: elements claimed since the last sync and still running get their running state
 * (and attempt count) written. Elements claimed and finished in between only get their record.
 */
static void journal_running(smx__coord *c)
{
    if (c->claim->identity && !c->claim->nruns) {
        /* The identity: positions are indices; eight finished elements are skipped at once. */
        for (uint64_t i = c->synced_seen; i < c->seen; i++) {
            uint64_t w;
            if (c->seen - i >= 8 && (memcpy(&w, c->status + i, 8), ((w >> 1) & LANES) == LANES)) {
                i += 7;
                continue;
            }
            if (c->status[i] == SMX_STATUS_RUNNING &&
                queued(c, smx__journal_state(c->j, i, SMX_STATUS_RUNNING, c->attempts[i]),
                       "an element's running state") != SMX_OK)
                return;
        }
        c->synced_seen = c->seen;
        return;
    }
    uint64_t e[ENTRY_BLOCK];
    while (c->synced_seen < c->seen) {
        uint64_t p = c->synced_seen;
        uint64_t n = c->seen - p < ENTRY_BLOCK ? c->seen - p : ENTRY_BLOCK;
        if (fail_with(c, smx__claim_entries(c->claim, p, n, e)) != SMX_OK)
            return;
        for (uint64_t k = 0; k < n; k++) {
            uint64_t i = SMX__ENTRY_INDEX(e[k]);
            if (c->status[i] == SMX_STATUS_RUNNING &&
                queued(c, smx__journal_state(c->j, i, SMX_STATUS_RUNNING, c->attempts[i]),
                       "an element's running state") != SMX_OK)
                return;
        }
        c->synced_seen = p + n;
    }
}

/* Queues the meta counters if they changed since they were last queued (an idle run writes
 * nothing). */
static void update_meta(smx__coord *c)
{
    c->meta[SMX__META_N_DONE] = (int64_t)c->counts.done;
    c->meta[SMX__META_N_FAILED] = (int64_t)c->counts.failed;
    c->meta[SMX__META_N_RUNNING] = (int64_t)c->counts.running;
    c->meta[SMX__META_JOB_FINISHED] = (int64_t)(c->done_this_job + c->failed_this_job);
    c->meta[SMX__META_LAYOUT] = 1;
    if (!memcmp(c->meta, c->meta_queued, sizeof c->meta))
        return;
    memcpy(c->meta_queued, c->meta, sizeof c->meta);
    queued(c, smx__journal_meta(c->j, c->meta), "the session's counters");
}

int smx__coord_stop(smx__coord *c, const char *reason)
{
    if (c->stopped)
        return SMX_OK;
    int rc = smx__coord_notice(c);
    if (rc == SMX_OK)
        rc = fail_with(c, smx__claim_stop(c->claim, &c->handed_out));
    c->stopped = 1;
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    /*
     * Whatever made us stop, each rank gives its started tasks its own grace period from when it
     * learns of the stop. A deadline already leaves room for that: the Slurm deadline is
     * max(grace, 15 s) before the end, and max_time promises only to stop handing out work.
     */
    for (int r = 1; r < c->size; r++) {
        int src = smx__mpi_check(MPI_Send(NULL, 0, MPI_BYTE, r, SMX__TAG_STOP, c->comm),
                                 "telling rank %d to stop (MPI_Send)", r);
        if (src != SMX_OK && rc == SMX_OK)
            rc = fail_with(c, src);
    }
    /* Rank 0's own claims up to the stop are running, so that the session can give them back. */
    int nrc = smx__coord_notice(c);
    return rc != SMX_OK ? rc : nrc;
}

int smx__coord_stopped(const smx__coord *c)
{
    return c->stopped;
}

typedef struct inbox {
    int tag, source;
    char *data;
    int len;
} inbox;

/* A worker asked to stop: with its reason ('R') or because of its error ('E'), see SMX__TAG_STOP.
 */
static void rank_stop(smx__coord *c, int rank, const char *data, size_t len)
{
    char text[512] = "";
    if (len > 1)
        snprintf(text, sizeof text, "%.*s", (int)(len - 1), data + 1);
    char reason[64];
    if (len > 0 && data[0] == 'E') {
        if (!c->stop_error[0])
            snprintf(c->stop_error, sizeof c->stop_error, "rank %d: %s", rank, text);
        snprintf(reason, sizeof reason, "error on rank %d", rank);
    } else if (text[0]) {
        snprintf(reason, sizeof reason, "%.40s (rank %d)", text, rank);
    } else {
        snprintf(reason, sizeof reason, "stop requested by rank %d", rank);
    }
    (void)smx__coord_stop(c, reason); /* a failure is kept by fail_with */
}

#define INBOX_MAX 64

/*
 * Receives up to INBOX_MAX messages into BOX and returns how many; point-to-point claims among
 * them are answered at once and not kept. A failure is kept by fail_with.
 */
static int receive_all(smx__coord *c, inbox *box)
{
    int nbox = 0;
    /*
     * While the writer is far behind, reports stay with their senders (whose sends then wait,
     * which holds the workers back): rank 0's memory stays bounded however fast elements finish.
     */
    int backlogged = smx__journal_backlog(c->j) > SMX__BACKLOG_MAX;
    while (nbox < INBOX_MAX && c->size > 1 && !backlogged) {
        int flag = 0, len = 0;
        MPI_Status st;
        if (fail_with(c,
                      smx__mpi_check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->comm, &flag, &st),
                                     "probing for messages (MPI_Iprobe)")) != SMX_OK ||
            !flag)
            break;
        if (st.MPI_TAG == SMX__TAG_CLAIM) {
            if (fail_with(c, smx__claim_serve(c->claim)) != SMX_OK)
                break;
            continue;
        }
        if (fail_with(c, smx__mpi_check(MPI_Get_count(&st, MPI_BYTE, &len),
                                        "sizing a message from rank %d (MPI_Get_count)",
                                        st.MPI_SOURCE)) != SMX_OK)
            break;
        char *buf = malloc(len ? (size_t)len : 1);
        if (!buf) {
            fail_with(c, smx__error_oom());
            break;
        }
        int mrc =
            MPI_Recv(buf, len, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, c->comm, MPI_STATUS_IGNORE);
        if (fail_with(c, smx__mpi_check(mrc, "receiving from rank %d (MPI_Recv)", st.MPI_SOURCE)) !=
            SMX_OK) {
            free(buf);
            break;
        }
        box[nbox++] = (inbox){st.MPI_TAG, st.MPI_SOURCE, buf, len};
    }
    return nbox;
}

/* Acts on the messages receive_all kept, and frees them. A failure is kept by fail_with. */
static void handle_all(smx__coord *c, inbox *box, int nbox)
{
    for (int k = 0; k < nbox; k++) {
        if (box[k].tag == SMX__TAG_REPORT) {
            size_t off = 0;
            smx__report r;
            while (off < (size_t)box[k].len) {
                int urc = smx__report_unpack(box[k].data, (size_t)box[k].len, &off, &r);
                if (urc != SMX_OK) {
                    fail_with(c, smx__error_prefix(urc, "a report from rank %d", box[k].source));
                    break;
                }
                smx__coord_report(c, &r); /* a failure is kept by fail_with */
            }
        } else if (box[k].tag == SMX__TAG_FINISHED) {
            c->finished_workers++;
        } else if (box[k].tag == SMX__TAG_STOP) {
            rank_stop(c, box[k].source, box[k].data, (size_t)box[k].len);
        }
        free(box[k].data);
    }
}

/* Stops the job when its deadline comes within a median task or too many tasks failed. */
static void check_limits(smx__coord *c, double now)
{
    if (c->stopped)
        return;
    if (c->deadline > 0) {
        if (now - c->last_median >= 1.0) { /* a sort of 1024 samples: not on every poll */
            update_median(c);
            c->last_median = now;
        }
        if (smx__clock_wall() + c->median >= c->deadline)
            smx__coord_stop(c, c->deadline_reason);
    }
    uint64_t finished = c->done_this_job + c->failed_this_job;
    if ((c->opts.halt_failures > 0 && (long)c->failed_this_job >= c->opts.halt_failures) ||
        (c->opts.halt_fraction > 0 && finished >= 10 &&
         (double)c->failed_this_job >= c->opts.halt_fraction * (double)finished)) {
        c->halted = 1;
        smx__coord_stop(c, "halt-on-failures");
    }
}

int smx__coord_poll(smx__coord *c, int full)
{
    double t = smx__clock_mono();
    if (!full && t - c->last_poll < 2e-4)
        return smx__coord_notice(c);
    c->last_poll = t;
    inbox box[INBOX_MAX];
    /* Receive first, then read the counter: a report's claim is then always already counted. */
    int nbox = receive_all(c, box);
    int rc = smx__coord_notice(c);
    handle_all(c, box, nbox);
    double now = smx__clock_mono();
    /*
     * Completions go to the writer when it waits for work, so that it starts at once, before a
     * sync, and at least every FLUSH_GAP; while it writes they keep merging in the accumulator
     * (what two ranks finished of chunks claimed in turn becomes one run).
     */
    if (now - c->last_sync >= c->opts.sync_interval || now - c->last_flush >= FLUSH_GAP ||
        smx__journal_idle(c->j)) {
        flush_ranges(c);
        c->last_flush = now;
    }
    advance_mark(c);
    check_limits(c, now);
    if (now - c->last_sync >= c->opts.sync_interval) {
        journal_running(c);
        update_meta(c);
        smx__journal_sync(c->j);
        c->last_sync = now;
        int d = smx__journal_durable(c->j, 0);
        if (d < 0)
            fail_with(c, d);
    }
    /*
     * The heartbeat thread (lock.h) keeps the lock fresh on its own, however long this rank
     * computes; here a loss it noticed stops the handing out of work.
     */
    int lost = smx__lock_lost(c->lock);
    if (lost != SMX_OK)
        fail_with(c, lost);
    if (c->error && !c->stopped)
        smx__coord_stop(c, c->error == SMX_ELOCKED ? "lock lost" : "error");
    return rc;
}

/*
 * Rank 0's own iteration waits (serving the others) while the writer is far behind, so a loop of
 * microsecond elements cannot pile up completions in memory faster than they reach the file.
 */
int smx__coord_throttle(smx__coord *c)
{
    if (smx__journal_backlog(c->j) < SMX__BACKLOG_MAX)
        return SMX_OK;
    struct timespec nap = {0, 200000};
    while (smx__journal_backlog(c->j) > SMX__BACKLOG_MAX / 4 && !c->error) {
        smx__coord_poll(c, 1);
        nanosleep(&nap, NULL);
    }
    return SMX_OK;
}

/*
 * The outcome code the jobs table records for this job (README "State file"): numbered like the
 * exit codes of `sweepmux run`, so that the table reads the same whoever ran the session (the
 * CLI, or a program using the library, whose own exit code the library cannot know). The CLI
 * decides its exit code itself, from the error the session returns.
 */
static int job_outcome(const smx__outcome *out, uint64_t failed)
{
    if (out->rc == SMX_OK)
        return failed ? 1 : 0;
    if (out->rc == SMX_ESTOPPED)
        return out->halted ? 1 : 3;
    return 5;
}

/* The durable counts from META, the last meta row a finished sync wrote. */
static void durable_counts(smx__coord *c, const int64_t *meta)
{
    uint64_t sum = (uint64_t)meta[SMX__META_N_DONE] + (uint64_t)meta[SMX__META_N_FAILED] +
                   (uint64_t)meta[SMX__META_N_RUNNING];
    if (meta[SMX__META_N_FAILED] < 0 || meta[SMX__META_N_RUNNING] < 0 || sum > c->n)
        return; /* not a row this job wrote: keep the counts as read */
    c->durable.done = (uint64_t)meta[SMX__META_N_DONE];
    c->durable.failed = (uint64_t)meta[SMX__META_N_FAILED];
    c->durable.running = (uint64_t)meta[SMX__META_N_RUNNING];
    c->durable.total = c->n;
    c->durable.pending = c->n - c->durable.done - c->durable.failed - c->durable.running;
}

int smx__coord_finish(smx__coord *c, smx__outcome *out)
{
    struct timespec nap = {0, 1000000};
    while (c->finished_workers < c->size - 1) {
        smx__coord_poll(c, 1);
        nanosleep(&nap, NULL);
    }
    smx__coord_poll(c, 1);
    memset(out, 0, sizeof *out);
    out->stat = c->counts;
    out->halted = c->halted;
    int complete = c->counts.done + c->counts.failed == c->n;
    if (c->error) {
        out->rc = c->error;
        snprintf(out->message, sizeof out->message, "%s", c->errmsg);
    } else if (complete) {
        out->rc = SMX_OK;
    } else {
        out->rc = SMX_ESTOPPED;
        snprintf(out->message, sizeof out->message, "%s", c->stop_error);
    }
    snprintf(out->reason, sizeof out->reason, "%s",
             c->error == SMX_ELOCKED ? "lock lost"
             : complete              ? "complete"
                                     : (c->reason[0] ? c->reason : "stopped"));

    /* The job's row says how it ended; then everything becomes durable. */
    c->job.t_end = smx__clock_wall();
    c->job.exit_code = job_outcome(out, c->counts.failed);
    snprintf(c->job.reason, sizeof c->job.reason, "%s", out->reason);
    flush_ranges(c);
    journal_running(c);
    /* Exact counters as of this close; n_jobs moves (and counts_job is cleared) before the next
     * job changes a status. */
    c->meta[SMX__META_COUNTS_JOB] = c->meta[SMX__META_N_JOBS];
    update_meta(c);
    queued(c, smx__journal_job(c->j, c->job_row, &c->job), "the job's row");
    int64_t durable_meta[SMX__META_LEN];
    durable_meta[SMX__META_N_DONE] = -1;
    int rc = smx__journal_stop(c->j, durable_meta);
    c->j = NULL;
    if (durable_meta[SMX__META_N_DONE] >= 0)
        durable_counts(c, durable_meta);
    /* A last look, so that a loss just now fences the file before HDF5 flushes it at close. */
    if (rc == SMX_OK)
        rc = smx__lock_check(c->lock);
    /*
     * Every attempt this job started is recorded and durable now (every rank reported before
     * FINISHED): its watermark is cleared, so the next job raises no attempt count. After an
     * error something may be missing, and the mark stays.
     */
    if (rc == SMX_OK && !c->error) {
        c->meta[SMX__META_MARK_JOB] = c->meta[SMX__META_MARK_INDEX] = 0;
        c->meta[SMX__META_MARK_RETRIES] = c->meta[SMX__META_MARK_FLAGS] = 0;
        rc = smx__records_put_meta(c->sess, c->meta);
        if (rc == SMX_OK)
            rc = smx__store_sync(c->st);
    }
    if (rc != SMX_OK && out->rc != rc) {
        out->rc = rc;
        snprintf(out->message, sizeof out->message, "%s", smx_error_last());
        if (rc == SMX_ELOCKED)
            snprintf(out->reason, sizeof out->reason, "lock lost");
    }
    /* A change that could not be queued above is the outcome too: the file misses it. */
    if (c->error && out->rc != c->error && (out->rc == SMX_OK || out->rc == SMX_ESTOPPED)) {
        out->rc = c->error;
        snprintf(out->message, sizeof out->message, "%s", c->errmsg);
    }
    out->durable = rc == SMX_OK && !c->error ? c->counts : c->durable;
    smx__lock_unguard(c->lock);
    smx__store_close(c->st);
    c->st = NULL;
    smx__lock_release(c->lock);
    c->lock = NULL;
    /* The others wait in MPI_Ibcast (they sleep between tests); a non-blocking match is required.
     */
    MPI_Request req;
    int mrc = MPI_Ibcast(out, sizeof *out, MPI_BYTE, 0, c->comm, &req);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Wait(&req, MPI_STATUS_IGNORE);
    if (mrc != MPI_SUCCESS)
        return smx__mpi_error(mrc, "telling the other ranks how the session ended (MPI_Ibcast)");
    return out->rc;
}
