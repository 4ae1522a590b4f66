# Normal ends that mpirun and Slurm report as failures: a sweep with failed elements (exit 1) and a
# stopped one (exit 3). Rank 0's last line says what happened and gives the next command, only rank 0
# returns the non-zero code (so mpirun names one process), and following the advice works. Also: a run
# under mpirun, whose stderr is a pipe, prints a first progress line after about 2 s, not after the
# 30 s interval. And a worker rank's error: rank 0 reports it once, naming the rank.
source "$(dirname "$0")/lib-common.sh"

cat >task.sh <<'EOF2'
#!/bin/sh
# task.sh X: fails for multiples of 4 while $SCRATCH/failmode exists; sleeps $SMX_SLEEP seconds.
sleep "${SMX_SLEEP:-0}"
if [ -e "$FAILMODE" ] && [ $(($1 % 4)) -eq 0 ]; then echo "x=$1 fails" >&2; exit 6; fi
exit 0
EOF2
chmod +x task.sh
export FAILMODE="$SCRATCH/failmode"
cat >spec.yaml <<EOF2
name: endings
command: ["$SCRATCH/task.sh", "{x}"]
parameters:
  x: {min: 0, max: 11, step: 1}
EOF2

# last_smx_line FILE: the last line rank 0 printed (Open MPI's banner comes after it and is not ours).
last_smx_line() { grep '^sweepmux: ' "$1" | tail -n 1; }

# --- exit 1: complete with failures --------------------------------------------------------------------------
touch "$FAILMODE"
expect_rc 1 "a sweep with failures" mpi 3 run spec.yaml --state run.h5
line=$(last_smx_line last.out)
case $line in
"sweepmux: the sweep is complete, but 3 elements failed (exit code 1, which mpirun and Slurm report as a failure). See why: sweepmux status run.h5; to run them again: sweepmux requeue run.h5 --status failed, then the same run command") ;;
*) fail "last line after failures: $line" ;;
esac
# Open MPI's mpirun names how many processes returned non-zero, and which (MPICH's mpiexec prints
# nothing of the kind).
if is_openmpi; then
    grep -q "but 1 process returned" last.out || fail "mpirun saw more than rank 0 return non-zero: $(grep -A1 'Primary job' last.out)"
    grep -q "Process name: \[\[[0-9]*,1\],0\]" last.out || fail "the non-zero process is not rank 0: $OUTPUT"
fi
# Following the advice: requeue, then the same command, now without failures.
rm "$FAILMODE"
expect_rc 0 "requeue as advised" smx requeue run.h5 --status failed
expect_rc 0 "the same run command" mpi 3 run spec.yaml --state run.h5
grep -q "12 done, 0 failed" last.out || fail "after requeue and rerun: $OUTPUT"
grep -q "elements failed\|stopped (" last.out && fail "a complete run printed advice: $OUTPUT"

# --- exit 1 from --halt-on-failures, in a named session -------------------------------------------------------
touch "$FAILMODE"
expect_rc 1 "halted" smx run spec.yaml --state run.h5 --session h --halt-on-failures 1
line=$(last_smx_line last.out)
case $line in
"sweepmux: halted by --halt-on-failures after "*" failed elements ("*" not run; exit code 1, which mpirun and Slurm report as a failure). See why: sweepmux status run.h5 --session h; to carry on, fix the cause and run it again: sweepmux run --state run.h5 --session h (add --retry-failed to retry the failed ones)") ;;
*) fail "last line after a halt: $line" ;;
esac
rm "$FAILMODE"

# --- exit 3: stopped by --max-time; the first progress line came long before ---------------------------------
cat >slow.yaml <<EOF2
name: slow
command: ["$SCRATCH/task.sh", "{x}"]
parameters:
  x: {min: 0, max: 39, step: 1}
EOF2
SMX_SLEEP=3 expect_rc 3 "a stopped sweep" mpi 2 run slow.yaml --state slow.h5 --max-time 10 --grace 20
line=$(last_smx_line last.out)
case $line in
"sweepmux: stopped (max-time) with "*" elements left; nothing is lost. Exit code 3 means resumable, although mpirun and Slurm report it as a failure: to carry on, run it again: mpirun -n P sweepmux run --state slow.h5") ;;
*) fail "last line after a stop: $line" ;;
esac
if is_openmpi; then
    grep -q "but 1 process returned" last.out || fail "mpirun saw more than rank 0 return non-zero"
fi
# The progress line, printed at about 2 s, comes before the stop (at 10 s at the latest).
first=$(grep -n '^sweepmux: [0-9]*/40 done' last.out | head -n 1 | cut -d: -f1)
stop=$(grep -n '^sweepmux: slow.h5: ' last.out | head -n 1 | cut -d: -f1)
[ -n "$first" ] && [ -n "$stop" ] && [ "$first" -lt "$stop" ] ||
    fail "no progress line before the stop (progress line ${first:-none}, summary ${stop:-none}): $OUTPUT"
[ "$(grep -c '^sweepmux: [0-9]*/40 done' last.out)" -le 3 ] || fail "too many progress lines for a 30 s interval: $OUTPUT"
# Following the advice: the same command (P = 2) carries on to the end.
expect_rc 0 "resume as advised" mpi 2 run --state slow.h5
grep -q "40 done, 0 failed" last.out || fail "the resumed run did not finish: $OUTPUT"

# --- a worker rank's error stops the run: rank 0 reports it, once, and names the rank ------------------------
# Rank 1 cannot open its log (a directory stands where the file goes); the other ranks are fine.
mkdir -p rlogs/rank-00001.log
# Rank 1 exits 5 (an I/O error); what the launcher makes of that differs (Open MPI: 5).
rc=0
mpi 3 run spec.yaml --state err.h5 --logs rlogs >last.out 2>&1 || rc=$?
OUTPUT=$(cat last.out)
[ "$rc" -ne 0 ] || fail "a run with a failing rank exited 0: $OUTPUT"
[ "$(grep -c "^sweepmux: rank 1: cannot open log '.*rank-00001.log'" last.out)" -eq 1 ] ||
    fail "rank 1's error is not reported exactly once: $OUTPUT"
grep -q "^sweepmux: err.h5: .* (error on rank 1)$" last.out || fail "the summary does not say which rank failed: $OUTPUT"
# Fixing the cause and running the same command again finishes the sweep.
rmdir rlogs/rank-00001.log
expect_rc 0 "after the fix" mpi 3 run spec.yaml --state err.h5 --logs rlogs
grep -q "12 done, 0 failed" last.out || fail "the run after the fix did not finish: $OUTPUT"
