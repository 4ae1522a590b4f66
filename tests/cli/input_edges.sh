# Regression tests for the low-severity defects of the test campaign (issue 11, ../shared/repro-t2):
# a UTF-8 BOM in a spec and a CSV file (A2-4), a FIFO as spec or CSV path (A2-5), `workdir: ""`
# (A2-6), `retries` beyond the 16-bit attempt counter (A2-9), bad --logs/--slots noticed before the
# state file is written (A2-11), `env` setting SWEEPMUX_* (A2-13), a status byte out of range
# (A3-9), a spec change beyond column 80 (A3-10), check agreeing with run on the 2^32 limit
# (A2-8), ranges whose span overflows a double (A2-7), and a stored spec of another size than its
# session (A3-7).
source "$(dirname "$0")/../cli/lib-common.sh"

listing() { ls -A "$SCRATCH" | grep -v -e '^last\.out$' | tr '\n' ' '; }

# refused NAME LINE COL PATTERN: check and run of spec NAME (from stdin) exit 2 with one message
# naming NAME:LINE:COL and matching PATTERN, and run writes nothing.
refused() {
    local name=$1 line=$2 col=$3 pattern=$4 before
    cat >"$name"
    before=$(listing)
    expect_rc 2 "check of $name" smx check "$name"
    grep -q "$name:$line:$col: .*$pattern" last.out || fail "check $name: want $name:$line:$col: ...$pattern, got: $OUTPUT"
    expect_rc 2 "run of $name" smx run "$name" --state run.h5
    [ "$(grep -c "$name:$line:$col:" last.out)" = 1 ] || fail "run $name: want one message at $name:$line:$col, got: $OUTPUT"
    [ "$(listing)" = "$before" ] || fail "run $name: files were created: $(listing) (before: $before)"
}

# --- A2-4: a UTF-8 byte order mark is no part of the text ---------------------------------------
printf '\xEF\xBB\xBFname: bom\ncommand: [echo, "{x}"]\nparameters:\n  x: {values: [1, 2]}\n' >bom.yaml
expect_rc 0 "check of a spec with a BOM" smx check bom.yaml
grep -q "2 elements" last.out || fail "spec with a BOM: want 2 elements, got: $OUTPUT"
printf '\xEF\xBB\xBFx,y\n1,a\n2,b\n' >bom.csv
printf 'method: list\ncommand: [echo, "{x}", "{y}"]\nrows: {csv: bom.csv}\n' >bomcsv.yaml
expect_rc 0 "check of a CSV list with a BOM" smx check bomcsv.yaml --show 2
grep -q "x=1" last.out || fail "CSV with a BOM: the first column is not x: $OUTPUT"
# An error after the BOM still names the right line and column.
printf '\xEF\xBB\xBFname: bom\ncommand: [echo, "{x}"]\nparameters:\n  x: {values: [1, 2], bogus: 1}\n' >bom-bad.yaml
expect_rc 2 "check of a bad spec with a BOM" smx check bom-bad.yaml
grep -q "bom-bad.yaml:4:23:" last.out || fail "bad spec with a BOM: want bom-bad.yaml:4:23, got: $OUTPUT"

# --- A2-5: a FIFO as spec or CSV path is refused at once, not waited on ------------------------
mkfifo pipe.yaml pipe.csv
SMX_TIMEOUT=20 expect_rc 2 "check of a FIFO spec" smx check pipe.yaml
grep -q "pipe.yaml: is a named pipe (FIFO), not a regular file" last.out || fail "FIFO spec: $OUTPUT"
printf 'method: list\ncommand: [echo, "{x}"]\nrows: {csv: pipe.csv}\n' >pipecsv.yaml
SMX_TIMEOUT=20 expect_rc 2 "check of a spec with a FIFO as CSV" smx check pipecsv.yaml
grep -q "pipe.csv: is a named pipe (FIFO)" last.out || fail "FIFO CSV: $OUTPUT"
SMX_TIMEOUT=20 expect_rc 2 "run of a spec with a FIFO as CSV" smx run pipecsv.yaml --state run.h5
[ ! -e run.h5 ] || fail "run with a FIFO as CSV wrote run.h5"
rm -f pipe.yaml pipe.csv pipecsv.yaml

# --- A2-6, A2-9, A2-13: refused at their line and column ----------------------------------------
refused workdir.yaml 4 10 "'workdir' is empty" <<'EOF'
name: w
command: [echo, "{x}"]
parameters: {x: {values: [1]}}
workdir: ""
EOF
refused retries.yaml 4 10 "'retries' is 65535; expected an integer from 0 to 65534" <<'EOF'
name: r
command: [echo, "{x}"]
parameters: {x: {values: [1]}}
retries: 65535
EOF
refused env.yaml 4 7 "'env' sets 'SWEEPMUX_INDEX'" <<'EOF'
name: e
command: [echo, "{x}"]
parameters: {x: {values: [1]}}
env: {SWEEPMUX_INDEX: "999", OTHER: "1"}
EOF
cat >ok.yaml <<'EOF'
name: ok
command: [echo, "{x}"]
parameters: {x: {values: [1, 2]}}
retries: 65534
EOF
expect_rc 0 "check of retries 65534" smx check ok.yaml
expect_rc 2 "--retries 65535" smx run ok.yaml --state run.h5 --retries 65535
[ ! -e run.h5 ] || fail "--retries 65535 wrote run.h5"

# --- A2-11: a --logs that is a file, too many --slots: exit 2 before anything is written -------
echo "not a directory" >afile
expect_rc 2 "--logs naming a file" smx run ok.yaml --state run.h5 --logs afile
grep -q -- "--logs afile: exists and is not a directory" last.out || fail "--logs afile: $OUTPUT"
[ ! -e run.h5 ] || fail "--logs naming a file wrote run.h5"
expect_rc 2 "--slots beyond the open-file limit" \
    bash -c "ulimit -n 256 && exec timeout $(scaled 60) '$SWEEPMUX' run ok.yaml --state run.h5 --slots 100"
grep -q -- "--slots 100 needs about 464 open files, more than this process may open (256" last.out ||
    fail "--slots 100: $OUTPUT"
[ ! -e run.h5 ] && [ ! -e run.logs ] || fail "--slots beyond the limit wrote files: $(listing)"
rm -f afile

# --- A3-9: a status byte out of range is damage, for every reader alike -------------------------
expect_rc 0 "a small sweep" smx run ok.yaml --state st.h5
"$PY" - st.h5 <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+", locking=False) as f:
    d = f["sessions/default/status"]
    # Raw bytes: the dataset's enum type would refuse 200 in h5py's conversion.
    d.id.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([2, 200], dtype=np.uint8),
               mtype=h5py.h5t.STD_U8LE)
    # Counters that are not exact (as while a run writes), so that status reads the column.
    m = f["sessions/default/meta"]
    meta = m[:]
    meta[6] = 0
    m[:] = meta
EOF
for cmd in "status st.h5" "export st.h5" "run --state st.h5"; do
    # shellcheck disable=SC2086 # the words of $cmd are the arguments
    expect_rc 5 "$cmd on a file with status 200" smx $cmd
    grep -q "status of element 1 is 200, which is no status" last.out || fail "$cmd: $OUTPUT"
done

# --- A3-10: a change beyond column 80 is shown ---------------------------------------------------
long=$(printf 'x%.0s' $(seq 1 90))
printf 'name: long\ncommand: [echo, "%s-old", "{x}"]\nparameters: {x: {values: [1]}}\n' "$long" >long1.yaml
printf 'name: long\ncommand: [echo, "%s-new", "{x}"]\nparameters: {x: {values: [1]}}\n' "$long" >long2.yaml
expect_rc 0 "a sweep with a long command" smx run long1.yaml --state long.h5
expect_rc 2 "the command changed beyond column 80" smx run long2.yaml --state long.h5
grep -q -- "- line 2: \.\.\..*-old" last.out || fail "the stored line's change is not shown: $OUTPUT"
grep -q -- "+ line 2: \.\.\..*-new" last.out || fail "the given line's change is not shown: $OUTPUT"

# --- A2-8: check gives run's verdict on a sweep no state file can hold ---------------------------
printf 'name: big\ncommand: [echo, "{x}"]\nparameters: {x: {min: 0, max: 4294967296}}\n' >big.yaml
expect_rc 2 "check of 2^32 + 1 elements" smx check big.yaml
grep -q "big.yaml: 4294967297 elements; a state file holds at most 4294967296" last.out || fail "check big.yaml: $OUTPUT"
expect_rc 2 "run of 2^32 + 1 elements" smx run big.yaml --state big.h5
[ ! -e big.h5 ] || fail "run of 2^32 + 1 elements wrote big.h5"

# --- A2-7: ranges whose span overflows a double are refused, not filled with inf ------------------
refused linspace.yaml 3 38 "max - min of 'x' is beyond the largest double" <<'EOF'
name: l
command: [echo, "{x}"]
parameters: {x: {min: -1.0e308, max: 1.0e308, num: 3}}
EOF
refused uniform.yaml 4 61 "max - min of 'x' is beyond the largest double" <<'EOF'
name: u
method: random
command: [echo, "{x}"]
parameters: {x: {distribution: uniform, min: -1.7e308, max: 1.7e308}}
count: 2
EOF
refused quantum.yaml 4 68 "'q' of 'x' is 5e-324, too small for its range" <<'EOF'
name: q
method: random
command: [echo, "{x}"]
parameters: {x: {distribution: q_uniform, min: 0, max: 1.0e300, q: 5e-324}}
count: 2
EOF

# --- A3-7: a stored spec of another size than the session (hash made to match) is damage --------
cat >three.yaml <<'EOF'
name: three
command: [echo, "{x}"]
parameters: {x: {values: [1, 2, 3]}}
EOF
expect_rc 0 "a sweep of three" smx run three.yaml --state three.h5
# store_spec FILE TEXT: replaces the stored spec text, with a sha256 that matches it.
store_spec() {
    "$PY" - "$1" "$2" <<'EOF'
import sys, hashlib, h5py, numpy as np
with h5py.File(sys.argv[1], "r+", locking=False) as f:
    text = sys.argv[2].encode()
    del f["spec"]
    t = h5py.h5t.C_S1.copy(); t.set_size(len(text)); t.set_cset(h5py.h5t.CSET_UTF8)
    d = h5py.h5d.create(f.id, b"spec", t, h5py.h5s.create(h5py.h5s.SCALAR))
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array(text, dtype="S%d" % len(text)), mtype=t)
    ta = h5py.h5t.C_S1.copy(); ta.set_size(64); ta.set_cset(h5py.h5t.CSET_UTF8)
    a = h5py.h5a.create(d, b"sha256", ta, h5py.h5s.create(h5py.h5s.SCALAR))
    a.write(np.array(hashlib.sha256(text).hexdigest().encode(), dtype="S64"), mtype=ta)
EOF
}
store_spec three.h5 "$(sed 's/\[1, 2, 3\]/[1, 2, 3, 4]/' three.yaml)"
for cmd in "status three.h5" "export three.h5"; do
    # shellcheck disable=SC2086 # the words of $cmd are the arguments
    expect_rc 5 "$cmd with a spec of 4 elements for a session of 3" smx $cmd
    grep -q "session 'default' has 3 elements, its spec 4 (the file is damaged)" last.out || fail "$cmd: $OUTPUT"
done
# A stored spec that does not parse is damage (exit 5), said once.
store_spec three.h5 "{{{[[[ not yaml"
expect_rc 5 "status of a file whose stored spec does not parse" smx status three.h5
[ "$(grep -o "does not parse" last.out | wc -l)" = 1 ] || fail "want 'does not parse' once: $OUTPUT"
