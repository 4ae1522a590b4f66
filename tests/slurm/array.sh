#!/bin/bash
# (c) The job-array recipe: two array tasks, each working its own shard spec in its own state file
# ("%a" in the arguments), complete; the larger shard needs a continuation, which keeps its index.
set -u
. "$SMX_SOURCE_DIR/tests/slurm/lib-cluster.sh"
smx_cluster_start
cd "$SMX_CLUSTER_DIR/work" || smx_fail "no work dir"

N0=100 # one-second elements over 2 ranks: about 50 s, more than one job can do
N1=20
smx_write_task .
smx_write_spec part-0.yaml shard-0 "$N0" "$PWD/out-0.txt"
smx_write_spec part-1.yaml shard-1 "$N1" "$PWD/out-1.txt"
export TASK_SLEEP=1 SBATCH_SIGNAL=B:USR1@30

t0=$SECONDS
arr=$(sbatch --parsable --array=0-1 -n 2 -t 1 "$SMX_SOURCE_DIR/slurm/sweepmux-array.sbatch" \
    'part-%a.yaml' 'run-%a.h5') || smx_fail "sbatch failed"
smx_log "submitted array $arr"
if ! smx_wait_queue_empty 480; then
    smx_show_outputs slurm-*.out
    smx_fail "the array did not finish within 480 s"
fi
elapsed=$((SECONDS - t0))
jobs=$(smx_jobs_by_name sweepmux-array)
echo "$jobs" >&2
njobs=$(printf '%s\n' "$jobs" | grep -c .)
[ "$njobs" -ge 3 ] || { smx_show_outputs slurm-*.out; smx_fail "expected the two array tasks and a continuation, got $njobs jobs"; }
[ "$(printf '%s\n' "$jobs" | grep -c ' COMPLETED 0:0 ')" = 2 ] || smx_fail "expected one completed job per array task"
printf '%s\n' "$jobs" | grep -v ' COMPLETED 0:0 ' | grep -qv ' FAILED 3:0 ' && smx_fail "a job ended neither complete nor resumable"
# The continuation is an array task with the same index: its output says so.
grep -l "submitted job" slurm-*.out >/dev/null || smx_fail "no array task submitted a continuation"

smx_check_state_done run-0.h5 "$N0"
smx_check_state_done run-1.h5 "$N1"
d0=$(smx_check_ran_once out-0.txt "$N0" $(((njobs - 2) * 2)))
d1=$(smx_check_ran_once out-1.txt "$N1" 0)

smx_log "PASS array: shards of $N0 and $N1 elements in $njobs jobs, $d0+$d1 repeated runs, $elapsed s"
