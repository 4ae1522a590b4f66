"""Reading a sweepmux state file with h5py, safely while a run writes it.

A run's rank 0 is the only writer. During a run it only overwrites raw data in place (no HDF5
metadata changes), one column after the other, and structural changes (a new or destroyed session)
replace the whole file by a rename. So a reader that opens the file without HDF5's file lock always
sees a valid file, but an element written while the reader goes through the columns can come out
torn (its new status with its old times). Every per-element read here is therefore done twice and
repeated for the rows that differ until two consecutive reads agree.
"""

import time

try:
    import h5py
except ImportError as e:  # Not declared as a dependency (see pyproject.toml), so say what to install.
    raise ImportError("sweepmux needs h5py: apt-get install python3-h5py (Debian) or pip install h5py") from e
import numpy as np

STATUS_NAMES = ("pending", "running", "done", "failed")
FAILURES_RING = 256
# format_version 1 has no stored parameter values; 2 adds /params and /param_values; 3 gives new
# sessions 256 result columns (chunked), while sessions from format 2 keep their 16.
SUPPORTED_VERSIONS = (1, 2, 3)
# Per-element columns of a session other than the 2-D results.
ELEMENT_COLUMNS = ("status", "attempts", "rank", "exit_code", "signal", "host", "job", "t_start", "t_end")
# Rows read per slice, so a session of millions of elements is not read in one piece.
CHUNK = 1 << 20


class FormatError(ValueError):
    """The file is not a sweepmux state file this reader understands."""


class NoParametersError(FormatError):
    """The file predates stored parameter values (format_version 1)."""


def open_file(path, tries=20):
    """Opens PATH read-only without HDF5's file lock (a run holds it), retrying briefly when the
    open fails while a structural change renames a new file over the old one."""
    last = None
    for attempt in range(tries):
        try:
            f = h5py.File(path, "r", locking=False)
        except FileNotFoundError:
            raise
        except OSError as e:
            last = e
            time.sleep(0.05 * (attempt + 1))
            continue
        check_format(f, path)
        return f
    raise OSError(f"{path}: cannot open the state file: {last}")


def check_format(f, path):
    if f.attrs.get("format") != b"sweepmux":
        raise FormatError(f"{path}: not a sweepmux state file (no root attribute format = \"sweepmux\")")
    version = int(f.attrs.get("format_version", 0))
    if version not in SUPPORTED_VERSIONS:
        raise FormatError(
            f"{path}: format_version {version}; this reader understands {', '.join(map(str, SUPPORTED_VERSIONS))}"
            " (a newer sweepmux wrote it: install its Python package)"
        )
    return version


def text(b):
    """A fixed-length zero-padded string from the file as str."""
    if isinstance(b, bytes):
        return b.rstrip(b"\0").decode("utf-8", "replace")
    return str(b)


def session_group(f, path, name):
    """The group of session NAME; None means "default", or the only session when there is one."""
    names = sorted(f["sessions"].keys()) if "sessions" in f else []
    if name is None:
        name = "default" if "default" in names or len(names) != 1 else names[0]
    if name not in names:
        have = ", ".join(names) if names else "none"
        raise KeyError(f"{path}: no session '{name}' (sessions: {have})")
    return name, f["sessions"][name]


# A result a task did not report is this NaN (README "The state file"); a reported nan is an
# ordinary NaN. Sessions without the attribute result_missing predate the distinction: every NaN
# there means "not reported".
RESULT_MISSING_BITS = np.uint64(0x7FF8000000000001)
RESULT_MISSING = np.array([RESULT_MISSING_BITS], dtype=np.uint64).view(np.float64)[0]


def results_missing(g, results):
    """Boolean mask of RESULTS (rows of session group G's results) that were not reported."""
    if "result_missing" in g.attrs:
        return np.ascontiguousarray(results).view(np.uint64) == RESULT_MISSING_BITS
    return np.isnan(results)


def result_names(g):
    names = [text(x) for x in g["result_names"][:]]
    return [(c, n) for c, n in enumerate(names) if n]


def jobs_table(g):
    """The session's jobs as a structured array (id, host, t_start, t_end, ranks, exit_code, reason,
    running); a job with t_end 0 and exit code -1 is still running or died without saying."""
    n = int(g["meta"][0])
    raw = g["jobs"][: max(n, 0)]
    out = np.zeros(
        raw.shape[0],
        dtype=[("id", object), ("host", object), ("t_start", "f8"), ("t_end", "f8"), ("ranks", "i4"),
               ("exit_code", "i4"), ("reason", object), ("ended", "?")],
    )
    for k, r in enumerate(raw):
        ended = not (r["t_end"] == 0 and r["exit_code"] == -1)
        out[k] = (text(r["id"]), text(r["host"]), r["t_start"], r["t_end"] if ended else np.nan,
                  r["ranks"], r["exit_code"], text(r["reason"]), ended)
    return out


def failures_table(g):
    """The recent failed attempts still in the ring, oldest first: structured array of index,
    attempt, exit_code, signal, t_end, tail (the last bytes of the task's stderr)."""
    total = int(g["meta"][2])
    first = max(0, total - FAILURES_RING)
    ring = g["failures"][:]
    out = np.zeros(
        total - first,
        dtype=[("index", "u8"), ("attempt", "i4"), ("exit_code", "i4"), ("signal", "i4"), ("t_end", "f8"),
               ("tail", object)],
    )
    for k in range(first, total):
        r = ring[k % FAILURES_RING]
        out[k - first] = (r["index"], r["attempt"], r["exit_code"], r["signal"], r["t_end"], text(r["tail"]))
    return out


def _differ(a, b):
    """Rows of two reads of one column that differ (NaN equals NaN)."""
    d = a != b
    if a.dtype.kind == "f":
        d &= ~(np.isnan(a) & np.isnan(b))
    if d.ndim > 1:
        d = d.any(axis=tuple(range(1, d.ndim)))
    return d


def _read_rows(g, lo, hi, rcols):
    cols = {c: g[c][lo:hi] for c in ELEMENT_COLUMNS}
    if rcols:
        cols["results"] = g["results"][lo:hi, rcols]
    else:
        cols["results"] = np.zeros((hi - lo, 0))
    return cols


def read_elements(g, rcols, tries=50):
    """Every per-element column of session group G (results only the columns RCOLS), read so that no
    element is torn by a concurrent in-place write: each slice is read twice and the rows that
    differ are read again until two consecutive reads agree."""
    n = int(g.attrs["n_elements"])
    out = {c: np.empty(n, dtype=g[c].dtype) for c in ELEMENT_COLUMNS}
    out["results"] = np.empty((n, len(rcols)), dtype="f8")
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        a = _read_rows(g, lo, hi, rcols)
        b = _read_rows(g, lo, hi, rcols)
        for attempt in range(tries):
            bad = np.zeros(hi - lo, dtype=bool)
            for c in a:
                bad |= _differ(a[c], b[c])
            if not bad.any():
                break
            # Rows written between the two reads: read them again after the writer has moved on.
            time.sleep(0.01 * (attempt + 1))
            rows = np.flatnonzero(bad)
            for c in a:
                a[c][rows] = b[c][rows]
            c2 = _read_rows(g, lo + int(rows[0]), lo + int(rows[-1]) + 1, rcols)
            for c in b:
                b[c][rows] = c2[c][rows - rows[0]]
        else:
            raise OSError(f"elements {lo}..{hi - 1} kept changing during {tries} reads")
        for c in a:
            out[c][lo:hi] = b[c]
    return out


def parameters(f, path, n):
    """The stored parameter values of the sweep's N elements, in the spec's order: a list of
    (name, numpy array). Raises NoParametersError for files written before parameters were stored."""
    if "params" not in f:
        raise NoParametersError(
            f"{path}: this state file (format_version {int(f.attrs['format_version'])}) predates stored "
            "parameter values; read it with parameters=False, or store them with "
            f"`sweepmux upgrade {path} --dir DIR` (DIR: the directory the sweep ran in)"
        )
    items = []
    for name, d in f["params"].items():
        kind = text(d.attrs.get("type", b""))
        order = int(d.attrs.get("order", 0))
        if d.shape != (n,):
            raise FormatError(f"{path}: /params/{name} has shape {d.shape}, expected ({n},)")
        raw = d[:]
        if kind == "int":
            vals = raw.astype(np.int64)
        elif kind == "float":
            vals = raw.astype(np.float64)
        elif kind == "bool":
            vals = raw.astype(bool)
        elif kind == "string":
            table = f["param_values"][name][:]
            table = np.array([x.decode() if isinstance(x, bytes) else str(x) for x in table], dtype=object)
            if raw.size and int(raw.max()) >= table.size:
                raise FormatError(f"{path}: /params/{name} has a code beyond /param_values/{name}")
            vals = table[raw.astype(np.int64)]
        else:
            raise FormatError(f"{path}: /params/{name} has unknown type '{kind}'")
        items.append((order, name, vals))
    items.sort(key=lambda t: t[0])
    return [(name, vals) for _, name, vals in items]
