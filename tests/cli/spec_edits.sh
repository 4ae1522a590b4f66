#!/usr/bin/env bash
# Resuming with an edited spec compares what the spec means, not its text (README "run"):
#  - comments, layout, key order and how a value is written (0x3 for 3, `timeout: 10` for 10s) are
#    not changes: the resume is accepted silently and the stored spec is kept;
#  - timeout, retries, name and description are settings: accepted, the file takes the new spec,
#    and the change is recorded with the job that made it (/spec_changes, `status`, `status --json`);
#  - command, shell, env, workdir, parameter values or types, and a parameter order that renumbers
#    the elements are refused: exit 2, the message names the field, the file is byte for byte the same.
# As a user runs it: spec and CSV in a subdirectory, runs started from another directory, 3 ranks.
source "$(dirname "$0")/lib-common.sh"

mkdir -p proj/sub elsewhere
printf 'a,b\n1,p1\n2,p2\n' > proj/sub/points.csv
cat > proj/sub/s.yaml <<'Y'
name: edits
description: first
method: grid
parameters:
  x: {values: [1, 2, 3]}
  y: {values: [u, v]}
command: [sh, -c, 'echo "{x} {y} $SWEEPMUX_ATTEMPT" >> ran.txt; echo "r={x}" > "$SWEEPMUX_RESULT"']
timeout: 10s
retries: 0
Y
cd elsewhere
expect_rc 0 "first run from another directory" mpi 3 run ../proj/sub/s.yaml --state ../proj/run.h5
[ "$(wc -l < ran.txt)" -eq 6 ] || fail "the first run did not run 6 elements"
stored_spec() { "$PY" -c 'import h5py,sys; print(h5py.File(sys.argv[1],"r")["spec"][()].decode())' "$1"; }
stored_spec ../proj/run.h5 > spec0.txt

# --- comments, layout, key order, value spelling: accepted silently --------------------------------------
cat > ../proj/sub/s.yaml <<'Y'
# The same sweep, written differently.
retries: 0
timeout: 10              # seconds
command:
  - sh
  - -c
  - 'echo "{x} {y} $SWEEPMUX_ATTEMPT" >> ran.txt; echo "r={x}" > "$SWEEPMUX_RESULT"'
parameters:
  x:
    values: [0x1, 2, 3]
  y: {values: ["u", 'v']}
description: "first"
name: edits
Y
expect_rc 0 "resume with a comment/format-only edit" mpi 3 run ../proj/sub/s.yaml --state ../proj/run.h5
grep -q "settings changed" last.out && fail "a format-only edit was reported as a settings change: $OUTPUT"
[ "$(wc -l < ran.txt)" -eq 6 ] || fail "a format-only edit ran elements again"
stored_spec ../proj/run.h5 | cmp -s - spec0.txt || fail "a format-only edit replaced the stored spec"
[ "$(status_json ../proj/run.h5 | jget spec_changes)" = "[]" ] || fail "a format-only edit was recorded"

# --- settings: accepted, recorded with the job, shown by status -------------------------------------------
sed -i -e 's/^timeout: 10 .*/timeout: 1m/' -e 's/^retries: 0/retries: 2/' -e 's/^description: .*/description: second/' \
    ../proj/sub/s.yaml
expect_rc 0 "resume with changed timeout/retries/description" mpi 3 run ../proj/sub/s.yaml --state ../proj/run.h5
grep -q "settings changed (timeout 10s -> 60s, retries 0 -> 2, description 'first' -> 'second')" last.out ||
    fail "the accepted settings change is not reported: $OUTPUT"
[ "$(wc -l < ran.txt)" -eq 6 ] || fail "a settings edit ran elements again"
stored_spec ../proj/run.h5 > spec1.txt; grep -q '^timeout: 1m' spec1.txt || fail "the file does not hold the new spec"
status_json ../proj/run.h5 > st.json
job=$(jget jobs < st.json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
changes=$(jget spec_changes < st.json)
case $changes in
*"job $job on "*"timeout 10s -> 60s, retries 0 -> 2"*) ;;
*) fail "status --json does not record the change with job $job: $changes" ;;
esac
expect_rc 0 "status" smx status ../proj/run.h5
grep -q "spec settings changed:" last.out || fail "status does not show the settings change: $OUTPUT"
grep -q "job $job on .*retries 0 -> 2" last.out || fail "status does not name the job of the change: $OUTPUT"
# The same edited spec again is no new change.
expect_rc 0 "resume with the same edited spec" mpi 3 run ../proj/sub/s.yaml --state ../proj/run.h5
[ "$(status_json ../proj/run.h5 | jget spec_changes | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
    fail "an unchanged resume recorded another change"

# --- what elements are or how they run: refused, naming the field, file untouched -------------------------
cp ../proj/sub/s.yaml good.yaml
cp -p ../proj/run.h5 before.h5
# refused NAME FIELD-TEXT SED-EXPR: the spec edited by SED-EXPR is refused naming FIELD-TEXT.
refused() {
    sed -e "$3" good.yaml > ../proj/sub/s.yaml
    cmp -s good.yaml ../proj/sub/s.yaml && fail "$1: the edit changed nothing"
    expect_rc 2 "$1" mpi 3 run ../proj/sub/s.yaml --state ../proj/run.h5
    grep -qF -- "$2" last.out || fail "$1: the refusal does not name '$2': $OUTPUT"
    cmp -s before.h5 ../proj/run.h5 || fail "$1: the refused run changed the state file"
}
refused "changed command" "command: stored" 's/>> ran.txt/>> ran2.txt/'
refused "added env" "env: stored {}; new {T: 1}" '$a env: {T: "1"}'
refused "added workdir" "workdir: stored (none); new w" '$a workdir: w'
refused "shell" "shell: stored false; new true" '$a shell: true'
refused "changed value" "parameter 'x' of element 4: stored 3; new 4" 's/values: \[0x1, 2, 3\]/values: [0x1, 2, 4]/'
refused "changed type" "parameter 'x': stored type int; new type float" 's/values: \[0x1, 2, 3\]/values: [1.0, 2, 3]/'
refused "renamed parameter" "parameters: stored [x, y]; new [z, y]" 's/^  x:/  z:/; s/{x}/{z}/g'
# Swapping the parameters of a grid renumbers its elements: element 1 would get other values.
sed -e '/^  x:$/,/values: \[0x1/d' good.yaml | sed -e 's/^parameters:/parameters:\n  y: {values: [u, v]}\n  x: {values: [1, 2, 3]}/' |
    awk 'NR==1 || !/^  y: {values: \["u"/' > swapped.yaml
sed -e '/^  y: {values: \["u", .v.\]}$/d' swapped.yaml > ../proj/sub/s.yaml
expect_rc 2 "swapped grid parameters" mpi 3 run ../proj/sub/s.yaml --state ../proj/run.h5
grep -q "of element 1: stored" last.out || fail "the swapped parameters' refusal does not name an element: $OUTPUT"
cmp -s before.h5 ../proj/run.h5 || fail "swapped parameters: the refused run changed the state file"

# --- a CSV list: a comment in the spec is no change; the stored rows stay the ones used -------------------
cat > ../proj/sub/l.yaml <<'Y'
method: list
rows: {csv: points.csv}
command: [sh, -c, 'echo "{a} {b}" >> rows.txt']
Y
expect_rc 0 "CSV list: first run" mpi 3 run ../proj/sub/l.yaml --state ../proj/list.h5
sed -i '1i # rows come from points.csv' ../proj/sub/l.yaml
sed -i 's/^retries: .*//' ../proj/sub/l.yaml
echo 'timeout: 30s' >> ../proj/sub/l.yaml
expect_rc 0 "CSV list: resume with a comment and a timeout" mpi 3 run ../proj/sub/l.yaml --state ../proj/list.h5
grep -q "settings changed (timeout none -> 30s)" last.out || fail "CSV list: the timeout change is not reported: $OUTPUT"
[ "$(sort rows.txt | tr '\n' ' ')" = "1 p1 2 p2 " ] || fail "CSV list: elements ran again or not at all: $(cat rows.txt)"
