#!/usr/bin/env bash
# Library loop side by side: the raw claim loop and bench/lib_loop of two builds (e.g. main before
# and after a change), back to back in each repetition, P = 2 on shared memory, chunk 1 (N = 2e6)
# and 16 (N = 2e7). Prints one line per run with the load average before it.
#
#   bench/lib_loop_ab.sh BUILD_BEFORE BUILD_AFTER [REPS]
#
# The ratio to raw depends on what a claim costs on the machine (the counter's cache line moving
# between cores), which varies from run to run on a VM: compare builds within one run.
set -euo pipefail
if [ $# -lt 2 ] || [ ! -x "$1/bench/lib_loop" ] || [ ! -x "$2/bench/lib_loop" ]; then
    echo "usage: bench/lib_loop_ab.sh BUILD_BEFORE BUILD_AFTER [REPS]" >&2
    exit 2
fi
BEFORE=$(cd "$1" && pwd)
AFTER=$(cd "$2" && pwd)
REPS=${3:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d "$AFTER/bench-ab.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
for ((rep = 1; rep <= REPS; rep++)); do
    for chunk in 1 16; do
        n=2000000
        [ "$chunk" = 16 ] && n=20000000
        echo "build=raw load=$(load) $(mpirun -n 2 "$AFTER/bench/lib_loop" raw $n $chunk)"
        for b in before after; do
            dir=$BEFORE
            [ $b = after ] && dir=$AFTER
            echo "build=$b load=$(load) $(mpirun -n 2 "$dir/bench/lib_loop" smx $n $chunk "$WORK/loop.h5")"
            rm -f "$WORK/loop.h5" "$WORK/loop.h5.lock"
        done
    done
done
