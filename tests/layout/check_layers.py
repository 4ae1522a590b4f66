#!/usr/bin/env python3
"""Checks the architecture of src/: includes go only sideways or down the layers, and no two
modules include each other, directly or around a longer cycle.

A module is a .c/.h pair of one layer (src/<layer>/<name>.c and .h); a header named
<name>_internal.h or <name>_impl.h belongs to module <name>. Exit status 1 names every offence.
"""
import os
import re
import sys

LAYERS = ["core", "spec", "state", "session", "exec", "cli"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# The tool reads and edits state files only through the inspect, prepare and mux calls, never
# through the store, the lock or the session's insides.
FORBIDDEN = {"cli": {"state/store.h", "state/lock.h", "session/session_internal.h"}}


def module_of(layer, filename):
    stem = os.path.splitext(filename)[0]
    stem = re.sub(r"_(internal|impl)$", "", stem)
    return f"{layer}/{stem}"


def main(src):
    edges = {}
    problems = []
    for layer in LAYERS:
        d = os.path.join(src, layer)
        if not os.path.isdir(d):
            problems.append(f"missing layer directory {d}")
            continue
        for f in sorted(os.listdir(d)):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(d, f)
            me = module_of(layer, f)
            edges.setdefault(me, set())
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for inc in INCLUDE.findall(text):
                if inc.startswith("sweepmux/") or inc == "sweepmux.h":
                    continue  # the public headers sit below every layer
                if "/" in inc:
                    ilayer, ifile = inc.split("/", 1)
                else:
                    ilayer, ifile = layer, inc
                if ilayer not in LAYERS:
                    problems.append(f"{path}: includes \"{inc}\" from no known layer")
                    continue
                if LAYERS.index(ilayer) > LAYERS.index(layer):
                    problems.append(f"{path}: {layer} includes \"{inc}\" from the higher layer {ilayer}")
                if f"{ilayer}/{ifile}" in FORBIDDEN.get(layer, ()):
                    problems.append(f"{path}: {layer} includes \"{inc}\", which only layers below it may use")
                other = module_of(ilayer, ifile)
                if other != me:
                    edges[me].add(other)

    # Cycles: depth-first search, reporting each cycle once by its smallest rotation.
    seen_cycles = set()
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                cyc = stack[stack.index(n):]
                k = min(range(len(cyc)), key=lambda i: cyc[i])
                key = tuple(cyc[k:] + cyc[:k])
                if key not in seen_cycles:
                    seen_cycles.add(key)
                    problems.append("include cycle: " + " -> ".join(key + (key[0],)))
            elif state.get(n) is None:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if state.get(m) is None:
            visit(m)

    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"layers ok: {len(edges)} modules in {len(LAYERS)} layers, no upward include, no cycle")
    return 0


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "src")))
