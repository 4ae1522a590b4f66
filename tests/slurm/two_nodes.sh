#!/bin/bash
# Two Slurm nodes on this machine (n1 and n2: two slurmd, each in a UTS namespace of its own):
#   1. `srun -N 2 -n 4 --mpi=pmix sweepmux run` with Debian's Open MPI defaults, where MPI one-sided
#      windows cannot span the nodes, completes: claims fall back to rank 0's point-to-point
#      messages with one warning, status says p2p, every element ran once, both nodes ran elements
#      and the state file's host of each says which;
#   2. `sbatch -N 2 -n 4` through slurm/sweepmux.sbatch is a chain of three jobs (one-minute limit,
#      SWEEPMUX_MAX_JOBS=3), each on both nodes, each stopped resumably by the time-limit warning;
#      no element is lost and the third job's state resumes to completion.
set -u
. "$SMX_SOURCE_DIR/tests/slurm/lib-cluster.sh"
SMX_CLUSTER_NODES=2 smx_cluster_start
cd "$SMX_CLUSTER_DIR/work" || smx_fail "no work dir"
unset OMPI_MCA_osc OMPI_MCA_btl OMPI_MCA_pml

smx_write_task .
export OUT=$PWD/out.txt TASK_SLEEP=0.05
smx_write_spec spec.yaml smx-2n 200

# ---- 1. srun across the two nodes -----------------------------------------------------------------
t0=$SECONDS
rc=0
srun -N 2 -n 4 --mpi=pmix "$SWEEPMUX" run spec.yaml --state run.h5 --log-mode none >srun.out 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat srun.out >&2; smx_fail "srun -N 2 -n 4: exit $rc"; }
[ "$(grep -c 'cannot create the claim window' srun.out)" = 1 ] ||
    { cat srun.out >&2; smx_fail "want one warning about the claim window with Open MPI's defaults"; }
grep -q 'OMPI_MCA_osc=pt2pt under srun' srun.out || smx_fail "the warning does not name the srun cure"
smx_check_state_done run.h5 200
[ "$(sort -n out.txt | uniq -d | head -n 3)" = "" ] || smx_fail "elements ran twice: $(sort -n out.txt | uniq -d | head -n 3)"
[ "$(wc -l <out.txt)" = 200 ] || smx_fail "$(wc -l <out.txt) task runs for 200 elements"
"$SWEEPMUX" status run.h5 --json | tr -d ' \n' | grep -q '"claims":"p2p"' ||
    smx_fail "status does not say p2p: $("$SWEEPMUX" status run.h5 2>&1)"
per_host=$("$SWEEPMUX" export run.h5 --status done | /usr/bin/python3 -c '
import csv, sys, collections
print(" ".join("%s:%d" % kv for kv in sorted(collections.Counter(r["host"] for r in csv.DictReader(sys.stdin)).items())))')
case $per_host in n1:*" "n2:*) ;; *) smx_fail "elements per host: '$per_host', want both n1 and n2" ;; esac
smx_log "srun -N 2 -n 4: 200 elements in $((SECONDS - t0)) s, per host $per_host"

# ---- 2. a chain of three two-node jobs ----------------------------------------------------------
rm -f out.txt
smx_write_spec chain.yaml smx-2n-chain 400
export TASK_SLEEP=1 SBATCH_SIGNAL=B:USR1@30 SWEEPMUX_MAX_JOBS=3
first=$(sbatch --parsable -N 2 -n 4 -t 1 -J smx-2n-chain "$SMX_SOURCE_DIR/slurm/sweepmux.sbatch" \
    chain.yaml chain.h5 --log-mode none) || smx_fail "sbatch failed"
smx_log "submitted job $first"
smx_wait_queue_empty 480 || { smx_show_outputs slurm-*.out; smx_fail "the chain did not end within 480 s"; }
jobs=$(smx_jobs_by_name smx-2n-chain)
echo "$jobs" >&2
[ "$(printf '%s\n' "$jobs" | grep -c .)" = 3 ] || { smx_show_outputs slurm-*.out; smx_fail "want 3 jobs, got: $jobs"; }
printf '%s\n' "$jobs" | while read -r id st ex _; do
    [ "$st $ex" = "FAILED 3:0" ] || smx_fail "job $id ended '$st $ex', want exit 3 (stopped, resumable)"
    nodes=$(grep "JobId=$id " "$SMX_CLUSTER_DIR/log/jobcomp.log" | tr ' ' '\n' | sed -n 's/^NodeList=//p')
    [ "$nodes" = "n[1-2]" ] || smx_fail "job $id ran on '$nodes', want both nodes n[1-2]"
done || exit 1
grep -q "this was job 3 of at most SWEEPMUX_MAX_JOBS=3" slurm-*.out || smx_fail "the third job did not say why it stops the chain"
# Every element finished in the chain ran; the rest finishes in one more run across both nodes.
done3=$(smx_status_int chain.h5 done)
[ "${done3:-0}" -gt 0 ] || smx_fail "the chain finished no element"
rc=0
TASK_SLEEP=0 srun -N 2 -n 4 --mpi=pmix "$SWEEPMUX" run --state chain.h5 --log-mode none >resume.out 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat resume.out >&2; smx_fail "the resume after the chain: exit $rc"; }
smx_check_state_done chain.h5 400
missing=$(sort -n out.txt | uniq | wc -l)
[ "$missing" = 400 ] || smx_fail "$missing distinct elements ran, want 400"
smx_log "PASS two_nodes: srun -N 2 with point-to-point claims, a chain of 3 two-node jobs ($done3 elements), resume"
