#!/usr/bin/env bash
# The two claim paths side by side: MPI one-sided claims (the window, SWEEPMUX_CLAIMS=rma) and
# claims served by rank 0 over point-to-point messages (SWEEPMUX_CLAIMS=p2p, the fallback when the
# MPI cannot make the window). Prints a markdown section on stdout; bench/run.sh appends it to
# RESULTS.md. Each configuration is repeated SMX_BENCH_REPS times (3), the variants of one
# repetition back to back, and the median is reported.
#
#   bench/claims.sh BUILD_DIR
#
# (a) library loop (`bench/lib_loop smx`), trivial elements, 4 ranks, chunk 1 and 16: the claim
#     path's cost per element where nothing else costs anything;
# (b) `sweepmux run` of /bin/true on 4 ranks with the default guided chunks: what a command sweep
#     sees.
set -euo pipefail
BUILD=$(cd "${1:?usage: claims.sh BUILD_DIR}" && pwd)
PY=/usr/bin/python3
REPS=${SMX_BENCH_REPS:-3}
NLOOP=${SMX_BENCH_CLAIMS_LOOP_N:-100000}
NRUN=${SMX_BENCH_CLAIMS_RUN_N:-2000}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d "$BUILD/bench-claims.XXXXXX")
trap 'rm -rf "$work"' EXIT
raw=$work/raw.txt
: >"$raw"
printf 'name: bench-true\ncommand: [/bin/true]\nparameters:\n  i: {min: 0, max: %d, step: 1}\n' \
    $((NRUN - 1)) >"$work/true.yaml"

for rep in $(seq "$REPS"); do
    echo "[claims $(date +%T)] repetition $rep/$REPS" >&2
    for path in rma p2p; do
        for chunk in 1 16; do
            out=$(SWEEPMUX_CLAIMS=$path mpirun -n 4 --oversubscribe "$BUILD/bench/lib_loop" smx \
                "$NLOOP" "$chunk" "$work/loop.h5")
            rm -f "$work/loop.h5" "$work/loop.h5.lock"
            echo "b=loop path=$path chunk=$chunk $(grep -o 'elems_per_s=[0-9.]*' <<<"$out")" >>"$raw"
        done
        rm -f "$work/run.h5" "$work/run.h5.lock"
        t0=$(date +%s.%N)
        SWEEPMUX_CLAIMS=$path mpirun -n 4 --oversubscribe "$BUILD/sweepmux" run "$work/true.yaml" \
            --state "$work/run.h5" --log-mode none >/dev/null 2>&1
        t1=$(date +%s.%N)
        echo "b=run path=$path chunk=guided elems_per_s=$($PY -c "print('%.0f' % ($NRUN / ($t1 - $t0)))")" >>"$raw"
    done
done

$PY - "$raw" "$NLOOP" "$NRUN" <<'PYEOF'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(sys.argv[1]) if line.strip()]
def med(b, path, chunk):
    v = [float(r["elems_per_s"]) for r in rows if r["b"] == b and r["path"] == path and r["chunk"] == chunk]
    return statistics.median(v)
print("## 7. Claim paths: MPI one-sided window vs point-to-point through rank 0 (bench/claims.sh)")
print()
print("4 ranks on one node (oversubscribed on 2 cores), Open MPI's default one-sided path for `rma`; "
      "`p2p` is the fallback sweepmux takes when `MPI_Win_allocate` fails (forced here with "
      "`SWEEPMUX_CLAIMS=p2p`). Median of the repetitions, elements per second.")
print()
print("| benchmark | chunk | N | rma elem/s | p2p elem/s | p2p / rma |")
print("|---|---|---|---|---|---|")
for b, chunk, n, what in (("loop", "1", sys.argv[2], "library loop, trivial elements"),
                          ("loop", "16", sys.argv[2], "library loop, trivial elements"),
                          ("run", "guided", sys.argv[3], "`sweepmux run` of /bin/true")):
    a, p = med(b, "rma", chunk), med(b, "p2p", chunk)
    print("| %s | %s | %s | %.3g | %.3g | %.2f |" % (what, chunk, n, a, p, p / a))
PYEOF
