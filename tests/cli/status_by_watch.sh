# status --by: counts and the metric per parameter value (or combination), best first, failing values
# flagged, in text and JSON, also during a run; bad --by/--metric refused with exit 2. status --watch:
# redraws from the file during a real run and ends by itself when the sweep completes (exit 1 when some
# failed), quits on q in a terminal and on Ctrl-C.
source "$(dirname "$0")/lib-common.sh"

cat >task.sh <<'EOF2'
#!/bin/sh
# task.sh LR DEPTH ACT: loss = LR * DEPTH (+1 for tanh); fails for depth 4 with tanh.
sleep "${SMX_SLEEP:-0}"
awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { printf "loss=%.17g\n", a * b + (t == "tanh") }' >"$SWEEPMUX_RESULT"
if [ "$3" = tanh ] && [ "$2" = 4 ]; then echo "depth 4 diverged" >&2; exit 5; fi
exit 0
EOF2
chmod +x task.sh
cat >spec.yaml <<EOF2
name: by
command: ["$SCRATCH/task.sh", "{lr}", "{depth}", "{act}"]
parameters:
  lr: {values: [0.1, 0.01, 0.001]}
  depth: {min: 2, max: 6, step: 2}
  act: {values: [relu, tanh]}
EOF2
expect_rc 1 "grid" mpi 2 run spec.yaml --state run.h5

# --- text: best first, failing values flagged ------------------------------------------------------------
expect_rc 0 "--by act" smx status run.h5 --by act
sed -n 3p last.out | grep -Eq '^\* +relu +9 +9 +0 +0 +0 ' || fail "best row is not relu with 9 done: $(sed -n 3p last.out)"
sed -n 4p last.out | grep -Eq '^ ! ?tanh +9 +6 +3 +0 +0 ' || fail "tanh row (3 failed) not flagged: $(sed -n 4p last.out)"
expect_rc 0 "--by lr,depth --metric loss --best max" smx status run.h5 --by lr,depth --metric loss --best max
[ "$(grep -c '^[ *][ !]' last.out)" = 10 ] || fail "--by lr,depth: want a header and 9 groups: $OUTPUT"
sed -n 3p last.out | grep -Eq '^\* +0\.1 +6 ' || fail "highest mean loss is lr=0.1 depth=6: $(sed -n 3p last.out)"

# --- JSON: typed values, counts, statistics, the same order -------------------------------------------------
smx status run.h5 --by depth --json >by.json || fail "--by --json"
"$PY" - by.json <<'EOF2' || fail "status --by depth --json is wrong: $(cat by.json)"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["by"] == ["depth"] and j["metric"] == "loss" and j["best"] == "min", j
g = j["groups"]
# depth 4 has the lowest mean: only its relu elements (lower losses) are done; it is flagged by its failures.
assert [x["values"]["depth"] for x in g] == [4, 2, 6], [x["values"] for x in g]
d4 = g[0]
assert (d4["total"], d4["done"], d4["failed"], d4["pending"], d4["running"]) == (6, 3, 3, 0, 0), d4
d2 = g[1]
want = [lr * 2 + t for lr in (0.1, 0.01, 0.001) for t in (0, 1)]
assert d2["n_metric"] == 6 and abs(d2["mean"] - sum(want) / 6) < 1e-12, d2
assert d2["min"] == min(want) and d2["max"] == max(want), d2
EOF2
smx status run.h5 --by act,lr --json >by2.json || fail "--by act,lr --json"
"$PY" -c 'import json,sys; g=json.load(open(sys.argv[1]))["groups"]; assert len(g)==6 and all(isinstance(x["values"]["act"],str) and isinstance(x["values"]["lr"],float) for x in g), g' by2.json ||
    fail "--by act,lr --json values: $(cat by2.json)"

# --- refused ------------------------------------------------------------------------------------------------
expect_rc 2 "--by unknown" smx status run.h5 --by width
grep -q "no parameter 'width' (parameters: lr, depth, act)" last.out || fail "message: $OUTPUT"
expect_rc 2 "--metric unknown" smx status run.h5 --by lr --metric acc
grep -q "no result 'acc' in run.h5 (results: loss)" last.out || fail "message: $OUTPUT"
expect_rc 2 "--metric alone" smx status run.h5 --metric loss
expect_rc 2 "--watch --json" smx status run.h5 --watch --json
expect_rc 2 "--watch 0" smx status run.h5 --watch 0
expect_rc 2 "extra argument" smx status run.h5 5

# --- during a run: --by counts running and pending, --watch follows it to the end ------------------------
bg_setsid slow.out env SMX_SLEEP=3 timeout -k 5 "$(scaled "$SMX_TIMEOUT")" "$MPIEXEC" -n 2 "$SWEEPMUX" run spec.yaml --state slow.h5 --slots 2
slow_pid=$BG_PID
for i in $(seq 1 300); do
    smx status slow.h5 --json 2>/dev/null | "$PY" -c 'import json,sys; j=json.load(sys.stdin); sys.exit(not (j["running"] > 0 and j["pending"] > 0))' && break
    sleep 0.1
done
smx status slow.h5 --by depth --json >live.json || fail "--by during the run"
"$PY" -c 'import json,sys; g=json.load(open(sys.argv[1]))["groups"]; t=sum(x["total"] for x in g); r=sum(x["running"]+x["pending"] for x in g); assert t==18 and r>0, (t,r)' live.json ||
    fail "--by during the run does not count running/pending: $(cat live.json)"
rc=0
timeout -k 5 "$(scaled 120)" "$SWEEPMUX" status slow.h5 --watch 0.5 </dev/null >watch.out 2>watch.err || rc=$?
[ "$rc" -eq 1 ] || { cat watch.err >&2; fail "--watch exited $rc, want 1 (it ends when the sweep completes, with failures)"; }
wait_rc "$slow_pid"
[ "$WAIT_RC" -eq 1 ] || fail "the watched run exited $WAIT_RC"
frames=$(grep -c '^  \[[#.]*\]' watch.out)
[ "$frames" -ge 3 ] || fail "--watch drew $frames frames: $(cat watch.out)"
grep -q '^  running: [0-9]' watch.out || fail "--watch never listed running elements"
grep -q '^  rate [0-9.]*/s over the last' watch.out || fail "--watch shows no rate"
grep -q 'element [0-9]* attempt 1: exit 5: depth 4 diverged' watch.out || fail "--watch shows no failure with its stderr"
tail -n 1 watch.out | grep -q '^slow.h5: complete: 15 done, 3 failed$' || fail "--watch last line: $(tail -n 1 watch.out)"
grep -q $'\033\[2J' watch.out && fail "--watch cleared the screen when stdout is not a terminal"

# --- q in a terminal, and Ctrl-C ---------------------------------------------------------------------------
expect_rc 0 "reset" smx requeue slow.h5 --status failed
bg_setsid slow2.out env SMX_SLEEP=5 timeout -k 5 "$(scaled "$SMX_TIMEOUT")" "$SWEEPMUX" run --state slow.h5
slow_pid=$BG_PID
sleep 1
rc=0
(sleep 3; printf q) | timeout -k 5 "$(scaled 60)" script -qfec "$SWEEPMUX status slow.h5 --watch 0.5" /dev/null >tty.out 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "--watch in a terminal did not quit on q (exit $rc): $(tail -c 300 tty.out)"
grep -q $'\033\[2J' tty.out || fail "--watch in a terminal does not redraw in place"
kill -0 "$slow_pid" 2>/dev/null || fail "the run ended before q was pressed; the test proves nothing"
timeout -k 5 "$(scaled 60)" "$SWEEPMUX" status slow.h5 --watch 0.5 </dev/null >int.out 2>&1 &
wpid=$!
sleep 2
kill -INT "$wpid"
wait_rc "$wpid"
[ "$WAIT_RC" -eq 0 ] || fail "--watch after Ctrl-C exited $WAIT_RC"
wait_rc "$slow_pid"
