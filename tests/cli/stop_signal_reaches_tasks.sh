#!/usr/bin/env bash
# When the stop signal reaches the tasks too (srun, `scancel -s USR1` and mpirun forward it to every
# process of the step), the tasks it kills are interrupted, not failed: they stay pending and run
# again on resume.
set -euo pipefail
: "${SWEEPMUX:?}"
d=$(mktemp -d /tmp/smx-stopsig.XXXXXX)
cleanup() { pkill -KILL -f "$d/" 2>/dev/null || true; rm -rf "$d"; }
trap cleanup EXIT
cd "$d"
cat > s.yaml <<Y
name: stopsig
command: [sh, -c, 'exec sleep 30', "$d/{i}"]
parameters:
  i: {min: 1, max: 6}
Y
"$SWEEPMUX" run s.yaml --state s.h5 --slots 3 --grace 20 2>/dev/null &
pid=$!
# Wait until the three tasks run (sh has exec'd sleep, so they are "sleep 30" children of sweepmux):
# on a loaded machine MPI's start-up alone can take more than ten seconds.
for _ in $(seq 600); do [[ $(pgrep -f "^sleep 30" -P "$pid" 2>/dev/null | wc -l) -ge 3 ]] && break; sleep 0.1; done
[[ $(pgrep -f "^sleep 30" -P "$pid" 2>/dev/null | wc -l) -ge 3 ]] || { echo "the tasks did not start within 60 s"; exit 1; }
sleep 1
# The signal to sweepmux and to every task, as srun would deliver it.
kill -USR1 "$pid"
pkill -USR1 -f "^sleep 30" -P "$pid" || true
for t in $(pgrep -P "$pid"); do kill -USR1 "$t" 2>/dev/null || true; done
set +e
timeout 30 tail --pid="$pid" -f /dev/null
wait "$pid"; rc=$?
set -e
[[ $rc -eq 3 ]] || { echo "exit $rc, want 3"; exit 1; }
js=$("$SWEEPMUX" status s.h5 --json)
failed=$(echo "$js" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["failed"])')
pending=$(echo "$js" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pending"])')
[[ $failed -eq 0 ]] || { echo "$failed elements recorded as failed after a stop signal"; echo "$js"; exit 1; }
[[ $pending -eq 6 ]] || { echo "pending $pending, want 6"; echo "$js"; exit 1; }
echo "stop_signal_reaches_tasks: ok"
