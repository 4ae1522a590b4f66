# Stopping a run: SIGUSR1 to mpirun (forwarded to every rank), SIGUSR1 to rank 0 alone, SIGUSR1/
# SIGTERM/SIGINT to a single-rank run, and --max-time. Each must exit 3 within the grace period
# (under MPICH's mpiexec a signal to the launcher may end in 0 instead: see launcher_stop_rc), leave
# no task process behind, leave no element "running" (nor "failed": a stop is not a failure), keep
# every completion, and a resume must finish with exit 0 running each element exactly once, except
# elements that were running at the stop.
source "$(dirname "$0")/../cli/lib-common.sh"

export SMX_REC
cat >task.sh <<'EOF'
#!/bin/sh
# Usage: task.sh SECONDS ...; $SMX_SLEEP overrides SECONDS (used to make resumes quick).
printf 'S %s %s\n' "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" >> "$SMX_REC"
sleep "${SMX_SLEEP:-$1}"
printf 'E %s %s\n' "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" >> "$SMX_REC"
EOF
chmod +x task.sh

# make_spec FILE SECONDS N
make_spec() {
    cat >"$1" <<EOF
name: drain
command: ["$SCRATCH/task.sh", "{t}", "{x}"]
parameters:
  x: {min: 1, max: $3, step: 1}
  t: {value: $2}
timeout: 60s
EOF
}

# wait_deadline PID SECONDS WHAT: wait for a background job (started with bg_setsid) for at most
# SECONDS; sets WAIT_RC to its exit code; on overrun kill its processes and fail. Each poll lists the
# job's processes (job_pids remembers them), so a straggler that outlives the launcher is still found.
wait_deadline() {
    local pid=$1 limit=$2 what=$3 t0=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do
        if [ $((SECONDS - t0)) -ge "$limit" ]; then
            kill_job "$pid"
            fail "$what: still running after $limit s"
        fi
        job_pids "$pid" >/dev/null
        sleep 0.1
    done
    wait_rc "$pid"
}

# rank0_of LAUNCHER: the pid of rank 0 among the job's processes (the sweepmux whose environment says
# rank 0: OMPI_COMM_WORLD_RANK under Open MPI, PMI_RANK under MPICH), as slurm/sweepmux.sbatch finds it.
rank0_of() {
    local p
    for p in $(job_pids "$1"); do
        [ "$(readlink -f "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$SWEEPMUX")" ] || continue
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -Eqx '(OMPI_COMM_WORLD_RANK|PMI_RANK)=0'; then
            echo "$p"
            return 0
        fi
    done
}

# stop_case LABEL SIGNAL DELAY GRACE-LIMIT N TASK-SECONDS LAUNCHER... -- RUN-ARGS: start the run under
# setsid, send SIGNAL after DELAY s, and check the stop and the resume.
stop_case() {
    local label=$1 sig=$2 delay=$3 limit=$4 n=$5 secs=$6
    shift 6
    local launcher=()
    while [ "$1" != -- ]; do launcher+=("$1"); shift; done
    shift
    local dir="$SCRATCH/$label"
    mkdir "$dir"
    SMX_REC="$dir/rec.txt"
    : >"$SMX_REC"
    make_spec "$dir/spec.yaml" "$secs" "$n"
    bg_setsid "$dir/job.out" "${launcher[@]}" "$SWEEPMUX" run "$dir/spec.yaml" --state "$dir/run.h5" "$@"
    local pid=$BG_PID
    sleep "$delay"
    kill -0 "$pid" 2>/dev/null || { cat "$dir/job.out" >&2; fail "$label: the run ended before the signal"; }
    cp "$SMX_REC" "$dir/at-signal.txt"
    local t0
    t0=$(date +%s.%N)
    local target=$pid
    [ "${STOP_TARGET:-launcher}" = launcher ] || target=$(rank0_of "$pid")
    [ -n "$target" ] || fail "$label: rank 0 of the job not found"
    kill -"$sig" "$target"
    wait_deadline "$pid" "$(scaled 60)" "$label: after SIG$sig"
    local rc=$WAIT_RC
    [ "${#launcher[@]}" = 0 ] || [ "$target" != "$pid" ] || rc=$(launcher_stop_rc "$rc" "$dir/job.out")
    local dt
    dt=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
    log "$label: SIG$sig after ${delay}s -> exit $rc in ${dt}s"
    [ "$rc" = 3 ] || { cat "$dir/job.out" >&2; fail "$label: SIG$sig: exit $rc, want 3 (stopped, resumable)"; }
    # The limit grows with SMX_TIME_SCALE (slower processes take longer to stop) and stays well
    # below what the sweep would take without the stop (which also leaves nothing pending).
    limit=$(scaled "$limit")
    awk -v d="$dt" -v l="$limit" 'BEGIN { exit !(d <= l) }' || fail "$label: took ${dt}s to stop after SIG$sig (limit ${limit}s)"
    sleep 0.3
    [ -z "$(job_pids "$pid")" ] ||
        fail "$label: processes survive the stop: $(ps -o pid=,args= -p "$(job_pids "$pid" | paste -sd,)")"
    local js
    js=$(status_json "$dir/run.h5")
    [ "$(jget running <<<"$js")" = 0 ] || fail "$label: elements left running after the stop: $js"
    [ "$(jget failed <<<"$js")" = 0 ] || fail "$label: a stop made elements fail: $js"
    [ "$(jget pending <<<"$js")" -gt 0 ] || fail "$label: nothing pending after the stop (the test needs a slower sweep): $js"
    [ "$(jget complete <<<"$js")" = False ] || fail "$label: stopped session reported complete: $js"
    # Every task that finished is durably done.
    cp "$SMX_REC" "$dir/at-stop.txt"
    smx export "$dir/run.h5" --status done >"$dir/done1.csv"
    "$PY" - "$dir" <<'EOF' || fail "$label: a completion of the stopped job was lost (see above)"
import csv, sys
d = sys.argv[1]
ended = {int(l.split()[1]) for l in open(d + "/at-stop.txt") if l.startswith("E ")}
done = {int(r["index"]) for r in csv.DictReader(open(d + "/done1.csv"))}
missing = ended - done
assert not missing, "tasks that ended are not done: %s" % sorted(missing)[:10]
assert done <= ended, "done elements that never ended: %s" % sorted(done - ended)[:10]
EOF
    # Resume quickly (the same launcher, tasks now take 0.05 s).
    log "$label: checked the stop; resuming"
    SMX_SLEEP=0.05 expect_rc 0 "$label: resume" "${launcher[@]}" "$SWEEPMUX" run --state "$dir/run.h5" "$@"
    log "$label: resumed"
    js=$(status_json "$dir/run.h5")
    [ "$(jget done <<<"$js")" = "$n" ] || fail "$label: after the resume: $js"
    "$PY" - "$dir" "$n" <<'EOF' || fail "$label: executions across stop and resume are wrong (see above)"
import sys, collections
d, n = sys.argv[1], int(sys.argv[2])
starts = [int(l.split()[1]) for l in open(d + "/rec.txt") if l.startswith("S ")]
first = open(d + "/at-stop.txt").read().splitlines()
s1 = {int(l.split()[1]) for l in first if l.startswith("S ")}
e1 = {int(l.split()[1]) for l in first if l.startswith("E ")}
interrupted = s1 - e1
c = collections.Counter(starts)
assert set(c) == set(range(n)), "never executed: %s" % sorted(set(range(n)) - set(c))[:10]
twice = {i for i, k in c.items() if k > 1}
assert all(k <= 2 for k in c.values()), "executed 3 times or more: %s" % [i for i, k in c.items() if k > 2]
assert twice <= interrupted, "ran twice but was not running at the stop: %s" % sorted(twice - interrupted)[:10]
assert twice == interrupted, "interrupted elements not re-run: %s" % sorted(interrupted - twice)[:10]
print("%d executions, %d interrupted and re-run" % (len(starts), len(twice)), file=sys.stderr)
EOF
}

MPIRUN=("$MPIEXEC" -n 3)

# SIGUSR1 to mpirun: tasks of 1.5 s finish within the default 10 s grace; nothing runs twice.
stop_case mpi-usr1 USR1 3 10 40 1.5 "${MPIRUN[@]}" -- --slots 2
# SIGUSR1 to mpirun with tasks longer than the grace: they are killed after 2 s and run again later.
stop_case mpi-usr1-grace USR1 2.5 7 12 30 "${MPIRUN[@]}" -- --grace 2s
# SIGUSR1 to rank 0 alone (as slurm/sweepmux.sbatch sends it): the other ranks stop too, and the
# launcher's exit code is 3 under either MPI.
STOP_TARGET=rank0 stop_case mpi-usr1-rank0 USR1 3 10 40 1.5 "${MPIRUN[@]}" -- --slots 2
# A single-rank run (no mpirun): SIGUSR1, SIGTERM and SIGINT.
stop_case single-usr1 USR1 2 8 20 0.7 -- --slots 2
stop_case single-term TERM 2 5 6 30 -- --slots 2 --grace 1s
stop_case single-int INT 2 5 6 30 -- --grace 1s

# --max-time: exit 3 after about 3 s, then a resume completes.
dir="$SCRATCH/maxtime"
mkdir "$dir"
SMX_REC="$dir/rec.txt"
: >"$SMX_REC"
make_spec "$dir/spec.yaml" 0.5 60
t0=$SECONDS
expect_rc 3 "--max-time 3s" mpi 2 run "$dir/spec.yaml" --state "$dir/run.h5" --max-time 3s --grace 5s
dt=$((SECONDS - t0))
log "maxtime: exit 3 after $dt s"
[ "$dt" -le "$(scaled 12)" ] || fail "--max-time 3s took $dt s to stop"
js=$(status_json "$dir/run.h5")
[ "$(jget running <<<"$js")" = 0 ] && [ "$(jget failed <<<"$js")" = 0 ] && [ "$(jget pending <<<"$js")" -gt 0 ] &&
    [ "$(jget done <<<"$js")" -gt 0 ] || fail "--max-time: unexpected state after the stop: $js"
SMX_SLEEP=0.02 expect_rc 0 "resume after --max-time" mpi 2 run --state "$dir/run.h5"
[ "$(jget done <<<"$(status_json "$dir/run.h5")")" = 60 ] || fail "--max-time resume did not complete everything"
dups=$(awk '$1 == "S" {print $2}' "$SMX_REC" | sort -n | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "--max-time: $dups elements ran twice although the 0.5 s tasks fit in the 5 s grace"
