"""Read sweepmux state files (RUN.h5) from Python: numpy and h5py, pandas if it is installed.

    import sweepmux
    run = sweepmux.open("RUN.h5")          # spec, sessions, counts, jobs, failures
    df = sweepmux.read("RUN.h5")           # one row per element: parameters, status, times, results

Everything is read straight from the file (no sweepmux binary involved), without HDF5's file lock,
and is safe while a run writes the file. Both calls take a snapshot: call them again to see progress.
"""

import numpy as np

from . import _store
from ._store import STATUS_NAMES, FormatError, NoParametersError

__all__ = ["open", "read", "not_reported", "Run", "Session", "FormatError", "NoParametersError",
           "STATUS_NAMES"]
__version__ = "0.1.0"

try:
    import pandas as _pd
except ImportError:  # pandas is optional: read() then returns a numpy structured array.
    _pd = None


class Session:
    """One session of a sweep, as of the moment the file was read.

    name, n_elements, created (unix seconds), counts (dict pending/running/done/failed/total),
    complete (no element pending or running), result_names, command (the `-- CMD` override as
    YAML text, "" if none), jobs and failures (tables: a pandas DataFrame, or a numpy structured
    array without pandas).
    """

    def __init__(self, name, g, as_frame):
        self.name = name
        self.n_elements = int(g.attrs["n_elements"])
        self.created = float(g.attrs["created"])
        status = g["status"][:]
        counts = np.bincount(status, minlength=4)
        self.counts = {s: int(counts[k]) for k, s in enumerate(STATUS_NAMES)}
        self.counts["total"] = self.n_elements
        self.complete = self.counts["pending"] == 0 and self.counts["running"] == 0
        self.result_names = [n for _, n in _store.result_names(g)]
        self.command = _store.text(g["command"][()])
        self.jobs = _table(_store.jobs_table(g), as_frame)
        self.failures = _table(_store.failures_table(g), as_frame)

    def __repr__(self):
        c = self.counts
        return (f"<sweepmux session {self.name!r}: {c['done']} done, {c['failed']} failed, "
                f"{c['running']} running, {c['pending']} pending of {c['total']}>")


class Run:
    """A state file as of the moment sweepmux.open() read it: path, format_version, spec (the YAML
    text), spec_sha256, parameters (names in the spec's order; None when the file predates stored
    parameters) and sessions (a dict name -> Session, sorted by name)."""

    def __init__(self, path, as_frame=None):
        self.path = str(path)
        with _store.open_file(self.path) as f:
            self.format_version = int(f.attrs["format_version"])
            self.spec = _store.text(f["spec"][()])
            self.spec_sha256 = _store.text(f["spec"].attrs.get("sha256", b""))
            if "params" in f:
                self.parameters = [n for n, _ in sorted(f["params"].items(), key=lambda t: int(t[1].attrs["order"]))]
            else:
                self.parameters = None
            frame = _want_frame(as_frame)
            groups = f["sessions"] if "sessions" in f else {}
            self.sessions = {name: Session(name, groups[name], frame) for name in sorted(groups)}

    def session(self, name=None):
        """Session NAME; None: "default", or the only session when there is just one."""
        if name is None:
            name = "default" if "default" in self.sessions or len(self.sessions) != 1 else next(iter(self.sessions))
        if name not in self.sessions:
            raise KeyError(f"{self.path}: no session '{name}' (sessions: {', '.join(self.sessions) or 'none'})")
        return self.sessions[name]

    def read(self, session=None, **kw):
        """sweepmux.read() of this file (read afresh, so it shows the latest records)."""
        return read(self.path, session, **kw)

    # A Run holds no open file; the context manager form is for symmetry with h5py.File.
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return f"<sweepmux run {self.path!r}: sessions {', '.join(self.sessions) or 'none'}>"


def open(path, as_frame=None):  # noqa: A001 - the documented name, like h5py.File / tarfile.open
    """Reads the state file PATH's spec, sessions (counts, result names), jobs and failures.
    as_frame: tables as pandas DataFrames (default when pandas is installed) or numpy arrays."""
    return Run(path, as_frame)


def read(path, session=None, parameters=True, as_frame=None):
    """One row per element of SESSION (None: "default", or the only session when there is one):

    index, every parameter (spec order), status (categorical: pending, running, done, failed),
    attempts, exit_code, signal, rank, host, job (the batch job id), t_start, t_end (unix seconds),
    duration (seconds) and one column per result name.

    Columns after attempts describe the latest attempt and exist only for elements that finished
    one (done or failed): elsewhere they are NaN / missing (pandas) or 0, "" and NaN (numpy).
    exit_code is missing when the task was killed by a signal or did not start (see signal).
    Results an element did not report are NaN.

    Returns a pandas DataFrame indexed by element index (as_frame=None and pandas installed, or
    as_frame=True), else a numpy structured array. parameters=False leaves out the parameter
    columns (required for files written before parameters were stored: NoParametersError).
    """
    frame = _want_frame(as_frame)
    with _store.open_file(str(path)) as f:
        name, g = _store.session_group(f, path, session)
        n = int(g.attrs["n_elements"])
        rnames = _store.result_names(g)
        params = _store.parameters(f, path, n) if parameters else []
        cols = _store.read_elements(g, [c for c, _ in rnames])
        hosts = [_store.text(h) for h in g["hosts"][: int(g["meta"][1])]]
        jobs = [_store.text(j) for j in g["jobs"]["id"][: int(g["meta"][0])]]
        cols["missing"] = _store.results_missing(g, cols["results"])
    return _assemble(n, params, cols, [nm for _, nm in rnames], hosts, jobs, frame)


def not_reported(values):
    """True where a result column as read() returns it (a pandas Series or a numpy array) holds
    "not reported"; a nan the task reported is NaN too, but not this one. It looks at the NaN's
    bits, so use it on the column as read, not on the result of arithmetic."""
    values = np.asarray(values, dtype=np.float64)
    return values.view(np.uint64) == _store.RESULT_MISSING_BITS


def _want_frame(as_frame):
    if as_frame and _pd is None:
        raise ImportError("as_frame=True needs pandas (Debian: apt-get install python3-pandas)")
    return _pd is not None if as_frame is None else bool(as_frame)


def _lookup(codes, names):
    """Strings for 1-based CODES into NAMES ("" for 0 or out of range)."""
    table = np.array([""] + list(names), dtype=object)
    codes = codes.astype(np.int64)
    codes[(codes < 0) | (codes >= table.size)] = 0
    return table[codes]


def _assemble(n, params, cols, rnames, hosts, jobs, frame):
    status = cols["status"].astype(np.int64)
    ran = (status == 2) | (status == 3)
    killed = ran & ((cols["signal"] != 0) | (cols["exit_code"] < 0))
    t_start = np.where(ran, cols["t_start"], np.nan)
    t_end = np.where(ran, cols["t_end"], np.nan)
    host = np.where(ran, _lookup(cols["host"], hosts), "")
    job = np.where(ran, _lookup(cols["job"], jobs), "")
    missing = cols["missing"] | ~ran[:, None]
    results = np.where(missing, _store.RESULT_MISSING, cols["results"])
    fixed = [
        ("attempts", cols["attempts"].astype(np.int32)),
        ("exit_code", np.where(ran & ~killed, cols["exit_code"], 0).astype(np.int32)),
        ("signal", np.where(ran, cols["signal"], 0).astype(np.int32)),
        ("rank", np.where(ran, cols["rank"], 0).astype(np.int32)),
        ("host", host),
        ("job", job),
        ("t_start", t_start),
        ("t_end", t_end),
        ("duration", t_end - t_start),
    ]
    params, rnames = _unique_names(params, [c for c, _ in fixed], rnames)
    if frame:
        return _frame(n, params, status, ran, killed, fixed, rnames, results)
    names = ["index"] + [p for p, _ in params] + ["status"] + [c for c, _ in fixed] + rnames
    arrays = ([np.arange(n, dtype=np.int64)] + [v for _, v in params]
              + [np.array(STATUS_NAMES, dtype=object)[status]] + [v for _, v in fixed]
              + [results[:, k] for k in range(len(rnames))])
    out = np.empty(n, dtype=[(nm, _np_type(a)) for nm, a in zip(names, arrays)])
    for nm, a in zip(names, arrays):
        out[nm] = a
    return out


def _unique_names(params, fixed, rnames):
    """Column names that cannot clash: a parameter named like a fixed column becomes param.NAME, a
    result named like a parameter or a fixed column becomes result.NAME."""
    taken = {"index", "status", *fixed}
    params = [(p if p not in taken else f"param.{p}", v) for p, v in params]
    taken |= {p for p, _ in params}
    return params, [r if r not in taken else f"result.{r}" for r in rnames]


def _np_type(a):
    if a.dtype == object:
        width = max((len(str(x)) for x in a), default=1)
        return f"U{max(width, 1)}"
    return a.dtype


def _frame(n, params, status, ran, killed, fixed, rnames, results):
    pd = _pd
    data = {p: v for p, v in params}
    data["status"] = pd.Categorical.from_codes(status, categories=list(STATUS_NAMES))
    for name, v in fixed:
        if name in ("exit_code", "signal", "rank"):
            v = pd.array(v, dtype="Int32")
            v[~ran if name != "exit_code" else ~(ran & ~killed)] = pd.NA
        elif name == "attempts":
            v = v.astype(np.int32)
        elif name in ("host", "job"):
            v = pd.Categorical(np.where(ran, v, None))
        data[name] = v
    # Plain floats, NaN for both "not reported" and a reported nan: not_reported() tells them apart.
    for k, name in enumerate(rnames):
        data[name] = results[:, k]
    df = pd.DataFrame(data, index=pd.RangeIndex(n, name="index"))
    return df


def _table(arr, as_frame):
    if not as_frame:
        return arr
    return _pd.DataFrame({name: arr[name] for name in arr.dtype.names})
