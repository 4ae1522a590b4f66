#!/bin/bash
# A state file's lock left by a run on another host is judged by that run's Slurm job, as squeue
# reports it: while the job is pending or running the lock holds (exit 4, naming host, pid and job),
# however fresh or old nothing else says; once the job has ended (cancelled, completed, or no longer
# known to slurmctld) the lock is taken over at once, not after the 120 s heartbeat limit. A lock of
# a job squeue cannot be asked about (SMX_SQUEUE pointing at a broken program) still holds.
set -u
. "$SMX_SOURCE_DIR/tests/slurm/lib-cluster.sh"
smx_cluster_start
cd "$SMX_CLUSTER_DIR/work" || smx_fail "no work dir"

smx_write_task .
export OUT=$PWD/out.txt TASK_SLEEP=0
smx_write_spec spec.yaml smx-lock 3
"$SWEEPMUX" run spec.yaml --state run.h5 --log-mode none >first.out 2>&1 ||
    { cat first.out >&2; smx_fail "the first run failed"; }

# foreign_lock JOB: a fresh lock of a run on another host inside Slurm job JOB.
foreign_lock() {
    printf 'host=node-elsewhere\npid=4242\npstart=99\nboot=other\nslurm_job=%s\nstarted=%s\ntoken=%s\n' \
        "$1" "$(date +%s)" "tok$1$RANDOM" >run.h5.lock
}

# refused JOB WHAT: a resume exits 4 naming the holder and its job; the lock is left alone.
refused() {
    local rc=0
    foreign_lock "$1"
    timeout $((60 * ${SMX_TIME_SCALE:-1})) "$SWEEPMUX" run --state run.h5 --log-mode none >last.out 2>&1 || rc=$?
    [ "$rc" = 4 ] || { cat last.out >&2; smx_fail "$2: exit $rc, want 4 (in use)"; }
    grep -q "node-elsewhere pid 4242 (Slurm job $1)" last.out || { cat last.out >&2; smx_fail "$2: the message does not name the holder"; }
    grep -q "slurm_job=$1" run.h5.lock || smx_fail "$2: the lock file was changed"
}

# taken JOB WHAT: a resume takes the lock over at once and completes.
taken() {
    local rc=0 t0=$SECONDS
    foreign_lock "$1"
    timeout $((60 * ${SMX_TIME_SCALE:-1})) "$SWEEPMUX" run --state run.h5 --log-mode none >last.out 2>&1 || rc=$?
    [ "$rc" = 0 ] || { cat last.out >&2; smx_fail "$2: exit $rc, want 0 (lock taken over)"; }
    [ $((SECONDS - t0)) -le 30 ] || smx_fail "$2: the takeover took $((SECONDS - t0)) s"
    [ ! -e run.h5.lock ] || smx_fail "$2: the lock file is left after the run"
}

# A job that runs: its lock holds.
live=$(sbatch --parsable -n 1 -t 1 -J smx-holder --wrap "sleep 120") || smx_fail "sbatch failed"
for i in $(seq 1 100); do
    [ "$(squeue -h -j "$live" -o %T 2>/dev/null)" = RUNNING ] && break
    sleep 0.3
done
[ "$(squeue -h -j "$live" -o %T)" = RUNNING ] || smx_fail "job $live does not run: $(squeue -h -j "$live" 2>&1)"
refused "$live" "holder's job $live running"
# squeue that cannot answer: nothing is known, so the lock holds.
SMX_SQUEUE=/bin/false refused "$live" "squeue failing"

# Cancelled: squeue still lists it (CANCELLED) until slurmctld forgets it; taken over at once.
scancel "$live"
smx_wait_job "$live" 60 || smx_fail "job $live still queued after scancel"
st=$(squeue -h -j "$live" -o %T 2>&1 || true)
smx_log "cancelled job $live: squeue says '$st'"
taken "$live" "holder's job $live cancelled"

# Completed.
done_id=$(sbatch --parsable -n 1 -t 1 -J smx-holder --wrap "true") || smx_fail "sbatch failed"
smx_wait_job "$done_id" 120 || smx_fail "job $done_id still queued"
taken "$done_id" "holder's job $done_id completed"

# A job slurmctld does not know (purged after MinJobAge, or never submitted here).
taken 987654 "holder's job unknown to slurmctld"

# Without a job the heartbeat rule alone: a fresh lock holds.
refused none "holder outside Slurm"
rm -f run.h5.lock

smx_log "PASS lock_takeover: a lock of an ended Slurm job is taken over at once, of a running one never"
