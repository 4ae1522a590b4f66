# export --format spec: the failed (or any other) elements as a list sweep of their own, with their
# stored parameter values and the original command and settings; check and run accept it as it is,
# and its tasks see the same parameters and environment as the originals. An empty selection is an
# error that writes nothing.
source "$(dirname "$0")/lib-common.sh"

export FAILMODE="$SCRATCH/failmode" SMX_REC="$SCRATCH/rec.txt"
: >"$SMX_REC"
cat >task.sh <<'EOF2'
#!/bin/sh
# task.sh LR NAME FLAG: records "SESSION-FILE LR NAME FLAG TAG" and fails for lr 2.0 while $FAILMODE exists.
printf '%s|%s|%s|%s|%s\n' "$SMX_STATE" "$1" "$2" "$3" "$TAG" >>"$SMX_REC"
if [ -e "$FAILMODE" ] && [ "$1" = 2.0 ]; then exit 3; fi
exit 0
EOF2
chmod +x task.sh
cat >spec.yaml <<EOF2
# The original sweep.
name: orig
description: "floats that look like integers, strings with quotes, bools"
command: ["$SCRATCH/task.sh", "{lr}", "{name}", "{flag}"]
parameters:
  lr: {values: [1.0, 2.0, 2.5]}
  name: {values: ["plain", "with \"quote\" and, comma", "ü"]}
  flag: {values: [true, false]}
timeout: 1m
retries: 0
env:
  TAG: "t-{name}"
  SMX_STATE: orig
EOF2
touch "$FAILMODE"
expect_rc 1 "original run" smx run spec.yaml --state run.h5
smx export run.h5 --status failed --format spec >retry.yaml || fail "export --format spec exited $?"
grep -q '^# sweepmux export --format spec: the 6 failed elements' retry.yaml || fail "header: $(head -n 2 retry.yaml)"
grep -q '^method: list$' retry.yaml || fail "not a list sweep: $(cat retry.yaml)"
expect_rc 0 "check retry.yaml" smx check retry.yaml --show 10
grep -q "6 elements" last.out || fail "check of retry.yaml: $OUTPUT"

# The retry runs the same tasks with the same values and environment, and they succeed now.
rm "$FAILMODE"
sed -i 's/SMX_STATE: orig/SMX_STATE: retry/' retry.yaml
expect_rc 0 "run retry.yaml" smx run retry.yaml --state retry.h5
smx export run.h5 --status failed --format json >orig.json || fail "export json"
smx export retry.h5 --format json >retry.json || fail "export retry json"
"$PY" - orig.json retry.json "$SMX_REC" <<'EOF2' || fail "the retry sweep does not reproduce the failed elements"
import json, sys
orig, retry = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
key = lambda r: (r["lr"], r["name"], r["flag"])
assert [key(r) for r in orig] == [key(r) for r in retry], ([key(r) for r in orig], [key(r) for r in retry])
for r in retry:
    assert type(r["lr"]) is float and type(r["flag"]) is bool and type(r["name"]) is str, r
    assert r["status"] == "done", r
lines = [l.rstrip("\n").split("|") for l in open(sys.argv[3], encoding="utf-8")]
seen = {tuple(l[1:]) for l in lines if l[0] == "orig"}
again = [tuple(l[1:]) for l in lines if l[0] == "retry"]
assert len(again) == 6 and all(a in seen for a in again), (again, seen)
assert all(a[0] == "2.0" and a[3] == "t-" + a[1] for a in again), again
EOF2

# Any status: the done ones; an empty selection writes nothing and exits 2.
smx export run.h5 --status done --format spec >done.yaml || fail "export --status done --format spec"
expect_rc 0 "check done.yaml" smx check done.yaml
grep -q "12 elements" last.out || fail "done.yaml: $OUTPUT"
rc=0
smx export run.h5 --status running --format spec >none.yaml 2>none.err || rc=$?
[ "$rc" -eq 2 ] || fail "export of no elements exited $rc"
[ ! -s none.yaml ] || fail "export of no elements wrote: $(cat none.yaml)"
grep -q "no element of session 'default' is running" none.err || fail "message: $(cat none.err)"
