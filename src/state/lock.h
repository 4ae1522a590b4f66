/*
 * Single-writer lock of a state file, independent of HDF5's flock (which fails on NFS and some
 * Lustre mounts): a sidecar file `RUN.h5.lock` created with O_EXCL holding the host, pid, Slurm
 * job id and start time of the run, whose mtime the holder refreshes (heartbeat). A lock whose
 * holder is provably dead (same host, no such pid) or whose heartbeat is older than the stale
 * limit is taken over, atomically with respect to other runs attempting the same.
 */
#ifndef SMX_LOCK_H
#define SMX_LOCK_H

typedef struct smx__lock smx__lock;

/* Default seconds without a heartbeat after which a lock from another host counts as stale. */
#define SMX__LOCK_STALE_SECONDS 120.0

/*
 * The stale limit to use: the environment variable SWEEPMUX_LOCK_STALE (seconds) if set to a
 * positive number, DFLT otherwise.
 */
double smx__lock_stale_limit(double dflt);

/*
 * Says whether the Slurm job JOB_ID (as a lock file records it) has ended: 1 ended (none of its
 * processes runs any more), 0 not ended, -1 cannot tell. The library does not talk to Slurm
 * itself; the program installs one (exec/slurm.h: smx__slurm_judge_locks).
 */
typedef int (*smx__lock_job_ended_fn)(const char *job_id);

/*
 * Process-wide, before any lock is taken: with FN set, a lock whose holder is on another host and
 * names a Slurm job that FN says has ended is stale at once, whatever its heartbeat's age. NULL
 * (the default) leaves the heartbeat rule alone.
 */
void smx__lock_set_job_ended(smx__lock_job_ended_fn fn);

/*
 * Takes the lock of STATE_PATH. SMX_ELOCKED with a message naming host, pid and Slurm job of the
 * holder if a live run holds it. A holder on this host is judged by the process table only (a
 * live process keeps its lock however old its heartbeat); one on another host by its heartbeat's
 * age against STALE_SECONDS (or SWEEPMUX_LOCK_STALE), or at once if its Slurm job has ended
 * (smx__lock_set_job_ended).
 */
int smx__lock_acquire(smx__lock **out, const char *state_path, double stale_seconds);

/*
 * Fencing for a long-running writer. Guards FD, the writer's open descriptor of the state file:
 * starts a heartbeat thread (no MPI; every min(5 s, stale limit / 4)) that refreshes the lock and
 * checks it is still ours. The lock is lost when the lock file no longer holds our token (taken
 * over or removed) or the state path no longer names the file FD refers to. On loss FD is
 * re-pointed at an anonymous memory file, so nothing written through it afterwards, by us or by
 * HDF5's caches at close, reaches the state file.
 */
int smx__lock_guard(smx__lock *l, int fd);
/*
 * Checks now that the lock is still ours (reads the lock file and stats the state path); call
 * before every write batch. SMX_ELOCKED with a message naming the new holder if it was lost.
 */
int smx__lock_check(smx__lock *l);
/* SMX_ELOCKED (with the message) once the heartbeat thread or a check found the lock lost; cheap.
 */
int smx__lock_lost(smx__lock *l);
/* Stops the heartbeat thread and forgets FD (call before closing it). Accepts NULL. */
void smx__lock_unguard(smx__lock *l);
/* Refreshes the heartbeat once and checks the lock (the guard's thread does this by itself). */
int smx__lock_heartbeat(smx__lock *l);
/* Stops the guard, removes the lock if it is still ours, and frees. Accepts NULL. */
void smx__lock_release(smx__lock *l);

#endif
