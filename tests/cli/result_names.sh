#!/usr/bin/env bash
# Result names (README "What a task sees", "State file"): a session stores up to 64 distinct result
# names, each in a column of its own; a 65th and later name is not stored, and the run warns once
# per such name, naming it and the limit. Only the column blocks (16 columns each) of names
# actually reported are written. A state file of format 2 (sessions of 16 result columns) is still
# read, and a session added to it gets 64 columns while the old one keeps its 16.
source "$(dirname "$0")/lib-common.sh"

# TASK K: reports K results r0..r(K-1) with value 1000 * index + k.
cat > task.sh <<'T'
#!/bin/sh
k=0
while [ $k -lt "$1" ]; do
    echo "r$k=$((SWEEPMUX_INDEX * 1000 + k))" >> "$SWEEPMUX_RESULT"
    k=$((k + 1))
done
T
chmod +x task.sh
cat > names.yaml <<'Y'
parameters:
  n: {values: [24, 70, 3]}
command: ["./task.sh", "{n}"]
Y
expect_rc 0 "a sweep reporting 24, 70 and 3 results" mpi 2 run names.yaml --state n.h5
# One warning per dropped name (r64..r69), naming it and the limit; none for the stored ones.
for k in 64 65 69; do
    grep -q "result 'r$k' (first seen from element 1) is not stored: this session keeps the first 64 result names" last.out ||
        fail "no warning naming r$k: $OUTPUT"
done
[ "$(grep -c 'is not stored' last.out)" -eq 6 ] || fail "expected 6 warnings: $OUTPUT"
grep -q "'r63'" last.out && fail "r63 was warned about, but it is stored: $OUTPUT"

# Export has all 64 columns, with the values reported; unreported ones are empty.
expect_rc 0 "export" smx export n.h5
"$PY" - last.out <<'P' || fail "export does not show every stored result"
import csv, io, sys
rows = list(csv.DictReader(io.StringIO(open(sys.argv[1]).read())))
cols = [c for c in rows[0] if c.startswith("r") and c[1:].isdigit()]
if cols != ["r%d" % k for k in range(64)]:
    sys.exit("result columns: %s" % cols)
for row in rows:
    i, n = int(row["index"]), int(row["n"])
    for k in range(64):
        want = str(1000 * i + k) if k < n else ""
        if row["r%d" % k] not in (want, want + ".0") and not (want and float(row["r%d" % k]) == float(want)):
            sys.exit("element %d r%d: %r, want %r" % (i, k, row["r%d" % k], want))
P
# In the file: 64 named columns, chunked 16 wide, and no disk used for blocks nobody wrote beyond
# what the 3 elements need.
h5check n.h5 default "
r = s['results']
if r.shape != (3, 64): fail('results shape %s' % (r.shape,))
if r.chunks is None or r.chunks[1] != 16: fail('results chunks %s' % (r.chunks,))
names = [x.decode() for x in s['result_names'][:]]
if names != ['r%d' % k for k in range(64)]: fail('names %s' % names[:5])
v = r[:]
if v[1, 63] != 1063 or v[0, 23] != 23 or v[2, 2] != 2002: fail('values %s' % v[:, :4])
if int(f.attrs['format_version']) != 3: fail('format_version %s' % f.attrs['format_version'])
"

# A format-2 file (16 result columns) written by the previous format: read as it is.
gunzip -c "$SMX_SOURCE_DIR/tests/fixtures/format2-results16.h5.gz" > v2.h5
"$PY" - "$SCRATCH" <<'P'  # the fixture's workdir, as sweepmux writes it: a fixed-length UTF-8 string
import h5py, numpy, sys
f = h5py.File("v2.h5", "r+")
del f.attrs["workdir"]
t = h5py.h5t.C_S1.copy()
t.set_size(len(sys.argv[1].encode()))
t.set_cset(h5py.h5t.CSET_UTF8)
t.set_strpad(h5py.h5t.STR_NULLPAD)
f.attrs.create("workdir", numpy.array(sys.argv[1].encode(), dtype="S%d" % t.get_size()), dtype=h5py.Datatype(t))
P
expect_rc 0 "status of a format-2 file" smx status v2.h5
expect_rc 0 "export of a format-2 file" smx export v2.h5
"$PY" - last.out <<'P' || fail "export of the format-2 file"
import csv, io, sys
rows = list(csv.DictReader(io.StringIO(open(sys.argv[1]).read())))
cols = [c for c in rows[0] if c.startswith("r") and c[1:].isdigit()]
if cols != ["r%d" % k for k in range(16)] or len(rows) != 3:
    sys.exit("columns %s rows %d" % (cols, len(rows)))
if float(rows[2]["r15"]) != 215:
    sys.exit("element 2 r15: %s" % rows[2]["r15"])
P
# A new session in it has 64 columns (the file becomes format 3); the old session keeps its 16.
expect_rc 0 "a new session in the format-2 file" mpi 1 run --state v2.h5 --session more -- ./task.sh 20
grep -q "is not stored" last.out && fail "a 64-column session dropped a name: $OUTPUT"
h5check v2.h5 more "
if s['results'].shape != (3, 64): fail('new session results %s' % (s['results'].shape,))
if f['sessions/default/results'].shape != (3, 16): fail('old session changed')
if int(f.attrs['format_version']) != 3: fail('format_version %s' % f.attrs['format_version'])
if s['results'][2, 19] != 2019: fail('value %s' % s['results'][2, 19])
"
expect_rc 0 "export of the old session" smx export v2.h5 --session default
grep -q "^2,.*215" last.out || fail "the old session's results changed: $OUTPUT"
