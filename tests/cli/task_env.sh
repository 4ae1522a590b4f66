# What a task sees: every SWEEPMUX_* variable with the right value (index, session, attempt, rank < P,
# slot < slots, SWEEPMUX_PARAM_<NAME> with the rendered value, a usable SWEEPMUX_RESULT), the spec's env
# rendered per element, stdin from /dev/null, workdir sanitised into one path component, and hostile
# parameter values (spaces, quotes, $(...), backticks, ;rm -rf, globs, newlines, braces) arriving as
# exactly one argv element each with no shell evaluation — also with `shell: true`, where every
# substituted value is quoted.
source "$(dirname "$0")/../cli/lib-common.sh"

export SMX_OUT="$SCRATCH/out"
mkdir "$SMX_OUT" wd
touch victim
cat >dump.sh <<'EOF'
#!/bin/sh
d="$SMX_OUT/$SWEEPMUX_SESSION.$SWEEPMUX_INDEX.$SWEEPMUX_ATTEMPT.$$"
mkdir "$d"
printf '%s\0' "$@" > "$d/argv"
env -0 > "$d/env"
pwd -P > "$d/cwd"
timeout 5 cat > "$d/stdin" || echo "stdin did not end" > "$d/stdin"
echo "seen=1" > "$SWEEPMUX_RESULT" && echo ok > "$d/result"
EOF
chmod +x dump.sh

# The values, and the spec generated from them (JSON strings are YAML double-quoted scalars).
cat >values.py <<'EOF'
X = [3, -7]
Y = ["plain", "a b  c", "it's \"quoted\"", "$(touch pwned)", "`touch pwned2`",
     ";rm -rf victim; touch pwned3", "*", "$HOME", "-n", "line1\nline2", "{x}}{", "../../escape", "&& touch pwned4 |"]
import re
def sanitise(v):
    v = re.sub(r"[^A-Za-z0-9._+-]", "_", v)
    return "_" + v[1:] if v.startswith(".") else (v or "_")
EOF
"$PY" - "$SCRATCH" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[1])
from values import X, Y, sanitise
scratch = sys.argv[1]
def spec(name, shell):
    out = ["name: %s" % name]
    if shell:
        out.append("shell: true")
        out.append("command: %s" % json.dumps("printf '%s\\n' {y} > \"$SMX_OUT/sh.$SWEEPMUX_INDEX\"; printf '%s\\n' {x}-{y} >> \"$SMX_OUT/sh.$SWEEPMUX_INDEX\""))
    else:
        out.append("command: %s" % json.dumps([scratch + "/dump.sh", "{y}", "pre-{y}-post", "{x}", "{index}", "{{lit}}", "{lr.rate-x}"]))
        out.append('env: {MY_Y: "v={y}", MY_X: "{x}", MY_CONST: "c"}')
        out.append('workdir: "%s/wd/{y}"' % scratch)
    out.append("parameters:")
    out.append("  x: {values: %s}" % json.dumps(X))
    out.append("  y: {values: [%s]}" % ", ".join(json.dumps(v) for v in Y))
    if not shell:
        out.append("  lr.rate-x: {value: 0.5}")
    return "\n".join(out) + "\n"
# The per-element working directories, named by the documented sanitising rule (README.md, Spec format:
# characters other than A-Z a-z 0-9 . _ + - become _, a leading . becomes _, empty becomes _).
# sweepmux does not promise to create a workdir, so the test makes them.
import os
os.makedirs(scratch + "/wd/_", exist_ok=True)
for y in Y:
    os.makedirs(scratch + "/wd/" + sanitise(y), exist_ok=True)
open(scratch + "/env.yaml", "w").write(spec("envtest", False))
open(scratch + "/shell.yaml", "w").write(spec("shelltest", True))
EOF
N=$((2 * 13))
ls wd >wd.before
expect_rc 0 "check of the env spec" smx check env.yaml --show 3

# check_run SESSION P SLOTS: every element's dump has the right argv and environment.
check_run() {
    "$PY" - "$SCRATCH" "$1" "$2" "$3" "$N" <<'EOF' || fail "task environment of session $1 is wrong (see above)"
import glob, os, sys
sys.path.insert(0, sys.argv[1])
from values import X, Y, sanitise
scratch, sess, P, slots, N = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
dumps = glob.glob("%s/out/%s.*" % (scratch, sess))
by_index = {}
for d in dumps:
    i = int(os.path.basename(d).split(".")[1])
    assert i not in by_index, "element %d ran twice" % i
    by_index[i] = d
assert sorted(by_index) == list(range(N)), "elements that ran: %s" % sorted(by_index)
errs = []
for i, d in sorted(by_index.items()):
    x, y = X[i // len(Y)], Y[i % len(Y)]          # grid order: the last parameter varies fastest
    argv = open(d + "/argv", "rb").read().split(b"\0")[:-1]
    argv = [a.decode() for a in argv]
    want = [y, "pre-%s-post" % y, str(x), str(i), "{lit}", "0.5"]
    if argv != want:
        errs.append("element %d: argv %r, want %r" % (i, argv, want))
    env = dict(kv.decode().split("=", 1) for kv in open(d + "/env", "rb").read().split(b"\0") if kv)
    expect = {"SWEEPMUX_INDEX": str(i), "SWEEPMUX_SESSION": sess, "SWEEPMUX_ATTEMPT": "1",
              "SWEEPMUX_PARAM_X": str(x), "SWEEPMUX_PARAM_Y": y, "SWEEPMUX_PARAM_LR_RATE_X": "0.5",
              "MY_Y": "v=" + y, "MY_X": str(x), "MY_CONST": "c"}
    for k, v in expect.items():
        if env.get(k) != v:
            errs.append("element %d: %s=%r, want %r" % (i, k, env.get(k), v))
    try:
        if not 0 <= int(env["SWEEPMUX_RANK"]) < P: errs.append("element %d: SWEEPMUX_RANK %s" % (i, env["SWEEPMUX_RANK"]))
        if not 0 <= int(env["SWEEPMUX_SLOT"]) < slots: errs.append("element %d: SWEEPMUX_SLOT %s" % (i, env["SWEEPMUX_SLOT"]))
    except (KeyError, ValueError) as e:
        errs.append("element %d: SWEEPMUX_RANK/SLOT missing or not a number: %r" % (i, e))
    if not os.path.isabs(env.get("SWEEPMUX_RESULT", "")):
        errs.append("element %d: SWEEPMUX_RESULT %r is not an absolute path" % (i, env.get("SWEEPMUX_RESULT")))
    if not os.path.exists(d + "/result"):
        errs.append("element %d: could not write $SWEEPMUX_RESULT" % i)
    if open(d + "/stdin").read() != "":
        errs.append("element %d: stdin was not /dev/null: %r" % (i, open(d + "/stdin").read()[:80]))
    cwd = open(d + "/cwd").read().strip()
    if cwd != os.path.realpath(scratch + "/wd/" + sanitise(y)):
        errs.append("element %d: workdir %r, want %s/wd/%s (value %r)" % (i, cwd, scratch, sanitise(y), y))
if errs:
    print("\n".join(errs[:25]), file=sys.stderr)
    sys.exit(1)
EOF
}

# check_harmless: no shell ever evaluated a value.
check_harmless() {
    local p
    for p in pwned pwned2 pwned3 pwned4 wd/pwned wd/pwned2 wd/pwned3 wd/pwned4; do
        [ ! -e "$p" ] || fail "$1: a parameter value was evaluated by a shell ($p exists)"
    done
    [ -z "$(find "$SCRATCH" -name 'pwned*' | head -n 1)" ] || fail "$1: a parameter value was evaluated by a shell: $(find "$SCRATCH" -name 'pwned*')"
    [ -e victim ] || fail "$1: ';rm -rf victim' was evaluated by a shell"
    [ "$(ls wd)" = "$(cat wd.before)" ] || fail "$1: a workdir outside the sanitised names was used: $(ls wd | tr '\n' ' ')"
}

expect_rc 0 "run on 1 rank" smx run env.yaml --state run.h5 --session one
check_run one 1 1
check_harmless "1 rank"
expect_rc 0 "run on 3 ranks, 2 slots" mpi 3 run env.yaml --state run.h5 --session three --slots 2
check_run three 3 2
check_harmless "3 ranks"
# Tasks really spread over ranks and slots (a constant 0 would pass the range checks above).
ranks=$(cat out/three.*/env | tr '\0' '\n' | grep '^SWEEPMUX_RANK=' | sort -u | wc -l)
slots=$(cat out/three.*/env | tr '\0' '\n' | grep '^SWEEPMUX_SLOT=' | sort -u | wc -l)
log "3 ranks x 2 slots: tasks ran on $ranks ranks and $slots slots"
[ "$ranks" -ge 2 ] || fail "all 26 tasks report the same SWEEPMUX_RANK on 3 ranks"

# export carries the hostile values through CSV and JSON intact.
smx export run.h5 --session one >one.csv
smx export run.h5 --session one --format json >one.json
"$PY" - "$SCRATCH" <<'EOF' || fail "export does not carry the parameter values intact (see above)"
import csv, json, sys
sys.path.insert(0, sys.argv[1])
from values import X, Y
rows = list(csv.DictReader(open(sys.argv[1] + "/one.csv", newline="")))
js = json.load(open(sys.argv[1] + "/one.json"))
assert len(rows) == len(js) == len(X) * len(Y), (len(rows), len(js))
for i, (r, j) in enumerate(zip(rows, js)):
    x, y = X[i // len(Y)], Y[i % len(Y)]
    assert int(r["index"]) == i and r["y"] == y and int(r["x"]) == x, ("csv", i, r["y"], y)
    assert j["index"] == i and j["y"] == y and j["x"] == x, ("json", i, j["y"], y)
EOF

# A command after -- renders its placeholders the same way.
rm -rf out/*
expect_rc 0 "-- command override" smx run --state run.h5 --session override -- "$SCRATCH/dump.sh" "{y}" "pre-{y}-post" "{x}" "{index}" "{{lit}}" "{lr.rate-x}"
check_run override 1 1
check_harmless "-- override"

# shell: true quotes every substituted value.
expect_rc 0 "shell: true" smx run shell.yaml --state shell.h5
check_harmless "shell: true"
"$PY" - "$SCRATCH" <<'EOF' || fail "shell: true did not pass the values through literally (see above)"
import sys
sys.path.insert(0, sys.argv[1])
from values import X, Y
for i in range(len(X) * len(Y)):
    x, y = X[i // len(Y)], Y[i % len(Y)]
    got = open("%s/out/sh.%d" % (sys.argv[1], i)).read()
    want = "%s\n%s-%s\n" % (y, x, y)
    assert got == want, "element %d: shell printed %r, want %r" % (i, got, want)
EOF
