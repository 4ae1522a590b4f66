/*
 * The claim protocol. Rank 0 hosts an RMA window (MPI_Win_allocate) whose first 64-bit word is the
 * claim counter; on a resumed session the words after it are the to-do list, one entry per
 * position: the element index in the low 48 bits and the attempt number it will run as in the
 * high 16. A fresh session's to-do list is the identity (position p is element p, attempt 1) and
 * is not stored. Nor is a resumed session's list when it is a few runs of consecutive pending
 * elements with one attempt number each (a sweep stopped or killed part way through: its
 * unfinished tail, a few failures): then every rank holds the same table of runs (the position
 * each run starts at and the entry of its first element, SMX__CLAIM_RUNS_MAX at most) and maps a
 * claimed position to its element itself, and the window is just the two words below. Both keep
 * the claim protocol as it is: only the mapping of a position to an element is computed.
 *
 * A rank claims positions [old, old + k) with one MPI_Fetch_and_op(MPI_SUM, k) + MPI_Win_flush
 * inside a passive-target MPI_Win_lock_all epoch. The counter only grows, so every position goes to
 * exactly one rank. To stop, rank 0 adds SMX__CLAIM_STOP to the counter: any later claim sees a
 * value >= SMX__CLAIM_STOP and gets nothing, and the value rank 0 fetched with its stop is exactly
 * the number of positions handed out before it.
 *
 * The second word is the open limit: a rank may start the element at position p only once p is
 * below it (a claimed position beyond it waits). Rank 0 raises it only after the claim watermark
 * covering it is durable in the state file (coordinator.c), so a crash never leaves an element
 * that started without the file saying it may have: its next attempt number is then raised.
 * Rank 0 raises the watermark well ahead of the counter, so the limit is normally far ahead and
 * costs a claim nothing but a comparison with the value last seen.
 *
 * Where the MPI cannot create the window, or a startup test shows its atomics miscount, every rank
 * falls back together to the point-to-point path (also forced with SWEEPMUX_CLAIMS=p2p): rank 0
 * keeps the same counter and to-do list in plain memory, a worker sends SMX__TAG_CLAIM with the
 * number of positions it wants and receives SMX__TAG_GRANT with the counter's old value followed
 * by the open limit and the to-do entries of the positions it got (a request for 0 positions only
 * learns the limit). Rank 0 answers between its other work
 * (smx__claim_serve, called whenever it polls), so the counter still only grows, one request at a
 * time, and the exactly-once argument and the guided chunks are the same as with the window.
 */
#ifndef SMX_CLAIM_H
#define SMX_CLAIM_H

#include <mpi.h>
#include <stdint.h>

#include "session/mpicheck.h"

#define SMX__CLAIM_STOP ((uint64_t)1 << 62)
#define SMX__ENTRY_INDEX(e) ((e) & (((uint64_t)1 << 48) - 1))
#define SMX__ENTRY_ATTEMPT(e) ((int)((e) >> 48))
#define SMX__ENTRY(index, attempt) ((uint64_t)(index) | ((uint64_t)(attempt) << 48))

/* Tags of the point-to-point path; the session's own tags (session_internal.h) are below 8. */
#define SMX__TAG_CLAIM 8
#define SMX__TAG_GRANT 9

/* Runs of a to-do list that is held as runs (above) at most: 4 MiB on every rank. */
#define SMX__CLAIM_RUNS_MAX ((uint64_t)1 << 18)

/* How the claims of a session travel. */
typedef enum smx__claim_path { SMX__CLAIM_RMA = 0, SMX__CLAIM_P2P = 1 } smx__claim_path;

typedef struct smx__claim {
    MPI_Win win;
    MPI_Comm comm; /* the session's communicator (point-to-point path) */
    smx__claim_path path;
    char why[512];      /* rank 0: why the point-to-point path was taken ("" if asked for) */
    uint64_t *base;     /* rank 0: the counter and the to-do list (window or plain memory) */
    uint64_t *grant;    /* p2p workers: the last grant (old counter value, then entries) */
    uint64_t grant_cap; /* entries the grant buffer holds after its first word */
    uint64_t grant_first, grant_n; /* p2p workers: the positions the last grant's entries cover */
    uint64_t todo_len;             /* positions in the to-do list */
    int identity;                  /* the to-do list is not stored: the identity, or runs */
    uint64_t *runs;     /* the runs (position, entry) of a list held as runs; NULL: identity */
    uint64_t nruns;     /* runs in it */
    uint64_t run_at;    /* the run the last lookup ended in (lookups mostly move forward) */
    int consumers;      /* ranks x slots that claim, for the guided chunk size */
    int chunk;          /* fixed chunk (> 0) or 0 for guided */
    uint64_t last_seen; /* the latest counter value this rank saw */
    uint64_t open;      /* the open limit: rank 0's own, a worker's latest seen */
} smx__claim;

/* Writes the N entries of the to-do list to DST (rank 0, inside smx__claim_create). */
typedef int (*smx__claim_fill)(void *arg, uint64_t *dst, uint64_t n);

/*
 * Collective. Creates the window, or sets up the point-to-point path (see above; SWEEPMUX_CLAIMS
 * in rank 0's environment: auto (default), rma (fail without a working window) or p2p). Rank 0
 * passes the to-do list's length TODO_LEN and either RUNS (NRUNS runs: pairs of the position a
 * run starts at and the entry of its first element, the first at position 0; copied to every
 * rank) or FILL, which writes the list straight into the window (no copy of it is ever held);
 * both NULL: the identity. The others pass 0 and NULLs, and learn the rest from rank 0.
 */
int smx__claim_create(smx__claim *c, MPI_Comm comm, uint64_t todo_len, const uint64_t *runs,
                      uint64_t nruns, smx__claim_fill fill, void *fill_arg, int consumers,
                      int chunk);

/*
 * Local. The path SWEEPMUX_CLAIMS asks for: *WANT = SMX__CLAIM_RMA, SMX__CLAIM_P2P or -1 (auto,
 * also when unset). SMX_EUSAGE for any other value.
 */
int smx__claim_requested(int *want);

/* Collective. Ends the epoch and frees the window. */
int smx__claim_free(smx__claim *c);

/*
 * Local. Claims up to WANT positions (0: the chunk policy decides). On return *first and *n give
 * the positions claimed (n may be 0: nothing left); *stopped is set if rank 0 has stopped.
 */
int smx__claim_take(smx__claim *c, uint64_t want, uint64_t *first, uint64_t *n, int *stopped);

/* Local. The to-do entries of positions [first, first + n) (an MPI_Get unless identity). */
int smx__claim_entries(smx__claim *c, uint64_t first, uint64_t n, uint64_t *entries);

/*
 * Rank 0, local. On the point-to-point path answers every claim request waiting; otherwise does
 * nothing. Never blocks for long: a request is answered as soon as it is received.
 */
int smx__claim_serve(smx__claim *c);

/*
 * Local. Workers: reads the open limit again into c->open (an atomic read of the window, or a
 * request for 0 positions). Rank 0 knows it.
 */
int smx__claim_refresh_open(smx__claim *c);

/* Rank 0, local. Raises the open limit to OPEN (it never goes down). */
int smx__claim_set_open(smx__claim *c, uint64_t open);

/* Rank 0, local. The counter's current value (atomic read of its own window). */
int smx__claim_counter(smx__claim *c, uint64_t *value);

/* Rank 0, local. Stops claims; *handed_out gets the positions claimed before the stop. */
int smx__claim_stop(smx__claim *c, uint64_t *handed_out);

#endif
