#!/usr/bin/env bash
# The sanitizer pass, run by scripts/test.sh (CI) after the main suite: builds a second tree,
# build-asan, with clang, -DSMX_SANITIZE=ON (AddressSanitizer + UndefinedBehaviorSanitizer) and
# -DSMX_FUZZ=ON, and runs the test suite in it: the unit, mpi, cli and python tests, plus the bounded
# fuzz runs (label fuzz, 20 s per harness). Left out, to keep CI within its time: the one test
# labelled slow (mpi.kill9_chaos, randomised kill -9 rounds that the main run and the MPICH pass
# run, on the paths the other kill tests take too), and the Slurm tests (label slurm: a cluster per
# test, run one at a time, about a quarter of an hour under the sanitizers; two of them also need a
# first element done within the second or so before Slurm's time-limit warning, which Slurm may
# send up to a minute early). Both run in the main pass. Any sanitizer report, or a leak
# whose stack stays in sweepmux code (tests/sanitize/lsan.supp lists the third-party libraries whose
# leaks are ignored), fails a test. The tests' time limits, not their assertions, grow threefold
# in this build (SMX_TIME_SCALE, tests/CMakeLists.txt). SMX_ASAN_LABELS and SMX_ASAN_EXCLUDE
# override the labels run and left out (regular expressions for ctest -L and -LE); extra arguments
# go to ctest. Needs scripts/deps.sh's packages (clang, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
t0=$SECONDS
cmake -S . -B build-asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMX_SANITIZE=ON -DSMX_FUZZ=ON >/dev/null
cmake --build build-asan -j "$(nproc)" >/dev/null
echo "sweepmux: build-asan built in $((SECONDS - t0)) s" >&2
t1=$SECONDS
cd build-asan
rc=0
ctest -j "$(nproc)" --output-on-failure -L "${SMX_ASAN_LABELS:-^(unit|mpi|cli|python|fuzz)$}" \
    -LE "${SMX_ASAN_EXCLUDE:-^slow$}" "$@" || rc=$?
echo "sweepmux: the sanitizer pass's tests took $((SECONDS - t1)) s" >&2
exit "$rc"
