"""Plots of a sweep's elements with matplotlib (headless: the Agg backend, no display needed)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import numpy as np  # noqa: E402

# Elements of these states are plotted; failed ones are marked separately.
FINISHED = ("done", "failed")
# A numeric hue with more distinct values than this is drawn with a colour map instead of a legend.
MAX_LEGEND = 10


class ColumnError(KeyError):
    """A column name that the data does not have."""

    def __str__(self):
        return self.args[0]


def column(data, name):
    """Column NAME of a structured array from sweepmux.read(..., as_frame=False)."""
    if name not in data.dtype.names:
        have = ", ".join(n for n in data.dtype.names if n != "index")
        raise ColumnError(f"no column '{name}' (columns: {have})")
    return data[name]


def is_numeric(a):
    return a.dtype.kind in "iuf"


def _positions(x):
    """Numeric x as it is; other x (strings, bools) as category positions with their labels."""
    if is_numeric(x):
        return x.astype(float), None
    labels = sorted(set(x.tolist()), key=str)
    pos = {v: k for k, v in enumerate(labels)}
    return np.array([pos[v] for v in x.tolist()], dtype=float), [str(v) for v in labels]


def _groups(data, hue):
    """(label, mask) per hue value; one group without a hue."""
    if hue is None:
        return [(None, np.ones(len(data), dtype=bool))]
    h = column(data, hue)
    return [(f"{hue}={v}", h == v) for v in sorted(set(h.tolist()), key=lambda v: (str(type(v)), v))]


def draw(ax, data, x, y, hue=None, logx=False, logy=False):
    """Draws Y against X on AX: one point per finished element with a value of Y, the mean per
    X value as a line (when X values repeat, as in a grid), failed elements as red crosses along
    the bottom, coloured by HUE. Returns the number of points drawn."""
    status = column(data, "status")
    xv, labels = _positions(column(data, x))
    yv = column(data, y).astype(float)
    ok = (status == "done") & np.isfinite(yv) & np.isfinite(xv)
    jitter = 0.0 if labels is None else 0.08
    rng = np.random.default_rng(0)
    numeric_hue = hue is not None and is_numeric(column(data, hue)) and len(set(column(data, hue).tolist())) > MAX_LEGEND
    drawn = 0
    if numeric_hue:
        sc = ax.scatter(xv[ok] + rng.uniform(-jitter, jitter, ok.sum()), yv[ok], c=column(data, hue)[ok].astype(float),
                        s=14, cmap="viridis")
        ax.figure.colorbar(sc, ax=ax, label=hue)
        drawn = int(ok.sum())
    else:
        for label, mask in _groups(data, hue):
            m = ok & mask
            if not m.any():
                continue
            pts = ax.scatter(xv[m] + rng.uniform(-jitter, jitter, m.sum()), yv[m], s=14, alpha=0.6, label=label)
            ux = np.unique(xv[m])
            if ux.size < m.sum():  # repeated x values: show the mean of each
                means = [yv[m][xv[m] == u].mean() for u in ux]
                ax.plot(ux, means, "-o", color=pts.get_facecolor()[0][:3], markersize=4, linewidth=1.5)
            drawn += int(m.sum())
    failed = (status == "failed") & np.isfinite(xv)
    if failed.any():
        ax.scatter(xv[failed], np.zeros(failed.sum()), transform=ax.get_xaxis_transform(), marker="x", color="red",
                   s=30, clip_on=False, label=f"failed ({int(failed.sum())})")
    if labels is not None:
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=30 if max(map(len, labels)) > 6 else 0, ha="right" if max(map(len, labels)) > 6 else "center")
    elif logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.grid(True, alpha=0.3)
    if hue is not None and not numeric_hue or failed.any():
        ax.legend(fontsize="small")
    return drawn


def plot(data, x, y, out, hue=None, logx=False, logy=False, title=None):
    """Writes a PNG of Y against X (see draw) to OUT; returns the number of points drawn."""
    for name in (x, y) + ((hue,) if hue else ()):
        column(data, name)
    if not is_numeric(column(data, y)):
        raise ColumnError(f"column '{y}' is not numeric")
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    try:
        n = draw(ax, data, x, y, hue, logx, logy)
        ax.set_title(title or f"{y} vs {x}")
        fig.tight_layout()
        fig.savefig(out, format="png")
    finally:
        plt.close(fig)
    return n
