"""Test fixture for state files written before parameters were stored (format_version 1).

Adds /params and /param_values in the format_version 2 layout (README, "The state file") to FILE,
taking the values from `sweepmux export --format json`, i.e. from the real CLI's decoding of the
spec. The tests use it only on files the CLI wrote without /params, so the reader's parameter code
is tested against the documented layout either way.

usage: lib-params.py SWEEPMUX FILE SESSION
"""

import json
import subprocess
import sys

import h5py
import numpy as np

sweepmux, path, session = sys.argv[1:4]
rows = json.loads(subprocess.run([sweepmux, "export", path, "--session", session, "--format", "json"],
                                 check=True, capture_output=True, text=True).stdout)
with h5py.File(path, "r", locking=False) as f:
    if "params" in f:
        sys.exit(0)
    n = int(f["sessions"][session].attrs["n_elements"])
    rnames = {x.rstrip(b"\0").decode() for x in f["sessions"][session]["result_names"][:]}
fixed = {"index", "status", "attempts", "exit_code", "signal", "rank", "host", "job", "t_start", "t_end",
         "duration"}
# Export's columns: index, the parameters in spec order, the fixed columns, the results.
names = [k for k in rows[0] if k not in fixed and k not in rnames]
assert len(rows) == n, (len(rows), n)
with h5py.File(path, "r+", locking=False) as f:
    params = f.create_group("params")
    values = f.create_group("param_values")
    for order, name in enumerate(names):
        col = [r[name] for r in rows]
        if all(isinstance(v, bool) for v in col):
            d = params.create_dataset(name, data=np.array(col, dtype=np.uint8))
            kind = "bool"
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in col):
            d = params.create_dataset(name, data=np.array(col, dtype=np.int64))
            kind = "int"
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in col):
            d = params.create_dataset(name, data=np.array(col, dtype=np.float64))
            kind = "float"
        else:
            table = sorted(set(map(str, col)))
            code = {s: k for k, s in enumerate(table)}
            d = params.create_dataset(name, data=np.array([code[str(v)] for v in col], dtype=np.uint32))
            values.create_dataset(name, data=table, dtype=h5py.string_dtype("utf-8"))
            kind = "string"
        d.attrs["type"] = kind
        d.attrs["order"] = np.int32(order)
