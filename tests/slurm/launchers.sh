#!/bin/bash
# (d) Both launch modes of slurm/sweepmux.sbatch: `srun --mpi=pmix` (the default, with sweepmux
# found through $SWEEPMUX) runs a small sweep in one job, and `mpirun` (SWEEPMUX_LAUNCHER=mpirun,
# with sweepmux found on PATH) runs one long enough to stop at the warning and continue. A spec of
# "-" resumes with the spec stored in the state file.
set -u
. "$SMX_SOURCE_DIR/tests/slurm/lib-cluster.sh"
smx_cluster_start
cd "$SMX_CLUSTER_DIR/work" || smx_fail "no work dir"
command -v mpirun >/dev/null || smx_fail "mpirun not found"

NS=10
NM=100 # one-second elements over 2 ranks: about 50 s, more than one job can do
smx_write_task .
smx_write_spec srun.yaml smx-srun "$NS" "$PWD/out-srun.txt"
smx_write_spec mpirun.yaml smx-mpirun "$NM" "$PWD/out-mpirun.txt"
export TASK_SLEEP=1 SBATCH_SIGNAL=B:USR1@30

t0=$SECONDS
s=$(sbatch --parsable -n 2 -t 1 -J smx-srun "$SMX_SOURCE_DIR/slurm/sweepmux.sbatch" srun.yaml srun.h5) ||
    smx_fail "sbatch failed"
m=$(env -u SWEEPMUX PATH="$(dirname "$SWEEPMUX"):$PATH" SWEEPMUX_LAUNCHER=mpirun \
    sbatch --parsable -n 2 -t 1 -J smx-mpirun "$SMX_SOURCE_DIR/slurm/sweepmux.sbatch" mpirun.yaml mpirun.h5) ||
    smx_fail "sbatch failed"
smx_log "submitted $s (srun) and $m (mpirun)"
if ! smx_wait_queue_empty 480; then
    smx_show_outputs slurm-*.out
    smx_fail "the jobs did not finish within 480 s"
fi
elapsed=$((SECONDS - t0))

js=$(smx_jobs_by_name smx-srun)
[ "$js" = "$s COMPLETED 0:0 2 1" ] || { smx_show_outputs "slurm-$s.out"; smx_fail "srun mode: '$js'"; }
grep -q "starting: srun --mpi=pmix" "slurm-$s.out" || smx_fail "srun mode did not use srun --mpi=pmix"
smx_check_state_done srun.h5 "$NS"
ds=$(smx_check_ran_once out-srun.txt "$NS" 0)

jm=$(smx_jobs_by_name smx-mpirun)
echo "$jm" >&2
nm=$(printf '%s\n' "$jm" | grep -c .)
[ "$nm" -ge 2 ] || { smx_show_outputs slurm-*.out; smx_fail "mpirun mode: no continuation exercised ($jm)"; }
printf '%s\n' "$jm" | tail -n 1 | grep -q ' COMPLETED 0:0 2 1$' || { smx_show_outputs slurm-*.out; smx_fail "mpirun mode: last job did not complete: $jm"; }
printf '%s\n' "$jm" | head -n $((nm - 1)) | grep -v ' FAILED 3:0 2 1$' && smx_fail "mpirun mode: a job did not stop resumably"
for j in $(printf '%s\n' "$jm" | cut -d' ' -f1); do
    grep -q "starting: mpirun" "slurm-$j.out" || smx_fail "job $j did not use mpirun"
    grep -q "rank 0 is not on this node" "slurm-$j.out" && smx_fail "job $j could not find rank 0 to warn"
done
smx_check_state_done mpirun.h5 "$NM"
dm=$(smx_check_ran_once out-mpirun.txt "$NM" $(((nm - 1) * 2)))

# SPEC "-": resume with the spec stored in the state file (complete already: exit 0 at once).
r=$(sbatch --parsable -n 2 -t 1 -J smx-resume "$SMX_SOURCE_DIR/slurm/sweepmux.sbatch" - srun.h5) || smx_fail "sbatch failed"
smx_wait_queue_empty 60 || smx_fail "resume job still queued"
[ "$(smx_jobs_by_name smx-resume)" = "$r COMPLETED 0:0 2 1" ] || { smx_show_outputs "slurm-$r.out"; smx_fail "resume with '-': $(smx_jobs_by_name smx-resume)"; }
grep -q "sweepmux run --state srun.h5\$" "slurm-$r.out" || { smx_show_outputs "slurm-$r.out"; smx_fail "resume with '-' did not run without a spec"; }
[ "$(wc -l <out-srun.txt)" = "$NS" ] || smx_fail "the resume of a complete sweep ran tasks"

smx_log "PASS launchers: srun $NS elements in 1 job ($ds repeats), mpirun $NM elements in $nm jobs ($dm repeats), $elapsed s"
