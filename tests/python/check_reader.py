"""Assertions on sweepmux.read()/open() against the real CLI's own view of the same file.

usage: check_reader.py MODE ARGS...   (see the modes at the bottom; tests/python/reader.sh drives it)
"""

import json
import math
import subprocess
import sys

import numpy as np

import sweepmux

SWEEPMUX = None


def fail(msg):
    print("check_reader: " + msg, file=sys.stderr)
    sys.exit(1)


def export(path, session):
    out = subprocess.run([SWEEPMUX, "export", path, "--session", session, "--format", "json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def same(a, b):
    """Values equal the way export prints them (floats with %.3f times, %.17g results)."""
    if b is None:
        return a is None
    if isinstance(b, float) or isinstance(a, float):
        return abs(float(a) - float(b)) <= 1e-3 + 1e-9 * abs(float(b))
    return a == b


def py(v):
    """A DataFrame cell as a plain Python value (None for missing)."""
    import pandas as pd

    if v is pd.NA or v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def compare_to_export(path, session, params):
    """Every cell of read() equals the CLI's export of the same element."""
    df = sweepmux.read(path, session)
    rows = export(path, session)
    if len(df) != len(rows):
        fail(f"{path}:{session}: read() has {len(df)} rows, export {len(rows)}")
    cols = list(df.columns)
    want_cols = [k for k in rows[0] if k != "index"]
    if cols != want_cols:
        fail(f"{path}:{session}: columns {cols}, export has {want_cols}")
    if list(df.columns[: len(params)]) != params:
        fail(f"{path}:{session}: parameter columns {list(df.columns[:len(params)])}, want {params}")
    if str(df["status"].dtype) != "category" or list(df["status"].cat.categories) != list(sweepmux.STATUS_NAMES):
        fail(f"status is not categorical: {df['status'].dtype}")
    for r in rows:
        i = r["index"]
        for c in want_cols:
            got = py(df.at[i, c])
            if not same(got, r[c]):
                fail(f"{path}:{session}: element {i} column {c}: read() {got!r}, export {r[c]!r}")
    return df


def check_numpy(path, session):
    """as_frame=False gives the same values as a numpy structured array."""
    df = sweepmux.read(path, session)
    a = sweepmux.read(path, session, as_frame=False)
    if not isinstance(a, np.ndarray) or a.dtype.names[0] != "index" or list(a.dtype.names[1:]) != list(df.columns):
        fail(f"numpy result has fields {a.dtype.names}, frame has {list(df.columns)}")
    for c in df.columns:
        x = df[c].to_numpy()
        y = a[c]
        if c in ("exit_code", "signal", "rank"):
            x = df[c].fillna(0).to_numpy(dtype=np.int64)
        if c in ("host", "job"):
            x = df[c].astype(object).where(df[c].notna(), "").to_numpy()
        if c == "status":
            x = df[c].astype(str).to_numpy()
        if y.dtype.kind == "f":
            ok = np.allclose(x.astype(float), y, equal_nan=True)
        else:
            ok = (x.astype(y.dtype) == y).all()
        if not ok:
            fail(f"numpy column {c} differs from the frame: {y[:5]} vs {x[:5]}")


def mode_grid(path):
    df = compare_to_export(path, "default", ["lr", "depth", "act"])
    check_numpy(path, "default")
    # The spec's values, typed: floats, ints, strings.
    if df["lr"].dtype != np.float64 or df["depth"].dtype != np.int64 or df["act"].dtype != object:
        fail(f"parameter dtypes: {df.dtypes.to_dict()}")
    if sorted(set(df["lr"])) != [0.01, 0.1] or sorted(set(df["depth"])) != [2, 4, 6] or set(df["act"]) != {"relu", "tanh"}:
        fail("grid parameter values are not the spec's")
    # The task fails when depth == 4 and act == tanh (exit 7) and kills itself when depth == 6 and act == tanh.
    failed = df[df.status == "failed"]
    if sorted(failed.index) != sorted(df[(df.act == "tanh") & (df.depth >= 4)].index):
        fail(f"failed elements {list(failed.index)}")
    sig = df[(df.act == "tanh") & (df.depth == 6)]
    if not ((sig.signal == 15).all() and sig.exit_code.isna().all()):
        fail(f"signalled elements: {sig[['signal', 'exit_code']]}")
    done = df[df.status == "done"]
    if not np.allclose(done["loss"], done["lr"] * done["depth"]):
        fail("loss is not lr * depth for the done elements")
    if not ((done.duration >= 0) & (done.duration < 60)).all():
        fail("durations out of range")
    run = sweepmux.open(path)
    s = run.session()
    if s.counts != {"pending": 0, "running": 0, "done": 8, "failed": 4, "total": 12} or not s.complete:
        fail(f"counts {s.counts}")
    if s.result_names != ["loss"] or run.parameters != ["lr", "depth", "act"] or run.format_version != 3:
        fail(f"result names {s.result_names}, parameters {run.parameters}")
    if "name: grid" not in run.spec or len(run.spec_sha256) != 64:
        fail("spec text or digest missing")
    if len(s.jobs) != 1 or s.jobs.loc[0, "reason"] != "complete" or s.jobs.loc[0, "ranks"] != 2 or not s.jobs.loc[0, "ended"]:
        fail(f"jobs {s.jobs}")
    f = s.failures
    if sorted(f["index"]) != sorted(failed.index):
        fail(f"failures ring {list(f['index'])}")
    tails = dict(zip(f["index"], f["tail"]))
    for i in failed.index:
        if df.at[i, "depth"] == 4 and "depth 4 is too deep" not in tails[i]:
            fail(f"failure tail of {i}: {tails[i]!r}")


def mode_sessions(path):
    run = sweepmux.open(path)
    if list(run.sessions) != ["a", "b"]:
        fail(f"sessions {list(run.sessions)}")
    a = compare_to_export(path, "a", ["lr", "depth", "act"])
    b = compare_to_export(path, "b", ["lr", "depth", "act"])
    if (a.status == "done").sum() != 8 or (b.status == "done").sum() != 12:
        fail("sessions a and b are not independent")
    if run.sessions["a"].counts["failed"] != 4 or run.sessions["b"].counts["failed"] != 0:
        fail(f"session counts: a {run.sessions['a'].counts}, b {run.sessions['b'].counts}")
    try:
        sweepmux.read(path)
    except KeyError as e:
        if "no session 'default'" not in str(e) or "a, b" not in str(e):
            fail(f"missing default session message: {e}")
    else:
        fail("read() without a session of a file with a and b did not raise")


def mode_compare(path, session, *params):
    df = compare_to_export(path, session, list(params))
    check_numpy(path, session)
    kinds = {"flag": "b", "layers": "i", "lr": "f", "drop": "f", "x": "i"}
    for p in params:
        if p in kinds and df[p].dtype.kind != kinds[p]:
            fail(f"parameter {p} has dtype {df[p].dtype}, want kind {kinds[p]}")


def mode_running(path, n, pid):
    """Reads PATH over and over while the run PID writes it: every record read is whole, the done
    count never goes back, and some read sees running elements."""
    import os
    import time

    seen = []
    while True:
        try:
            os.kill(int(pid), 0)
            alive = True
        except ProcessLookupError:
            alive = False
        df = sweepmux.read(path, parameters=sweepmux.open(path).parameters is not None)
        if len(df) != int(n):
            fail(f"{len(df)} rows during the run, want {n}")
        fin = df[df.status.isin(["done", "failed"])]
        if len(fin):  # before the first completion no result column is named yet
            if "loss" not in df.columns:
                fail(f"{len(fin)} finished elements but no 'loss' column during the run:\n{fin}")
            bad = fin[~((fin.t_start > 1e9) & (fin.t_end >= fin.t_start) & (fin.duration < 60)
                        & (fin.attempts >= 1) & fin["host"].notna() & fin["loss"].notna()
                        & fin["rank"].notna())]
            if len(bad):
                fail(f"torn or incomplete records during the run:\n{bad}")
            if not np.allclose(fin["loss"], fin.index * 2):  # x is the element index in this sweep
                fail("a finished element's result is not its own")
        seen.append((int((df.status == "done").sum()), int((df.status == "running").sum())))
        if not alive:
            break
        time.sleep(0.05)
    done = [d for d, _ in seen]
    print(f"{len(seen)} reads; done counts {done}", file=sys.stderr)
    if len(seen) < 5 or done != sorted(done) or not any(r for _, r in seen) or done[-1] != int(n):
        fail(f"reads during the run: {seen}")


def mode_errors(path_v1, path_other):
    try:
        sweepmux.read(path_v1)
    except sweepmux.NoParametersError as e:
        if "predates stored parameter values" not in str(e):
            fail(f"message: {e}")
    else:
        fail("a file without /params did not raise NoParametersError")
    df = sweepmux.read(path_v1, parameters=False)
    if list(df.columns[:2]) != ["status", "attempts"]:
        fail(f"parameters=False columns {list(df.columns)}")
    try:
        sweepmux.open(path_other)
    except sweepmux.FormatError as e:
        if "not a sweepmux state file" not in str(e):
            fail(f"message: {e}")
    else:
        fail("a foreign HDF5 file did not raise FormatError")


if __name__ == "__main__":
    SWEEPMUX = sys.argv[1]
    globals()["mode_" + sys.argv[2]](*sys.argv[3:])
