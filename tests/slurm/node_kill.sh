#!/bin/bash
# One node's ranks die (kill -9 of every process of the job on n2: its two ranks and their tasks)
# during `srun -N 2 --ntasks-per-node=2 --kill-on-bad-exit=1 --mpi=pmix sweepmux run`, on a Slurm
# with two slurmd (n1, n2: a UTS namespace each), with Debian's Open MPI defaults (point-to-point
# claims across the nodes):
#   - srun ends the step (without --kill-on-bad-exit the surviving ranks would finish the others'
#     work and then wait for the dead ranks forever: slurm/sweepmux.sbatch passes it);
#   - the state file opens, and `srun -N 2` again resumes it to completion;
#   - by the file's records every element is done, exactly once: each has one final record, the
#     elements durable right after the kill have attempt 1 and did not run again, and only
#     elements the killed job had started or claimed ran in both jobs.
set -u
. "$SMX_SOURCE_DIR/tests/slurm/lib-cluster.sh"
SMX_CLUSTER_NODES=2 smx_cluster_start
cd "$SMX_CLUSTER_DIR/work" || smx_fail "no work dir"
unset OMPI_MCA_osc OMPI_MCA_btl OMPI_MCA_pml

N=400
smx_write_task .
smx_write_spec spec.yaml smx-node-kill "$N"
srun_run() { # OUTFILE: srun across both nodes, two ranks each
    srun -N 2 --ntasks-per-node=2 --kill-on-bad-exit=1 --mpi=pmix "$SWEEPMUX" run spec.yaml --state run.h5 \
        --slots 2 --log-mode none >"$1" 2>&1
}

# The processes of job $1 on node n2: in n2's UTS namespace (that of its slurmd), with this cluster's
# SLURM_CONF and the job's id in their environment, slurmstepd left out; and their descendants. One
# pass over /proc in one process: the job must still be running when the listing ends.
n2_job_pids() {
    /usr/bin/python3 - "$1" "$(cat "$SMX_CLUSTER_DIR/run/slurmd-n2.pid")" "$SLURM_CONF" <<'PY'
import os, sys
jid, slurmd, conf = sys.argv[1:4]
ns = os.readlink("/proc/%s/ns/uts" % slurmd)
want = {b"SLURM_CONF=" + conf.encode(), b"SLURM_JOB_ID=" + jid.encode()}
parent, found = {}, set()
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open("/proc/%s/stat" % pid, "rb") as f:
            parent[pid] = f.read().rsplit(b")", 1)[1].split()[1].decode()
        if os.readlink("/proc/%s/ns/uts" % pid) != ns:
            continue
        with open("/proc/%s/environ" % pid, "rb") as f:
            env = set(f.read().split(b"\0"))
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            cmd = f.read()
    except OSError:
        continue
    if want <= env and not cmd.startswith(b"slurmstepd"):
        found.add(pid)
grew = True
while grew:
    grew = False
    for pid, pp in parent.items():
        if pp in found and pid not in found:
            found.add(pid)
            grew = True
print(" ".join(sorted(found, key=int)))
PY
}

# ---- the run whose n2 dies -------------------------------------------------------------------------
# Eight one-second tasks at a time: about 50 s of work, killed after about 5.
export OUT=$PWD/out1.txt TASK_SLEEP=1
srun_run srun1.out &
srun_pid=$!
for _ in $(seq 600); do
    [ "$(cat out1.txt 2>/dev/null | wc -l)" -ge 40 ] && break
    sleep 0.2
done
jid=$(squeue -h -o %i | head -n 1)
[ -n "$jid" ] || { cat srun1.out >&2; smx_fail "the job ended before the kill"; }
victims=$(n2_job_pids "$jid")
ranks=0
for p in $victims; do
    case $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) in "$SWEEPMUX run"*) ranks=$((ranks + 1)) ;; esac
done
[ "$ranks" = 2 ] || smx_fail "$(wc -l <out1.txt) tasks ran; found $ranks sweepmux ranks of job $jid on n2 (want 2) among: $victims"
# Frozen first, so that no task started between the listing and the kill escapes.
# shellcheck disable=SC2086
kill -STOP $victims 2>/dev/null
# shellcheck disable=SC2086
kill -KILL $(n2_job_pids "$jid") $victims 2>/dev/null
smx_log "killed n2's processes of job $jid: $victims"
t0=$SECONDS
rc=0
wait "$srun_pid" || rc=$?
[ "$rc" != 0 ] || { cat srun1.out >&2; smx_fail "srun exited 0 although n2's ranks were killed"; }
smx_wait_queue_empty 120 || smx_fail "job $jid still queued 120 s after the kill"
smx_log "srun ended $((SECONDS - t0)) s after the kill with exit $rc: $(grep -m1 'Killed' srun1.out)"
# Tasks that outlived their rank on n1 may still append to out1.txt: wait until it stops growing.
for _ in $(seq 30); do
    a=$(wc -l <out1.txt)
    sleep 1
    [ "$(wc -l <out1.txt)" = "$a" ] && break
done
/usr/bin/python3 - run.h5 >durable.txt <<'EOF' || smx_fail "the state file does not open after the kill"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    st = f["sessions/default/status"][:]
for i in np.nonzero(st >= 2)[0]:
    print(i)
EOF
ndurable=$(wc -l <durable.txt)
[ "$ndurable" -gt 0 ] || smx_fail "nothing was durable after $(wc -l <out1.txt) task runs"
# The kill came early enough for the resume to have work left (about 50 s of work, killed after 5).
[ "$ndurable" -le $((N - 100)) ] || smx_fail "$ndurable of $N elements were done before the kill took effect"

# ---- the resume across both nodes ----------------------------------------------------------------------
export OUT=$PWD/out2.txt TASK_SLEEP=0
rc=0
srun_run srun2.out || rc=$?
[ "$rc" = 0 ] || { cat srun2.out >&2; smx_fail "the resume: exit $rc"; }
smx_check_state_done run.h5 "$N"
/usr/bin/python3 - run.h5 durable.txt out1.txt out2.txt "$N" <<'EOF' || smx_fail "not exactly once by the file's records"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
s = f["sessions/default"]
st, at = s["status"][:], s["attempts"][:]
durable = {int(x) for x in open(sys.argv[2])}
# task.sh writes the element index ({index}, 0-based).
r1 = [int(x) for x in open(sys.argv[3])]
r2 = [int(x) for x in open(sys.argv[4])]
n = int(sys.argv[5])
bad = []
if (st != 2).any():
    bad.append("%d elements not done" % (st != 2).sum())
bad += ["element %d was durable after the kill but ran again" % i for i in sorted(durable & set(r2))]
bad += ["element %d durable after the kill has attempts %d" % (i, at[i]) for i in sorted(durable) if at[i] != 1]
bad += ["element %d ran twice in the resumed job" % i for i in set(r2) if r2.count(i) > 1]
bad += ["element %d never ran" % i for i in range(n) if i not in r1 and i not in r2]
again = set(r1) & set(r2)
bad += ["element %d ran in both jobs but its record says attempt %d" % (i, at[i]) for i in sorted(again) if at[i] < 2]
print("%d durable after the kill, %d ran in job 1, %d in the resume, %d in both" % (len(durable), len(set(r1)), len(set(r2)), len(again)), file=sys.stderr)
if bad:
    sys.exit("\n".join(bad[:10]))
EOF
smx_log "PASS node_kill: n2's ranks killed, srun ended, resumed to completion, every element's record final once"
