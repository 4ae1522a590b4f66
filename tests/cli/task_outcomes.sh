# What happens to tasks that do not simply exit 0: timeouts, programs that cannot start, deaths by
# signal, results written to $SWEEPMUX_RESULT, 100 MB of output, a background child left behind, and
# retries. Each is checked in the state file (h5py), in `status --json` and in `export`.
source "$(dirname "$0")/../cli/lib-common.sh"

# --- timeouts, signals, results, plain failures: one sweep, one element per case --------------------
cat >cases.yaml <<'EOF'
name: outcomes
command: [sh, -c, 'case $1 in
    0) exec sleep 60 ;;
    1) kill -SEGV $$ ;;
    2) printf "loss=0.25\nacc=97\nlabel=foo\nbad=1.2.3\n  lr = 1e-3\n" > "$SWEEPMUX_RESULT" ;;
    3) echo "this goes to stderr" >&2; exit 7 ;;
    4) kill -KILL $$ ;;
    5) printf "loss=-4.5\n" > "$SWEEPMUX_RESULT" ;;
  esac', sh, "{x}"]
parameters:
  x: {min: 0, max: 5, step: 1}
timeout: 1s
EOF
t0=$SECONDS
expect_rc 1 "a sweep with failed elements" smx run cases.yaml --state cases.h5
dt=$((SECONDS - t0))
log "cases: exit 1 after $dt s"
# Well under the task's 60 s also where processes are slower (the limit grows with SMX_TIME_SCALE).
[ "$dt" -le "$(scaled 10)" ] || fail "the 1 s timeout of 'sleep 60' did not end it promptly: the run took $dt s"
h5check cases.h5 default '
st = s["status"][:].tolist(); sig = s["signal"][:].tolist(); ec = s["exit_code"][:].tolist()
if st != [3, 3, 2, 3, 3, 2]: fail("status %s, want [3,3,2,3,3,2] (failed,failed,done,failed,failed,done)" % st)
if sig[0] == 0: fail("timed-out element has no signal recorded")
if sig[1] != 11: fail("SIGSEGV element: signal %d, want 11" % sig[1])
if sig[4] != 9: fail("SIGKILL element: signal %d, want 9" % sig[4])
if ec[3] != 7 or sig[3] != 0: fail("exit 7 element: exit_code %d signal %d" % (ec[3], sig[3]))
te = s["t_end"][:]; ts = s["t_start"][:]
if not (0.8 <= te[0] - ts[0] <= 5): fail("timed-out element ran %.3f s, want about 1 s" % (te[0] - ts[0]))
'
js=$(status_json cases.h5)
"$PY" - "$js" <<'EOF' || fail "status --json of the outcome cases is wrong (see above)"
import json, sys
j = json.loads(sys.argv[1])
assert (j["total"], j["done"], j["failed"], j["pending"], j["running"]) == (6, 2, 4, 0, 0), j
f = {x["index"]: x for x in j["failures"]}
assert sorted(f) == [0, 1, 3, 4], "failures list indices %s" % sorted(f)
assert f[0]["signal"] != 0 and "timed out" in f[0]["stderr_tail"], f[0]
assert f[1]["signal"] == 11, f[1]
assert f[3]["exit_code"] == 7 and "this goes to stderr" in f[3]["stderr_tail"], f[3]
assert f[4]["signal"] == 9, f[4]
assert [j["jobs"][-1]["exit_code"]] == [1], j["jobs"]
EOF
smx export cases.h5 >cases.csv
"$PY" - cases.csv <<'EOF' || fail "export of results is wrong (see above)"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cols = list(rows[0].keys())
want = ["index", "x", "status", "attempts", "exit_code", "signal", "rank", "host", "job", "t_start", "t_end", "duration"]
assert cols[:len(want)] == want, "export header %s" % cols
extra = cols[len(want):]
# Numeric results become columns; label=foo and bad=1.2.3 are not numbers and must not.
assert "loss" in extra and "acc" in extra, "result columns %s" % extra
assert "label" not in extra and "bad" not in extra, "non-numeric results became columns: %s" % extra
assert float(rows[2]["loss"]) == 0.25 and float(rows[2]["acc"]) == 97, rows[2]
assert float(rows[5]["loss"]) == -4.5, rows[5]
assert rows[0]["loss"] == "" and rows[0]["status"] == "failed", rows[0]
assert rows[1]["signal"] == "11" and rows[3]["exit_code"] == "7", (rows[1], rows[3])
EOF
h5check cases.h5 default '
names = [n.decode() if isinstance(n, bytes) else n for n in s["result_names"][:]]
names = [n for n in names if n]
if "loss" not in names or "acc" not in names or "label" in names or "bad" in names: fail("result_names %s" % names)
r = s["results"][:]
li = names.index("loss")
if r[2, li] != 0.25 or r[5, li] != -4.5: fail("results[:, loss] = %s" % r[:, li])
'

# --- control characters in a failed task's stderr reach the terminal escaped (A6-6) ------------------
cat >escapes.yaml <<'EOF'
name: escapes
command: [sh, -c, 'printf "\033[31mred\033]0;title\007 done\n" >&2; exit 1', sh, "{x}"]
parameters:
  x: {values: [1]}
EOF
expect_rc 1 "a task writing terminal escapes to stderr" smx run escapes.yaml --state escapes.h5
expect_rc 0 "status of the escapes sweep" smx status escapes.h5
if LC_ALL=C grep -q "$(printf '[\033\007]')" last.out; then
    fail "status prints a task's control characters raw: $(od -c last.out | grep -m1 '033')"
fi
grep -qF '\x1b[31mred\x1b]0;title\x07 done' last.out || fail "status does not show the escaped stderr: $OUTPUT"
status_json escapes.h5 | grep -qF '\u001b[31mred' || fail "status --json lost the escaped stderr"

# --- a result file over 64 KiB: its first 64 KiB are read, to the last complete line (README) -------
cat >bigres.yaml <<'EOF'
name: bigres
command: [sh, -c, 'i=0; while [ $i -lt 10000 ]; do echo "m$((i % 10))=$i"; i=$((i + 1)); done > "$SWEEPMUX_RESULT"', sh, "{x}"]
parameters:
  x: {values: [1]}
EOF
expect_rc 0 "a task writing a 90 KiB result file" smx run bigres.yaml --state bigres.h5
smx export bigres.h5 >bigres.csv
"$PY" - bigres.csv <<'EOF' || fail "the 64 KiB result-file limit is not what the README says (see above)"
import csv, sys
row = next(csv.DictReader(open(sys.argv[1])))
# The lines up to 64 KiB: "m<k>=<i>" for i = 0.. while the running length stays within 65536.
text, i = "", 0
while True:
    line = "m%d=%d\n" % (i % 10, i)
    if len(text) + len(line) > 65536:
        break
    text += line
    i += 1
last = {}
for n in range(i):
    last["m%d" % (n % 10)] = n
for k, v in last.items():
    assert float(row[k]) == v, "%s = %s, want %d (the last value within the first 64 KiB)" % (k, row[k], v)
EOF

# --- a program that cannot be started -----------------------------------------------------------------
# After a task of the job started, a task that cannot start is a failed attempt reported as "could
# not start", not mistaken for exit 127.
cat >noexec.yaml <<EOF
name: noexec
command: ["{prog}"]
parameters:
  prog: {values: [/bin/true, "$SCRATCH/does-not-exist"]}
EOF
expect_rc 1 "a sweep whose second program does not exist" smx run noexec.yaml --state noexec.h5
js=$(status_json noexec.h5)
"$PY" - "$js" <<'EOF' || fail "exec failure not reported as 'could not start' (see above)"
import json, sys
j = json.loads(sys.argv[1])
assert j["failed"] == 1 and j["done"] == 1, j
for f in j["failures"]:
    assert "could not start" in f["stderr_tail"], f
    assert f["exit_code"] != 127, "exec failure recorded as exit 127: %s" % f
EOF
h5check noexec.h5 default '
if list(s["status"][:]) != [2, 3]: fail("status %s" % s["status"][:])
if (s["exit_code"][:] == 127).any(): fail("exec failure stored as exit_code 127")
'
# A program name that renders empty is that element's start failure, not the run's (A6-1): the
# elements after it still run and the sweep completes.
cat >emptyprog.yaml <<'EOF'
name: emptyprog
command: ["{prog}", arg]
parameters:
  prog: {values: [/bin/true, "", /bin/true]}
EOF
expect_rc 1 "a sweep whose second program name is empty" smx run emptyprog.yaml --state emptyprog.h5
h5check emptyprog.h5 default 'if list(s["status"][:]) != [2, 3, 2]: fail("status %s, want [2,3,2]" % s["status"][:])'
status_json emptyprog.h5 | grep -q 'program name is empty' ||
    fail "the empty program name is not named in the failure: $(status_json emptyprog.h5)"
# When no task of the job could start, the job stops (exit 2) and the elements stay pending.
cat >noexec2.yaml <<EOF
name: noexec2
command: ["$SCRATCH/does-not-exist", "{x}"]
parameters:
  x: {values: [1, 2]}
EOF
expect_rc 2 "a sweep whose program does not exist" smx run noexec2.yaml --state noexec2.h5
grep -q "could not start" last.out || fail "no 'could not start' message: $OUTPUT"
h5check noexec2.h5 default 'if (s["status"][:] != 0).any(): fail("status %s" % s["status"][:])'
# A real exit 127 is an exit code, not a start failure.
cat >e127.yaml <<'EOF'
name: e127
command: [sh, -c, 'exit 127', sh, "{x}"]
parameters:
  x: {values: [1]}
EOF
expect_rc 1 "a task exiting 127" smx run e127.yaml --state e127.h5
h5check e127.h5 default 'if s["exit_code"][0] != 127: fail("exit 127 stored as %d" % s["exit_code"][0])'
status_json e127.h5 | grep -q 'could not start' && fail "a task that exited 127 is reported as 'could not start'"

# --- 100 MB of stdout: the task completes and every byte lands in the logs directory -----------------
cat >big.yaml <<'EOF'
name: big
command: [sh, -c, 'head -c 100000000 /dev/zero | tr "\0" x; echo; echo "END-OF-BIG-$1"', sh, "{x}"]
parameters:
  x: {values: [7]}
timeout: 60s
EOF
t0=$SECONDS
expect_rc 0 "a task writing 100 MB" smx run big.yaml --state big.h5 --logs biglogs
log "100 MB task: $((SECONDS - t0)) s"
size=$(cat biglogs/* | wc -c)
[ "$size" -ge 100000000 ] || fail "logs dir holds $size bytes, want >= 100000000"
grep -q 'END-OF-BIG-7' biglogs/* || fail "the end of the 100 MB output is missing from the logs"
rm -rf biglogs
# The same per task (--log-mode task).
expect_rc 0 "a task writing 100 MB, --log-mode task" smx run big.yaml --state big2.h5 --logs biglogs2 --log-mode task
size=$(cat biglogs2/* | wc -c)
[ "$size" -ge 100000000 ] || fail "--log-mode task: logs dir holds $size bytes, want >= 100000000"
grep -q 'END-OF-BIG-7' biglogs2/* || fail "--log-mode task: the end of the output is missing"
rm -rf biglogs2

# --- a sparse 4 GiB stdout: the rank log keeps its first 1 GiB, and the holes stay holes (A6-4) ----
cat >sparse.yaml <<'EOF'
name: sparse
command: [sh, -c, 'echo "hi-$1"; dd if=/dev/null of=/proc/self/fd/1 bs=1 seek=4G 2>/dev/null', sh, "{x}"]
parameters:
  x: {values: [3]}
EOF
expect_rc 0 "a task whose stdout is a sparse 4 GiB file" smx run sparse.yaml --state sparse.h5 --logs sparselogs
slog=sparselogs/rank-00000.log
apparent=$(stat -c %s "$slog")
used_kib=$(du -k "$slog" | cut -f1)
log "sparse stdout: rank log of $apparent bytes, $used_kib KiB on disk"
[ "$used_kib" -lt 65536 ] || fail "a sparse 4 GiB stdout took $used_kib KiB of disk in the rank log"
[ "$apparent" -le $((1073741824 + 4096)) ] || fail "the rank log is $apparent bytes, over the 1 GiB cap"
head -c 200 "$slog" | grep -q 'stream=stdout bytes=1073741824 <==' || fail "no capped header: $(head -c 200 "$slog")"
head -c 200 "$slog" | grep -q 'hi-3' || fail "the data before the hole is missing from the rank log"
tail -c 300 "$slog" | grep -Eq 'stream=stdout cut: the first 1073741824 of [0-9]+ bytes are logged' ||
    fail "no line saying the output was cut: $(tail -c 300 "$slog" | tr -d '\0')"
rm -rf sparselogs

# --- a task that leaves a background child: the run ends promptly and the child is gone --------------
cat >bg.yaml <<EOF
name: bg
command: [sh, -c, 'sleep 300 & echo \$! > "$SCRATCH/bgpid.\$1"; echo started', sh, "{x}"]
parameters:
  x: {values: [1, 2]}
timeout: 120s
EOF
t0=$SECONDS
expect_rc 0 "tasks leaving a background sleep 300" smx run bg.yaml --state bg.h5
dt=$((SECONDS - t0))
[ "$dt" -le "$(scaled 20)" ] || fail "the run waited for the task's background child: $dt s"
sleep 0.5
for p in "$SCRATCH"/bgpid.*; do
    pid=$(cat "$p")
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'sleep 300' &&
        ! grep -q '^State:.*Z' "/proc/$pid/status"; then
        kill -KILL "$pid" 2>/dev/null || true
        fail "the background 'sleep 300' of a finished task (pid $pid) is still running"
    fi
done

# --- retries: attempt numbers, success on attempt 2, exhaustion after 1 + retries ---------------------
cat >retry.yaml <<'EOF'
name: retry
command: [sh, -c, 'echo "$SWEEPMUX_INDEX $SWEEPMUX_ATTEMPT" >> "$SMX_REC"; case $1 in
    flaky) [ "$SWEEPMUX_ATTEMPT" -ge 2 ] || exit 3 ;;
    bad) exit 4 ;;
  esac', sh, "{kind}"]
parameters:
  kind: {values: [flaky, bad, good]}
retries: 2
EOF
export SMX_REC="$SCRATCH/retry.txt"
: >"$SMX_REC"
expect_rc 1 "retries" smx run retry.yaml --state retry.h5
h5check retry.h5 default '
st = s["status"][:].tolist(); at = s["attempts"][:].tolist()
if st != [2, 3, 2]: fail("status %s, want [2,3,2]" % st)
if at != [2, 3, 1]: fail("attempts %s, want [2,3,1] (flaky ok on 2nd, bad failed after 1+2)" % at)
if s["exit_code"][1] != 4: fail("exhausted element exit_code %d" % s["exit_code"][1])
'
runs=$(sort "$SMX_REC" | tr '\n' ' ')
[ "$runs" = "0 1 0 2 1 1 1 2 1 3 2 1 " ] || fail "task executions (index attempt): '$runs', want '0 1 0 2 1 1 1 2 1 3 2 1'"
js=$(status_json retry.h5)
[ "$(jget done <<<"$js")" = 2 ] && [ "$(jget failed <<<"$js")" = 1 ] || fail "retry status: $js"
# With 2 slots, a task that fails after this rank's claims ran out still gets its retry (A4-1): element
# 0 fails after 1 s while element 1 is long done and the claims are exhausted.
cat >retry_slots.yaml <<'EOF'
name: retry_slots
command: [sh, -c, 'echo "$SWEEPMUX_INDEX $SWEEPMUX_ATTEMPT" >> "$SMX_REC"; if [ "$1" = 0 ]; then sleep 1; exit 1; fi', sh, "{i}"]
retries: 1
parameters:
  i: {values: [0, 1]}
EOF
: >"$SMX_REC"
expect_rc 1 "a retry after the claims ran out (--slots 2)" smx run retry_slots.yaml --state retry_slots.h5 --slots 2
h5check retry_slots.h5 default '
if s["status"][:].tolist() != [3, 2]: fail("--slots 2 retry: status %s, want [3,2]" % s["status"][:])
if s["attempts"][:].tolist() != [2, 1]: fail("--slots 2 retry: attempts %s, want [2,1]" % s["attempts"][:])
'
runs=$(sort "$SMX_REC" | tr '\n' ' ')
[ "$runs" = "0 1 0 2 1 1 " ] || fail "--slots 2 retry ran '$runs', want '0 1 0 2 1 1'"
# --retries on the command line overrides the spec.
: >"$SMX_REC"
expect_rc 1 "--retries 0" smx run retry.yaml --state retry0.h5 --retries 0
h5check retry0.h5 default '
if s["status"][:].tolist() != [3, 3, 2]: fail("--retries 0: status %s" % s["status"][:])
if s["attempts"][:].tolist() != [1, 1, 1]: fail("--retries 0: attempts %s" % s["attempts"][:])
'
# --retry-failed on a resume runs the failed elements again (attempt numbers continue).
: >"$SMX_REC"
expect_rc 0 "--retry-failed resume" smx run --state retry0.h5 --retry-failed --retries 0 -- sh -c 'echo "$SWEEPMUX_INDEX $SWEEPMUX_ATTEMPT" >> "$SMX_REC"'
runs=$(sort "$SMX_REC" | tr '\n' ' ')
[ "$runs" = "0 2 1 2 " ] || fail "--retry-failed ran '$runs', want '0 2 1 2' (only the failed ones, attempt 2)"
h5check retry0.h5 default 'if s["status"][:].tolist() != [2, 2, 2]: fail("after --retry-failed: status %s" % s["status"][:])'
