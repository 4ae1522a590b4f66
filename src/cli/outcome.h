/* The last line of `sweepmux run` on rank 0: what happened and what to do next. */
#ifndef SMX_CLI_OUTCOME_H
#define SMX_CLI_OUTCOME_H

#include <stdio.h>

#include "exec/sweep.h"

/*
 * For the exit codes that are normal ends but look like crashes to mpirun and Slurm (1: some
 * elements failed or --halt-on-failures stopped the run; 3: stopped, resumable), prints to F one
 * line saying so and giving the next command: `status` and `requeue` for failures, the run command
 * again for a stop. STATE and SESSION (NULL: default) name the sweep, NRANKS the job's size and
 * SLURM_JOB whether it runs under Slurm. Prints nothing for other codes.
 */
void smx_cli_say_next(FILE *f, int code, const smx__sweep_result *out, const char *state,
                      const char *session, int nranks, int slurm_job);

#endif
