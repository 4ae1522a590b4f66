#!/usr/bin/env python3
"""Encodes state files as seeds of fuzz_state: python3 fuzz/state_seed.py FILE.h5... OUTDIR.

A state file is mostly zero bytes (its tables are allocated in full when a session is created), so
the harness takes it with every run of zeros written as a 0 byte and the run's length as an
unsigned LEB128 number (fuzz_state.c, decode). The seeds stay a few KiB each.
"""
import os
import sys


def encode(data):
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i]:
            out.append(data[i])
            i += 1
            continue
        j = i
        while j < len(data) and data[j] == 0:
            j += 1
        run = j - i
        out.append(0)
        while True:
            b = run & 0x7F
            run >>= 7
            out.append(b | (0x80 if run else 0))
            if not run:
                break
        i = j
    return bytes(out)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: state_seed.py FILE.h5... OUTDIR")
    for path in sys.argv[1:-1]:
        with open(path, "rb") as f:
            data = f.read()
        name = os.path.join(sys.argv[-1], os.path.basename(path).removesuffix(".h5"))
        with open(name, "wb") as f:
            f.write(encode(data))
        print(f"{name}: {len(data)} bytes -> {os.path.getsize(name)}")


if __name__ == "__main__":
    main()
