#!/usr/bin/env bash
# --extend: a spec that only adds elements keeps every existing record (matched by parameter values,
# even when the new values would renumber the spec's elements: stored indices never change) and runs
# only the new elements; a spec that drops an element is refused with exit 2 and leaves the file
# untouched.
set -euo pipefail
: "${SWEEPMUX:?}"
d=$(mktemp -d /tmp/smx-extend.XXXXXX)
trap 'rm -rf "$d"' EXIT
cd "$d"
cat > a.yaml <<'Y'
name: ext
command: [sh, -c, 'echo "{lr} {d}" >> runs.txt; echo "v={d}" > "$SWEEPMUX_RESULT"']
parameters:
  lr: {values: [0.1, 0.01]}
  d: {values: [1, 2, 3]}
Y
# New values on both axes: old element (0.01, 1) moves from index 3 to index 4.
sed 's/\[0.1, 0.01\]/[0.1, 0.01, 0.001]/; s/\[1, 2, 3\]/[1, 2, 3, 4]/' a.yaml > b.yaml
# Replacing a value is not an extension (same count, one old element missing).
sed "s/\[1, 2, 3\]/[1, 2, 5]/" a.yaml > c.yaml

timeout $((60 * ${SMX_TIME_SCALE:-1})) "$SWEEPMUX" run a.yaml --state r.h5 >/dev/null 2>&1
[[ $(wc -l < runs.txt) -eq 6 ]] || { echo "first run did not run 6 elements"; exit 1; }

# Without --extend a changed spec is refused, the file unchanged.
cp r.h5 before.h5
set +e
timeout $((60 * ${SMX_TIME_SCALE:-1})) "$SWEEPMUX" run b.yaml --state r.h5 2> err.txt; rc=$?
set -e
[[ $rc -eq 2 ]] || { echo "changed spec without --extend: exit $rc, want 2"; exit 1; }
grep -q "differs" err.txt || { echo "no 'differs' message"; cat err.txt; exit 1; }
cmp -s before.h5 r.h5 || { echo "state file changed by a refused run"; exit 1; }

# A shrinking spec is refused even with --extend.
set +e
timeout $((60 * ${SMX_TIME_SCALE:-1})) "$SWEEPMUX" run c.yaml --state r.h5 --extend 2> err.txt; rc=$?
set -e
[[ $rc -eq 2 ]] || { echo "shrinking spec with --extend: exit $rc, want 2"; exit 1; }
grep -q "not in the new spec" err.txt || { echo "no 'not in the new spec' message"; cat err.txt; exit 1; }
cmp -s before.h5 r.h5 || { echo "state file changed by a refused --extend"; exit 1; }

timeout $((60 * ${SMX_TIME_SCALE:-1})) "$SWEEPMUX" run b.yaml --state r.h5 --extend >/dev/null 2>&1
[[ $(wc -l < runs.txt) -eq 12 ]] || { echo "extended run ran $(wc -l < runs.txt) in all, want 12"; exit 1; }
[[ -z $(sort runs.txt | uniq -d) ]] || { echo "an element ran twice"; exit 1; }
# Every element done, and each record's result matches its own parameter d (records moved with
# their values, not their old index).
"$SWEEPMUX" export r.h5 > out.csv
awk -F, 'NR>1 { if ($4 != "done" || $3 + 0 != $NF + 0) { print "bad row: " $0; bad=1 } n++ }
         END { if (n != 12) { print "rows: " n; bad=1 } exit bad }' out.csv
# Old elements keep their first job's record.
jobs=$(awk -F, 'NR>1 && $2=="0.01" && $3=="1" {print $10}' out.csv)
first=$(awk -F, 'NR==2 {print $10}' out.csv)
[[ "$jobs" == "$first" ]] || { echo "element (0.01,1) lost its original record: job $jobs vs $first"; exit 1; }
echo "extend: ok"
