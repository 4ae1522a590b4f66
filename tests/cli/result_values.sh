#!/usr/bin/env bash
# Results as reported (README "The state file"): a task that reports nan, inf or -inf gets that value
# stored, distinct from a result it did not report. export prints nan/inf/-inf (CSV; quoted strings in
# JSON) and leaves a result that was not reported empty (CSV) or null (JSON); the Python reader gives
# NaN/inf for reported values and NaN for the others, which sweepmux.not_reported() tells apart;
# in the file "not reported" is the NaN whose bits are 0x7ff8000000000001, a reported nan another NaN.
# As a user runs it: spec in a subdirectory, run from another directory, 3 ranks.
source "$(dirname "$0")/lib-common.sh"

mkdir -p proj/sub elsewhere
cat > proj/sub/r.yaml <<'Y'
method: list
rows:
  - {v: "nan"}
  - {v: "inf"}
  - {v: "-inf"}
  - {v: "-nan"}
  - {v: "nan(1)"}
  - {v: "2.5"}
  - {v: "none"}
command: [sh, -c, 'if [ "{v}" != none ]; then echo "acc={v}" > "$SWEEPMUX_RESULT"; fi; echo "other=1" >> "$SWEEPMUX_RESULT"']
Y
cd elsewhere
expect_rc 0 "run" mpi 3 run ../proj/sub/r.yaml --state ../proj/r.h5
expect_rc 0 "export csv" smx export ../proj/r.h5
cut -d, -f1,2,13,14 last.out > got.csv
cat > want.csv <<'C'
index,v,acc,other
0,nan,nan,1.0
1,inf,inf,1.0
2,-inf,-inf,1.0
3,-nan,nan,1.0
4,nan(1),nan,1.0
5,2.5,2.5,1.0
6,none,,1.0
C
diff want.csv got.csv || fail "export CSV does not show the reported values apart from the missing one: $(cat last.out)"
expect_rc 0 "export json" smx export ../proj/r.h5 --format json
"$PY" - last.out <<'P' || fail "export JSON: $(cat last.out)"
import json, sys
rows = json.load(open(sys.argv[1]))
got = [r["acc"] for r in rows]
assert got == ["nan", "inf", "-inf", "nan", "nan", 2.5, None], got
P
PYTHONPATH="$SMX_SOURCE_DIR/python" "$PY" - ../proj/r.h5 <<'P' || fail "the Python reader or the raw file does not tell nan from not reported"
import sys, math
import numpy as np, h5py, pandas as pd
import sweepmux
path = sys.argv[1]
df = sweepmux.read(path)
acc = df["acc"]
assert acc.dtype == np.float64, acc.dtype
for i in (0, 3, 4, 6):
    assert math.isnan(acc[i]), (i, acc[i])
assert acc[1] == math.inf and acc[2] == -math.inf and acc[5] == 2.5
assert sweepmux.not_reported(acc).tolist() == [False] * 6 + [True]
assert sweepmux.not_reported(df["other"]).tolist() == [False] * 7
arr = sweepmux.read(path, as_frame=False)
assert sweepmux.not_reported(arr["acc"]).tolist() == [False] * 6 + [True]
assert np.isnan(arr["acc"][[0, 3, 4, 6]]).all()
# The file itself, with h5py and numpy only.
with h5py.File(path, "r") as f:
    g = f["sessions/default"]
    col = [n.decode() for n in g["result_names"][:]].index("acc")
    bits = g["results"][:, col].view(np.uint64)
    assert int(g.attrs["result_missing"]) == 0x7FF8000000000001
    assert bits[6] == 0x7FF8000000000001, hex(bits[6])
    assert all(b == 0x7FF8000000000000 for b in bits[[0, 3, 4]]), [hex(b) for b in bits]
P
