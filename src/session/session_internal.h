/*
 * The inside of a session, for the public session calls (session.c) and the internal accessors
 * that the tool layer (the command loop, progress output) uses. Rank 0's coordinator does not see
 * it: it has its own interface (coordinator.h).
 */
#ifndef SMX_SESSION_INTERNAL_H
#define SMX_SESSION_INTERNAL_H

#include <mpi.h>
#include <signal.h>
#include <stdint.h>

#include "session/claim.h"
#include "session/coordinator.h"
#include "session/report.h"
#include "spec/spec.h"
#include "sweepmux/session.h"

/* Words of a rank's done window (4096 elements). */
#define SMX__DONE_WORDS 64
/* done_first of an empty done window: past every index, so that no index falls inside. */
#define SMX__DONE_EMPTY ((uint64_t)1 << 63)

/* A send in flight and its buffer. */
typedef struct smx__send {
    MPI_Request req;
    char *buf;
    struct smx__send *next;
} smx__send;

struct smx_element {
    smx_session *s;
    uint64_t index;
    int attempt;
    int tries;                        /* attempts made in this job */
    double t_given;                   /* unix time smx_session_next returned it */
    smx_value *vals;                  /* nparams values, once decoded */
    int decoded;                      /* vals holds this element's values */
    int out;                          /* handed out by smx_session_next, not completed */
    smx_element *next;                /* the spare or retry list it is on */
    smx_element *all_prev, *all_next; /* the session's list of every element structure */
};

struct smx_session {
    MPI_Comm comm;
    int rank, size;
    smx_spec *spec;
    size_t nparams;
    char *workdir; /* where tasks run: the directory the sweep was created in ("" unknown) */
    char name[64];
    smx_session_options opts;
    int retries;
    int iterates; /* this rank claims elements (a group's leader, or every rank without groups) */
    /* Element groups (group_size > 1): this rank's place in its group, the library's communicator
     * within the group and the program's (both MPI_COMM_NULL without groups). */
    int group_size, grank;
    MPI_Comm gsync, gcomm;
    smx__claim claim;
    /* Claimed positions not handed out yet, as to-do entries; then failed ones to retry. */
    uint64_t *queue;
    size_t qhead, qlen, qcap;
    uint64_t qfirst;                      /* the position of queue[0] in the to-do list */
    smx_element *retry_head, *retry_tail; /* failed elements waiting for another attempt */
    smx_element *all; /* every element structure allocated (handed out ones have out set) */
    int exhausted;    /* the counter ran past the end or was stopped */
    volatile sig_atomic_t stop_flag;
    const char *volatile stop_reason;
    char stop_error[512]; /* this rank's error that stopped the run ("" none): goes to rank 0 */
    int stopping;
    smx__report_buf out; /* reports not sent yet */
    smx__send *sends;    /* sends in flight */
    smx__coord *coord;   /* rank 0 only */
    int finished;        /* close() reached */
    double last_probe;   /* when a worker last probed for rank 0's messages */
    double last_send;    /* when this rank last sent reports */
    /*
     * The done window (see done_add in session.c): elements done without results on their first
     * attempt, not handed over yet, as bits from done_first (a multiple of 64) on: bit b of
     * done_bits[k] is element done_first + 64 k + b. SMX__DONE_EMPTY when no bit is set.
     */
    uint64_t done_first;
    int fast_done;      /* smx_element_complete may take its fast path: grank 0, stride > 1 */
    int unnoticed;      /* rank 0: claimed since the coordinator last looked at the counter */
    double tnow;        /* monotonic clock at the last look (see look() in session.c) */
    double wall_offset; /* wall clock minus monotonic clock at the last look */
    unsigned tick;      /* calls of smx_session_next left until the next look */
    unsigned stride;    /* calls between looks */
    uint64_t fast_left; /* calls smx_session_next may serve on its fast path (see refresh_fast) */
    smx_element *spare; /* recycled elements */
    int nspare;
    uint64_t done_bits[SMX__DONE_WORDS];
};

/*
 * Stops the run because of this rank's error MESSAGE (not from a signal handler). Rank 0 learns
 * the message with the stop and returns it in the outcome, so that one rank reports it for all.
 */
void smx__session_stop_on_error(smx_session *s, const char *message);

/* Worker side: send packed reports now. */
int smx__session_flush(smx_session *s, int force);

/*
 * Internal variant of smx_session_open for the CLI: LOCAL_SLOTS elements at a time on this rank
 * (for the guided chunk size), STATE_PATH and SESSION given directly.
 */
int smx__session_open(smx_session **out, const char *state_path, const char *session, MPI_Comm comm,
                      const smx_session_options *opts, int local_slots);

/*
 * How this session's claims travel ("rma" or "p2p"); on rank 0 *WHY (if not NULL) gets why the
 * point-to-point path was taken, "" when it was asked for or not taken.
 */
const char *smx__session_claims(const smx_session *s, const char **why);
/* The directory tasks run in (the one the sweep was created in; "" if the file does not say). */
const char *smx__session_workdir(const smx_session *s);
/* The session's spec (parsed on every rank). */
const smx_spec *smx__session_spec(const smx_session *s);
/* Rank 0: claims noticed plus reports handled so far (to tell activity from idling); others: 0. */
uint64_t smx__session_events(const smx_session *s);
/* Rank 0: progress counts; others: zeros. */
void smx__session_counts(const smx_session *s, smx_stat *st, double *rate);
/* Outcome of the last close on this thread's session (for the CLI's exit code and message). */
int smx__session_close_ex(smx_session *s, smx__outcome *out);
/* The element's values (nparams) and the spec's parameter names. */
const smx_value *smx__element_values(const smx_element *e);

#endif
