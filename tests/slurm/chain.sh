#!/bin/bash
# (a) A sweep longer than a one-minute walltime completes through a chain of jobs submitted by
# slurm/sweepmux.sbatch: every element is done in the state file, every element's task ran (the
# task appends its index to a file), repeats only for work in flight at a stop, each job kept the
# first job's resources (-n 3 -t 1), all but the last stopped resumably (exit 3).
set -u
. "$SMX_SOURCE_DIR/tests/slurm/lib-cluster.sh"
smx_cluster_start
cd "$SMX_CLUSTER_DIR/work" || smx_fail "no work dir"

N=180     # one-second elements over 3 ranks: about 60 s of work, more than one job can do
NTASKS=3
smx_write_task .
smx_write_spec spec.yaml smx-chain "$N"
export OUT=$PWD/out.txt TASK_SLEEP=1
# The warning for every job of the chain: sbatch reads SBATCH_SIGNAL in each of them.
export SBATCH_SIGNAL=B:USR1@30

t0=$SECONDS
first=$(sbatch --parsable -n "$NTASKS" -t 1 -J smx-chain "$SMX_SOURCE_DIR/slurm/sweepmux.sbatch" \
    spec.yaml run.h5) || smx_fail "sbatch failed"
smx_log "submitted job $first"
if ! smx_wait_queue_empty 480; then
    smx_show_outputs slurm-*.out
    smx_fail "the chain did not finish within 480 s"
fi
elapsed=$((SECONDS - t0))

jobs=$(smx_jobs_by_name smx-chain)
echo "$jobs" >&2
njobs=$(printf '%s\n' "$jobs" | grep -c .)
if [ "$njobs" -lt 2 ]; then
    smx_show_outputs slurm-*.out
    smx_fail "the sweep took $njobs job(s): no continuation was exercised"
fi
# Every job but the last stopped resumably; the last completed; all with the first job's resources.
printf '%s\n' "$jobs" | head -n $((njobs - 1)) | while read -r id st ex pc tl; do
    [ "$st $ex" = "FAILED 3:0" ] || smx_fail "job $id ended '$st $ex', expected exit 3"
    [ "$pc $tl" = "$NTASKS 1" ] || smx_fail "job $id had $pc CPUs and $tl min, expected $NTASKS and 1"
done || exit 1
read -r id st ex pc tl < <(printf '%s\n' "$jobs" | tail -n 1)
[ "$st $ex" = "COMPLETED 0:0" ] || { smx_show_outputs slurm-*.out; smx_fail "last job $id ended '$st $ex'"; }
[ "$pc $tl" = "$NTASKS 1" ] || smx_fail "job $id had $pc CPUs and $tl min, expected $NTASKS and 1"
for j in $(printf '%s\n' "$jobs" | head -n $((njobs - 1)) | cut -d' ' -f1); do
    grep -q "submitted job" "slurm-$j.out" || smx_fail "job $j did not say it submitted a continuation"
done

smx_check_state_done run.h5 "$N"
# At a stop the tasks in flight finish (they are not signalled), so no element should run twice;
# allow one repeat per task slot per stop for an element whose completion was in flight.
dups=$(smx_check_ran_once out.txt "$N" $(((njobs - 1) * NTASKS)))
# The work was shared by the jobs: the state file attributes elements to more than one of them.
njob_ids=$("$SWEEPMUX" export run.h5 --format csv | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "job") c = i; next } { print $c }' | sort -u | grep -c .)
[ "$njob_ids" -ge 2 ] || smx_fail "the state file attributes the elements to $njob_ids job(s)"
"$SWEEPMUX" status run.h5 >&2

smx_log "PASS chain: $N elements in $njobs jobs, $dups repeated runs, $elapsed s"
