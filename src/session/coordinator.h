/*
 * Rank 0's coordinator: owns the state file (through the journal's writer thread), notices claims
 * by watching the claim counter it hosts, commits each element's final record exactly once, and
 * decides when to stop (signal, max_time, deadline, failure policy, an error of its own).
 *
 * The coordinator knows nothing of the session around it: it gets the session's name, options,
 * communicator and claim window, and the session asks it, after each call, whether it has stopped
 * (smx__coord_stopped) and then stops handing out work itself. Every call is Local to rank 0 and
 * never blocks on another rank except smx__coord_finish.
 */
#ifndef SMX_COORDINATOR_H
#define SMX_COORDINATOR_H

#include <mpi.h>
#include <stdint.h>

#include "session/claim.h"
#include "session/report.h"
#include "spec/spec.h"
#include "sweepmux/session.h"

/* Message tags between the ranks of a session's communicator (all messages are bytes). */
enum smx__tag {
    SMX__TAG_REPORT = 1,   /* rank -> rank 0: packed reports */
    SMX__TAG_FINISHED = 2, /* rank -> rank 0: no more reports will come from me (empty) */
    SMX__TAG_STOP = 3,     /* rank 0 -> rank: stop (empty); rank -> rank 0: please stop, with
                            * 'R' + the reason or 'E' + the error that stopped the rank */
};

/* What every rank learns when the session closes. */
typedef struct smx__outcome {
    int rc;     /* SMX_OK, SMX_ESTOPPED or an error */
    int halted; /* stopped by the failure policy */
    smx_stat stat;
    /* What the state file holds for certain: STAT when everything was written, else the counts
     * of the last sync that finished (or those read at the start). */
    smx_stat durable;
    char reason[64];    /* why it stopped ("complete", "signal SIGUSR1", "max-time", ...) */
    char message[1024]; /* the error; or, when a rank's error stopped the run, "rank N: ..." */
} smx__outcome;

typedef struct smx__coord smx__coord;

/*
 * Takes the lock of STATE_PATH, opens SESSION in it, parses the stored spec into *SPEC and reads
 * the directory tasks run in into *WORKDIR (the caller frees both). Sizes the to-do list:
 * *TODO_IDENTITY for a fresh session (the list is the identity), else *TODO_LEN entries that
 * smx__coord_fill_todo writes where the claims need them (no copy of the list is kept). OPTS is
 * copied. On failure *OUT may still be set and is freed with smx__coord_free.
 */
int smx__coord_open(smx__coord **out, const char *state_path, const char *session,
                    const smx_session_options *opts, smx_spec **spec, char **workdir,
                    int *todo_identity, uint64_t *todo_len);

/*
 * Writes the N entries of the to-do list (SMX__ENTRY of index and next attempt, in index order)
 * to DST. COORD is the smx__coord (a smx__claim_fill callback).
 */
int smx__coord_fill_todo(void *coord, uint64_t *dst, uint64_t n);

/*
 * The to-do list of a resumed session as runs of consecutive pending elements with one attempt
 * number each (claim.h): *RUNS gets the pairs (position the run starts at, entry of its first
 * element), *NRUNS their number; *RUNS is NULL (and SMX_OK) if the list has more than MAX runs.
 * The caller frees *RUNS.
 */
int smx__coord_todo_runs(smx__coord *c, uint64_t max, uint64_t **runs, uint64_t *nruns);

/*
 * Starts the job: COMM (SIZE ranks) and CLAIM are the session's and must outlive the coordinator;
 * HOSTS[r] is rank r's host name. Records the job row and makes it durable.
 */
int smx__coord_start(smx__coord *c, MPI_Comm comm, smx__claim *claim, char (*hosts)[64]);

/*
 * Serves: receives reports, notices claims, checks the stop conditions, syncs. Never blocks.
 * Unless FULL, a call within 200 us of the last full one only notices claims (a tight library
 * loop on rank 0 calls this for every element).
 */
int smx__coord_poll(smx__coord *c, int full);

/* Waits, serving, while the state file writer has a large backlog. */
int smx__coord_throttle(smx__coord *c);

/* Marks the positions claimed since the last look as running (cheap). */
int smx__coord_notice(smx__coord *c);

/* Handles a report from rank 0 itself (no MPI). */
int smx__coord_report(smx__coord *c, const smx__report *r);

/*
 * Rank 0's own range: elements [FIRST, FIRST + COUNT) done without results on their first
 * attempt. Each element is committed only if it is running (exactly once); the accepted ones reach
 * the state file as range writes.
 */
int smx__coord_range(smx__coord *c, uint64_t first, uint64_t count);

/*
 * Rank 0's own bits: the elements whose bits are set among the NWORDS words at WORDS (any
 * alignment; bit b of word k is element FIRST + 64 k + b, FIRST a multiple of 64) are done without
 * results on their first attempt; committed as smx__coord_range does. Workers' bits entries come
 * through smx__coord_report.
 */
int smx__coord_bits(smx__coord *c, uint64_t first, const void *words, size_t nwords);

/* Stops: claims end and the other ranks are told. REASON is kept for the job row. */
int smx__coord_stop(smx__coord *c, const char *reason);

/* Non-zero once the coordinator has stopped, for whatever reason. */
int smx__coord_stopped(const smx__coord *c);

/*
 * Collective with the other ranks' close: serves until every rank finished, makes everything
 * durable, releases the lock and broadcasts OUT to every rank.
 */
int smx__coord_finish(smx__coord *c, smx__outcome *out);

/* Frees the coordinator after a failed open or after finish; accepts NULL. */
void smx__coord_free(smx__coord *c);

/* Counts for progress (total, done, failed, running, pending) and the completion rate. */
void smx__coord_counts(const smx__coord *c, smx_stat *st, double *rate, uint64_t *done_this_job);

/* Claims noticed plus reports handled so far. */
uint64_t smx__coord_events(const smx__coord *c);

#endif
