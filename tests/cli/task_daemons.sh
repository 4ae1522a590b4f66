#!/usr/bin/env bash
# A task's daemon does not outlive its element (README "What a task sees"): each rank is a child
# subreaper, so a process a task started in a session of its own (setsid, double fork: outside the
# task's process group) comes back to the rank when its parent exits; the rank stops it when the
# attempt that started it ends (SIGTERM, SIGKILL after --grace) and kills whatever is left when the
# sweep stops. As a user runs it: spec in a subdirectory, run from another directory, 3 ranks.
source "$(dirname "$0")/lib-common.sh"

mkdir -p proj/sub elsewhere
# Element 0 of each rank's pair starts a daemon (double fork + setsid, like `daemon(3)`), records its
# pid and exits at once. The daemon ignores SIGTERM so only the SIGKILL after the grace period ends
# it. Element 1 waits until the daemon of element 0 should be gone (grace 1 s) and says whether it is.
cat > proj/sub/daemon.sh <<'T'
#!/bin/sh
trap '' TERM
echo $$ > "daemon-$1.pid"
exec sleep 300
T
cat > proj/sub/task.sh <<'T'
#!/bin/sh
if [ "$1" = start ]; then
    setsid sh -c '"$0" "$1" &' ../proj/sub/daemon.sh "$SWEEPMUX_INDEX" &
    i=0
    while [ ! -s "daemon-$SWEEPMUX_INDEX.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    exit 0
fi
# check: the daemon of element $2 must be gone within 15 s of its element's end.
i=0
while [ $i -lt 150 ]; do
    pid=$(cat "daemon-$2.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then echo "gone $2" >> checks.txt; exit 0; fi
    sleep 0.1
    i=$((i + 1))
done
echo "alive $2 $pid" >> checks.txt
T
chmod +x proj/sub/daemon.sh
chmod +x proj/sub/task.sh
cat > proj/sub/d.yaml <<'Y'
method: list
rows:
  - {what: start, of: 0}
  - {what: check, of: 0}
command: ["../proj/sub/task.sh", "{what}", "{of}"]
Y
cleanup_daemons() {
    local f pid
    for f in daemon-*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        # Only a process still running our own daemon script's sleep.
        if [ -n "$pid" ] && grep -q "sleep" "/proc/$pid/cmdline" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
}
cd elsewhere
trap 'rc=$?; cleanup_daemons; (exit $rc); smx_cleanup' EXIT
# One rank, one slot: element 1 runs after element 0 ended, in the same job.
expect_rc 0 "run (1 rank)" mpi 1 run ../proj/sub/d.yaml --state ../proj/d.h5 --grace 1
grep -q "^gone 0$" checks.txt || fail "the daemon of element 0 outlived its element: $(cat checks.txt)"

# Several ranks: every daemon started by a task is gone when the sweep has ended, including those of
# tasks still running when it stopped.
rm -f checks.txt daemon-*.pid
cat > ../proj/sub/many.yaml <<'Y'
method: list
rows: [{n: 0}, {n: 1}, {n: 2}, {n: 3}, {n: 4}, {n: 5}]
command: ["../proj/sub/task.sh", start, "{n}"]
Y
expect_rc 0 "run (3 ranks)" mpi 3 run ../proj/sub/many.yaml --state ../proj/many.h5 --grace 1
[ "$(ls daemon-*.pid | wc -l)" -eq 6 ] || fail "not every task started its daemon: $(ls)"
# alive PID: PID is a process that has not exited (a zombie waiting for init to reap it has).
alive() { local st; st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true); [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]; }
for f in daemon-*.pid; do
    pid=$(cat "$f")
    # The SIGKILL was sent before the ranks exited; give the kernel a moment on a loaded machine.
    for i in $(seq 1 30); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && fail "daemon $pid ($f) outlived the sweep"
done
log "every daemon ended with its element or the sweep"
