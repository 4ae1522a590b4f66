# Corrupted and foreign state files (issue 11 item 4; defects A3-1, A3-2, A3-5, A3-6). `run`,
# `status`, `export`, `requeue` and `destroy` on each file of the table below print one clear message
# and exit 2 (not a sweepmux state file, or a newer format) or 5 (a damaged one); they never crash,
# hang or change the file.
source "$(dirname "$0")/lib-common.sh"

cat >spec.yaml <<'EOF'
name: corrupt
command: [sh, -c, 'echo "v=$1" > "$SWEEPMUX_RESULT"', sh, "{x}"]
parameters:
  x: {min: 1, max: 30, step: 1}
EOF
expect_rc 0 "a good state file" smx run spec.yaml --state good.h5 --log-mode none
GOOD_SIZE=$(stat -c %s good.h5)

# h5edit FILE PYTHON: edit a copy of the good file in place with h5py (`f` is the file, `s` the
# session group).
h5edit() {
    cp good.h5 "$1"
    "$PY" - "$1" <<EOF || fail "could not prepare $1"
import sys, h5py, numpy as np, hashlib
f = h5py.File(sys.argv[1], "r+")
s = f["sessions/default"]
def regrow(name, rows):
    old = s[name]
    data, dtype = old[()], old.dtype
    del s[name]
    new = np.zeros(rows, dtype=dtype)
    k = min(rows, len(data))
    new[:k] = data[:k]
    s.create_dataset(name, data=new)
$2
f.close()
EOF
}

# The table: FILE and the exit code every command must give.
declare -A WANT
# Not a sweepmux state file, or a newer format: exit 2.
printf 'name: not hdf5\n' >text.h5
WANT[text.h5]=2
"$PY" -c 'import h5py; f = h5py.File("other.h5", "w"); f["data"] = [1, 2, 3]' || fail "h5py"
WANT[other.h5]=2
h5edit newer.h5 'f.attrs["format_version"] = np.int32(99)'
WANT[newer.h5]=2
mkdir dir.h5
WANT[dir.h5]=2
mkfifo fifo.h5
WANT[fifo.h5]=2
ln -s /dev/null null.h5
WANT[null.h5]=2
# Damaged: exit 5.
head -c $((GOOD_SIZE / 2)) good.h5 >truncated.h5
WANT[truncated.h5]=5
head -c 2048 good.h5 >truncated2k.h5
WANT[truncated2k.h5]=5
# Bytes flipped in the superblock's addresses and in the root object header.
cp good.h5 flipped.h5
printf '\xff\xff\xff\xff' | dd of=flipped.h5 bs=1 seek=40 conv=notrunc status=none
WANT[flipped.h5]=5
for t in meta jobs hosts failures result_names; do
    h5edit "oversized_$t.h5" "regrow('$t', 20000)" # A3-1
    WANT[oversized_$t.h5]=5
done
h5edit undersized_meta.h5 "regrow('meta', 3)"
WANT[undersized_meta.h5]=5
for slot in 0 1; do
    h5edit "negative_$slot.h5" "m = s['meta'][()]; m[$slot] = -1; s['meta'][...] = m" # A3-2
    WANT[negative_$slot.h5]=5
done
h5edit huge_hosts.h5 "m = s['meta'][()]; m[1] = 5000; s['meta'][...] = m"
WANT[huge_hosts.h5]=5
# The stored spec edited, its sha256 kept (A3-5): the edited command must never run.
h5edit edited_spec.h5 '
t = f["spec"][()].decode().replace("echo", "touch EDITED_SPEC_RAN; echo")
h = f["spec"].attrs["sha256"]
del f["spec"]
f.create_dataset("spec", data=np.array(t.encode(), dtype="S%d" % len(t.encode())))
f["spec"].attrs["sha256"] = h
s["status"][0:5] = 3'
WANT[edited_spec.h5]=5
# A stored spec that does not parse (A3-6).
h5edit bad_spec.h5 '
t = b"{{{[[[ not yaml"
h = f["spec"].attrs["sha256"]
del f["spec"]
f.create_dataset("spec", data=np.array(t, dtype="S%d" % len(t)))
f["spec"].attrs["sha256"] = h'
WANT[bad_spec.h5]=5

# check FILE WANT WHAT CMD...: CMD gives WANT within the time limit, with a message naming FILE, and
# FILE (if it is a regular file) is unchanged.
check() {
    local file=$1 want=$2 what=$3 before after rc=0
    shift 3
    before=$( [ -f "$file" ] && [ ! -L "$file" ] && sha256sum "$file" | cut -d' ' -f1 || echo none)
    SMX_TIMEOUT=60 "$@" >last.out 2>&1 </dev/null || rc=$?
    if [ "$rc" -ne "$want" ]; then
        cat last.out >&2
        fail "$what $file: exit $rc, expected $want"
    fi
    grep -q "$file" last.out || fail "$what $file: the message does not name the file: $(cat last.out)"
    [ "$(grep -c 'sweepmux:' last.out)" -le 2 ] || fail "$what $file: more than a message: $(cat last.out)"
    ! grep -qi "sanitizer\|segmentation\|core dumped\|HDF5-DIAG" last.out || fail "$what $file: $(cat last.out)"
    after=$( [ -f "$file" ] && [ ! -L "$file" ] && sha256sum "$file" | cut -d' ' -f1 || echo none)
    [ "$before" = "$after" ] || fail "$what $file: the command changed the file"
}

for file in "${!WANT[@]}"; do
    want=${WANT[$file]}
    check "$file" "$want" "status" smx status "$file"
    check "$file" "$want" "export" smx export "$file"
    check "$file" "$want" "run --state" smx run --state "$file" --log-mode none
    check "$file" "$want" "run --retry-failed" smx run spec.yaml --state "$file" --retry-failed --log-mode none
    check "$file" "$want" "requeue" smx requeue "$file" --status failed
    check "$file" "$want" "destroy --session" smx destroy "$file" --session default
    [ -e "$file" ] || fail "destroy removed $file"
    log "$file: exit $want everywhere: $(head -n 1 last.out | cut -c1-150)"
done
[ ! -e EDITED_SPEC_RAN ] || fail "the edited stored spec ran (A3-5)"
# The good file is still good, and every command works on it.
expect_rc 0 "status of the good file" smx status good.h5
expect_rc 0 "run of the good file" smx run --state good.h5 --log-mode none
