#!/usr/bin/env bash
# The sanitizer pass, run by scripts/test.sh (CI) after the main suite: builds a second tree,
# build-asan, with clang, -DSMX_SANITIZE=ON (AddressSanitizer + UndefinedBehaviorSanitizer) and
# -DSMX_FUZZ=ON, and runs the unit tests and the bounded fuzz runs (label fuzz, 20 s per harness)
# in it. Any sanitizer report, or a leak whose stack stays in sweepmux code (tests/sanitize/lsan.supp
# lists the third-party libraries whose leaks are ignored), fails a test. SMX_ASAN_LABELS overrides
# the labels (e.g. '^(unit|cli|mpi|fuzz)$' for the end-to-end tests too; SMX_TIMEOUT=300 gives their
# sweepmux calls room for the sanitizers' cost). Extra arguments go to ctest. Needs scripts/deps.sh's
# packages (clang, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
t0=$SECONDS
cmake -S . -B build-asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMX_SANITIZE=ON -DSMX_FUZZ=ON >/dev/null
cmake --build build-asan -j "$(nproc)" >/dev/null
echo "sweepmux: build-asan built in $((SECONDS - t0)) s" >&2
t1=$SECONDS
cd build-asan
ctest -j "$(nproc)" --output-on-failure --timeout 900 -L "${SMX_ASAN_LABELS:-^(unit|fuzz)$}" "$@"
echo "sweepmux: sanitizer and fuzz tests took $((SECONDS - t1)) s" >&2
