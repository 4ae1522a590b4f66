# The state file's disk fails during a sync (tests/fault/smx_fault.c, preloaded): an fsync that
# returns EIO, and a write that returns ENOSPC, each on its own copy of a half-done sweep. The run
# stops with exit 5 and a message naming what failed, and its closing line counts what the file
# holds, not what finished in memory only; the file still opens and keeps every element that was
# done before (with its result); the next run, on a sound disk, completes the sweep, and no element
# that the file had as done runs again.
source "$(dirname "$0")/../cli/lib-common.sh"

[ -n "${SMX_FAULT_LIB:-}" ] && [ -f "$SMX_FAULT_LIB" ] || fail "SMX_FAULT_LIB (tests/fault) is not built"
# Under the sanitizers the preloaded library is not first in the link order, which is fine here.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

# Every element appends its index to the file named by $0 and reports it as v.
cat >f.yaml <<'EOF2'
name: faults
command: [sh, -c, 'echo "$1" >> "$0"; echo "v=$1" > "$SWEEPMUX_RESULT"; sleep 0.01', "{log}", "{i}"]
parameters:
  i: {min: 0, max: 299}
  log: {value: ran.log}
EOF2

# done_set FILE: the indices of the done elements, one a line; fails if a done element lost v.
done_set() {
    "$PY" - "$1" <<'EOF2' || fail "$1 does not open, or a done element lost its result (see above)"
import sys, h5py, numpy as np
s = h5py.File(sys.argv[1], "r", locking=False)["sessions/default"]
names = [n.decode() if isinstance(n, bytes) else n for n in s["result_names"][:]]
done = np.flatnonzero(s["status"][:] == 2)
if len(done):
    r = s["results"][:, names.index("v")]
    bad = done[r[done] != done]
    if len(bad):
        sys.exit("done elements hold wrong results: %s" % bad[:5].tolist())
print("\n".join(str(i) for i in done))
EOF2
}

# fault_case NAME CALL AT ERRNO MESSAGE OPENED: a sweep stopped by --max-time, then a run whose
# CALL fails from its AT-th use on the state file with ERRNO (OPENED: 1 if that is after the session
# opened, so that the run ends with its closing line; 0 if it fails opening the file), then a run
# on a sound disk.
fault_case() {
    local name=$1 call=$2 at=$3 err=$4 msg=$5 opened=$6
    mkdir "$name"
    cd "$name"
    cp ../f.yaml .
    expect_rc 3 "$name: a first run stopped by --max-time" smx run f.yaml --state s.h5 --max-time 2
    done_set s.h5 >done0
    [ -s done0 ] || fail "$name: the first run finished no element; the test needs some"
    mv ran.log ran0.log
    SMX_FAULT_CALL=$call SMX_FAULT_AT=$at SMX_FAULT_ERRNO=$err LD_PRELOAD=$SMX_FAULT_LIB \
        expect_rc 5 "$name: a run whose $call fails with $err" smx run --state s.h5
    grep -q "smx_fault: $call" last.out || fail "$name: the fault was never injected: $OUTPUT"
    grep -q "$msg" last.out || fail "$name: the failed run does not say what failed ($msg): $OUTPUT"
    said=$(sed -n 's/^sweepmux: s\.h5: \([0-9]*\) done, .*/\1/p' last.out)
    [ -n "$said" ] || [ "$opened" = 0 ] ||
        fail "$name: the failed run printed no closing line with its counts: $OUTPUT"
    [ -z "$said" ] || log "$name: $(grep '^sweepmux: s\.h5: [0-9]* done, ' last.out)"
    expect_rc 0 "$name: status of the file the failed run left" smx status s.h5
    done_set s.h5 >done1
    comm -23 <(sort done0) <(sort done1) >lost
    [ ! -s lost ] || fail "$name: the failed run lost durable records: $(head -n 5 lost | tr '\n' ' ')"
    # The closing line counts what the file holds for certain (at least what was done before, at
    # most what it shows now), not elements that finished after the failure in memory only.
    [ -z "$said" ] || { [ "$said" -ge "$(wc -l <done0)" ] && [ "$said" -le "$(wc -l <done1)" ]; } ||
        fail "$name: the closing line says $said done; the file had $(wc -l <done0) before and shows $(wc -l <done1)"
    mv ran.log ran1.log 2>/dev/null || touch ran1.log
    SMX_TIMEOUT=300 expect_rc 0 "$name: the run after the fault" smx run --state s.h5
    done_set s.h5 >done2
    [ "$(wc -l <done2)" -eq 300 ] || fail "$name: after the resume $(wc -l <done2) of 300 are done"
    # Elements done in the file before the resume never run again: exactly-once commit.
    again=$(sort done1 | comm -12 - <(sort -u ran.log) | head -n 5 | tr "\n" " ")
    [ -z "$again" ] || fail "$name: elements done before the resume ran again: $again"
    # Every element ran, and only the ones the failed run had not made durable ran twice.
    [ "$(cat ran0.log ran1.log ran.log | sort -nu | wc -l)" -eq 300 ] || fail "$name: not every element ran"
    log "$name: $(wc -l <done0) done before, $(wc -l <done1) after the fault, 300 after the resume"
    cd ..
}

fault_case fsync_eio fsync 3 EIO "fsync failed: Input/output error" 1
fault_case write_enospc pwrite 30 ENOSPC "No space left on device" 1
fault_case write_eio pwrite 1 EIO "Input/output error" 0
