#!/usr/bin/env bash
# SWEEPMUX_ATTEMPT is strictly larger on every run of an element, also after kill -9 of the whole job
# right after its tasks started (README "What a task sees", "Guarantees"): rank 0 makes a claim
# watermark durable before any element past it may start, and a resume after an unclean end raises the
# attempt count of every element the dead job may have started. Real mpirun with 3 ranks and 2 slots
# each; the whole job (launcher, ranks, tasks) is SIGKILLed twice within moments of its first tasks
# starting, then resumed to completion. Each task appends "INDEX ATTEMPT" to a side file first.
source "$(dirname "$0")/lib-common.sh"

N=40
cat > task.sh <<'T'
#!/bin/sh
printf '%s %s\n' "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" >> "$SMX_REC"
if [ -e "$SMX_SLOW" ]; then exec sleep 120; fi
exit 0
T
chmod +x task.sh
cat > a.yaml <<Y
parameters:
  x: {min: 0, max: $((N - 1)), step: 1}
command: ["$SCRATCH/task.sh", "{x}"]
Y
export SMX_REC="$SCRATCH/rec.txt" SMX_SLOW="$SCRATCH/slow"
: > rec.txt
touch slow

# kill_after_new K: start a job, wait until K more tasks than before have started, SIGKILL all of it.
kill_after_new() {
    local before want i
    before=$(wc -l < rec.txt)
    want=$((before + $1))
    bg_setsid "job$2.out" "$MPIEXEC" -n 3 ${SMX_MCA:-} "$SWEEPMUX" run a.yaml --state a.h5 --slots 2
    for i in $(seq 1 1200); do
        [ "$(wc -l < rec.txt)" -ge "$want" ] && break
        if ! kill -0 "$BG_PID" 2>/dev/null; then cat "job$2.out" >&2; fail "job $2 ended before its tasks started"; fi
        sleep 0.02
    done
    [ "$(wc -l < rec.txt)" -ge "$want" ] || fail "job $2: fewer than $1 tasks started within 24 s"
    kill_job "$BG_PID"
    wait "$BG_PID" 2>/dev/null || true
    log "job $2 killed after $(( $(wc -l < rec.txt) - before )) task starts"
}

kill_after_new 1 1
kill_after_new 1 2
kill_after_new 4 3

# The last job runs everything that is left, quickly.
rm -f slow
expect_rc 0 "the resume after three kills" mpi 3 run a.yaml --state a.h5 --slots 2
[ "$(status_json a.h5 | jget done)" = "$N" ] || fail "not every element is done: $(cat status.json)"

# Every element ran at least once, and its attempt numbers grew strictly from run to run.
"$PY" - rec.txt "$N" <<'P' || fail "attempt numbers did not grow (side file above)"
import sys
runs = {}
for line in open(sys.argv[1]):
    i, a = line.split()
    runs.setdefault(int(i), []).append(int(a))
bad = {i: a for i, a in runs.items() if any(y <= x for x, y in zip(a, a[1:]))}
missing = [i for i in range(int(sys.argv[2])) if i not in runs]
reran = {i: a for i, a in runs.items() if len(a) > 1}
print("elements run more than once (index: attempts):", reran, file=sys.stderr)
if bad or missing:
    print("attempts not strictly increasing:", bad, "never run:", missing, file=sys.stderr)
    sys.exit(1)
if not reran:
    print("no element ran twice: the kills came too late to test anything", file=sys.stderr)
    sys.exit(1)
P
# The file agrees: an element's stored attempt count is at least the last attempt number it ran with.
h5check a.h5 default "
last = {}
for line in open('rec.txt'):
    i, a = map(int, line.split())
    last[i] = max(last.get(i, 0), a)
att = s['attempts'][:]
low = [i for i, a in last.items() if att[i] < a]
if low: fail('stored attempts below the attempt that ran: %s' % low[:5])
"
