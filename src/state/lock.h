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
 * Takes the lock of STATE_PATH. SMX_ELOCKED with a message naming host, pid and Slurm job of the
 * holder if a live run holds it.
 */
int smx__lock_acquire(smx__lock **out, const char *state_path, double stale_seconds);
/* Refreshes the heartbeat; cheap (utimensat); call every few seconds. */
int smx__lock_heartbeat(smx__lock *l);
/* Removes the lock if it is still ours, and frees. Accepts NULL. */
void smx__lock_release(smx__lock *l);

#endif
