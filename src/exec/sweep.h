/*
 * One rank's part of `sweepmux run` once rank 0 has made the state file ready: open the session,
 * run the command loop with progress output, close, and say how it ended. Collective over the
 * communicator in the session options' place (MPI_COMM_WORLD).
 */
#ifndef SMX_SWEEP_H
#define SMX_SWEEP_H

#include "exec/log.h"
#include "sweepmux/session.h"

typedef struct smx__sweep_opts {
    const char *state, *session;
    smx_session_options session_opts;
    int slots;    /* tasks at once on this rank */
    int cmd_argc; /* the `-- CMD ARG...` override (validated by rank 0), or 0 */
    char **cmd_argv;
    const char *logs; /* task output directory */
    smx__log_mode log_mode;
    double grace;          /* seconds running tasks get after a stop */
    int gpus;              /* per slot, or 0 */
    int keep_launcher_env; /* tasks inherit the MPI launcher's and Slurm step's variables */
    int local_rank;        /* this rank's index on its node (SWEEPMUX_LOCAL_RANK) */
    int gpu_first_slot;    /* node-wide index of this rank's slot 0, for device shares */
    int gpu_oversubscribe; /* wrap device shares around instead of refusing */
    int bind_slots;        /* pin each slot's tasks to its share of the rank's CPUs */
    double progress;       /* seconds between progress lines off a terminal */
    /* Told the open session, and NULL once it is closed (the CLI's signal handler stops it). */
    void (*on_session)(smx_session *s);
} smx__sweep_opts;

typedef struct smx__sweep_result {
    int rc;       /* SMX_OK, SMX_ESTOPPED (stopped or halted) or the error */
    int opened;   /* the session opened: stat and reason are meaningful */
    int reported; /* rc is this rank's command-loop error, already printed with the rank */
    int halted;   /* stopped by the failure policy */
    smx_stat stat;
    smx_stat durable; /* what the state file holds for certain (smx__outcome) */
    char reason[64];  /* why it stopped ("complete", "signal SIGUSR1", "max-time", ...) */
} smx__sweep_result;

/* Runs the sweep as above. Returns OUT->rc. */
int smx__sweep_run(const smx__sweep_opts *o, smx__sweep_result *out);

#endif
