/*
 * Sessions: iterating a sweep's elements across the ranks of a communicator, every element claimed
 * by exactly one rank (MPI_Fetch_and_op on a counter that rank 0 hosts), completions reported to
 * rank 0, which alone writes the state file.
 *
 * Roles. smx_session_open is collective; rank 0 of the communicator becomes the coordinator. By
 * default rank 0 also iterates: its smx_session_next/complete/progress calls serve the other
 * ranks in between. On networks without hardware atomics a claim waits for rank 0's next MPI
 * call, so a rank 0 that spends long stretches in its own elements delays the others: set
 * `coordinator_iterates = 0` (rank 0 then only serves, inside smx_session_close) or call
 * smx_session_progress from long computations.
 *
 * Element groups. With `group_size = k` (k > 1) the ranks form groups of k consecutive ranks of
 * the communicator (whose size must be a multiple of k: smx_session_open fails with SMX_EUSAGE, the
 * same message on every rank, otherwise), each working on one element at a time together, e.g. a
 * simulation on k ranks. smx_session_next is then collective over the group: the group's first
 * rank, its leader, claims, and every member returns the same element (index, attempt,
 * parameters), or the same SMX_ITEROVER or error. smx_session_group_comm gives the group's
 * communicator (leader = its rank 0) for the element's own MPI work. Only the leader's
 * smx_element_complete is recorded: on the other members it checks its arguments and frees the
 * element, so one loop serves every rank, and the results are the leader's. A stop requested on
 * any member (a signal) ends the whole group's iteration at its next smx_session_next and reaches
 * rank 0 like any rank's; a stop from rank 0 or the end of the claims reaches the members through
 * their leader. With coordinator_iterates = 0, rank 0's group only serves.
 *
 * Threads. MPI must be initialised with at least MPI_THREAD_FUNNELED; every call on a session
 * comes from the thread that opened it. Rank 0 runs one helper thread that writes the state file
 * and makes no MPI call.
 */
#ifndef SWEEPMUX_SESSION_H
#define SWEEPMUX_SESSION_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "sweepmux/common.h"
#include "sweepmux/mux.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct smx_session smx_session;
typedef struct smx_element smx_element;

/* 2 added group_size; a program built with version 1 still runs (its options take the default). */
#define SMX_SESSION_OPTIONS_VERSION 2

typedef struct smx_session_options {
    int version;              /* SMX_SESSION_OPTIONS_VERSION */
    int chunk;                /* elements per claim; 0: guided (large first, 1 near the end) */
    int coordinator_iterates; /* 1 (default): rank 0 also gets elements from smx_session_next */
    int retry_failed;         /* 1: elements that failed in earlier jobs run again */
    int retries;            /* extra attempts after a failure; -1 (default): the spec's `retries` */
    double max_time;        /* seconds after open at which to stop handing out work; 0: none */
    double deadline;        /* unix time by which everything must be durable; 0: none */
    double report_interval; /* a busy rank reports at most every min(this, 5 ms) (0.5) */
    double sync_interval;   /* seconds between rank 0's records of running elements (1.0) */
    long halt_failures;     /* stop after this many failed elements; 0: never */
    double halt_fraction;   /* stop when this fraction of finished elements failed; 0: never */
    const char *job_id; /* recorded in the jobs table (e.g. the Slurm job id); NULL: "pid:<pid>" */
    /* Version 2. */
    int group_size; /* ranks per element (element groups, see below); 0 or 1: every rank alone */
} smx_session_options;

#define SMX_SESSION_OPTIONS_INIT                                                                   \
    {                                                                                              \
        SMX_SESSION_OPTIONS_VERSION, 0, 1, 0, -1, 0.0, 0.0, 0.5, 1.0, 0, 0.0, NULL, 1              \
    }

/* Results and facts of one finished attempt, for smx_element_complete_ex. */
#define SMX_COMPLETION_VERSION 1
typedef struct smx_completion {
    int version;       /* SMX_COMPLETION_VERSION */
    smx_status status; /* SMX_STATUS_DONE or SMX_STATUS_FAILED (or SMX_STATUS_PENDING: give the
                          element back unrun) */
    int exit_code;     /* -1 if not applicable */
    int term_signal;   /* 0 if none */
    double t_start;    /* unix seconds; 0: when smx_session_next returned the element */
    double t_end;      /* unix seconds; 0: now */
    size_t nresults;
    const char *const *result_names; /* up to 16 distinct names per session; more are dropped */
    const double *result_values;
    const char *stderr_tail; /* NULL or a short text kept with a failure */
} smx_completion;
#define SMX_COMPLETION_INIT                                                                        \
    {                                                                                              \
        SMX_COMPLETION_VERSION, SMX_STATUS_DONE, -1, 0, 0.0, 0.0, 0, NULL, NULL, NULL              \
    }

/*
 * Collective over COMM. Opens the session whose id came from smx_mux_session_create (only rank 0's
 * ID is used; others may pass NULL). Rank 0 takes the state file's lock (SMX_ELOCKED names the
 * holder), reads the to-do list (pending elements; elements a dead job left running, with their
 * attempt count raised; failed ones if opts->retry_failed) and creates the claim window. Every rank
 * returns the same code. OPTS may be NULL.
 */
SMX_EXTERN int smx_session_open(smx_session **out, const char *id, MPI_Comm comm,
                                const smx_session_options *opts);

/*
 * Local (rank 0 also serves the others inside it); collective over the rank's element group when
 * group_size > 1. Gives the calling rank its next element in *out, or returns SMX_ITEROVER when no
 * more will come (all claimed, or stopped). An element whose earlier attempt in this job failed may
 * come again, with a higher attempt number, while retries are left.
 */
SMX_EXTERN int smx_session_next(smx_session *s, smx_element **out);

/*
 * Local. The communicator of the calling rank's element group (see "Element groups" above): its
 * group_size ranks in the session communicator's order, the leader first. MPI_COMM_SELF when
 * group_size is 1. It belongs to the session (do not free it) and stays valid until
 * smx_session_close; the library's own messages never travel on it.
 */
SMX_EXTERN MPI_Comm smx_session_group_comm(const smx_session *s);
/* Local. smx_session_group_comm of the element's session: the ranks that work on E together. */
SMX_EXTERN MPI_Comm smx_element_comm(const smx_element *e);

/* Local. The element's index in the sweep, its 1-based attempt number, its parameters. */
SMX_EXTERN uint64_t smx_element_index(const smx_element *e);
SMX_EXTERN int smx_element_attempt(const smx_element *e);
SMX_EXTERN size_t smx_element_nparams(const smx_element *e);
SMX_EXTERN const char *smx_element_param_name(const smx_element *e, size_t i);
/* Typed access by name: SMX_ENOTFOUND for an unknown name; ints convert to double in get_double. */
SMX_EXTERN int smx_element_get(const smx_element *e, const char *name, smx_value *out);
SMX_EXTERN int smx_element_get_int(const smx_element *e, const char *name, int64_t *out);
SMX_EXTERN int smx_element_get_double(const smx_element *e, const char *name, double *out);
SMX_EXTERN int smx_element_get_string(const smx_element *e, const char *name, const char **out);

/*
 * Local. Finishes the element with STATUS (SMX_STATUS_DONE or SMX_STATUS_FAILED) and NRESULTS named
 * numeric results, and frees it. A FAILED element with retries left comes back from
 * smx_session_next later. The record is committed exactly once and becomes durable a few
 * milliseconds later (rank 0 writes and fsyncs completions as they arrive: group commit). On an
 * element group's members other than the leader it only checks its arguments and frees the
 * element: the leader's completion is the element's record.
 */
SMX_EXTERN int smx_element_complete(smx_element *e, smx_status status, size_t nresults,
                                    const char *const *names, const double *values);
/* Local. As smx_element_complete with every field of C. */
SMX_EXTERN int smx_element_complete_ex(smx_element *e, const smx_completion *c);

/*
 * Local. Lets rank 0 serve claims and reports, and other ranks flush reports that are due. Call it
 * during long computations (especially on rank 0). Never blocks.
 */
SMX_EXTERN int smx_session_progress(smx_session *s);

/*
 * Local, async-signal-safe. Asks the session to stop: no more elements are handed out to anyone;
 * elements already given out may still be completed. REASON is a static string ("signal SIGUSR1").
 * The job's recorded reason is REASON on rank 0, and "REASON (rank N)" when rank N asked.
 */
SMX_EXTERN void smx_session_request_stop(smx_session *s, const char *reason);

/* Local. Non-zero once the session is stopping (requested here, or announced by rank 0). */
SMX_EXTERN int smx_session_stopping(const smx_session *s);

/*
 * Collective. Reports what is left, waits until rank 0 made everything durable, releases the lock
 * and frees the session (elements not completed go back to pending). Returns SMX_OK when every
 * element is finished (done, or failed with its attempts used up: check FINAL->failed),
 * SMX_ESTOPPED when stopped with work left (resumable), or an error; FINAL (may be NULL) gets the
 * session's counts. Every rank returns the same.
 */
SMX_EXTERN int smx_session_close(smx_session *s, smx_stat *final);

#ifdef __cplusplus
}
#endif
#endif
