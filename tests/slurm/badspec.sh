#!/bin/bash
# (b) A sweep that cannot run never starts a chain: a spec with an error ends with exit 2 in one
# job, and so does srun without the MPI plugin (Open MPI aborts in MPI_Init with exit 1 before
# sweepmux can check the world size), and no continuation is ever submitted.
set -u
. "$SMX_SOURCE_DIR/tests/slurm/lib-cluster.sh"
smx_cluster_start
cd "$SMX_CLUSTER_DIR/work" || smx_fail "no work dir"

smx_write_task .
export OUT=$PWD/out.txt TASK_SLEEP=0
cat >bad.yaml <<'SPEC'
name: smx-bad
command: [./task.sh, "{index}"]
parameters:
  x: {min: 1, max: [oops
SPEC
smx_write_spec good.yaml smx-nopmi 4

t0=$SECONDS
a=$(sbatch --parsable -n 2 -t 1 -J smx-bad "$SMX_SOURCE_DIR/slurm/sweepmux.sbatch" bad.yaml bad.h5) ||
    smx_fail "sbatch failed"
b=$(SWEEPMUX_SRUN_MPI=none sbatch --parsable -n 2 -t 1 -J smx-nopmi \
    "$SMX_SOURCE_DIR/slurm/sweepmux.sbatch" good.yaml nopmi.h5) || smx_fail "sbatch failed"
smx_wait_queue_empty 120 || smx_fail "jobs still queued after 120 s"
# A continuation would be submitted before its predecessor ends; look once more after a pause.
sleep 2
[ -z "$(smx_queue_ids)" ] || smx_fail "a job appeared after the failures: $(squeue -h 2>&1)"

for pair in "smx-bad $a 2" "smx-nopmi $b 1"; do
    # shellcheck disable=SC2086
    set -- $pair
    jobs=$(smx_jobs_by_name "$1")
    [ "$(printf '%s\n' "$jobs" | grep -c .)" = 1 ] || smx_fail "$1: expected one job, got: $jobs"
    read -r id st ex _ <<<"$jobs"
    [ "$id $st $ex" = "$2 FAILED $3:0" ] || { smx_show_outputs "slurm-$2.out"; smx_fail "$1: job ended '$id $st $ex', expected '$2 FAILED $3:0'"; }
    grep -q "no continuation" "slurm-$2.out" || smx_fail "$1: the script did not say it stops"
done
grep -q "bad.yaml:[0-9]" "slurm-$a.out" || { smx_show_outputs "slurm-$a.out"; smx_fail "the spec error does not name bad.yaml:LINE"; }
grep -q "the sweep is not complete" "slurm-$b.out" || { smx_show_outputs "slurm-$b.out"; smx_fail "the failed launch is not told apart from a finished sweep"; }
[ ! -e bad.h5 ] || smx_fail "bad.h5 was written despite the bad spec"
[ ! -e out.txt ] || smx_fail "tasks ran although the launch was wrong"

smx_log "PASS badspec: no continuation after a bad spec (exit 2) or srun without PMI (exit 1) ($((SECONDS - t0)) s)"
