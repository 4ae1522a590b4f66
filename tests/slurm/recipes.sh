#!/bin/bash
# The per-node recipes on a real Slurm: slurm/sweepmux-cores.sbatch runs one rank per node with a
# slot per CPU and OMP_NUM_THREADS=1; slurm/sweepmux-gpus.sbatch (on two device-less GPUs that
# Slurm schedules like real ones) runs one task per GPU with its own CUDA_VISIBLE_DEVICES. A dry
# run of each shows that a continuation would keep the recipe and its resources.
set -u
export SMX_CLUSTER_GPUS=2
. "$SMX_SOURCE_DIR/tests/slurm/lib-cluster.sh"
smx_cluster_start
cd "$SMX_CLUSTER_DIR/work" || smx_fail "no work dir"

cat >rec.sh <<'TASK'
#!/bin/sh
echo "$1 slot=$SWEEPMUX_SLOT rank=$SWEEPMUX_RANK omp=${OMP_NUM_THREADS:-unset} cuda=${CUDA_VISIBLE_DEVICES:-unset}" >>"$OUT"
sleep 1
TASK
chmod +x rec.sh
for r in cores gpus; do
    cat >"$r.yaml" <<SPEC
name: smx-$r
command: [$PWD/rec.sh, "{index}"]
parameters:
  x: {min: 1, max: 12}
SPEC
done
export OUT=$PWD/out.txt
t0=$SECONDS

# Dry runs: what would run, and the continuation's sbatch line.
dc=$(SWEEPMUX_DRY_RUN=1 sbatch --parsable -J dry-cores -N 1 -t 1 "$SMX_SOURCE_DIR/slurm/sweepmux-cores.sbatch" cores.yaml cores.h5) || smx_fail "sbatch"
dg=$(SWEEPMUX_DRY_RUN=1 sbatch --parsable -J dry-gpus -N 1 -t 1 --gpus-per-node=2 "$SMX_SOURCE_DIR/slurm/sweepmux-gpus.sbatch" gpus.yaml gpus.h5) || smx_fail "sbatch"
smx_wait_queue_empty 60 || smx_fail "dry runs still queued"
smx_show_outputs "slurm-$dc.out" "slurm-$dg.out"
grep -q -- "run cores.yaml --state cores.h5 --slots 4\$" "slurm-$dc.out" || smx_fail "cores recipe: not --slots 4"
grep -q -- "--exclusive" "slurm-$dc.out" || smx_fail "cores recipe: continuation without --exclusive"
grep -q -- "--ntasks-per-node=1" "slurm-$dc.out" || smx_fail "cores recipe: continuation without --ntasks-per-node=1"
grep -q -- "slurm/sweepmux-cores.sbatch cores.yaml cores.h5\$" "slurm-$dc.out" || smx_fail "cores recipe: continuation does not resubmit the recipe"
grep -q -- "run gpus.yaml --state gpus.h5 --slots 2 --gpus-per-slot 1\$" "slurm-$dg.out" || smx_fail "gpus recipe: not --slots 2 --gpus-per-slot 1"
grep -q -- "--gres=gpu:2" "slurm-$dg.out" || smx_fail "gpus recipe: continuation without the GPUs"

# Real runs, one after the other (the cores recipe takes the whole node).
c=$(sbatch --parsable -N 1 -t 1 "$SMX_SOURCE_DIR/slurm/sweepmux-cores.sbatch" cores.yaml cores.h5) || smx_fail "sbatch"
smx_wait_queue_empty 120 || smx_fail "cores job still queued"
[ "$(smx_jobs_by_name sweepmux-cores)" = "$c COMPLETED 0:0 4 1" ] ||
    { smx_show_outputs "slurm-$c.out"; smx_fail "cores job: $(smx_jobs_by_name sweepmux-cores)"; }
smx_check_state_done cores.h5 12
mv out.txt out-cores.txt
[ "$(cut -d' ' -f3 out-cores.txt | sort -u)" = "rank=0" ] || smx_fail "cores: more than one rank: $(cat out-cores.txt)"
[ "$(cut -d' ' -f4 out-cores.txt | sort -u)" = "omp=1" ] || smx_fail "cores: OMP_NUM_THREADS not 1"
[ "$(cut -d' ' -f2 out-cores.txt | sort -u | tr '\n' ' ')" = "slot=0 slot=1 slot=2 slot=3 " ] ||
    smx_fail "cores: expected slots 0-3 in use: $(cut -d' ' -f2 out-cores.txt | sort | uniq -c | tr '\n' ' ')"

g=$(sbatch --parsable -N 1 -t 1 --gpus-per-node=2 "$SMX_SOURCE_DIR/slurm/sweepmux-gpus.sbatch" gpus.yaml gpus.h5) || smx_fail "sbatch"
smx_wait_queue_empty 120 || smx_fail "gpus job still queued"
[ "$(smx_jobs_by_name sweepmux-gpus)" = "$g COMPLETED 0:0 1 1" ] ||
    { smx_show_outputs "slurm-$g.out"; smx_fail "gpus job: $(smx_jobs_by_name sweepmux-gpus)"; }
smx_check_state_done gpus.h5 12
mv out.txt out-gpus.txt
# Each slot always had its own device.
[ "$(cut -d' ' -f2,5 out-gpus.txt | sort -u | tr '\n' ' ')" = "slot=0 cuda=0 slot=1 cuda=1 " ] ||
    smx_fail "gpus: slots and devices: $(cut -d' ' -f2,5 out-gpus.txt | sort | uniq -c | tr '\n' ' ')"

smx_log "PASS recipes: cores (4 slots, OMP_NUM_THREADS=1) and gpus (a device per slot) in $((SECONDS - t0)) s"
