/*
 * The variables an MPI launcher or a Slurm step puts into each rank's environment. A task that
 * inherits them is taken for part of the outer job: `mpirun -n 2 prog` in a task exits with
 * "mpirun does not support recursive calls", MPI_Init in a plain program tries to join the outer
 * job, and a nested `srun` inherits the outer step's task layout. The runner leaves them out of
 * every task's environment unless asked to keep them.
 */
#ifndef SMX_LAUNCH_ENV_H
#define SMX_LAUNCH_ENV_H

#include <stddef.h>

/*
 * Local. Whether the variable NAME (LEN bytes, no '=') was set by the launcher for this rank:
 * Open MPI's OMPI_* (but not OMPI_MCA_* tuning a user may have exported, nor
 * OMPI_ALLOW_RUN_AS_ROOT*), PMIx's PMIX_*, PMI's PMI_*, MPICH hydra's HYDRA_*, HYDI_*,
 * MPI_LOCALRANKID and MPI_LOCALNRANKS, PRRTE's PRTE_*, and Slurm's per-step and per-task
 * variables (SLURM_STEP*, SLURM_PROCID, SLURM_LOCALID, SLURM_CPU_BIND*, ...). The job-level
 * SLURM_JOB_* and allocation variables stay, so `srun` in a task starts a new step of the job.
 */
int smx__launch_env_var(const char *name, size_t len);

#endif
