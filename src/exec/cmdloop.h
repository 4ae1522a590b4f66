/*
 * The command loop: runs the spec's command for every element a session hands this rank, up to
 * `slots` at a time through the task runner, and completes each element with the task's outcome.
 * Used by `sweepmux run`; library users iterate elements themselves.
 */
#ifndef SMX_CMDLOOP_H
#define SMX_CMDLOOP_H

#include "exec/runner.h"
#include "sweepmux/session.h"

typedef struct smx__cmdloop_opts {
    int slots; /* concurrent tasks on this rank */
    const char *log_dir;
    smx__log_mode log_mode;
    double grace;      /* seconds started tasks get to finish after a stop (then killed) */
    double kill_grace; /* seconds between SIGTERM and SIGKILL (smx__runner_opts.kill_grace) */
    int gpus_per_slot; /* > 0: CUDA_VISIBLE_DEVICES per slot */
    void (*tick)(smx_session *s, void *arg); /* called every loop turn (progress output) */
    void *tick_arg;
    int keep_launcher_env; /* tasks inherit the MPI launcher's and Slurm step's variables */
    int local_rank;        /* this rank's index on its node */
    int gpu_first_slot;    /* node-wide index of this rank's slot 0, for device shares */
    int gpu_oversubscribe; /* wrap device shares around instead of refusing */
    int bind_slots;        /* pin each slot's tasks to its share of the rank's CPUs */
} smx__cmdloop_opts;

/* Local. Runs tasks until the session has no more elements for this rank and all tasks ended. */
int smx__cmdloop_run(smx_session *s, const smx__cmdloop_opts *opts);

#endif
