# A full file system under the state file, on a real 2 MiB tmpfs (needs root to mount it; skipped
# with exit 77 where mounting is not allowed). A run that cannot write stops with exit 5 and a
# message naming the cause; every element the file calls done has its results (none left `done`
# with 0.0 in place of its value, A3-3); nothing durable before is lost, and once there is room
# again the next run completes the sweep. Creating a state file on a full file system exits 5 with a
# message and leaves no file behind (it crashed with SIGSEGV, A3-4).
source "$(dirname "$0")/../cli/lib-common.sh"

MNT=$SCRATCH/fs
mkdir "$MNT"
if ! mount -t tmpfs -o size=2m tmpfs "$MNT" 2>mount.err; then
    log "SKIP: cannot mount a tmpfs here: $(cat mount.err)"
    exit 77
fi
# The tmpfs goes before the scratch directory that holds it.
trap 'rc=$?; umount "$MNT" 2>/dev/null || umount -l "$MNT"; (exit $rc); smx_cleanup' EXIT

# fill_to KIB: leave about KIB KiB free on the tmpfs (in a file named filler).
fill_to() {
    rm -f "$MNT/filler"
    local free
    free=$(df -k --output=avail "$MNT" | tail -n 1)
    [ "$free" -gt "$1" ] || fail "the tmpfs has only $free KiB free, want more than $1"
    head -c $(((free - $1) * 1024)) /dev/zero >"$MNT/filler" 2>/dev/null || true
}

# The tasks' scratch files (--logs) live off the tmpfs: this test fills the state file's disk, and a
# task that cannot write its own result file fails for its own reason.
# Every element writes its own index as result v: a done element with any other value lost it.
cat >f.yaml <<'EOF'
name: full
command: [sh, -c, 'echo "v=$1" > "$SWEEPMUX_RESULT"', sh, "{i}"]
parameters:
  i: {min: 0, max: 1499}
EOF
# check_results FILE: done elements hold their index as v; prints "DONE RUNNING_OR_PENDING".
check_results() {
    "$PY" - "$1" <<'EOF' || fail "a done element of $1 lost its result (see above)"
import sys, h5py, numpy as np
s = h5py.File(sys.argv[1], "r", locking=False)["sessions/default"]
names = [n.decode() if isinstance(n, bytes) else n for n in s["result_names"][:]]
st = s["status"][:]
done = np.flatnonzero(st == 2)
if len(done):
    r = s["results"][:, names.index("v")]
    bad = done[r[done] != done]
    if len(bad):
        sys.exit("%d of %d done elements hold a wrong result, first %s: %s" %
                 (len(bad), len(done), bad[:5].tolist(), r[bad[:5]].tolist()))
print(len(done), int((st != 2).sum()))
EOF
}

# --- a run on a file system that fills up ------------------------------------------------------
expect_rc 3 "a first run stopped by --max-time" smx run f.yaml --state "$MNT/s.h5" --logs "$SCRATCH/logs" --log-mode none --max-time 1
res=$(check_results "$MNT/s.h5")
read -r done0 _ <<<"$res"
log "first run: $done0 done"
fill_to 40
expect_rc 5 "a run whose file system fills up" smx run --state "$MNT/s.h5" --logs "$SCRATCH/logs" --log-mode none
grep -q 'No space left on device' last.out || fail "the failed run does not say why: $OUTPUT"
res=$(check_results "$MNT/s.h5")
read -r done1 left1 <<<"$res"
log "run on a full file system: $done1 done, $left1 not done"
[ "$done1" -ge "$done0" ] || fail "the failed run lost durable records: $done0 done before, $done1 after"
[ "$left1" -gt 0 ] || fail "the sweep completed on a full file system: the test did not fill it"
expect_rc 0 "status of the file the failed run left" smx status "$MNT/s.h5"
# Room again: the next run carries on from the file and completes the sweep.
rm -f "$MNT/filler"
SMX_TIMEOUT=300 expect_rc 0 "the run after space was freed" smx run --state "$MNT/s.h5" --logs "$SCRATCH/logs" --log-mode none
res=$(check_results "$MNT/s.h5")
read -r done2 left2 <<<"$res"
[ "$done2" -eq 1500 ] && [ "$left2" -eq 0 ] || fail "after the resume: $done2 done, $left2 not done"

# --- creating a state file on a full file system ---------------------------------------------------
rm -rf "$MNT"/s.*
fill_to 16
expect_rc 5 "creating a state file on a full file system" smx run f.yaml --state "$MNT/new.h5" --logs "$SCRATCH/logs" --log-mode none
grep -q 'No space left on device' last.out || fail "the failed create does not say why: $OUTPUT"
left=$(cd "$MNT" && ls -A | grep -v '^filler$' | tr '\n' ' ' || true)
[ -z "$left" ] || fail "the failed create left files behind: $left"
