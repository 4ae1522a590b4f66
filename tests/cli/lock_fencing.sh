# Fenced single writer (issue 11 item 1, defects A5-1 and A5-2). A run that loses its lock stops
# writing before its next write reaches the file, stops handing out work and exits 4 naming who took
# the lock; a lock held by a live process on this host is never taken over, however old its
# heartbeat. The stale limit is shortened with SWEEPMUX_LOCK_STALE so that "older than the limit"
# takes seconds, not minutes.
#
# 1. The lock file is removed during a run (HDF5 file locking off, as on Lustre/NFS) and a second
#    run is started on the same session: the first exits 4, the second completes, and no record the
#    first finished after the removal is in the file.
# 2. A run stopped with SIGSTOP for longer than the stale limit keeps its lock on its own host: a
#    second run exits 4 naming it (with HDF5 locking on and off); after SIGCONT the first completes,
#    every element exactly once.
# 3. The same stopped run, its lock made to look like a stale lock of another host (the case of a
#    node whose clock or NFS attribute cache lags): a second run takes over and completes; after
#    SIGCONT the first run exits 4 naming the second, and the state file is byte for byte what the
#    second run left.
source "$(dirname "$0")/lib-common.sh"

export SWEEPMUX_LOCK_STALE=3
write_recorder "$SCRATCH/rec.sh"
cat >task.sh <<'EOF'
#!/bin/sh
"$(dirname "$0")/rec.sh"
sleep "${SMX_SLEEP:-0.3}"
EOF
chmod +x task.sh
# spec N: a spec of N elements (in spec-N.yaml).
spec() {
    cat >"spec-$1.yaml" <<EOF
name: fence
command: ["$SCRATCH/task.sh", "{x}"]
parameters:
  x: {min: 1, max: $1, step: 1}
EOF
}
N=100
spec $N
spec 40

# wait_done FILE K: wait until `status` shows at least K elements done (300 tries, 0.1 s apart).
wait_done() {
    local i
    for i in $(seq 1 300); do
        if "$SWEEPMUX" status "$1" --json >prog.json 2>/dev/null && [ "$(jget done <prog.json)" -ge "$2" ]; then
            return 0
        fi
        sleep 0.1
    done
    fail "no $2 elements done in $1 after 300 tries"
}

# signal_all LAUNCHER SIGNAL: send SIGNAL to every process of the job (mpiexec, ranks, tasks; job_pids).
signal_all() {
    local pids
    pids=$(job_pids "$1")
    [ -z "$pids" ] || kill "-$2" $pids 2>/dev/null || true
}

# lost_message FILE: the first run's output says it lost the lock, names the new holder (when
# given) and stopped writing.
check_lost_message() {
    grep -q "lost the lock of" "$1" || { cat "$1" >&2; fail "no 'lost the lock' message in $1"; }
    grep -q "stopped writing the file" "$1" || { cat "$1" >&2; fail "the message does not say that writing stopped"; }
    if [ -n "${2:-}" ]; then
        grep -q "pid $2" "$1" || { cat "$1" >&2; fail "the message does not name the new holder pid $2"; }
    fi
}

# ---- 1. lock removed, second run started, HDF5 locking off --------------------------------------
log "1: lock file removed during a run, a second run takes the file"
export HDF5_USE_FILE_LOCKING=FALSE
mkdir s1
export SMX_REC="$SCRATCH/s1/rec.txt"
: >"$SMX_REC"
f=s1/run.h5
bg_setsid s1/a.out timeout -k 5 "$(scaled 240)" "$MPIEXEC" -n 2 "$SWEEPMUX" run spec-$N.yaml --state "$f"
A=$BG_PID
wait_done "$f" 5
jobs_before=$(status_json "$f" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))')
rm "$f.lock"
t_rm=$(date +%s.%N)
SMX_SLEEP=0.01 expect_rc 0 "1: the second run" smx run --state "$f"
cp last.out s1/b.out
wait_rc "$A"
[ "$WAIT_RC" = 4 ] || { cat s1/a.out >&2; fail "1: the first run exited $WAIT_RC after losing its lock, expected 4"; }
check_lost_message s1/a.out
log "1: first run: $(grep -o 'lost the lock.*' s1/a.out | head -n 1)"
js=$(status_json "$f")
[ "$(jget done <<<"$js")" = "$N" ] && [ "$(jget running <<<"$js")" = 0 ] || fail "1: not complete: $js"
# The first run's job row is still 'running' (it wrote nothing after the loss, not even its end), and
# no record of the first run ended after the removal (1 s of slack for a batch already under way).
h5check "$f" default "
jobs = s['jobs'][()]
a = jobs[$jobs_before - 1]
if a['exit_code'] != -1: fail('the first run wrote its job row after losing the lock: %r' % (a,))
job = s['job'][()]; t_end = s['t_end'][()]
late = [(i, t_end[i]) for i in range(len(job)) if job[i] == $jobs_before and t_end[i] > $t_rm + 1.0]
if late: fail('records of the first run ended after the lock was removed: %r' % late[:5])
"
# Not every element ran in the first run: it stopped handing out work.
a_runs=$(awk '$5 != ""' "$SMX_REC" | wc -l)
log "1: $a_runs executions in all for $N elements"
unset HDF5_USE_FILE_LOCKING

# ---- 2. SIGSTOP past the stale limit, same host: never taken over --------------------------------
for locking in default FALSE; do
    log "2: holder stopped past the stale limit on this host (HDF5 locking $locking)"
    # Unset is HDF5's default (locking on for writers only); TRUE would make readers lock as well.
    if [ "$locking" = FALSE ]; then export HDF5_USE_FILE_LOCKING=FALSE; else unset HDF5_USE_FILE_LOCKING; fi
    d=s2-$locking
    mkdir "$d"
    export SMX_REC="$SCRATCH/$d/rec.txt"
    : >"$SMX_REC"
    f=$d/run.h5
    bg_setsid "$d/a.out" timeout -k 5 "$(scaled 240)" "$MPIEXEC" -n 2 "$SWEEPMUX" run spec-40.yaml --state "$f"
    A=$BG_PID
    wait_done "$f" 3
    holder=$(sed -n 's/^pid=//p' "$f.lock")
    signal_all "$A" STOP
    sleep 5 # older than SWEEPMUX_LOCK_STALE=3
    expect_rc 4 "2 ($locking): a run against a stopped live holder" smx run --state "$f"
    grep -q "pid $holder" last.out || fail "2 ($locking): the refusal does not name the holder pid $holder: $OUTPUT"
    [ "$(sed -n 's/^pid=//p' "$f.lock")" = "$holder" ] || fail "2 ($locking): the holder's lock file was replaced or removed"
    signal_all "$A" CONT
    wait_rc "$A"
    [ "$WAIT_RC" = 0 ] || { cat "$d/a.out" >&2; fail "2 ($locking): the stopped run exited $WAIT_RC after SIGCONT"; }
    check_exactly_once "$SMX_REC" 40
    [ ! -e "$f.lock" ] || fail "2 ($locking): the lock file is left behind"
done
unset HDF5_USE_FILE_LOCKING

# ---- 3. SIGSTOP, the lock looks stale from another host, takeover, SIGCONT ----------------------
log "3: a stopped holder's lock taken over (other host, stale heartbeat), then SIGCONT"
export HDF5_USE_FILE_LOCKING=FALSE
mkdir s3
export SMX_REC="$SCRATCH/s3/rec.txt"
: >"$SMX_REC"
f=s3/run.h5
bg_setsid s3/a.out timeout -k 5 "$(scaled 240)" "$MPIEXEC" -n 2 "$SWEEPMUX" run spec-$N.yaml --state "$f"
A=$BG_PID
wait_done "$f" 5
signal_all "$A" STOP
# The holder's own lock file, with its token, now says another host; its heartbeat is old.
sed -i 's/^host=.*/host=some-other-node-xyz/' "$f.lock"
touch -d '-300 seconds' "$f.lock"
SMX_SLEEP=0.01 expect_rc 0 "3: the run taking over the stale lock" smx run --state "$f"
b_pid=$(grep -o 'pid:[0-9]*' <<<"$(status_json "$f")" | tail -n 1 | cut -d: -f2)
sum_b=$(sha256sum "$f" | cut -d' ' -f1)
signal_all "$A" CONT
wait_rc "$A"
[ "$WAIT_RC" = 4 ] || { cat s3/a.out >&2; fail "3: the woken run exited $WAIT_RC, expected 4"; }
check_lost_message s3/a.out
log "3: woken run: $(grep -o 'lost the lock.*' s3/a.out | head -n 1)"
[ "$(sha256sum "$f" | cut -d' ' -f1)" = "$sum_b" ] || fail "3: the woken run changed the state file after losing its lock"
js=$(status_json "$f")
[ "$(jget done <<<"$js")" = "$N" ] && [ "$(jget running <<<"$js")" = 0 ] || fail "3: not complete: $js"
[ -n "$b_pid" ] || fail "3: no job row of the second run"
