#!/usr/bin/env bash
# A per-element `workdir` is created when missing (each substituted value sanitised into one path
# component), the task runs inside it, and `status` of a missing file is an input error (exit 2).
set -euo pipefail
: "${SWEEPMUX:?}"
d=$(mktemp -d /tmp/smx-workdir.XXXXXX)
trap 'rm -rf "$d"' EXIT
cd "$d"
cat > w.yaml <<'Y'
name: wd
command: [sh, -c, 'pwd > where.txt']
parameters:
  tag: {values: [a, "../../escape", "x/y"]}
workdir: "runs/t-{tag}"
Y
timeout $((60 * ${SMX_TIME_SCALE:-1})) "$SWEEPMUX" run w.yaml --state w.h5 2>/dev/null
for t in a _._.._escape x_y; do
    [[ -f "runs/t-$t/where.txt" ]] || { echo "no runs/t-$t/where.txt"; ls -R runs; exit 1; }
    [[ "$(cat "runs/t-$t/where.txt")" == "$d/runs/t-$t" ]] || { echo "task ran in $(cat "runs/t-$t/where.txt")"; exit 1; }
done
[[ ! -e "$d/../escape" && ! -e escape ]] || { echo "a value escaped the runs directory"; exit 1; }
set +e
"$SWEEPMUX" status nosuch.h5 2>/dev/null; rc=$?
set -e
[[ $rc -eq 2 ]] || { echo "status of a missing file: exit $rc, want 2"; exit 1; }
echo "workdir: ok"
