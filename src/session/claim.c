/* The claim protocol: see claim.h. */
#include "session/claim.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/error.h"
#include "session/mpicheck.h"

/* Words before the to-do list: the claim counter and the open limit. */
#define HEADER 2

/* Keeps the first failure in *RC. */
static void keep_first(int *rc, int next)
{
    if (*rc == SMX_OK)
        *rc = next;
}

int smx__claim_requested(int *want)
{
    const char *v = getenv("SWEEPMUX_CLAIMS");
    *want = -1;
    if (!v || !*v || !strcmp(v, "auto"))
        return SMX_OK;
    if (!strcmp(v, "rma"))
        *want = SMX__CLAIM_RMA;
    else if (!strcmp(v, "p2p"))
        *want = SMX__CLAIM_P2P;
    else
        return smx__error(SMX_EUSAGE, "SWEEPMUX_CLAIMS is auto, rma or p2p, not '%s'", v);
    return SMX_OK;
}

/*
 * Collective. The startup test of the window's atomics: every rank adds 1 to the counter once;
 * the values fetched must be 0..size-1, each once, and the counter must read size afterwards.
 * Rank 0 then subtracts size again (unsigned wrap-around), so claims start from 0. *WORKS is 1 on
 * every rank if the atomics counted right, 0 on every rank otherwise (rank 0 says why in WHY).
 * A failing atomic means "fall back"; a failing collective is an error (SMX_EMPI).
 */
static int atomics_work(smx__claim *c, MPI_Comm comm, int rank, int size, char *why, size_t n,
                        int *works)
{
    uint64_t one = 1, old = 0, total = 0, none = 0;
    int rc = SMX_OK, mrc = MPI_Fetch_and_op(&one, &old, MPI_UINT64_T, 0, 0, MPI_SUM, c->win);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Win_flush(0, c->win);
    int ok = mrc == MPI_SUCCESS;
    uint64_t *olds = rank == 0 ? calloc((size_t)size, sizeof *olds) : NULL;
    char *seen = rank == 0 ? calloc((size_t)size, 1) : NULL;
    if (rank == 0 && (!olds || !seen))
        ok = 0;
    SMX_MPI(MPI_Gather(&old, 1, MPI_UINT64_T, olds, 1, MPI_UINT64_T, 0, comm),
            "testing the claim window (MPI_Gather)");
    SMX_MPI(MPI_Barrier(comm), "testing the claim window (MPI_Barrier)");
    if (rank == 0 && ok) {
        mrc = MPI_Fetch_and_op(&none, &total, MPI_UINT64_T, 0, 0, MPI_NO_OP, c->win);
        if (mrc == MPI_SUCCESS)
            mrc = MPI_Win_flush(0, c->win);
        ok = mrc == MPI_SUCCESS && total == (uint64_t)size;
        /* Each fetched value in [0, size) exactly once: mark them off. */
        for (int r = 0; ok && r < size; r++) {
            ok = olds[r] < (uint64_t)size && !seen[olds[r]];
            if (ok)
                seen[olds[r]] = 1;
        }
        uint64_t back = (uint64_t)0 - (uint64_t)size;
        if (ok) {
            mrc = MPI_Fetch_and_op(&back, &old, MPI_UINT64_T, 0, 0, MPI_SUM, c->win);
            if (mrc == MPI_SUCCESS)
                mrc = MPI_Win_flush(0, c->win);
            ok = mrc == MPI_SUCCESS;
        }
        if (!ok)
            snprintf(why, n,
                     "the claim window's atomics failed a startup test (%d ranks each added 1; "
                     "the counter read %llu)",
                     size, (unsigned long long)total);
    }
    SMX_MPI(MPI_Allreduce(&ok, works, 1, MPI_INT, MPI_LAND, comm),
            "testing the claim window (MPI_Allreduce)");
done:
    free(seen);
    free(olds);
    return rc;
}

/* Rank 0's words for why the window could not be made. */
static void window_refused(smx__claim *c, int mrc)
{
    char msg[MPI_MAX_ERROR_STRING] = "failed on another rank";
    int len = 0;
    if (mrc != MPI_SUCCESS && MPI_Error_string(mrc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof msg, "MPI error %d", mrc);
    snprintf(c->why, sizeof c->why, "MPI_Win_allocate cannot create the claim window (%s)", msg);
}

/* Collective. Allocates the claim window; *MADE is 1 on every rank if every rank has it. */
static int allocate_window(smx__claim *c, MPI_Comm comm, int rank, int *made)
{
    MPI_Aint bytes = 0;
    if (rank == 0)
        bytes = (MPI_Aint)(sizeof(uint64_t) * (HEADER + (c->identity ? 0 : c->todo_len)));
    /*
     * MPI_Win_allocate, not MPI_Win_create: only allocated windows were seen to progress while
     * rank 0 was busy outside MPI, and they let the MPI library place the counter where its
     * atomics are fastest. The hints are only hints: a library that refuses them still works.
     */
    MPI_Info info = MPI_INFO_NULL;
    int rc = SMX_OK;
    SMX_MPI(MPI_Info_create(&info), "creating the claim window's hints (MPI_Info_create)");
    SMX_MPI(MPI_Info_set(info, "accumulate_ops", "same_op_no_op"),
            "setting the claim window's hints (MPI_Info_set)");
    SMX_MPI(MPI_Info_set(info, "same_disp_unit", "true"),
            "setting the claim window's hints (MPI_Info_set)");
    void *base = NULL;
    int mrc = MPI_Win_allocate(bytes, sizeof(uint64_t), info, comm, &base, &c->win), ok;
    if (mrc != MPI_SUCCESS)
        c->win = MPI_WIN_NULL;
    ok = mrc == MPI_SUCCESS;
    SMX_MPI(MPI_Allreduce(&ok, made, 1, MPI_INT, MPI_LAND, comm),
            "agreeing on the claim window (MPI_Allreduce)");
    if (!*made && rank == 0)
        window_refused(c, mrc);
    if (*made) {
        SMX_MPI(MPI_Win_set_errhandler(c->win, MPI_ERRORS_RETURN),
                "setting the claim window's error handler");
        if (rank == 0) {
            c->base = base;
            c->base[0] = 0;
            c->base[1] = 0; /* nothing may start before rank 0 opens it */
        }
    }
done:
    if (info != MPI_INFO_NULL)
        keep_first(&rc, smx__mpi_check(MPI_Info_free(&info), "freeing the claim window's hints"));
    return rc;
}

/* Frees this rank's window, if it has one (also after a failed start-up). */
static int free_window(smx__claim *c, int locked)
{
    int rc = SMX_OK;
    if (c->win == MPI_WIN_NULL)
        return SMX_OK;
    if (locked)
        rc = smx__mpi_check(MPI_Win_unlock_all(c->win), "unlocking the claim window");
    keep_first(&rc, smx__mpi_check(MPI_Win_free(&c->win), "freeing the claim window"));
    c->win = MPI_WIN_NULL;
    c->base = NULL;
    return rc;
}

/*
 * The to-do list of a large resumed session is hundreds of MB of window that the fill touches
 * for the first time (800 MB at 1e8 pending elements). Where the MPI library gives the window
 * ordinary anonymous memory, transparent huge pages make that one page fault per 2 MB instead of
 * one per 4 kB; on shared-memory segments the hint is refused and nothing changes.
 */
static void advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (hi > lo && madvise((void *)lo, hi - lo, MADV_HUGEPAGE) != 0) {
        /* Only a hint (EINVAL for shared memory or without THP): the pages are just smaller. */
    }
#else
    (void)p;
    (void)bytes;
#endif
}

/*
 * Collective. Rank 0 writes the to-do list straight into the window (FILL); every rank learns
 * whether that worked.
 */
static int fill_window(smx__claim *c, MPI_Comm comm, int rank, smx__claim_fill fill, void *fill_arg)
{
    int filled = SMX_OK, bad = 0, any_bad = 0, rc = SMX_OK;
    if (rank == 0 && !c->identity) {
        advise_huge(c->base + HEADER, sizeof(uint64_t) * c->todo_len);
        filled = fill(fill_arg, c->base + HEADER, c->todo_len);
    }
    bad = filled != SMX_OK;
    /* Also makes everyone see the initialised memory before the first claim. */
    SMX_MPI(MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_LOR, comm),
            "setting up the claim window (MPI_Allreduce)");
    if (any_bad)
        rc = rank == 0 ? filled : smx__error(SMX_EIO, "rank 0 could not build the to-do list");
done:
    return rc;
}

/* Collective. Tries the window; *WORKS is 1 on every rank if it was made and works. */
static int create_window(smx__claim *c, MPI_Comm comm, int rank, int size, smx__claim_fill fill,
                         void *fill_arg, int *works)
{
    int made = 0, rc = allocate_window(c, comm, rank, &made), locked = 0, all_locked = 0;
    *works = 0;
    if (rc != SMX_OK || !made) {
        keep_first(&rc, free_window(c, 0));
        return rc;
    }
    if ((rc = fill_window(c, comm, rank, fill, fill_arg)) != SMX_OK)
        goto done;
    locked = MPI_Win_lock_all(MPI_MODE_NOCHECK, c->win) == MPI_SUCCESS;
    SMX_MPI(MPI_Allreduce(&locked, &all_locked, 1, MPI_INT, MPI_LAND, comm),
            "agreeing on the claim window (MPI_Allreduce)");
    if (all_locked && (rc = atomics_work(c, comm, rank, size, c->why, sizeof c->why, works)))
        goto done;
    if (*works)
        return SMX_OK;
    if (rank == 0 && !c->why[0])
        snprintf(c->why, sizeof c->why, "MPI_Win_lock_all failed on the claim window");
done:
    keep_first(&rc, free_window(c, locked));
    return rc;
}

/*
 * Collective. Every rank gets a copy of rank 0's runs (SRC, C->nruns of them), or every rank
 * fails together.
 */
static int share_runs(smx__claim *c, MPI_Comm comm, int rank, const uint64_t *src)
{
    int rc = SMX_OK, ok = 0, all = 0;
    c->runs = malloc(sizeof(uint64_t) * 2 * c->nruns);
    ok = c->runs != NULL;
    if (ok && rank == 0)
        memcpy(c->runs, src, sizeof(uint64_t) * 2 * c->nruns);
    SMX_MPI(MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, comm),
            "sharing the to-do list's runs (MPI_Allreduce)");
    if (!all)
        return ok ? smx__error(SMX_ENOMEM, "another rank has no memory for the to-do list's runs")
                  : smx__error_oom();
    SMX_MPI(MPI_Bcast(c->runs, (int)(2 * c->nruns), MPI_UINT64_T, 0, comm),
            "sharing the to-do list's runs (MPI_Bcast)");
done:
    return rc;
}

int smx__claim_create(smx__claim *c, MPI_Comm comm, uint64_t todo_len, const uint64_t *runs,
                      uint64_t nruns, smx__claim_fill fill, void *fill_arg, int consumers,
                      int chunk)
{
    int rank, size, want = -1, rc = SMX_OK, works = 0;
    memset(c, 0, sizeof *c);
    c->win = MPI_WIN_NULL;
    c->comm = comm;
    SMX_MPI(MPI_Comm_rank(comm, &rank), "setting up claims (MPI_Comm_rank)");
    SMX_MPI(MPI_Comm_size(comm, &size), "setting up claims (MPI_Comm_size)");
    if (rank == 0)
        rc = smx__claim_requested(&want);
    if (!runs || nruns > SMX__CLAIM_RUNS_MAX)
        nruns = 0;
    /* Rank 0 decides for everyone: a bad SWEEPMUX_CLAIMS fails every rank together. */
    int64_t hdr[5] = {(int64_t)todo_len, fill == NULL || nruns > 0, want, rc, (int64_t)nruns};
    rc = SMX_OK;
    SMX_MPI(MPI_Bcast(hdr, 5, MPI_INT64_T, 0, comm), "setting up claims (MPI_Bcast)");
    if (hdr[3] != SMX_OK)
        return rank == 0 ? (int)hdr[3] : smx__error((int)hdr[3], "rank 0 rejected SWEEPMUX_CLAIMS");
    c->todo_len = (uint64_t)hdr[0];
    c->identity = (int)hdr[1];
    want = (int)hdr[2];
    c->nruns = (uint64_t)hdr[4];
    if (c->nruns && (rc = share_runs(c, comm, rank, runs)) != SMX_OK)
        return rc;
    c->consumers = consumers > 0 ? consumers : 1;
    c->chunk = chunk;

    if (want != SMX__CLAIM_P2P) {
        if ((rc = create_window(c, comm, rank, size, fill, fill_arg, &works)))
            return rc;
        if (works) {
            c->path = SMX__CLAIM_RMA;
            return SMX_OK;
        }
    }
    if (want == SMX__CLAIM_RMA)
        return smx__error(SMX_EMPI,
                          "SWEEPMUX_CLAIMS=rma, but %s. With Open MPI try another one-sided "
                          "component: OMPI_MCA_osc=pt2pt (under srun) or mpirun --mca osc pt2pt",
                          rank == 0 ? c->why : "the claim window does not work");
    c->path = SMX__CLAIM_P2P;
    if (rank == 0) {
        c->base = malloc(sizeof(uint64_t) * (HEADER + (c->identity ? 0 : c->todo_len)));
        if (!c->base)
            return smx__error_oom();
        c->base[0] = c->base[1] = 0;
        if (!c->identity)
            rc = fill(fill_arg, c->base + HEADER, c->todo_len);
    }
done:
    return rc;
}

int smx__claim_free(smx__claim *c)
{
    free(c->runs);
    c->runs = NULL;
    c->nruns = 0;
    if (c->path == SMX__CLAIM_P2P) {
        free(c->base);
        free(c->grant);
        c->base = c->grant = NULL;
        return SMX_OK;
    }
    return free_window(c, 1);
}

/*
 * Guided self-scheduling: left / (8 * consumers) positions, at least 1 and at most 64, so claims
 * are large while much is left (few atomics) and shrink to 1 near the end (no rank sits on a
 * queue of elements while others idle). The cap keeps one rank's queue short when a stop comes.
 */
static uint64_t guided_chunk(const smx__claim *c)
{
    if (c->chunk > 0)
        return (uint64_t)c->chunk;
    uint64_t seen = c->last_seen >= SMX__CLAIM_STOP ? c->todo_len : c->last_seen;
    uint64_t left = seen < c->todo_len ? c->todo_len - seen : 0;
    uint64_t k = left / (8 * (uint64_t)c->consumers);
    if (k < 1)
        k = 1;
    if (k > 64)
        k = 64;
    return k;
}

/* The positions [old, old + want) cover this many to-do entries. */
static uint64_t covered(const smx__claim *c, uint64_t old, uint64_t want)
{
    if (old >= c->todo_len)
        return 0;
    return c->todo_len - old < want ? c->todo_len - old : want;
}

/*
 * Worker, point-to-point path: asks rank 0 for WANT positions; *old gets the counter's value and
 * c->open the open limit. A request for 0 positions leaves the last grant's entries alone.
 */
static int request_grant(smx__claim *c, uint64_t want, uint64_t *old)
{
    if (want > c->grant_cap || !c->grant) {
        uint64_t *g = realloc(c->grant, sizeof(uint64_t) * (HEADER + want));
        if (!g)
            return smx__error_oom();
        c->grant = g;
        c->grant_cap = want;
    }
    uint64_t head[HEADER], *into = want ? c->grant : head;
    /* The receive is posted first, so rank 0's answer never waits for this rank to get there. */
    MPI_Request req;
    int rc = MPI_Irecv(into, (int)(HEADER + want), MPI_UINT64_T, 0, SMX__TAG_GRANT, c->comm, &req);
    if (rc != MPI_SUCCESS)
        return smx__mpi_error(rc, "claim (MPI_Irecv of rank 0's grant)");
    rc = MPI_Send(&want, 1, MPI_UINT64_T, 0, SMX__TAG_CLAIM, c->comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Wait(&req, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS)
        return smx__mpi_error(rc, "claim (request to rank 0)");
    *old = into[0];
    if (into[1] > c->open)
        c->open = into[1];
    if (want) {
        c->grant_first = *old;
        c->grant_n = c->identity || *old >= SMX__CLAIM_STOP ? 0 : covered(c, *old, want);
    }
    return SMX_OK;
}

int smx__claim_take(smx__claim *c, uint64_t want, uint64_t *first, uint64_t *n, int *stopped)
{
    *n = 0;
    *stopped = 0;
    if (want == 0)
        want = guided_chunk(c);
    uint64_t old = 0;
    int rc = MPI_SUCCESS;
    if (c->path == SMX__CLAIM_P2P && c->base) { /* rank 0 claims from its own memory */
        old = c->base[0];
        c->base[0] += want;
    } else if (c->path == SMX__CLAIM_P2P) {
        int err = request_grant(c, want, &old);
        if (err != SMX_OK)
            return err;
    } else {
        rc = MPI_Fetch_and_op(&want, &old, MPI_UINT64_T, 0, 0, MPI_SUM, c->win);
        if (rc == MPI_SUCCESS)
            rc = MPI_Win_flush(0, c->win);
    }
    if (rc != MPI_SUCCESS)
        return smx__mpi_error(rc, "claim (MPI_Fetch_and_op)");
    c->last_seen = old + want;
    if (old >= SMX__CLAIM_STOP) {
        *stopped = 1;
        return SMX_OK;
    }
    *first = old;
    *n = covered(c, old, want);
    return SMX_OK;
}

int smx__claim_serve(smx__claim *c)
{
    if (c->path != SMX__CLAIM_P2P || !c->base)
        return SMX_OK;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        int rc = MPI_Iprobe(MPI_ANY_SOURCE, SMX__TAG_CLAIM, c->comm, &flag, &st);
        if (rc != MPI_SUCCESS)
            return smx__mpi_error(rc, "waiting for claims (MPI_Iprobe)");
        if (!flag)
            return SMX_OK;
        uint64_t want = 0;
        rc = MPI_Recv(&want, 1, MPI_UINT64_T, st.MPI_SOURCE, SMX__TAG_CLAIM, c->comm,
                      MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return smx__mpi_error(rc, "receiving a claim");
        /* The grant is the old counter value, the open limit and, unless identity, the entries
         * it covers. */
        uint64_t old = c->base[0];
        c->base[0] += want;
        uint64_t n = c->identity || old >= SMX__CLAIM_STOP ? 0 : covered(c, old, want);
        uint64_t stack[HEADER + 64],
            *msg = n <= 64 ? stack : malloc(sizeof(uint64_t) * (HEADER + n));
        if (!msg)
            return smx__error_oom();
        msg[0] = old;
        msg[1] = c->open;
        if (n)
            memcpy(msg + HEADER, c->base + HEADER + old, sizeof(uint64_t) * n);
        rc = MPI_Send(msg, (int)(HEADER + n), MPI_UINT64_T, st.MPI_SOURCE, SMX__TAG_GRANT, c->comm);
        if (msg != stack)
            free(msg);
        if (rc != MPI_SUCCESS)
            return smx__mpi_error(rc, "answering a claim");
    }
}

/*
 * The entries of positions [FIRST, FIRST + N) of a list held as runs: each is its run's first
 * entry plus its distance from the run's start (the index is the low bits, so the attempt stays).
 */
static void run_entries(smx__claim *c, uint64_t first, uint64_t n, uint64_t *entries)
{
    const uint64_t *r = c->runs;
    uint64_t k = c->run_at < c->nruns ? c->run_at : 0;
    if (r[2 * k] > first || (k + 1 < c->nruns && r[2 * (k + 1)] <= first)) {
        /* Not in the run of the last lookup: the last run that starts at or before FIRST. */
        uint64_t lo = 0, hi = c->nruns;
        while (hi - lo > 1) {
            uint64_t mid = lo + (hi - lo) / 2;
            if (r[2 * mid] <= first)
                lo = mid;
            else
                hi = mid;
        }
        k = lo;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t p = first + i;
        while (k + 1 < c->nruns && r[2 * (k + 1)] <= p)
            k++;
        entries[i] = r[2 * k + 1] + (p - r[2 * k]);
    }
    c->run_at = k;
}

int smx__claim_entries(smx__claim *c, uint64_t first, uint64_t n, uint64_t *entries)
{
    if (c->identity && c->nruns) {
        run_entries(c, first, n, entries);
        return SMX_OK;
    }
    if (c->identity) {
        for (uint64_t i = 0; i < n; i++)
            entries[i] = SMX__ENTRY(first + i, 1);
        return SMX_OK;
    }
    if (c->base) { /* rank 0 reads its own copy */
        memcpy(entries, c->base + HEADER + first, sizeof(uint64_t) * n);
        return SMX_OK;
    }
    if (c->path == SMX__CLAIM_P2P) { /* the entries came with the grant */
        if (first < c->grant_first || first + n > c->grant_first + c->grant_n)
            return smx__error(SMX_EMPI, "to-do entries %llu..%llu were not granted to this rank",
                              (unsigned long long)first, (unsigned long long)(first + n));
        memcpy(entries, c->grant + HEADER + (first - c->grant_first), sizeof(uint64_t) * n);
        return SMX_OK;
    }
    int rc = MPI_Get(entries, (int)n, MPI_UINT64_T, 0, (MPI_Aint)(HEADER + first), (int)n,
                     MPI_UINT64_T, c->win);
    if (rc == MPI_SUCCESS)
        rc = MPI_Win_flush(0, c->win);
    if (rc != MPI_SUCCESS)
        return smx__mpi_error(rc, "reading the to-do list (MPI_Get)");
    return SMX_OK;
}

int smx__claim_counter(smx__claim *c, uint64_t *value)
{
    if (c->path == SMX__CLAIM_P2P) {
        int rc = smx__claim_serve(c);
        *value = c->base[0];
        return rc;
    }
    /*
     * Rank 0 reads its own window memory: MPI_Win_sync makes the public copy (where other ranks'
     * atomics land) visible in the unified memory model, and costs a barrier instead of the three
     * atomics' worth of work an MPI_Fetch_and_op(MPI_NO_OP) on itself would.
     */
    int rc = MPI_Win_sync(c->win);
    if (rc != MPI_SUCCESS)
        return smx__mpi_error(rc, "reading the claim counter (MPI_Win_sync)");
    *value = __atomic_load_n(&c->base[0], __ATOMIC_ACQUIRE);
    return SMX_OK;
}

int smx__claim_stop(smx__claim *c, uint64_t *handed_out)
{
    uint64_t add = SMX__CLAIM_STOP, old = 0;
    if (c->path == SMX__CLAIM_P2P) {
        old = c->base[0];
        c->base[0] += add;
    } else {
        int rc = MPI_Fetch_and_op(&add, &old, MPI_UINT64_T, 0, 0, MPI_SUM, c->win);
        if (rc == MPI_SUCCESS)
            rc = MPI_Win_flush(0, c->win);
        if (rc != MPI_SUCCESS)
            return smx__mpi_error(rc, "stopping claims");
    }
    if (old >= SMX__CLAIM_STOP) /* already stopped: undo nothing, report what was handed out */
        old -= SMX__CLAIM_STOP * (old / SMX__CLAIM_STOP);
    *handed_out = old < c->todo_len ? old : c->todo_len;
    return SMX_OK;
}

int smx__claim_refresh_open(smx__claim *c)
{
    if (c->base) /* rank 0 sets it */
        return SMX_OK;
    uint64_t v = 0, none = 0;
    if (c->path == SMX__CLAIM_P2P)
        return request_grant(c, 0, &v);
    int rc = MPI_Fetch_and_op(&none, &v, MPI_UINT64_T, 0, 1, MPI_NO_OP, c->win);
    if (rc == MPI_SUCCESS)
        rc = MPI_Win_flush(0, c->win);
    if (rc != MPI_SUCCESS)
        return smx__mpi_error(rc, "reading the open limit (MPI_Fetch_and_op)");
    if (v > c->open)
        c->open = v;
    return SMX_OK;
}

int smx__claim_set_open(smx__claim *c, uint64_t open)
{
    if (open <= c->open)
        return SMX_OK;
    if (c->path == SMX__CLAIM_RMA) {
        /* An atomic of its own on the word the workers read atomically (MPI_NO_OP). */
        uint64_t old = 0;
        int rc = MPI_Fetch_and_op(&open, &old, MPI_UINT64_T, 0, 1, MPI_REPLACE, c->win);
        if (rc == MPI_SUCCESS)
            rc = MPI_Win_flush(0, c->win);
        if (rc != MPI_SUCCESS)
            return smx__mpi_error(rc, "raising the open limit (MPI_Fetch_and_op)");
    } else {
        c->base[1] = open;
    }
    c->open = open;
    return SMX_OK;
}
