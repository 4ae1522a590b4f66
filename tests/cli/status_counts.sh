# `status` and `sessions` count elements from the session's meta counters when those are exact (the
# last job closed cleanly, or requeue wrote them), and from the status column otherwise. Whatever the
# path, the counts must equal a count of the status column itself: after a complete run with failures,
# after requeue, after a job killed with SIGKILL mid-run (running elements left behind), and after the
# resume. The last part proves which path is taken by making the two disagree on purpose.
source "$(dirname "$0")/../cli/lib-common.sh"

# The task sleeps $SMX_SLEEP (inherited from the environment) and fails for x = 3 and x = 7.
cat >task.sh <<'EOF2'
#!/bin/sh
sleep "${SMX_SLEEP:-0}"
[ "$1" -ne 3 ] && [ "$1" -ne 7 ]
EOF2
chmod +x task.sh
cat >spec.yaml <<EOF2
name: counts
command: ["$SCRATCH/task.sh", "{x}"]
parameters:
  x: {min: 1, max: 40, step: 1}
EOF2

# column_counts FILE: "done failed running pending" counted from the status column with h5py.
column_counts() {
    "$PY" - "$1" <<'PY'
import sys, h5py, numpy as np
s = h5py.File(sys.argv[1], "r")["sessions/default/status"][:]
print(int((s == 2).sum()), int((s == 3).sum()), int((s == 1).sum()), int((s == 0).sum()))
PY
}
# status_counts FILE: the same four numbers as `status --json` reports them.
status_counts() {
    status_json "$1" | "$PY" -c 'import json,sys; j=json.load(sys.stdin); print(j["done"], j["failed"], j["running"], j["pending"])'
}
# sessions_counts FILE: the same four from `sessions`.
sessions_counts() {
    smx sessions "$1" | awk '$1 == "default" { print $3, $4, $5, $6 }'
}
# meta FILE SLOT: one slot of the session's meta dataset.
meta() { "$PY" -c 'import sys,h5py; print(int(h5py.File(sys.argv[1], "r")["sessions/default/meta"][int(sys.argv[2])]))' "$1" "$2"; }
# agree WHAT: status, sessions and the column agree on run.h5.
agree() {
    local col st se
    col=$(column_counts run.h5)
    st=$(status_counts run.h5)
    se=$(sessions_counts run.h5)
    [ "$st" = "$col" ] || fail "$1: status says '$st', the status column '$col'"
    [ "$se" = "$col" ] || fail "$1: sessions says '$se', the status column '$col'"
}

expect_rc 1 "complete run with two failures" smx run spec.yaml --state run.h5 --slots 4 --log-mode none
agree "after a complete run"
[ "$(column_counts run.h5)" = "38 2 0 0" ] || fail "complete run: $(column_counts run.h5)"
# The clean close made the counters exact: counts_job (slot 6) equals n_jobs (slot 0).
[ "$(meta run.h5 6)" = "$(meta run.h5 0)" ] || fail "after a clean close counts_job $(meta run.h5 6) != n_jobs $(meta run.h5 0)"
[ "$(meta run.h5 7)" = 40 ] || fail "the job finished 40 elements, meta says $(meta run.h5 7)"
[ "$(jget failed <<<"$(status_json run.h5)")" = 2 ] || fail "status does not show 2 failed"

expect_rc 0 "requeue" smx requeue run.h5 --status failed
agree "after requeue"
[ "$(column_counts run.h5)" = "38 0 0 2" ] || fail "after requeue: $(column_counts run.h5)"
[ "$(meta run.h5 6)" = "$(meta run.h5 0)" ] || fail "requeue left the counters inexact"

# A job killed with SIGKILL mid-way leaves running elements; the counters are not trusted then.
rm -f run.h5 run.h5.lock
# Tasks of 3 s, and the kill only once the file itself shows running elements next to finished ones,
# so no sync between that look and the kill can have turned them all into finished ones.
SMX_SLEEP=3 bg_setsid slow.out "$SWEEPMUX" run spec.yaml --state run.h5 --slots 4 --log-mode none
job=$BG_PID
for i in $(seq 1 300); do
    if [ -e run.h5 ] && "$SWEEPMUX" status run.h5 --json >mid.json 2>/dev/null &&
        [ "$(jget done <mid.json)" -ge 2 ] && [ "$(jget running <mid.json)" -ge 1 ]; then
        break
    fi
    sleep 0.1
done
kill_job "$job"
wait_rc "$job"
rm -f run.h5.lock # the dead job's lock (status never needs it)
col=$(column_counts run.h5)
[ "$(echo "$col" | awk '{print $3}')" -gt 0 ] || fail "the killed job left no running element: $col"
[ "$(meta run.h5 6)" != "$(meta run.h5 0)" ] || fail "the killed job left counters marked exact"
agree "after SIGKILL"
expect_rc 1 "resume" smx run --state run.h5 --slots 4 --log-mode none
agree "after the resume"
[ "$(column_counts run.h5)" = "38 2 0 0" ] || fail "after the resume: $(column_counts run.h5)"

# Which path is taken: change one status byte behind the counters' back. While the counters are
# marked exact, status reports them (it did not scan); once counts_job is cleared, it scans.
"$PY" - run.h5 <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    s = f["sessions/default/status"]
    s[0] = 0
PY
[ "$(status_counts run.h5)" = "38 2 0 0" ] || fail "with exact counters status should not scan: $(status_counts run.h5)"
"$PY" - run.h5 <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    m = f["sessions/default/meta"]
    m[6] = 0
PY
[ "$(status_counts run.h5)" = "37 2 0 1" ] || fail "with inexact counters status should scan: $(status_counts run.h5)"
log "ok"
