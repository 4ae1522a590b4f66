# A sweep across two hosts, simulated on this machine: the launcher reaches "host1" and "host2" through
# tests/mpi/fakehost-agent, which runs each host's side (orted or hydra's proxy, its two ranks and their
# tasks) in a UTS namespace of its own with that host name, so MPI takes its inter-node paths between
# them (Open MPI: TCP, and with Debian's defaults no MPI_Win_allocate across nodes). Checked, with the
# default Open MPI settings (and under MPICH's mpiexec when MPIEXEC is hydra's):
#   1. the sweep completes with each element run exactly once, on both hosts; the state file's host of
#      each element is the host its task ran on, the hosts table lists both, and each rank wrote its
#      log in the shared log directory; Open MPI falls back to point-to-point claims with one warning
#      (status says p2p), and with OMPI_MCA_osc=pt2pt the window works across the hosts (rma);
#   2. kill -9 of the whole job, then a resume: completions of the killed job are kept and not re-run;
#   3. kill -9 of every process on host2 (its launcher daemon, ranks and tasks: the host dies): the
#      launcher ends the job, and a resume completes likewise;
#   4. SIGUSR1 to the launcher drains the job on both hosts (exit 3, nothing left running), and a
#      resume completes with every element run exactly once.
source "$(dirname "$0")/../cli/lib-common.sh"

AGENT="$SMX_SOURCE_DIR/tests/mpi/fakehost-agent"
if ! unshare --uts true 2>/dev/null; then
    log "SKIP: cannot create UTS namespaces here (unshare --uts needs CAP_SYS_ADMIN)"
    exit 77 # ctest: skipped
fi
# Debian's Open MPI defaults, whatever the caller's environment says.
unset OMPI_MCA_osc OMPI_MCA_btl OMPI_MCA_pml
if is_openmpi; then
    printf 'host1 slots=2\nhost2 slots=2\n' >hostfile
    LAUNCH=("$MPIEXEC" -n 4 --hostfile "$SCRATCH/hostfile" --mca plm_rsh_agent "$AGENT")
else
    LAUNCH=("$MPIEXEC" -n 4 -launcher ssh -launcher-exec "$AGENT" -hosts host1:2,host2:2)
fi

export SMX_REC
cat >task.sh <<'EOF'
#!/bin/sh
# task.sh SECONDS: "S|E INDEX ATTEMPT RANK HOST" at its start and end; $SMX_SLEEP overrides SECONDS.
h=$(hostname)
printf 'S %s %s %s %s\n' "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" "$SWEEPMUX_RANK" "$h" >> "$SMX_REC"
echo "element $SWEEPMUX_INDEX on $h"
sleep "${SMX_SLEEP:-$1}"
printf 'E %s %s %s %s\n' "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" "$SWEEPMUX_RANK" "$h" >> "$SMX_REC"
EOF
chmod +x task.sh

# make_spec FILE N SECONDS
make_spec() {
    cat >"$1" <<EOF
name: multihost
command: ["$SCRATCH/task.sh", "{t}", "{x}"]
parameters:
  x: {min: 1, max: $2, step: 1}
  t: {value: $3}
EOF
}

# launch ARGS...: the sweep on both hosts with a time limit.
launch() { timeout -k 5 "$(scaled "$SMX_TIMEOUT")" "${LAUNCH[@]}" "$SWEEPMUX" "$@"; }

claims_of() { status_json "$1" | "$PY" -c 'import json,sys; print(" ".join(str(j["claims"]) for j in json.load(sys.stdin)["jobs"]))'; }

# check_hosts DIR RUN.h5: each done element's stored host is the one its (last) task ran on, both
# hosts ran elements, and the file's hosts table lists both.
check_hosts() {
    smx export "$2" --status done >"$1/done.csv"
    "$PY" - "$1/rec.txt" "$1/done.csv" "$2" <<'EOF' || fail "$1: hosts in the state file are wrong (see above)"
import csv, sys, collections, h5py
ran = {}
for l in open(sys.argv[1]):
    k, i, a, r, h = l.split()
    if k == "E":
        ran[int(i)] = h
rows = list(csv.DictReader(open(sys.argv[2])))
wrong = [(r["index"], r["host"], ran.get(int(r["index"]))) for r in rows if ran.get(int(r["index"])) != r["host"]]
assert not wrong, "stored host differs from the task's host (index, stored, ran on): %s" % wrong[:5]
per = collections.Counter(r["host"] for r in rows)
assert set(per) == {"host1", "host2"}, "elements per host: %s" % dict(per)
f = h5py.File(sys.argv[3], "r")
names = set()
def visit(name, obj):
    if isinstance(obj, h5py.Dataset) and name.split("/")[-1] == "hosts":
        names.update(v.decode() if isinstance(v, bytes) else str(v) for v in obj[()].ravel())
f.visititems(visit)
assert {"host1", "host2"} <= names, "the hosts table lists %s" % sorted(n for n in names if n)
print("elements per host: %s" % dict(per), file=sys.stderr)
EOF
}

# check_resume DIR N: after a killed or stopped job and a resume, every element ended once at least;
# no element done before the resume ran again; with ONCE=1 nothing ran twice at all.
check_resume() {
    "$PY" - "$1" "$2" "${ONCE:-0}" <<'EOF' || fail "$1: executions across the kill and the resume are wrong (see above)"
import csv, sys, collections
d, n, once = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
first = open(d + "/at-stop.txt").read().splitlines()
later = open(d + "/rec.txt").read().splitlines()[len(first):]
done1 = {int(r["index"]) for r in csv.DictReader(open(d + "/done1.csv"))}
ended = collections.Counter(int(l.split()[1]) for l in first + later if l.startswith("E "))
assert set(ended) == set(range(n)), "never completed: %s" % sorted(set(range(n)) - set(ended))[:10]
rerun = done1 & {int(l.split()[1]) for l in later if l.startswith("S ")}
assert not rerun, "done before the resume but run again: %s" % sorted(rerun)[:10]
if once:
    starts = collections.Counter(int(l.split()[1]) for l in first + later if l.startswith("S "))
    assert all(c == 1 for c in starts.values()), "run more than once: %s" % [i for i, c in starts.items() if c > 1][:10]
print("%d done before the resume, %d elements" % (len(done1), n), file=sys.stderr)
EOF
}

# wait_done RUN.h5 K PID: wait until K elements are durably done while job PID runs.
wait_done() {
    local i
    for i in $(seq 1 600); do
        kill -0 "$3" 2>/dev/null || fail "the job ended before $2 elements were done: $(tail -n 5 "$(dirname "$1")/job.out")"
        if [ -e "$1" ] && [ "$("$SWEEPMUX" status "$1" --json 2>/dev/null | jget done 2>/dev/null || echo 0)" -ge "$2" ]; then
            return 0
        fi
        job_pids "$3" >/dev/null
        sleep 0.1
    done
    fail "fewer than $2 elements done in $1 after 60 s"
}

# wait_gone PID SECONDS WHAT: wait for a background job to end (WAIT_RC), then make sure none of its
# processes is left.
wait_gone() {
    local t0=$SECONDS
    while kill -0 "$1" 2>/dev/null; do
        [ $((SECONDS - t0)) -lt "$2" ] || { kill_job "$1"; fail "$3: still running after $2 s"; }
        job_pids "$1" >/dev/null
        sleep 0.1
    done
    wait_rc "$1"
}

# host_pids PID HOST: the job's processes that run on HOST (in a UTS namespace named HOST).
host_pids() {
    local p
    for p in $(job_pids "$1"); do
        [ "$(nsenter -t "$p" -u hostname 2>/dev/null)" = "$2" ] && echo "$p"
    done
    return 0
}

# ---- 1. a complete run ---------------------------------------------------------------------------
d="$SCRATCH/complete"
mkdir "$d"
SMX_REC="$d/rec.txt"
: >"$SMX_REC"
make_spec "$d/spec.yaml" 120 0.02
expect_rc 0 "two hosts, 4 ranks" launch run "$d/spec.yaml" --state "$d/run.h5" --slots 2 --logs "$d/logs"
grep '^E ' "$SMX_REC" | awk '{print $2}' >"$d/ended.txt"
check_exactly_once "$d/ended.txt" 120
check_hosts "$d" "$d/run.h5"
# Each rank's log holds its own tasks' output, all from one host.
for r in 0 1 2 3; do
    [ -s "$d/logs/rank-0000$r.log" ] || fail "rank $r wrote no log in the shared directory: $(ls "$d/logs")"
    hosts=$(grep -o 'element [0-9]* on host[12]' "$d/logs/rank-0000$r.log" | awk '{print $4}' | sort -u | tr '\n' ' ')
    [ "$hosts" = "host1 " ] || [ "$hosts" = "host2 " ] || fail "rank $r's log has output from hosts '$hosts'"
done
if is_openmpi; then
    [ "$(grep -c 'cannot create the claim window' last.out)" = 1 ] ||
        fail "want exactly one warning about the claim window with Open MPI's defaults: $OUTPUT"
    grep -q 'OMPI_MCA_osc=pt2pt' last.out || fail "the warning does not say how to get one-sided claims: $OUTPUT"
    [ "$(claims_of "$d/run.h5")" = p2p ] || fail "status says claims '$(claims_of "$d/run.h5")', want p2p"

    d="$SCRATCH/osc-pt2pt"
    mkdir "$d"
    SMX_REC="$d/rec.txt"
    : >"$SMX_REC"
    make_spec "$d/spec.yaml" 120 0.02
    OMPI_MCA_osc=pt2pt expect_rc 0 "two hosts with OMPI_MCA_osc=pt2pt" launch run "$d/spec.yaml" --state "$d/run.h5" --slots 2 --log-mode none
    grep '^E ' "$SMX_REC" | awk '{print $2}' >"$d/ended.txt"
    check_exactly_once "$d/ended.txt" 120
    [ "$(claims_of "$d/run.h5")" = rma ] || fail "OMPI_MCA_osc=pt2pt: claims '$(claims_of "$d/run.h5")', want rma"
fi
log "complete: claims $(claims_of "$d/run.h5")"

# kill_case LABEL HOW: start 60 elements of 0.4 s, wait for 6 done, kill (HOW: all or host2), resume.
kill_case() {
    local label=$1 how=$2 d="$SCRATCH/$1" pids
    mkdir "$d"
    SMX_REC="$d/rec.txt"
    : >"$SMX_REC"
    make_spec "$d/spec.yaml" 60 0.4
    bg_setsid "$d/job.out" "${LAUNCH[@]}" "$SWEEPMUX" run "$d/spec.yaml" --state "$d/run.h5" --slots 2 --log-mode none
    local job=$BG_PID
    wait_done "$d/run.h5" 6 "$job"
    if [ "$how" = all ]; then
        kill_job "$job"
    else
        pids=$(host_pids "$job" host2)
        [ -n "$pids" ] || fail "$label: no process of the job runs on host2"
        # Freeze host2's processes first, so none forks past the kill.
        kill -STOP $pids 2>/dev/null || true
        kill -KILL $pids $(host_pids "$job" host2) 2>/dev/null || true
        wait_gone "$job" 60 "$label: the launcher after host2's ranks died"
        log "$label: the launcher exited $WAIT_RC after host2's ranks were killed"
        kill_job "$job"
    fi
    wait_rc "$job"
    [ -z "$(job_pids "$job")" ] || fail "$label: processes survive the kill: $(job_pids "$job")"
    cp "$SMX_REC" "$d/at-stop.txt"
    smx export "$d/run.h5" --status done >"$d/done1.csv"
    SMX_SLEEP=0.02 expect_rc 0 "$label: resume on two hosts" launch run --state "$d/run.h5" --slots 2 --log-mode none
    [ "$(status_json "$d/run.h5" | jget done)" = 60 ] || fail "$label: not all done after the resume"
    check_resume "$d" 60
    log "$label: resumed"
}

# ---- 2. kill -9 of the whole job, 3. of host2's ranks --------------------------------------------
kill_case kill-all all
kill_case kill-host2 host2

# ---- 4. SIGUSR1 to the launcher ------------------------------------------------------------------
d="$SCRATCH/usr1"
mkdir "$d"
SMX_REC="$d/rec.txt"
: >"$SMX_REC"
make_spec "$d/spec.yaml" 60 0.4
bg_setsid "$d/job.out" "${LAUNCH[@]}" "$SWEEPMUX" run "$d/spec.yaml" --state "$d/run.h5" --slots 2 --log-mode none
job=$BG_PID
wait_done "$d/run.h5" 6 "$job"
kill -USR1 "$job"
wait_gone "$job" 60 "usr1: after SIGUSR1"
rc=$(launcher_stop_rc "$WAIT_RC" "$d/job.out")
[ "$rc" = 3 ] || { cat "$d/job.out" >&2; fail "usr1: exit $rc after SIGUSR1, want 3 (stopped, resumable)"; }
sleep 0.3
[ -z "$(job_pids "$job")" ] || fail "usr1: processes survive the stop: $(job_pids "$job")"
js=$(status_json "$d/run.h5")
[ "$(jget running <<<"$js")" = 0 ] || fail "usr1: elements left running after the stop: $js"
[ "$(jget failed <<<"$js")" = 0 ] || fail "usr1: a stop made elements fail: $js"
[ "$(jget pending <<<"$js")" -gt 0 ] || fail "usr1: nothing pending after the stop (the test needs a slower sweep): $js"
cp "$SMX_REC" "$d/at-stop.txt"
smx export "$d/run.h5" --status done >"$d/done1.csv"
SMX_SLEEP=0.02 expect_rc 0 "usr1: resume on two hosts" launch run --state "$d/run.h5" --slots 2 --log-mode none
ONCE=1 check_resume "$d" 60
check_hosts "$d" "$d/run.h5"
