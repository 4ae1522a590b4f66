/*
 * The inside of a session, shared by the public session calls (session.c), rank 0's coordinator
 * (coordinator.c) and the command loop (worker.c).
 */
#ifndef SMX_SESSION_INTERNAL_H
#define SMX_SESSION_INTERNAL_H

#include <mpi.h>
#include <signal.h>
#include <stdint.h>

#include "session/claim.h"
#include "session/report.h"
#include "spec/spec.h"
#include "sweepmux/session.h"

/* Message tags between ranks of a session's communicator. */
enum smx__tag {
    SMX__TAG_REPORT = 1,   /* worker -> rank 0: packed reports */
    SMX__TAG_FINISHED = 2, /* worker -> rank 0: no more reports will come from me */
    SMX__TAG_STOP = 3, /* rank 0 -> worker: stop (double kill_at); worker -> rank 0: please stop */
};

typedef struct smx__coord smx__coord;

/* A send in flight and its buffer. */
typedef struct smx__send {
    MPI_Request req;
    char *buf;
    struct smx__send *next;
} smx__send;

/* What every rank learns when the session closes. */
typedef struct smx__outcome {
    int rc;     /* SMX_OK, SMX_ESTOPPED or an error */
    int halted; /* stopped by the failure policy */
    smx_stat stat;
    char reason[64]; /* why it stopped ("complete", "signal SIGUSR1", "max-time", ...) */
    char message[1024];
} smx__outcome;

struct smx_element {
    smx_session *s;
    uint64_t index;
    int attempt;
    int tries;                /* attempts made in this job */
    double t_given;           /* unix time smx_session_next returned it */
    smx_value *vals;          /* nparams values */
    smx_element *prev, *next; /* the session's list of elements handed out */
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
    int iterates; /* this rank gets elements from next() */
    smx__claim claim;
    /* Claimed positions not handed out yet, as to-do entries; then failed ones to retry. */
    uint64_t *queue;
    size_t qhead, qlen, qcap;
    smx_element *retry_head, *retry_tail; /* failed elements waiting for another attempt */
    smx_element *given;                   /* handed out, not completed */
    int exhausted;                        /* the counter ran past the end or was stopped */
    volatile sig_atomic_t stop_flag;
    const char *volatile stop_reason;
    int stopping;
    double kill_at;      /* unix time by which started tasks must end, once stopping (0: none) */
    smx__report_buf out; /* reports not sent yet */
    smx__send *sends;    /* sends in flight */
    smx__coord *coord;   /* rank 0 only */
    int finished;        /* close() reached */
    double last_probe;   /* when a worker last probed for rank 0's messages */
    smx_element *spare;  /* recycled elements */
    int nspare;
};

/* Monotonic and wall-clock seconds. */
double smx__now(void);
double smx__wall(void);

/* Rank 0: coordinator. */
int smx__coord_open(smx_session *s, const char *state_path, int *todo_identity, uint64_t *todo_len,
                    uint64_t **todo);
int smx__coord_start(smx_session *s, char (*hosts)[64]);
/*
 * Serve: receive reports, notice claims, check stop conditions, sync. Never blocks. Unless FULL,
 * a call within 200 us of the last full one only notices claims (a tight library loop on rank 0
 * calls this for every element).
 */
int smx__coord_poll(smx_session *s, int full);
/* Rank 0: waits, serving, while the state file writer has a large backlog. */
void smx__coord_throttle(smx_session *s);
/* Marks the positions claimed since the last look as running (cheap). */
int smx__coord_notice(smx_session *s);
/* Handle a report from rank 0 itself (no MPI). */
int smx__coord_report(smx_session *s, const smx__report *r);
/* Rank 0's stop: claims end; the others are told. */
int smx__coord_stop(smx_session *s, const char *reason);
/* Rank 0 in close(): serve until every worker finished, make everything durable, fill OUT. */
int smx__coord_finish(smx_session *s, smx__outcome *out);
/* Rank 0: frees the coordinator after a failed open or after finish. */
void smx__coord_free(smx__coord *c);
/* Rank 0: counts for progress (total, done, failed, running, pending) and the completion rate. */
void smx__coord_counts(const smx__coord *c, smx_stat *st, double *rate, uint64_t *done_this_job);
/* Rank 0: claims noticed plus reports handled so far. */
uint64_t smx__coord_events(const smx__coord *c);

/* Gives back the claimed positions not handed out yet, and failed elements awaiting retry. */
int smx__session_release_queue(smx_session *s);

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
/* Unix time by which started work must end after a stop (0: none yet). */
double smx__session_kill_at(const smx_session *s);
/* Rank 0: claims noticed plus reports handled so far (to tell activity from idling); others: 0. */
uint64_t smx__session_events(const smx_session *s);
/* Rank 0: progress counts; others: zeros. */
void smx__session_counts(const smx_session *s, smx_stat *st, double *rate);
/* Outcome of the last close on this thread's session (for the CLI's exit code and message). */
int smx__session_close_ex(smx_session *s, smx__outcome *out);
/* The element's values (nparams) and the spec's parameter names. */
const smx_value *smx__element_values(const smx_element *e);

#endif
