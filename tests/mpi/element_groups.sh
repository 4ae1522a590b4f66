# Element groups in the library (group_size = k, tests/mpi/lib_groups.c): k consecutive ranks work
# on each element together, with collectives on the group's communicator in every element, so a
# group whose members disagreed on an element or on when to stop would hang (and time out) here.
#   - 4 ranks in groups of 2 and 8 ranks in groups of 4 and of 2, window and point-to-point claims:
#     every element is handed to exactly one group, every member of that group saw it (same index,
#     attempt and parameter, checked inside the element), each member saw its leader's sequence,
#     and the state file holds the leader's result for each element, exactly once;
#   - SIGUSR1 to one member (not a leader) stops every group cleanly (close returns SMX_ESTOPPED on
#     every rank, the job's reason names that rank), and a resume finishes with every element run
#     exactly once over both jobs;
#   - kill -9 of the whole job mid-run, then a resume in a different layout (8 ranks, groups of 4):
#     what was durable stays done and is not handed out again, and everything ends final;
#   - a world size that is not a multiple of the group size is refused on every rank with the same
#     message, exit 2, and the state file gets no job;
#   - the README's program with element groups builds and runs as documented.
source "$(dirname "$0")/../cli/lib-common.sh"

HELPER="$SMX_TEST_HELPERS/lib_groups"
[ -x "$HELPER" ] || fail "helper $HELPER is missing"

# check_logs K N MODE LOG...: the exactly-once and same-element checks over the members' logs of one
# job. MODE complete: every element was handed out; stopped: some were not; killed: some were not,
# and a member's sequence may lack its leader's last element or the other way round (a kill -9
# between their writes). Prints the elements handed out.
check_logs() {
    "$PY" - "$@" <<'EOF'
import sys
k, n, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
killed = mode == "killed"
by_rank = {}
for p in sys.argv[4:]:
    for line in open(p):
        i, a, r, leader = map(int, line.split())
        if leader != r - r % k:
            sys.exit("rank %d logged leader %d, not %d" % (r, leader, r - r % k))
        by_rank.setdefault(r, []).append((i, a))
bad = []
owner = {}
for r, seq in sorted(by_rank.items()):
    leader = r - r % k
    lead = by_rank.get(leader, [])
    # A member's sequence is its leader's; after a kill one of them may lack its last element.
    short, long_ = (seq, lead) if len(seq) <= len(lead) else (lead, seq)
    if long_[:len(short)] != short or len(long_) - len(short) > (1 if killed else 0):
        bad.append("rank %d saw %d elements, its leader %d saw %d, first difference at %s" % (
            r, len(seq), leader, len(lead),
            next((j for j in range(len(short)) if short[j] != long_[j]), len(short))))
    if r == leader:
        for i, a in seq:
            if i in owner:
                bad.append("element %d handed to groups of ranks %d and %d" % (i, owner[i], leader))
            owner[i] = leader
if mode == "complete":
    missing = [i for i in range(n) if i not in owner]
    if missing and n > 0:
        bad.append("%d elements never handed out, first %s" % (len(missing), missing[:5]))
if bad:
    sys.exit("\n".join(bad[:10]))
for i in sorted(owner):
    print(i)
EOF
}

# check_file STATE N K [ATTEMPTS_ONE]: every element final with the leader's result r.
check_file() {
    h5check "$1" default "
n, k = $2, $3
st = s['status'][:]; at = s['attempts'][:]; ec = s['exit_code'][:]
names = [x.decode() if isinstance(x, bytes) else x for x in s['result_names'][:]]
r = s['results'][:, names.index('r')]
i = np.arange(n)
want = np.where(i % 11 == 5, 3, 2)
bad = np.nonzero(st != want)[0]
if bad.size: fail('%d elements with the wrong status, first %d: %d (want %d)' % (bad.size, bad[0], st[bad[0]], want[bad[0]]))
if ${4:-1} and (at != 1).any(): fail('attempts != 1 for %d elements' % (at != 1).sum())
done = st == 2
if (r[done] != k * i[done] + k * (k - 1) // 2).any(): fail('result r is not the group sum for %d elements' % (r[done] != k * i[done] + k * (k - 1) // 2).sum())
if (ec[st == 3] != 3).any(): fail('failed elements without exit code 3')
"
}

# one_case LABEL P K N CHUNK: a complete run, checked from the logs and the file.
one_case() {
    local label=$1 np=$2 k=$3 n=$4 chunk=$5 dir="$SCRATCH/$1"
    mkdir -p "$dir"
    "$HELPER" create "$dir/run.h5" "$n" || fail "$label: create"
    local t0=$SECONDS
    timeout -k 5 "$(scaled 200)" "$MPIEXEC" -n "$np" "$HELPER" run "$dir/run.h5" "$k" "$chunk" "$dir/log" \
        >"$dir/out" 2>&1 || { cat "$dir/out" >&2; fail "$label: run failed"; }
    log "$label: $n elements on $np ranks in groups of $k, chunk $chunk, in $((SECONDS - t0)) s: $(cat "$dir/out")"
    grep -q "close=OK" "$dir/out" || fail "$label: the session did not close complete"
    check_logs "$k" "$n" complete "$dir"/log.[0-9]* >/dev/null || fail "$label: not exactly once per group"
    check_file "$dir/run.h5" "$n" "$k"
}

one_case p4k2 4 2 300 0
one_case p8k4 8 4 120 1
one_case p8k2 8 2 200 4
SWEEPMUX_CLAIMS=p2p one_case p4k2p2p 4 2 200 0

# A member's SIGUSR1 stops every group; a resume finishes.
dir="$SCRATCH/stop"
mkdir -p "$dir"
N=3000
"$HELPER" create "$dir/run.h5" "$N" || fail "stop: create"
bg_setsid "$dir/job1.out" timeout -k 5 "$(scaled 200)" "$MPIEXEC" -n 4 "$HELPER" run "$dir/run.h5" 2 2 "$dir/log1" 20000
job=$BG_PID
for _ in $(seq 1 600); do
    [ "$(cat "$dir"/log1.[0-9]* 2>/dev/null | wc -l)" -ge 40 ] && [ -s "$dir/log1.pid.3" ] && break
    sleep 0.1
done
kill -0 "$job" 2>/dev/null || { cat "$dir/job1.out" >&2; fail "stop: the job ended before the signal"; }
kill -USR1 "$(cat "$dir/log1.pid.3")"
wait_rc "$job"
[ "$WAIT_RC" = 0 ] || { cat "$dir/job1.out" >&2; fail "stop: the stopped job exited $WAIT_RC (a member hung, or close failed)"; }
grep -q "close=STOPPED" "$dir/job1.out" || { cat "$dir/job1.out" >&2; fail "stop: close did not return SMX_ESTOPPED"; }
status_json "$dir/run.h5" >"$dir/status1.json"
"$PY" - "$dir/status1.json" <<'EOF' || fail "stop: the job's record"
import json, sys
s = json.load(open(sys.argv[1]))
j = s["jobs"][-1]
if "SIGUSR1 (rank 3)" not in j["reason"]:
    sys.exit("the stopped job's reason is %r, not SIGUSR1 from rank 3" % j["reason"])
if s["running"] != 0 or s["pending"] == 0:
    sys.exit("after the stop: running %d, pending %d" % (s["running"], s["pending"]))
EOF
ran1=$(check_logs 2 "$N" stopped "$dir"/log1.[0-9]*) || fail "stop: the stopped job's groups disagree"
timeout -k 5 "$(scaled 200)" "$MPIEXEC" -n 4 "$HELPER" run "$dir/run.h5" 2 0 "$dir/log2" >"$dir/job2.out" 2>&1 ||
    { cat "$dir/job2.out" >&2; fail "stop: the resume failed"; }
ran2=$(check_logs 2 "$N" stopped "$dir"/log2.[0-9]*) || fail "stop: the resumed job's groups disagree"
dup=$(comm -12 <(sort <<<"$ran1") <(sort <<<"$ran2") | head -n 3 | tr '\n' ' ')
[ -z "$dup" ] || fail "stop: elements run in both jobs: $dup"
[ "$(printf '%s\n%s\n' "$ran1" "$ran2" | sort -u | wc -l)" = "$N" ] || fail "stop: not every element ran"
check_file "$dir/run.h5" "$N" 2
log "stop: $(wc -l <<<"$ran1") elements before the member's SIGUSR1, the rest after the resume"

# kill -9 of the whole job, then a resume on 8 ranks in groups of 4.
dir="$SCRATCH/kill"
mkdir -p "$dir"
N=1500
"$HELPER" create "$dir/run.h5" "$N" || fail "kill: create"
bg_setsid "$dir/job1.out" timeout -k 5 "$(scaled 200)" "$MPIEXEC" -n 4 "$HELPER" run "$dir/run.h5" 2 4 "$dir/log1" 2000
job=$BG_PID
for _ in $(seq 1 600); do
    [ "$(cat "$dir"/log1.[0-9]* 2>/dev/null | wc -l)" -ge 400 ] && break
    sleep 0.1
done
sleep 1.5
kill -0 "$job" 2>/dev/null || { cat "$dir/job1.out" >&2; fail "kill: the job ended before the kill"; }
kill_job "$job"
wait_rc "$job"
"$PY" - "$dir/run.h5" >"$dir/done_after_kill" <<'EOF' || fail "kill: the state file does not open after kill -9"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    st = f["sessions/default/status"][:]
for i in np.nonzero(st >= 2)[0]:
    print(i)
EOF
[ -s "$dir/done_after_kill" ] || fail "kill: nothing was durable 1.5 s after 200 elements had run"
check_logs 2 "$N" killed "$dir"/log1.[0-9]* >"$dir/ran1" || fail "kill: the killed job's groups disagree"
timeout -k 5 "$(scaled 200)" "$MPIEXEC" -n 8 "$HELPER" run "$dir/run.h5" 4 0 "$dir/log2" >"$dir/job2.out" 2>&1 ||
    { cat "$dir/job2.out" >&2; fail "kill: the resume failed"; }
grep -q "close=OK" "$dir/job2.out" || fail "kill: the resume did not finish"
check_logs 4 "$N" stopped "$dir"/log2.[0-9]* >"$dir/ran2" || fail "kill: the resumed job's groups disagree"
"$PY" - "$dir/done_after_kill" "$dir/ran1" "$dir/ran2" "$N" <<'EOF' || fail "kill: exactly-once violated across the kill"
import sys
durable, r1, r2 = ({int(x) for x in open(p)} for p in sys.argv[1:4])
n = int(sys.argv[4])
bad = ["element %d durably final after the kill but handed out again" % i for i in sorted(durable & r2)]
bad += ["element %d recorded final but never ran" % i for i in sorted(durable - r1)]
bad += ["element %d never ran" % i for i in range(n) if i not in r1 and i not in r2]
print("kill: %d ran in job 1, %d durable after the kill, %d ran again" % (len(r1), len(durable), len(r1 & r2)), file=sys.stderr)
if bad:
    sys.exit("\n".join(bad[:10]))
EOF
# The results are the sums of groups of 2 or of 4: check status and attempts, not r.
h5check "$dir/run.h5" default "
st = s['status'][:]; i = np.arange($N)
if (st != np.where(i % 11 == 5, 3, 2)).any(): fail('%d elements not final as expected' % (st != np.where(i % 11 == 5, 3, 2)).sum())
"

# A world size that is not a multiple of the group size: refused alike on every rank, nothing written.
dir="$SCRATCH/mismatch"
mkdir -p "$dir"
"$HELPER" create "$dir/run.h5" 10 || fail "mismatch: create"
sum0=$(md5sum <"$dir/run.h5")
rc=0
timeout -k 5 "$(scaled 120)" "$MPIEXEC" -n 6 "$HELPER" run "$dir/run.h5" 4 0 "$dir/log" >"$dir/out" 2>&1 || rc=$?
[ "$rc" = 2 ] || { cat "$dir/out" >&2; fail "mismatch: 6 ranks in groups of 4 exited $rc, not 2"; }
msg="lib_groups: open failed (-11): smx_session_open: group_size 4 does not divide the communicator's 6 ranks; run a multiple of 4 ranks"
[ "$(grep -cxF "$msg" "$dir/out")" = 6 ] || { cat "$dir/out" >&2; fail "mismatch: not the same refusal on all 6 ranks"; }
[ "$(md5sum <"$dir/run.h5")" = "$sum0" ] || fail "mismatch: the refused open changed the state file"
[ ! -s "$dir/log.0" ] || fail "mismatch: an element was handed out"

# The README's program with element groups.
dir="$SCRATCH/readme"
mkdir -p "$dir"
awk '/^### Element groups/ {sec = 1} sec && /^```c$/ {on = 1; next} on && /^```$/ {exit} on' \
    "$SMX_SOURCE_DIR/README.md" >"$dir/groups.c"
[ "$(wc -l <"$dir/groups.c")" -gt 20 ] || fail "readme: no C program under '### Element groups' in README.md"
# shellcheck disable=SC2086 # SMX_SANITIZE_FLAGS: the sanitizer build's flags, which the program needs too
"${MPICC:-mpicc}" -std=c11 -Wall -Wextra -pedantic -Werror ${SMX_SANITIZE_FLAGS:-} -I"$SMX_SOURCE_DIR/include" -o "$dir/groups" \
    "$dir/groups.c" -L"$SMX_BUILD_DIR" -lsweepmux -Wl,-rpath,"$SMX_BUILD_DIR" || fail "readme: the program does not build"
(cd "$dir" && timeout -k 5 "$(scaled 120)" "$MPIEXEC" -n 4 ./groups >out 2>&1) || { cat "$dir/out" >&2; fail "readme: the program failed"; }
grep -qx "groups: 12 of 12 elements done" "$dir/out" || { cat "$dir/out" >&2; fail "readme: the program's output"; }
smx export "$dir/groups.h5" --format csv >"$dir/export.csv" || fail "readme: export"
"$PY" - "$dir/export.csv" <<'EOF' || fail "readme: the program's results"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 12, rows
for r in rows:
    assert r["status"] == "done" and r["attempts"] == "1", r
    x = int(r["x"])
    # Two ranks each add x * (their rank + 1): 3x.
    assert float(r["total"]) == 3 * x, r
EOF
log "ok"
