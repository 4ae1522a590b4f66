# One state file, one run: while a run holds RUN.h5, a second `run` (alone or under mpirun), `requeue`
# and `destroy` exit 4 with a message naming the holder's host and pid, and do not disturb it; once the
# holder is killed with SIGKILL (a stale lock), a new run takes over and completes. All of it once with
# HDF5's own file locking and once with HDF5_USE_FILE_LOCKING=FALSE (our lock must still refuse).
source "$(dirname "$0")/../cli/lib-common.sh"

write_recorder "$SCRATCH/rec.sh"
cat >slow.sh <<'EOF'
#!/bin/sh
"$(dirname "$0")/rec.sh"
# Past the first elements, tasks wait while the gate file exists, so the holder is still running
# however long the refused commands take on a loaded machine.
if [ "$1" -gt 2 ] && [ -n "${SMX_GATE:-}" ]; then
    i=0
    while [ -e "$SMX_GATE" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
fi
sleep "${SMX_SLEEP:-0.4}"
EOF
chmod +x slow.sh
N=30
cat >spec.yaml <<EOF
name: conc
command: ["$SCRATCH/slow.sh", "{x}"]
parameters:
  x: {min: 1, max: $N, step: 1}
EOF
HOST=$(hostname)

# wait_progress FILE: wait (up to 30 s) until `status` shows at least one element done.
wait_progress() {
    local i
    for i in $(seq 1 300); do
        if [ -e "$1" ] && "$SWEEPMUX" status "$1" --json >prog.json 2>/dev/null &&
            [ "$(jget done <prog.json)" -ge 1 ]; then
            return 0
        fi
        sleep 0.1
    done
    fail "the first run made no visible progress in 30 s"
}

# refused WHAT CMD...: CMD exits 4 naming this host and the pid of the holder (a live sweepmux of job
# session $HOLDER).
refused() {
    local what=$1
    shift
    expect_rc 4 "$what while another run holds the file" "$@"
    grep -q "$HOST" last.out || fail "$what: the 'in use' message does not name host $HOST: $OUTPUT"
    local pid
    pid=$(grep -o 'pid [0-9]*' last.out | head -n 1 | awk '{print $2}')
    [ -n "$pid" ] || fail "$what: the 'in use' message names no pid: $OUTPUT"
    job_pids "$HOLDER" | grep -qx "$pid" || fail "$what: the message names pid $pid, not a process of the running job: $OUTPUT"
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q sweepmux || fail "$what: pid $pid named in the message is not sweepmux"
}

scenario() {
    local label=$1 dir="$SCRATCH/$1"
    mkdir "$dir"
    export SMX_REC="$dir/rec.txt"
    : >"$SMX_REC"
    local f="$dir/run.h5"
    export SMX_GATE="$dir/gate"
    : >"$SMX_GATE"

    # A: the holder runs to completion while others are refused; it is not disturbed.
    bg_setsid "$dir/a.out" timeout -k 5 "$(scaled 120)" "$MPIEXEC" -n 2 "$SWEEPMUX" run spec.yaml --state "$f"
    HOLDER=$BG_PID
    local holder_pid=$BG_PID
    wait_progress "$f"
    refused "$label: run (1 rank)" smx run spec.yaml --state "$f"
    refused "$label: resume (1 rank)" smx run --state "$f"
    refused "$label: run (2 ranks)" mpi 2 run --state "$f"
    refused "$label: requeue" smx requeue "$f" --status done
    refused "$label: destroy" smx destroy "$f"
    [ -e "$f" ] || fail "$label: a refused destroy removed the state file"
    rm -f "$SMX_GATE"
    wait_rc "$holder_pid"
    [ "$WAIT_RC" = 0 ] || { cat "$dir/a.out" >&2; fail "$label: the first run exited $WAIT_RC after being contested"; }
    check_exactly_once "$SMX_REC" "$N"
    [ "$(jget done <<<"$(status_json "$f")")" = "$N" ] || fail "$label: first run not complete"
    # Once it has ended, the file is free again.
    expect_rc 0 "$label: run after the holder ended" smx run --state "$f"

    # B: a holder killed with SIGKILL leaves a stale lock: a new run takes over and completes.
    rm -rf "$f" "$f".* "$dir/run.logs"
    : >"$SMX_GATE"
    : >"$SMX_REC"
    bg_setsid "$dir/b.out" timeout -k 5 "$(scaled 120)" "$MPIEXEC" -n 2 "$SWEEPMUX" run spec.yaml --state "$f"
    HOLDER=$BG_PID
    holder_pid=$BG_PID
    wait_progress "$f"
    refused "$label: run before the kill" smx run --state "$f"
    kill_job "$HOLDER"
    rm -f "$SMX_GATE"
    wait_rc "$holder_pid"
    [ -z "$(job_pids "$HOLDER")" ] || fail "$label: the first job survived SIGKILL"
    local t0=$SECONDS
    SMX_SLEEP=0.01 expect_rc 0 "$label: takeover after SIGKILL of the holder" mpi 2 run --state "$f"
    log "$label: takeover run completed in $((SECONDS - t0)) s"
    [ $((SECONDS - t0)) -le 30 ] || fail "$label: the takeover took $((SECONDS - t0)) s"
    local js
    js=$(status_json "$f")
    [ "$(jget done <<<"$js")" = "$N" ] && [ "$(jget running <<<"$js")" = 0 ] || fail "$label: after takeover: $js"
    local never
    never=$(awk -v n="$N" '{seen[$1]=1} END {for (i=0;i<n;i++) if (!(i in seen)) print i}' "$SMX_REC" | head -n 3)
    [ -z "$never" ] || fail "$label: elements never executed: $never"
    # The jobs table shows both jobs.
    [ "$("$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))' <<<"$js")" -ge 2 ] ||
        fail "$label: the jobs table does not list the killed job and the takeover: $js"
    unset SMX_REC
}

scenario hdf5-locking
export HDF5_USE_FILE_LOCKING=FALSE
scenario no-hdf5-locking
