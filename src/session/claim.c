/* The claim protocol: see claim.h. */
#include "session/claim.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

int smx__mpi_error(int mpi_rc, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(mpi_rc, msg, &len) != MPI_SUCCESS)
        strcpy(msg, "unknown MPI error");
    return smx__error(SMX_EMPI, "%s failed: %s", what, msg);
}

int smx__claim_create(smx__claim *c, MPI_Comm comm, uint64_t todo_len, const uint64_t *todo,
                      int consumers, int chunk)
{
    int rank, rc;
    MPI_Comm_rank(comm, &rank);
    memset(c, 0, sizeof *c);
    c->win = MPI_WIN_NULL;
    uint64_t hdr[2] = {todo_len, todo == NULL};
    MPI_Bcast(hdr, 2, MPI_UINT64_T, 0, comm);
    c->todo_len = hdr[0];
    c->identity = (int)hdr[1];
    c->consumers = consumers > 0 ? consumers : 1;
    c->chunk = chunk;

    MPI_Aint bytes = 0;
    if (rank == 0)
        bytes = (MPI_Aint)(sizeof(uint64_t) * (1 + (c->identity ? 0 : c->todo_len)));
    /*
     * MPI_Win_allocate, not MPI_Win_create: only allocated windows were seen to progress while
     * rank 0 was busy outside MPI, and they let the MPI library place the counter where its
     * atomics are fastest.
     */
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "accumulate_ops", "same_op_no_op");
    MPI_Info_set(info, "same_disp_unit", "true");
    void *base = NULL;
    rc = MPI_Win_allocate(bytes, sizeof(uint64_t), info, comm, &base, &c->win);
    MPI_Info_free(&info);
    int ok = rc == MPI_SUCCESS, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, comm);
    if (!all_ok) {
        if (rc == MPI_SUCCESS)
            MPI_Win_free(&c->win);
        c->win = MPI_WIN_NULL;
        return smx__error(
            SMX_EMPI, "cannot create the claim window (MPI_Win_allocate failed on some rank). "
                      "Try another one-sided component, e.g. `mpirun --mca osc sm` on one node, "
                      "`--mca osc rdma` with a network that has atomics, or `--mca osc pt2pt "
                      "--mca btl tcp,self` (Debian disables pt2pt in "
                      "/etc/openmpi/openmpi-mca-params.conf; an explicit --mca overrides it)");
    }
    MPI_Win_set_errhandler(c->win, MPI_ERRORS_RETURN);
    if (rank == 0) {
        c->base = base;
        c->base[0] = 0;
        if (!c->identity)
            memcpy(c->base + 1, todo, sizeof(uint64_t) * c->todo_len);
    }
    /* Everyone must see the initialised memory before the first claim. */
    MPI_Barrier(comm);
    rc = MPI_Win_lock_all(MPI_MODE_NOCHECK, c->win);
    if (rc != MPI_SUCCESS)
        return smx__mpi_error(rc, "MPI_Win_lock_all");
    return SMX_OK;
}

void smx__claim_free(smx__claim *c)
{
    if (c->win == MPI_WIN_NULL)
        return;
    MPI_Win_unlock_all(c->win);
    MPI_Win_free(&c->win);
    c->win = MPI_WIN_NULL;
    c->base = NULL;
}

/*
 * Guided self-scheduling: a share of the remaining work proportional to 1 / (2 * consumers), so
 * claims are large while much is left (few atomics) and shrink to 1 near the end (no rank sits
 * on a queue of elements while others idle).
 */
static uint64_t guided_chunk(const smx__claim *c)
{
    if (c->chunk > 0)
        return (uint64_t)c->chunk;
    uint64_t seen = c->last_seen >= SMX__CLAIM_STOP ? c->todo_len : c->last_seen;
    uint64_t left = seen < c->todo_len ? c->todo_len - seen : 0;
    uint64_t k = left / (2 * (uint64_t)c->consumers * 4);
    if (k < 1)
        k = 1;
    if (k > 64)
        k = 64;
    return k;
}

int smx__claim_take(smx__claim *c, uint64_t want, uint64_t *first, uint64_t *n, int *stopped)
{
    *n = 0;
    *stopped = 0;
    if (want == 0)
        want = guided_chunk(c);
    uint64_t old = 0;
    int rc = MPI_Fetch_and_op(&want, &old, MPI_UINT64_T, 0, 0, MPI_SUM, c->win);
    if (rc == MPI_SUCCESS)
        rc = MPI_Win_flush(0, c->win);
    if (rc != MPI_SUCCESS)
        return smx__mpi_error(rc, "claim (MPI_Fetch_and_op)");
    c->last_seen = old + want;
    if (old >= SMX__CLAIM_STOP) {
        *stopped = 1;
        return SMX_OK;
    }
    *first = old;
    if (old < c->todo_len)
        *n = (c->todo_len - old < want) ? c->todo_len - old : want;
    return SMX_OK;
}

int smx__claim_entries(smx__claim *c, uint64_t first, uint64_t n, uint64_t *entries)
{
    if (c->identity) {
        for (uint64_t i = 0; i < n; i++)
            entries[i] = SMX__ENTRY(first + i, 1);
        return SMX_OK;
    }
    if (c->base) { /* rank 0 reads its own copy */
        memcpy(entries, c->base + 1 + first, sizeof(uint64_t) * n);
        return SMX_OK;
    }
    int rc = MPI_Get(entries, (int)n, MPI_UINT64_T, 0, (MPI_Aint)(1 + first), (int)n, MPI_UINT64_T,
                     c->win);
    if (rc == MPI_SUCCESS)
        rc = MPI_Win_flush(0, c->win);
    if (rc != MPI_SUCCESS)
        return smx__mpi_error(rc, "reading the to-do list (MPI_Get)");
    return SMX_OK;
}

int smx__claim_counter(smx__claim *c, uint64_t *value)
{
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
    int rc = MPI_Fetch_and_op(&add, &old, MPI_UINT64_T, 0, 0, MPI_SUM, c->win);
    if (rc == MPI_SUCCESS)
        rc = MPI_Win_flush(0, c->win);
    if (rc != MPI_SUCCESS)
        return smx__mpi_error(rc, "stopping claims");
    if (old >= SMX__CLAIM_STOP) /* already stopped: undo nothing, report what was handed out */
        old -= SMX__CLAIM_STOP * (old / SMX__CLAIM_STOP);
    *handed_out = old < c->todo_len ? old : c->todo_len;
    return SMX_OK;
}
