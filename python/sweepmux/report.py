"""One self-contained HTML page about a sweep: counts, jobs, each result against each parameter,
the duration histogram, failures by parameter value, the jobs' timeline and the recent failures.
Images are PNGs embedded as data: URIs, so the page can be mailed or copied anywhere."""

import base64
import datetime
import html
import io
import time

import numpy as np

from .plot import FINISHED, _positions, draw, is_numeric, plt

STATE_COLOURS = {"done": "#4c9a2a", "failed": "#d62728", "running": "#1f77b4", "pending": "#bbbbbb"}
# A numeric parameter with more distinct values than this is binned for "failures by value".
MAX_BARS = 12


def _png(fig):
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _img(fig, alt):
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{_png(fig)}">'


def _when(t):
    if not np.isfinite(t) or t <= 0:
        return "-"
    return datetime.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")


def _table(header, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _panels(n, width=4.2, height=3.2, cols=3):
    cols = max(1, min(cols, n))
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def results_vs_parameters(data, params, results):
    """One image per result: a panel per parameter that varies."""
    out = []
    for r in results:
        fig, axes = _panels(len(params))
        for ax, p in zip(axes, params):
            x = data[p]
            logx = is_numeric(x) and x.min() > 0 and x.max() / max(x.min(), 1e-300) >= 100
            draw(ax, data, p, r, logx=logx)
            ax.set_title(f"{r} vs {p}")
        out.append((f"{r} against each parameter", _img(fig, f"{r} vs parameters")))
    return out


def duration_histogram(data):
    fig, ax = plt.subplots(figsize=(7, 3.5))
    d = data["duration"]
    for state in FINISHED:
        v = d[(data["status"] == state) & np.isfinite(d)]
        if v.size:
            ax.hist(v, bins=min(40, max(5, v.size // 5)), alpha=0.7, color=STATE_COLOURS[state],
                    label=f"{state} ({v.size})")
    ax.set_xlabel("duration of the latest attempt (s)")
    ax.set_ylabel("elements")
    ax.legend(fontsize="small")
    return _img(fig, "duration histogram")


def _bins(x):
    """Labels and a code per element for the values of X (numeric X with many values in bins)."""
    if is_numeric(x) and len(set(x.tolist())) > MAX_BARS:
        edges = np.unique(np.quantile(x.astype(float), np.linspace(0, 1, MAX_BARS // 2 + 1)))
        codes = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        return [f"{edges[k]:.3g}..{edges[k + 1]:.3g}" for k in range(len(edges) - 1)], codes
    pos, labels = _positions(x)
    if labels is None:
        values = sorted(set(x.tolist()))
        labels = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
        pos = np.searchsorted(np.array(values), x)
    return labels, pos.astype(int)


def failures_by_value(data, params):
    """Per parameter, the elements of each value by state (stacked bars): where failures cluster."""
    fig, axes = _panels(len(params))
    for ax, p in zip(axes, params):
        labels, codes = _bins(data[p])
        bottom = np.zeros(len(labels))
        for state in ("done", "failed", "running", "pending"):
            counts = np.bincount(codes[data["status"] == state], minlength=len(labels))
            if counts.any():
                ax.bar(range(len(labels)), counts, bottom=bottom, color=STATE_COLOURS[state], label=state)
                bottom += counts
        ax.set_xticks(range(len(labels)))
        long = max(map(len, labels), default=0) > 6
        ax.set_xticklabels(labels, rotation=35 if long else 0, ha="right" if long else "center", fontsize="small")
        ax.set_title(f"by {p}")
        ax.set_ylabel("elements")
    axes[0].legend(fontsize="small")
    return _img(fig, "failures by parameter value")


def timeline(jobs, data):
    """The jobs as bars over time, and the cumulative count of finished elements."""
    now = time.time()
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(9, 2.2 + 0.35 * max(1, len(jobs))), sharex=True,
                                  gridspec_kw={"height_ratios": [max(1, len(jobs)), 2]})
    t0 = min([j["t_start"] for j in jobs] + [now])
    t1 = max([j["t_end"] if j["ended"] else now for j in jobs] + [t0])
    # Minutes for sweeps of more than a few minutes, else seconds.
    unit, scale = ("minutes", 60.0) if t1 - t0 > 300 else ("seconds", 1.0)
    for k, j in enumerate(jobs):
        end = j["t_end"] if j["ended"] else now
        colour = "#4c9a2a" if j["exit_code"] == 0 else "#1f77b4" if not j["ended"] else "#ff7f0e"
        ax.barh(k, (end - j["t_start"]) / scale, left=(j["t_start"] - t0) / scale, color=colour)
        state = j["reason"] if j["ended"] else "running (or died)"
        ax.text((j["t_start"] - t0) / scale, k, f" {j['id']} on {j['host']}, {j['ranks']} ranks: {state}",
                va="center", fontsize="small")
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.set_title("jobs")
    ends = np.sort(data["t_end"][np.isin(data["status"], FINISHED) & np.isfinite(data["t_end"])])
    if ends.size:
        ax2.step((ends - t0) / scale, np.arange(1, ends.size + 1), where="post")
    ax2.set_ylabel("finished")
    ax2.set_xlabel(f"{unit} since {_when(t0)}")
    ax2.grid(True, alpha=0.3)
    return _img(fig, "jobs timeline")


def _section(title, body):
    return f"<h2>{html.escape(title)}</h2>\n{body}\n"


CSS = """body{font-family:sans-serif;margin:2em;max-width:1300px}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;font-size:90%}th{background:#eee}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto}img{max-width:100%;display:block;margin:.5em 0}"""


def build(path, session=None):
    """The report's HTML text for SESSION of the state file PATH."""
    from . import open as open_run, read

    run = open_run(path, as_frame=False)
    s = run.session(session)
    have_params = run.parameters is not None
    data = read(path, s.name, parameters=have_params, as_frame=False)
    params = [p for p in (run.parameters or []) if len(set(data[p].tolist())) > 1]
    c = s.counts
    parts = [f"<h1>sweepmux report: {html.escape(str(path))}, session {html.escape(s.name)}</h1>",
             f"<p>Written {_when(time.time())}. {c['done']} done, {c['failed']} failed, {c['running']} running, "
             f"{c['pending']} pending of {c['total']} elements{' (complete)' if s.complete else ''}.</p>"]
    parts.append(_section("Jobs", _table(
        ["id", "host", "start", "end", "ranks", "exit code", "why it stopped"],
        [(j["id"], j["host"], _when(j["t_start"]), _when(j["t_end"]) if j["ended"] else "running or died",
          j["ranks"], j["exit_code"] if j["ended"] else "-", j["reason"]) for j in s.jobs])))
    if not have_params:
        parts.append("<p>This state file predates stored parameter values: the plots by parameter are left out.</p>")
    elif not params:
        parts.append("<p>No parameter takes more than one value.</p>")
    if params:
        for title, img in results_vs_parameters(data, params, s.result_names):
            parts.append(_section(title, img))
        parts.append(_section("Failures by parameter value", failures_by_value(data, params)))
    parts.append(_section("Duration of the finished elements", duration_histogram(data)))
    if len(s.jobs):
        parts.append(_section("Timeline", timeline(s.jobs, data)))
    fails = s.failures[::-1]
    rows = []
    for f in fails:
        vals = ", ".join(f"{p}={data[p][f['index']]}" for p in (run.parameters or []))
        rows.append((f["index"], f["attempt"], f["exit_code"] if not f["signal"] else "-", f["signal"] or "-",
                     _when(f["t_end"]), vals, f["tail"].strip()[-300:]))
    parts.append(_section(f"Recent failures ({len(fails)} of {int(c['failed'])} failed elements)", _table(
        ["index", "attempt", "exit code", "signal", "ended", "parameters", "end of stderr"], rows)))
    parts.append(_section("Spec", f"<pre>{html.escape(run.spec)}</pre>"))
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>sweepmux report: "
            f"{html.escape(str(path))}</title><style>{CSS}</style></head><body>\n" + "\n".join(parts)
            + "\n</body></html>\n")


def write(path, out, session=None):
    text = build(path, session)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return text.count("<img ")
