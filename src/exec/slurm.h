/*
 * slurm: what a run needs to know about the Slurm job it runs in, read from the environment (and,
 * for the end of the time limit, from squeue): the job id recorded in the state file, the task
 * count srun started, and the instant the walltime ends so the run can stop in time to checkpoint.
 * All functions are Local and never print or exit.
 */
#ifndef SMX_SLURM_H
#define SMX_SLURM_H

typedef struct smx__slurm {
    int in_job;       /* SLURM_JOB_ID is set */
    char job_id[32];  /* SLURM_JOB_ID (with array: "<ARRAY_JOB_ID>_<TASK_ID>") or "" */
    long ntasks;      /* SLURM_NTASKS, or -1 */
    long step_ntasks; /* SLURM_STEP_NUM_TASKS when started by srun, or -1 */
    double end_time;  /* unix seconds at which the job's time limit ends, 0 if unknown */
} smx__slurm;

/*
 * Local. Fills OUT from the environment: SLURM_JOB_ID, SLURM_ARRAY_JOB_ID/SLURM_ARRAY_TASK_ID,
 * SLURM_NTASKS, SLURM_STEP_NUM_TASKS, and for end_time SLURM_JOB_END_TIME if set, else the output
 * of `squeue -h -j ID -o %e` (spawned without a shell, given at most SMX__SLURM_SQUEUE_TIMEOUT
 * seconds; SMX_SQUEUE names another program to run instead of squeue). Outside a job OUT says so.
 * Never fails hard: what cannot be learnt is left unknown (-1, 0, ""), and the return value is 0.
 * Returns SMX_EUSAGE only for a NULL OUT.
 */
int smx__slurm_detect(smx__slurm *out);

/*
 * Local. SMX_EINPUT with a message that says what went wrong and how to launch correctly if the
 * MPI world is smaller than the number of tasks srun started: typically srun started N separate
 * one-rank MPI jobs because the MPI library was not wired to Slurm (`--mpi=pmix` missing). A world
 * larger than srun's step is accepted, since mpirun may itself run inside a one-task step. 0 if
 * the sizes agree, if not started by srun, or if S is NULL.
 */
int smx__slurm_check_size(const smx__slurm *s, int world_size);

/*
 * Local. Parses an end time as Slurm prints it: unix seconds ("1700000000"), or squeue's local time
 * "YYYY-MM-DDTHH:MM:SS". Leading and trailing white space is ignored. Sets *OUT to unix seconds and
 * returns 0; returns SMX_EINPUT for "N/A", "Unknown", "NONE", "" and anything else (*OUT = 0).
 */
int smx__slurm_parse_end_time(const char *text, double *out);

/*
 * Local. Whether Slurm job JOB_ID (as a lock file records it: digits, or ARRAYJOB_TASK) has ended,
 * from `squeue -h -j JOB_ID -o %T -t all` (or $SMX_SQUEUE): 1 if squeue says the job is in a final
 * state (COMPLETED, CANCELLED, FAILED, TIMEOUT, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE,
 * OUT_OF_MEMORY; not COMPLETING, whose processes may still run) or no longer knows it ("Invalid job
 * id"); 0 if it is pending, running, completing or suspended; -1 if that cannot be told (no squeue,
 * no answer within SMX__SLURM_SQUEUE_TIMEOUT, other errors, no such line).
 */
int smx__slurm_job_ended(const char *job_id);

/*
 * Local, process-wide; call once at start-up. Makes the state-file lock take over at once a lock
 * whose holder on another host was a Slurm job that has ended (smx__slurm_job_ended() == 1),
 * instead of waiting for its heartbeat to age (state/lock.h).
 */
void smx__slurm_judge_locks(void);

/* Seconds smx__slurm_detect() waits for squeue before giving up on the end time. */
#define SMX__SLURM_SQUEUE_TIMEOUT 5.0

#endif
