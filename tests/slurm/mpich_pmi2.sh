#!/bin/bash
# sweepmux built against MPICH under Slurm's PMI-2 (`srun --mpi=pmi2`, Debian's slurm-wlm-basic-plugins
# mpi_pmi2.so), on two nodes (two slurmd, each in a UTS namespace of its own):
#   1. `srun -N 2 -n 4 --mpi=pmi2 sweepmux run` completes: every element ran exactly once, the
#      state file is complete, the job is recorded with 4 ranks, and both nodes ran elements;
#   2. `sbatch -N 2 -n 4` through slurm/sweepmux.sbatch with the MPICH build (which picks
#      --mpi=pmi2 itself) is stopped resumably by the time-limit warning (SIGUSR1 to rank 0, found
#      by PMI_RANK), and `srun -N 2 --mpi=pmi2` resumes it to completion, every element run once.
# The MPICH build is the one under test when $SWEEPMUX links MPICH (the MPICH pass); otherwise the
# test builds sweepmux against MPICH in $SMX_BUILD_DIR/mpich-cli (incrementally) first.
set -u
: "${SMX_SOURCE_DIR:?}" "${SMX_BUILD_DIR:?}" "${SWEEPMUX:?}"

if ldd "$SWEEPMUX" 2>/dev/null | grep -q libmpich; then
    MPICH_SMX=$SWEEPMUX
else
    command -v mpicc.mpich >/dev/null || { echo "FAIL: mpicc.mpich missing (scripts/deps.sh installs mpich)" >&2; exit 1; }
    b=$SMX_BUILD_DIR/mpich-cli
    echo "building sweepmux against MPICH in $b" >&2
    cmake -S "$SMX_SOURCE_DIR" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPI_EXECUTABLE_SUFFIX=.mpich \
        -DBUILD_TESTING=OFF >"$SMX_BUILD_DIR/mpich-cli.log" 2>&1 &&
        cmake --build "$b" --target sweepmux_cli -j 2 >>"$SMX_BUILD_DIR/mpich-cli.log" 2>&1 ||
        { tail -n 30 "$SMX_BUILD_DIR/mpich-cli.log" >&2; echo "FAIL: building the MPICH sweepmux" >&2; exit 1; }
    MPICH_SMX=$b/sweepmux
fi
ldd "$MPICH_SMX" | grep -q libmpich || { echo "FAIL: $MPICH_SMX does not link MPICH" >&2; exit 1; }
export SWEEPMUX=$MPICH_SMX

. "$SMX_SOURCE_DIR/tests/slurm/lib-cluster.sh"
SMX_CLUSTER_NODES=2 smx_cluster_start
cd "$SMX_CLUSTER_DIR/work" || smx_fail "no work dir"
srun --mpi=list 2>&1 | grep -qw pmi2 || smx_fail "srun has no pmi2 plugin: $(srun --mpi=list 2>&1 | tr '\n' ' ')"
smx_write_task .

# ---- 1. srun --mpi=pmi2 across the two nodes --------------------------------------------------------
export OUT=$PWD/out.txt TASK_SLEEP=0.05
smx_write_spec spec.yaml smx-pmi2 200
t0=$SECONDS
rc=0
timeout -k 10 300 srun -N 2 -n 4 --mpi=pmi2 "$SWEEPMUX" run spec.yaml --state run.h5 --log-mode none \
    >srun.out 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat srun.out >&2; smx_fail "srun -N 2 -n 4 --mpi=pmi2: exit $rc"; }
smx_check_state_done run.h5 200
dups=$(smx_check_ran_once out.txt 200 0) || exit 1
"$SWEEPMUX" status run.h5 >status.txt 2>&1
grep -Eq '4 ranks +exit 0 +complete +claims (rma|p2p)' status.txt ||
    { cat status.txt >&2; smx_fail "the job is not recorded as 4 ranks, complete"; }
per_host=$("$SWEEPMUX" export run.h5 --status done | /usr/bin/python3 -c '
import csv, sys, collections
print(" ".join("%s:%d" % kv for kv in sorted(collections.Counter(r["host"] for r in csv.DictReader(sys.stdin)).items())))')
case $per_host in n1:*" "n2:*) ;; *) smx_fail "elements per host: '$per_host', want both n1 and n2" ;; esac
smx_log "srun -N 2 -n 4 --mpi=pmi2 (MPICH): 200 elements once each ($dups repeats) in $((SECONDS - t0)) s, per host $per_host, $(grep -o 'claims [a-z0-9]*' status.txt)"

# ---- 2. sbatch through slurm/sweepmux.sbatch, stopped by the warning, resumed with srun -------------
export OUT=$PWD/out2.txt TASK_SLEEP=1 SBATCH_SIGNAL=B:USR1@30 SWEEPMUX_MAX_JOBS=1
smx_write_spec long.yaml smx-pmi2-sbatch 400
id=$(sbatch --parsable -N 2 -n 4 -t 1 -J smx-pmi2-sbatch "$SMX_SOURCE_DIR/slurm/sweepmux.sbatch" \
    long.yaml long.h5 --log-mode none) || smx_fail "sbatch failed"
smx_wait_queue_empty 300 || { smx_show_outputs slurm-*.out; smx_fail "job $id did not end within 300 s"; }
read -r _ st ex _ <<<"$(smx_jobs_by_name smx-pmi2-sbatch)"
[ "$st $ex" = "FAILED 3:0" ] || { smx_show_outputs slurm-*.out; smx_fail "job $id ended '$st $ex', want exit 3 (stopped, resumable)"; }
grep -q -- "--mpi=pmi2" "slurm-$id.out" || { smx_show_outputs slurm-*.out; smx_fail "sweepmux.sbatch did not launch with --mpi=pmi2"; }
done1=$(smx_status_int long.h5 done)
[ -n "$done1" ] && [ "$done1" -lt 400 ] || smx_fail "the stopped job finished '$done1' of 400"
"$SWEEPMUX" status long.h5 | grep -q "signal SIGUSR1" ||
    { "$SWEEPMUX" status long.h5 >&2; smx_fail "the job's recorded reason is not the SIGUSR1 warning"; }
rc=0
TASK_SLEEP=0 timeout -k 10 300 srun -N 2 -n 4 --mpi=pmi2 "$SWEEPMUX" run --state long.h5 --log-mode none \
    >resume.out 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat resume.out >&2; smx_fail "the srun --mpi=pmi2 resume: exit $rc"; }
smx_check_state_done long.h5 400
dups=$(smx_check_ran_once out2.txt 400 0) || exit 1
smx_log "PASS mpich_pmi2: srun and sbatch with --mpi=pmi2 on two nodes; $done1 elements before the warning, the rest after the resume"
