#!/usr/bin/env bash
# The state file is the whole truth of a sweep (README "The state file"):
#  - a CSV list created from a subdirectory is resumed, inspected and exported from another
#    directory after the CSV was edited: the stored rows win, tasks run in the creation directory;
#  - a resume whose creation directory is gone is refused (exit 2) before anything runs;
#  - --extend with a new middle value keeps every old index and record and appends the new elements,
#    each run once; --extend with a changed command is refused (exit 2, naming the field, file
#    untouched);
#  - a job whose first tasks cannot start (missing program) stops with exit 2, elements pending;
#  - a daemon's late write to an earlier attempt's result file reaches no record; a result path made a
#    FIFO or a directory neither hangs nor breaks the slot;
#  - result names beyond the 16 columns are named in one warning each;
#  - refusals before the first task (a CSV error, too few GPUs) write no state file;
#  - the README's h5py snippet reads parameters and results with numpy only.
source "$(dirname "$0")/lib-common.sh"
SCRATCH=$(mktemp -d /tmp/smx-state_file.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"

# --- CSV captured at creation; resumed from elsewhere -------------------------------------------
mkdir -p proj/sub elsewhere
cat > proj/sub/points.csv <<'C'
a,b
1,p1
2,p2
3,p3
C
# A relative program path: it resolves against the directory the sweep was created in.
cat > proj/sub/task.sh <<'T'
#!/bin/sh
echo "$1,$2,$SWEEPMUX_ATTEMPT" >> ran.txt
echo "r=$1" > "$SWEEPMUX_RESULT"
T
chmod +x proj/sub/task.sh
cat > proj/sub/s.yaml <<'Y'
name: csvdir
method: list
rows: {csv: points.csv}
command: [./task.sh, "{a}", "{b}"]
Y
(cd proj/sub && expect_rc 0 "create from the subdirectory" smx run s.yaml --state ../run.h5)
[ "$(wc -l < proj/sub/ran.txt)" -eq 3 ] || fail "the first run did not run 3 elements"
# The CSV changes afterwards (and would no longer even parse as the same rows).
printf 'a,b\n500,CHANGED\n' > proj/sub/points.csv

cd elsewhere
expect_rc 0 "export from another directory" smx export ../proj/run.h5
grep -q '^1,2,p2,done' last.out || fail "export does not show the stored row 2,p2: $OUTPUT"
grep -q CHANGED last.out && fail "export shows the edited CSV: $OUTPUT"
expect_rc 0 "status from another directory" smx status ../proj/run.h5
expect_rc 0 "requeue from another directory" smx requeue ../proj/run.h5 --status done
# The resume runs the tasks where the sweep was created, with the stored values.
expect_rc 0 "resume from another directory" smx run --state ../proj/run.h5
[ ! -e ran.txt ] || fail "the resume ran tasks in the directory it was started in"
[ "$(wc -l < ../proj/sub/ran.txt)" -eq 6 ] || fail "the resume did not run the 3 elements again"
tail -n 3 ../proj/sub/ran.txt | sort > rerun.txt
printf '1,p1,2\n2,p2,2\n3,p3,2\n' | diff - rerun.txt || fail "the resume did not run the stored rows"
# With the spec given (resolved beside it), the edited CSV is refused rather than mixed in.
expect_rc 2 "resume with the spec after the CSV changed" smx run ../proj/sub/s.yaml --state ../proj/run.h5
grep -q "points.csv" last.out || fail "the refusal does not name the CSV: $OUTPUT"
cd ..

# --- A creation directory that no longer exists ----------------------------------------------------
mkdir -p gone
cat > gone/g.yaml <<'Y'
name: gone
command: [true, "{i}"]
parameters:
  i: {values: [1, 2]}
Y
(cd gone && expect_rc 0 "create in gone/" smx run g.yaml --state ../gone.h5)
expect_rc 0 "requeue" smx requeue gone.h5 --status done
rm -rf gone
cp gone.h5 gone.before
expect_rc 2 "resume after the creation directory was removed" smx run --state gone.h5
grep -q "does not exist" last.out || fail "the refusal does not say the directory is gone: $OUTPUT"
cmp -s gone.h5 gone.before || fail "a refused resume changed the state file"

# --- --extend: stable indices -----------------------------------------------------------------------
cat > g.yaml <<'Y'
name: g
command: [sh, -c, 'echo "{index} {x} {y} $SWEEPMUX_ATTEMPT" >> g.txt; echo "x={x}" > "$SWEEPMUX_RESULT"']
parameters:
  x: {values: [1, 3]}
  y: {values: [a, b]}
Y
expect_rc 0 "first grid run" smx run g.yaml --state g.h5
smx export g.h5 > before.csv
sed 's/\[1, 3\]/[1, 2, 3]/' g.yaml > g2.yaml
expect_rc 0 "extend with a middle value" smx run g2.yaml --state g.h5 --extend
smx export g.h5 > after.csv
# Old rows (header + 4) are byte for byte the same: indices, values, records.
head -n 5 after.csv | diff before.csv - || fail "extend changed existing rows"
tail -n 2 after.csv | cut -d, -f1-4 | diff <(printf '4,2,a,done\n5,2,b,done\n') - ||
    fail "the new elements are not appended as 4 (2,a) and 5 (2,b)"
[ "$(wc -l < g.txt)" -eq 6 ] || fail "expected 6 task runs in all, got $(wc -l < g.txt)"
[ -z "$(awk '{print $1}' g.txt | sort | uniq -d)" ] || fail "an element ran twice"
grep -qx '4 2 a 1' g.txt || fail "element 4 did not run with x=2, y=a"

# A changed command is refused, naming the field; the file is untouched.
cp g.h5 g.before
sed 's/x={x}/y={x}/; s/\[1, 2, 3\]/[1, 2, 3, 4]/' g2.yaml > g3.yaml
expect_rc 2 "extend with a changed command" smx run g3.yaml --state g.h5 --extend
grep -q "command: stored" last.out || fail "the refusal does not name the command: $OUTPUT"
cmp -s g.h5 g.before || fail "a refused --extend changed the state file"
# So is a parameter whose type changes (every stored value would read differently).
sed 's/\[1, 2, 3\]/[1, 2, 3.5]/' g2.yaml > g4.yaml
expect_rc 2 "extend changing a parameter's type" smx run g4.yaml --state g.h5 --extend
grep -q "parameter 'x' is float" last.out || fail "the refusal does not name parameter x: $OUTPUT"
cmp -s g.h5 g.before || fail "a refused --extend changed the state file"

# --- Nothing written on bad input ---------------------------------------------------------------------
printf 'a\n1\n2,3\n' > bad.csv
printf 'method: list\nrows: {csv: bad.csv}\ncommand: [true, "{a}"]\n' > bad.yaml
expect_rc 2 "a CSV error" smx run bad.yaml --state bad.h5
[ ! -e bad.h5 ] || fail "a CSV error left a state file"
expect_rc 2 "too few GPUs" env CUDA_VISIBLE_DEVICES=0,1 "$SWEEPMUX" run g.yaml --state gpu.h5 --slots 2 --gpus-per-slot 3
grep -q "needs 6 GPUs" last.out || fail "the GPU refusal does not say what is needed: $OUTPUT"
[ ! -e gpu.h5 ] || fail "a --gpus-per-slot error left a state file"

# --- Tasks that cannot start stop the job instead of failing every element -------------------------------
cat > nostart.yaml <<'Y'
name: nostart
command: [./no-such-program, "{i}"]
parameters:
  i: {min: 1, max: 31}
retries: 2
Y
expect_rc 2 "a missing program" smx run nostart.yaml --state nostart.h5 --slots 2
grep -q "could not start (cannot execute './no-such-program'" last.out ||
    fail "no clear message about the missing program: $OUTPUT"
status_json nostart.h5 > ns.json
[ "$(jget failed < ns.json)" -eq 0 ] || fail "elements were marked failed: $(cat ns.json)"
[ "$(jget pending < ns.json)" -eq 31 ] || fail "elements are not all pending: $(cat ns.json)"

# --- Attempt isolation: a result file per attempt ---------------------------------------------------------
# Element 0 leaves a daemon (its own session) that writes to element 0's $SWEEPMUX_RESULT after the
# task ended, while element 1 (same slot, no results of its own) runs.
cat > daemon.yaml <<'Y'
name: daemon
command: [sh, -c, 'if [ "$1" = 0 ]; then setsid sh -c "sleep 1; echo stale_from_0=1 > \"\$0\"" "$SWEEPMUX_RESULT" & else sleep 3; fi', sh, "{i}"]
parameters:
  i: {values: [0, 1]}
Y
expect_rc 0 "a task that leaves a daemon" smx run daemon.yaml --state daemon.h5
smx export daemon.h5 > daemon.csv
grep -q stale_from_0 daemon.csv && fail "a late write of element 0's daemon reached a record: $(cat daemon.csv)"
# A result path replaced by a FIFO or a directory neither hangs nor breaks the slot.
for kind in fifo dir; do
    cat > "res_$kind.yaml" <<Y
name: res_$kind
command: [sh, -c, 'case \$1 in first) rm -f "\$SWEEPMUX_RESULT"; mk$kind "\$SWEEPMUX_RESULT";; *) echo "v=1" > "\$SWEEPMUX_RESULT";; esac', sh, "{c}"]
parameters:
  c: {values: [first, after1, after2]}
Y
    expect_rc 0 "a result path made a $kind" smx run "res_$kind.yaml" --state "res_$kind.h5"
    [ "$(smx export "res_$kind.h5" | grep -c ',done,.*,1.0$')" -eq 2 ] ||
        fail "after a $kind result path the next tasks' results are lost: $(smx export "res_$kind.h5")"
done

# --- Result names beyond the session's 64 columns: a warning naming each, once -------------------------
cat > manyres.yaml <<'Y'
name: manyres
command: [sh, -c, 'for k in $(seq 1 66); do echo "m$k=$k"; done > "$SWEEPMUX_RESULT"', sh, "{i}"]
parameters:
  i: {values: [1, 2, 3]}
Y
expect_rc 0 "66 result names" smx run manyres.yaml --state manyres.h5
[ "$(grep -c "warning: result 'm65'" last.out)" -eq 1 ] || fail "no single warning naming m65: $OUTPUT"
[ "$(grep -c "warning: result 'm66'" last.out)" -eq 1 ] || fail "no single warning naming m66: $OUTPUT"
[ "$(grep -c "warning: result" last.out)" -eq 2 ] || fail "warnings for stored names: $OUTPUT"

# --- The README's h5py snippet ------------------------------------------------------------------------
"$PY" - "$SMX_SOURCE_DIR/README.md" > snippet.py <<'P'
import re, sys
blocks = re.findall(r"```python\n(.*?)```", open(sys.argv[1]).read(), re.S)
print(next(b for b in blocks if "h5py.File(sys.argv[1]" in b))
P
"$PY" snippet.py g.h5 > snip.out 2>&1 || { cat snip.out >&2; fail "the README's h5py snippet failed"; }
grep -q "total 6 done 6 failed 0" snip.out || fail "snippet: no totals: $(cat snip.out)"
grep -q "^4 {'x': 2, 'y': 'a'} {'x': 2.0}" snip.out || fail "snippet: element 4's parameters/results: $(cat snip.out)"
"$PY" snippet.py proj/run.h5 > snip.out 2>&1 || { cat snip.out >&2; fail "the snippet failed on the CSV sweep"; }
grep -q "^1 {'a': 2, 'b': 'p2'} {'r': 2.0}" snip.out || fail "snippet: CSV element 1: $(cat snip.out)"
log "ok"
