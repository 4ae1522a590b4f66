#!/usr/bin/env bash
# Fuzzes the parsers for longer than CI does: scripts/fuzz.sh [SECONDS-PER-HARNESS] [HARNESS...]
# (default 600 s each; harnesses: spec csv template results state). Builds build-fuzz with clang,
# libFuzzer, ASan and UBSan, and keeps what it learns in build-fuzz/fuzz/work/NAME. A crash, leak or
# UB report stops that harness and leaves the input as build-fuzz/fuzz/work/NAME/crash-*: fix the
# bug, then add the input to fuzz/corpus/NAME/ so the CI run keeps checking it.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(spec csv template results state)
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMX_SANITIZE=ON -DSMX_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0
rc=0
for h in "${harnesses[@]}"; do
    work=build-fuzz/fuzz/work/$h
    mkdir -p "$work"
    echo "sweepmux: fuzzing $h for $secs s" >&2
    args=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
    if [[ $h == state ]]; then
        # State-file seeds are up to 9 KiB (fuzz/state_seed.py); HDF5's own crashes on damaged
        # files are told apart from sweepmux's by fuzz/run_state.sh.
        fuzz/run_state.sh build-fuzz/fuzz/fuzz_state "$secs" "$work" fuzz/corpus/state \
            -malloc_limit_mb=1048576 -max_len=16384 "${args[@]}" || rc=1
        continue
    fi
    "build-fuzz/fuzz/fuzz_$h" -max_total_time="$secs" -artifact_prefix="$work/" -max_len=8192 "${args[@]}" \
        "$work" "fuzz/corpus/$h" || rc=1
done
exit $rc
