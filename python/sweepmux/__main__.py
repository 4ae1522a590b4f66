"""python3 -m sweepmux plot|report: pictures of a sweep from its state file, without the binary.

Exit codes as the sweepmux CLI: 0 ok, 2 usage or input error (a missing file or session, an unknown
column), 5 any other error.
"""

import argparse
import sys

from . import FormatError, NoParametersError, read

EXIT_INPUT = 2
EXIT_OTHER = 5


def cmd_plot(a):
    from .plot import plot

    data = read(a.state, a.session, as_frame=False)
    n = plot(data, a.x, a.y, a.output, hue=a.hue, logx=a.logx, logy=a.logy)
    print(f"sweepmux plot: {a.output}: {a.y} vs {a.x}, {n} elements", file=sys.stderr)


def cmd_report(a):
    from .report import write

    images = write(a.state, a.output, a.session)
    print(f"sweepmux report: {a.output}: {images} images", file=sys.stderr)


def parser():
    p = argparse.ArgumentParser(prog="python3 -m sweepmux", description="Plots and reports of a sweepmux state file "
                                "(read straight from the file, safe while a run writes it).")
    sub = p.add_subparsers(dest="command", required=True)
    pl = sub.add_parser("plot", help="a PNG of one column against another",
                        description="A PNG of Y against X, one point per done element, the mean per X value as a "
                        "line when X values repeat, failed elements as red crosses along the bottom.")
    pl.add_argument("state", metavar="RUN.h5")
    pl.add_argument("--x", required=True, help="the column on the x axis (a parameter, duration, attempts, ...)")
    pl.add_argument("--y", required=True, help="the column on the y axis (a result, duration, ...)")
    pl.add_argument("--hue", help="colour the points by this column")
    pl.add_argument("--logx", action="store_true", help="logarithmic x axis")
    pl.add_argument("--logy", action="store_true", help="logarithmic y axis")
    pl.add_argument("--session", help="the session (default: 'default', or the only one)")
    pl.add_argument("-o", "--output", required=True, metavar="OUT.png")
    pl.set_defaults(run=cmd_plot)
    rp = sub.add_parser("report", help="one self-contained HTML page about the sweep",
                        description="One HTML page with its images embedded: counts, jobs, each result against each "
                        "parameter, the duration histogram, failures by parameter value, the jobs' timeline and the "
                        "recent failures with their stderr.")
    rp.add_argument("state", metavar="RUN.h5")
    rp.add_argument("--session", help="the session (default: 'default', or the only one)")
    rp.add_argument("-o", "--output", required=True, metavar="OUT.html")
    rp.set_defaults(run=cmd_report)
    return p


def main(argv=None):
    a = parser().parse_args(argv)
    try:
        a.run(a)
    except (FileNotFoundError, KeyError, FormatError, NoParametersError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        if isinstance(e, FileNotFoundError):
            msg = f"{e.filename or a.state}: no such file"
        print(f"sweepmux {a.command}: {msg}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as e:
        print(f"sweepmux {a.command}: {e}", file=sys.stderr)
        return EXIT_OTHER
    return 0


if __name__ == "__main__":
    sys.exit(main())
