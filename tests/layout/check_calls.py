#!/usr/bin/env python3
"""Checks that the modules of src/ call each other without cycles, as the include check
(check_layers.py) cannot see: two .c files may each call the other through headers that do not
include each other. Reads the object files given on the command line with nm, maps every
defined symbol to its module (src/<layer>/<name>.c), and fails naming each cycle of calls between
modules. Usage: check_calls.py OBJECT...
"""
import os
import re
import subprocess
import sys


def module_of(obj):
    m = re.search(r"/src/([a-z]+)/([A-Za-z0-9_]+)\.c\.o$", obj)
    return f"{m.group(1)}/{m.group(2)}" if m else None


def main(objects):
    defined, wants = {}, {}
    objects = [o for o in objects if module_of(o)]
    # One nm for all objects; -A prefixes every line with its object file.
    out = subprocess.run(["nm", "-A"] + objects, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        obj, _, rest = line.rpartition(".c.o:")
        mod = module_of(obj + ".c.o")
        parts = rest.split()
        if len(parts) == 3 and parts[1] in "TDBR":
            defined[parts[2]] = mod
        elif len(parts) == 2 and parts[0] == "U":
            wants.setdefault(mod, set()).add(parts[1])
    edges = {m: {defined[s] for s in syms if s in defined and defined[s] != m}
             for m, syms in wants.items()}

    # Strongly connected components (Tarjan): any with more than one module is a cycle.
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    for comp in cycles:
        calls = [f"{a} -> {b}" for a in comp for b in sorted(edges.get(a, ())) if b in comp]
        print("call cycle between " + ", ".join(comp) + " (" + "; ".join(calls) + ")")
    if cycles:
        return 1
    if not defined:
        print("no object files of src/ given")
        return 1
    print(f"calls ok: {len(set(defined.values()))} modules, no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
