#!/usr/bin/env bash
# The installed package works from outside the source tree:
#  1. `cmake --install` into a temporary prefix (not the configured one: the package must be
#     relocatable) puts the libraries, headers, CLI, CMake package and sweepmux.pc in place;
#  2. libsweepmux.so exports exactly the functions the public headers declare (smx_*), nothing else;
#  3. the examples build with find_package(sweepmux) (shared and static targets) and with plain
#     `mpicc $(pkg-config --cflags --libs sweepmux)`;
#  4. the complete program in README.md (C library) compiles (-pedantic -Werror) and runs as documented;
#  5. each build runs under `$MPIEXEC -n 3` in a fresh directory, exits 0, and its state file holds
#     what it claims: every element done once, with the results the example computed.
set -euo pipefail
: "${SMX_SOURCE_DIR:?}" "${SMX_BUILD_DIR:?}"
MPIEXEC=${MPIEXEC:-mpiexec}
MPICC=${MPICC:-mpicc}
PY=/usr/bin/python3
# In the sanitizer build (tests/CMakeLists.txt) every program linking the library needs its flags.
SAN=${SMX_SANITIZE_FLAGS:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smx-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() { echo "== [${SECONDS}s] $*"; }

step "install into $prefix"
cmake --install "$SMX_BUILD_DIR" --prefix "$prefix" > "$tmp/install.log" ||
    { cat "$tmp/install.log"; fail "cmake --install"; }
pc=$(find "$prefix" -name sweepmux.pc -print -quit)
[ -n "$pc" ] || fail "no sweepmux.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in "$libdir/libsweepmux.so" "$libdir/libsweepmux.a" "$libdir/cmake/sweepmux/sweepmuxConfig.cmake" \
    "$libdir/cmake/sweepmux/sweepmuxConfigVersion.cmake" "$libdir/cmake/sweepmux/sweepmuxTargets.cmake" \
    "$prefix/include/sweepmux.h" "$prefix/include/sweepmux/common.h" "$prefix/include/sweepmux/errors.h" \
    "$prefix/include/sweepmux/mux.h" "$prefix/include/sweepmux/session.h" "$prefix/bin/sweepmux"; do
    [ -e "$f" ] || fail "not installed: ${f#"$prefix"/}"
done
# Internal headers stay private.
[ "$(find "$prefix/include" -name '*.h' | wc -l)" -eq 5 ] ||
    fail "unexpected headers installed: $(find "$prefix/include" -name '*.h')"
"$prefix/bin/sweepmux" --version > /dev/null || fail "the installed CLI does not run"

step "exported symbols"
# A build with libFuzzer's coverage instrumentation (-DSMX_FUZZ=ON, the sanitizer pass) also exports the
# bounds the linker defines for the instrumentation's sections (__start___sancov_cntrs and the like):
# the toolchain's, never sweepmux's, so they are the only names left out.
nm -D --defined-only "$libdir/libsweepmux.so" | awk 'NF == 3 {print $3}' |
    grep -vE '^__(start|stop)___sancov_[a-z_]+$' | sort -u > "$tmp/exported"
grep -rhoE 'SMX_EXTERN[^(;]*\b(smx_[a-z0-9_]+)\(' "$prefix/include" | grep -oE 'smx_[a-z0-9_]+\($' |
    tr -d '(' | sort -u > "$tmp/declared"
[ -s "$tmp/declared" ] || fail "found no SMX_EXTERN declarations in the installed headers"
if ! diff "$tmp/declared" "$tmp/exported" > "$tmp/symdiff"; then
    sed 's/^</declared, not exported:/; s/^>/exported, not declared:/' "$tmp/symdiff" | grep -v '^---' |
        grep -v '^[0-9]' >&2 || true
    fail "libsweepmux.so exports something other than the public API"
fi
echo "ok: $(wc -l < "$tmp/exported") symbols, all smx_* and declared in the headers"

step "build the examples with find_package(sweepmux)"
for ex in montecarlo resume; do
    cmake -S "$SMX_SOURCE_DIR/examples/$ex" -B "$tmp/cmake-$ex" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS="-Wall -Wextra -Werror $SAN" \
        > "$tmp/cmake-$ex.log" 2>&1 || { cat "$tmp/cmake-$ex.log"; fail "configuring examples/$ex"; }
    cmake --build "$tmp/cmake-$ex" > "$tmp/build-$ex.log" 2>&1 ||
        { cat "$tmp/build-$ex.log"; fail "building examples/$ex"; }
    # The shared target: the program must load the installed library (via the RUNPATH CMake set).
    # grep reads all of ldd's output (no -q): with pipefail an early exit would fail the pipeline
    # by SIGPIPE even though the library was found.
    ldd "$tmp/cmake-$ex/$ex" | grep "$libdir/libsweepmux.so" >/dev/null ||
        fail "examples/$ex does not use $libdir/libsweepmux.so: $(ldd "$tmp/cmake-$ex/$ex")"
done
step "build the examples against sweepmux::sweepmux_static"
cmake -S "$SMX_SOURCE_DIR/tests/package" -B "$tmp/cmake-static" -DCMAKE_PREFIX_PATH="$prefix" \
    -DSMX_EXAMPLES_DIR="$SMX_SOURCE_DIR/examples" -DCMAKE_C_FLAGS="$SAN" > "$tmp/cmake-static.log" 2>&1 ||
    { cat "$tmp/cmake-static.log"; fail "configuring tests/package"; }
cmake --build "$tmp/cmake-static" > "$tmp/build-static.log" 2>&1 ||
    { cat "$tmp/build-static.log"; fail "linking the examples statically"; }
if ldd "$tmp/cmake-static/montecarlo_static" | grep libsweepmux >/dev/null; then
    fail "montecarlo_static still needs libsweepmux.so"
fi

step "build the examples with mpicc \$(pkg-config --cflags --libs sweepmux)"
export PKG_CONFIG_PATH=$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
[ "$(pkg-config --modversion sweepmux)" = "$("$prefix/bin/sweepmux" --version | awk '{print $NF}')" ] ||
    fail "pkg-config says version $(pkg-config --modversion sweepmux)"
pkg-config --cflags sweepmux | grep -qF -- "-I$prefix/include" ||
    [ "$(realpath "$(pkg-config --variable=includedir sweepmux)")" = "$(realpath "$prefix/include")" ] ||
    fail "pkg-config --cflags does not point into $prefix: $(pkg-config --cflags sweepmux)"
mkdir -p "$tmp/pc"
for ex in montecarlo resume; do
    # shellcheck disable=SC2046,SC2086
    "$MPICC" -std=c11 -O2 -Wall -Wextra -Werror $SAN -o "$tmp/pc/$ex" "$SMX_SOURCE_DIR/examples/$ex/$ex.c" \
        $(pkg-config --cflags --libs sweepmux) -lm -Wl,-rpath,"$libdir" ||
        fail "mpicc with pkg-config for examples/$ex"
done
# The static library through pkg-config --static: libsweepmux.a by path, the private libraries
# from Requires.private/Libs.private.
static_libs=$(pkg-config --static --libs sweepmux | sed "s|-lsweepmux\b|$libdir/libsweepmux.a|")
# shellcheck disable=SC2046,SC2086
"$MPICC" -std=c11 -O2 $SAN -o "$tmp/pc/resume_static" "$SMX_SOURCE_DIR/examples/resume/resume.c" \
    $(pkg-config --cflags sweepmux) $static_libs || fail "mpicc with pkg-config --static"

# Runs one example in a fresh directory; its output goes to out.txt there.
run() { # NAME BINARY
    local dir=$tmp/run-$1
    mkdir -p "$dir"
    local rc=0
    (cd "$dir" && timeout $((120 * ${SMX_TIME_SCALE:-1})) "$MPIEXEC" -n 3 "$2" > out.txt 2> err.txt) || rc=$?
    if [ $rc != 0 ]; then
        cat "$dir/out.txt" "$dir/err.txt" >&2
        fail "$1 exited $rc"
    fi
    cat "$dir/out.txt"
}

# The state file must agree with what the example printed. Checked with h5py when the system
# Python has it, and always with the installed CLI's status --json.
have_h5py=0
if "$PY" -c 'import h5py' 2> /dev/null; then
    have_h5py=1
else
    echo "note: no h5py for $PY; checking state files with the CLI only"
fi

check_montecarlo() { # DIR
    local dir=$1
    grep -q "total=24 done=24 failed=0 pending=0 running=0" "$dir/out.txt" ||
        fail "montecarlo did not report 24 elements done"
    grep -q "computed=24 in this job" "$dir/out.txt" || fail "montecarlo's ranks did not compute 24"
    "$prefix/bin/sweepmux" status "$dir/montecarlo.h5" --json > "$dir/status.json"
    "$PY" - "$dir/status.json" << 'PY' || fail "sweepmux status disagrees with montecarlo"
import json, sys
s = json.load(open(sys.argv[1]))
assert (s["total"], s["done"], s["pending"], s["running"], s["failed"]) == (24, 24, 0, 0, 0), s
PY
    # Results recomputed independently: the estimates are a pure function of (samples, seed).
    "$prefix/bin/sweepmux" export "$dir/montecarlo.h5" --format csv > "$dir/export.csv"
    "$PY" - "$dir/export.csv" << 'PY' || fail "montecarlo's recorded results are wrong"
import csv, sys
M = (1 << 64) - 1
def unit(st):
    st[0] = (st[0] + 0x9E3779B97F4A7C15) & M
    z = st[0]
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return ((z ^ (z >> 31)) >> 11) * 2.0**-53
rows = list(csv.DictReader(open(sys.argv[1])))
assert sorted(int(r["index"]) for r in rows) == list(range(24)), rows
assert all(r["status"] == "done" and r["attempts"] == "1" for r in rows), rows
checked = 0
for r in rows:
    n, seed = int(r["samples"]), int(r["seed"])
    if n > 20000 or seed > 3:
        continue
    st, inside = [seed], 0
    for _ in range(n):
        x, y = unit(st), unit(st)
        inside += x * x + y * y <= 1.0
    want = 4.0 * inside / n
    assert abs(float(r["pi"]) - want) < 1e-12, (r, want)
    checked += 1
assert checked == 3, checked
PY
    if [ $have_h5py = 1 ]; then
        "$PY" - "$dir/montecarlo.h5" << 'PY' || fail "montecarlo.h5 is not as expected"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    g = f["sessions/default"]
    assert list(g["status"][:]) == [2] * 24, g["status"][:]
    assert list(g["attempts"][:]) == [1] * 24, g["attempts"][:]
    names = [n.decode() for n in g["result_names"][:] if n]
    assert names == ["pi", "abs_error"], names
    assert set(g["rank"][:]) <= {0, 1, 2}, g["rank"][:]
PY
    fi
}

check_resume() { # DIR
    local dir=$1
    grep -q "job 1 stopped (resumable)" "$dir/out.txt" || fail "resume's first job did not stop"
    grep -q "30 elements, 30 completed exactly once; state file total=30 done=30 pending=0 running=0 failed=0" \
        "$dir/out.txt" || fail "resume did not complete every element exactly once"
    "$prefix/bin/sweepmux" status "$dir/resume.h5" --json > "$dir/status.json"
    "$PY" - "$dir/status.json" << 'PY' || fail "sweepmux status disagrees with resume"
import json, sys
s = json.load(open(sys.argv[1]))
assert (s["total"], s["done"], s["pending"], s["running"], s["failed"]) == (30, 30, 0, 0, 0), s
# Two jobs: the first stopped resumable (exit code 3), the second completed (0).
assert [j["exit_code"] for j in s["jobs"]] == [3, 0], s["jobs"]
PY
    if [ $have_h5py = 1 ]; then
        "$PY" - "$dir/resume.h5" << 'PY' || fail "resume.h5 is not as expected"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    g = f["sessions/default"]
    assert list(g["status"][:]) == [2] * 30, g["status"][:]
    # Stopping gives unstarted elements back without spending an attempt.
    assert list(g["attempts"][:]) == [1] * 30, g["attempts"][:]
    assert g["result_names"][0] == b"y", g["result_names"][:2]
    for i, y in enumerate(g["results"][:, 0]):
        assert y == (0.5 * i) ** 2 + 1.0, (i, y)
PY
    fi
}

for build in cmake pc; do
    step "run examples ($build build) under $MPIEXEC -n 3"
    run montecarlo-$build "$tmp/$( [ $build = cmake ] && echo cmake-montecarlo || echo pc)/montecarlo"
    check_montecarlo "$tmp/run-montecarlo-$build"
    run resume-$build "$tmp/$( [ $build = cmake ] && echo cmake-resume || echo pc)/resume"
    check_resume "$tmp/run-resume-$build"
done
step "run the statically linked builds"
run montecarlo-static "$tmp/cmake-static/montecarlo_static"
check_montecarlo "$tmp/run-montecarlo-static"
run resume-static "$tmp/pc/resume_static"
check_resume "$tmp/run-resume-static"
step "the program in README.md (C library)"
# The first ```c block of the user documentation is a complete program: it must stay one.
awk '/^```c$/ {on = 1; next} on && /^```$/ {exit} on' "$SMX_SOURCE_DIR/README.md" > "$tmp/pc/squares.c"
[ "$(wc -l < "$tmp/pc/squares.c")" -gt 20 ] || fail "no C program found in README.md (C library)"
# shellcheck disable=SC2046,SC2086
"$MPICC" -std=c11 -Wall -Wextra -pedantic -Werror $SAN -o "$tmp/pc/squares" "$tmp/pc/squares.c" \
    $(pkg-config --cflags --libs sweepmux) -Wl,-rpath,"$libdir" || fail "the documented program does not build"
run squares "$tmp/pc/squares"
grep -qx "squares: 20 of 20 elements done" "$tmp/run-squares/out.txt" || fail "the documented program's output"
# A second run in the same directory finds the sweep complete, as documented.
run squares "$tmp/pc/squares"
[ "$(grep -cx "squares: 20 of 20 elements done" "$tmp/run-squares/out.txt")" = 1 ] ||
    fail "the documented program's second run"
"$prefix/bin/sweepmux" export "$tmp/run-squares/squares.h5" --format csv > "$tmp/run-squares/export.csv"
"$PY" - "$tmp/run-squares/export.csv" << 'PY' || fail "the documented program's results"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 20, rows
for r in rows:
    assert r["status"] == "done" and r["attempts"] == "1", r
    assert float(r["square"]) == int(r["x"]) ** 2, r
PY
step "package test passed"
