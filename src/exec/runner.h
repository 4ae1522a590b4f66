/*
 * The task runner: starts the commands of claimed elements as child processes (posix_spawn, no
 * shell), each in its own process group, with up to `slots` at once; enforces per-task timeouts
 * (SIGTERM to the group, SIGKILL after a grace period); captures exit status or signal, times,
 * the tail of stderr and the `name=value` results a task writes to $SWEEPMUX_RESULT; and files
 * each task's output into the rank's log (see log.h).
 *
 * A runner belongs to one thread. It never blocks longer than the timeout given to
 * smx__runner_wait, so the caller can keep MPI progressing between calls.
 */
#ifndef SMX_RUNNER_H
#define SMX_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "exec/log.h"

/* Seconds a task's process group gets between SIGTERM and SIGKILL unless told otherwise. */
#define SMX__KILL_GRACE_DEFAULT 5.0

typedef struct smx__runner smx__runner;

typedef struct smx__runner_opts {
    int slots;           /* concurrent tasks (>= 1) */
    int rank;            /* MPI rank, for file names and SWEEPMUX_RANK */
    const char *log_dir; /* directory for logs and scratch files; created if missing */
    smx__log_mode log_mode;
    /* Seconds between SIGTERM and SIGKILL on timeout or stop: 0 (unset) means
     * SMX__KILL_GRACE_DEFAULT, a negative value means SIGKILL right away. */
    double kill_grace;
    int gpus_per_slot;     /* > 0: slot s gets CUDA_VISIBLE_DEVICES = its share of the devices */
    int keep_launcher_env; /* pass the launcher's variables (launch_env.h) on to tasks */
    int local_rank;        /* this rank's index among the ranks of its node (SWEEPMUX_LOCAL_RANK) */
    int gpu_first_slot;    /* node-wide index of slot 0: slot s takes device share first + s */
    int gpu_oversubscribe; /* more shares than devices: wrap around instead of refusing */
    int bind_slots;        /* pin slot s's tasks to its share of this rank's allowed CPUs */
} smx__runner_opts;

/* What to run. All strings are copied by smx__runner_start. */
typedef struct smx__task {
    uint64_t index;      /* element index (for the log, SWEEPMUX_INDEX) */
    int attempt;         /* 1-based attempt number */
    char *const *argv;   /* NULL-terminated; argv[0] is looked up in PATH if it has no '/' */
    char *const *env;    /* NULL-terminated "NAME=VALUE" added to (overriding) the inherited env */
    const char *workdir; /* NULL: inherit */
    double timeout;      /* seconds; 0: none */
    void *user;          /* handed back in the result */
} smx__task;

typedef struct smx__task_result {
    uint64_t index;
    int attempt;
    int slot; /* 0 .. slots-1, the slot the task ran in (SWEEPMUX_SLOT) */
    void *user;
    int started; /* 0: could not start; spawn_error says why (not reported as exit 127) */
    char spawn_error[256];
    int exit_code;                   /* exit status if it exited, else -1 */
    int term_signal;                 /* signal that ended it, else 0 */
    int timed_out;                   /* killed because it exceeded its timeout */
    int stopped;                     /* killed by smx__runner_kill_all */
    double t_start, t_end;           /* wall-clock seconds since the epoch */
    char stderr_tail[SMX__TAIL_MAX]; /* last bytes of stderr, NUL-terminated */
    size_t nresults;                 /* numeric results parsed from $SWEEPMUX_RESULT */
    char (*result_names)[SMX__RESULT_NAME_MAX];
    double *result_values; /* both owned by the runner, valid until the next smx__runner_wait */
    int log_failed; /* the output could not be filed into the log (smx_error_last() says why);
                       the rest of the result is valid */
} smx__task_result;

int smx__runner_create(smx__runner **out, const smx__runner_opts *opts);
/*
 * Local. Whether OPTS's --gpus-per-slot shares fit the devices this rank sees
 * (CUDA_VISIBLE_DEVICES, else the driver's count; unknown counts pass). SMX_EINPUT with a message
 * naming the numbers.
 */
int smx__runner_gpu_check(const smx__runner_opts *opts);
/* Kills whatever still runs (SIGKILL to each group) and frees. Accepts NULL. */
void smx__runner_free(smx__runner *r);
/*
 * CPUs the calling thread may run on (its affinity, which a launcher may have narrowed) into
 * *ALLOWED and online CPUs into *ONLINE; 0, or -1 if either is unknown. Tasks inherit the affinity:
 * K slots on a rank bound to fewer than K CPUs share them.
 */
int smx__runner_cpus(int *allowed, int *online);

/* Number of free slots. */
int smx__runner_free_slots(const smx__runner *r);
/* Number of running tasks, counting those finished but not yet returned by smx__runner_wait
 * (free_slots + active == slots). */
int smx__runner_active(const smx__runner *r);

/*
 * Starts TASK in a free slot (SMX_EUSAGE if none). The child's environment is the inherited one
 * plus SWEEPMUX_SLOT, SWEEPMUX_RESULT and TASK->env. A task that cannot be started is not an error
 * here: it is handed back by the next smx__runner_wait with started = 0.
 *
 * Details: the inherited environment is the one at smx__runner_create (copied then), without any
 * inherited SWEEPMUX_{SLOT,RESULT,RANK,INDEX,ATTEMPT,SESSION,PARAM_*}; the runner also sets
 * SWEEPMUX_RANK, SWEEPMUX_INDEX and SWEEPMUX_ATTEMPT, which TASK->env may override (it may not
 * override SWEEPMUX_SLOT or SWEEPMUX_RESULT). argv[0] is searched in the runner's PATH. Descriptors
 * above 2 are not inherited. SMX_EUSAGE for an env entry without '=', SMX_EIO if the slot's scratch
 * files cannot be created (a file-system problem, not the task's).
 */
int smx__runner_start(smx__runner *r, const smx__task *task);

/*
 * Waits at most TIMEOUT_MS milliseconds (0: just poll) for tasks to finish, enforces timeouts and
 * stores up to MAX finished tasks in OUT, setting *N. Returns early as soon as one task finished.
 * Returns at once when no task is running (negative TIMEOUT_MS: no limit while tasks run). Each
 * finished task's output is filed into the log before it is returned (see log_failed).
 */
int smx__runner_wait(smx__runner *r, int timeout_ms, smx__task_result *out, size_t max, size_t *n);

/*
 * Asks every running task to stop: SIGTERM to its group now, SIGKILL after GRACE seconds (enforced
 * by later smx__runner_wait calls). Their results come back with stopped = 1.
 */
void smx__runner_kill_all(smx__runner *r, double grace);

/* Distinct names read from one task's result file; later new names are dropped. */
#define SMX__TASK_RESULTS_MAX 256

/*
 * Parses the `name=value` lines of a result file's first LEN bytes in BUF (which must have one
 * spare byte at BUF[LEN]; lines are modified in place) into NAMES/VALUES (SMX__TASK_RESULTS_MAX
 * rows):
 * names of letters, digits, '_', '.', '-'; values as strtod reads them; a later line for a name
 * replaces its value; other lines are ignored. Returns the number of names.
 */
size_t smx__runner_parse_results(char *buf, size_t len, char (*names)[SMX__RESULT_NAME_MAX],
                                 double *values);

#endif
