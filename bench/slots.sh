#!/usr/bin/env bash
# Slots as fast as ranks: one rank with `--slots K` against K ranks of one slot, K = 2 and 4,
# /bin/true tasks, `--log-mode none`, side by side (the variants of one repetition back to back,
# SMX_BENCH_REPS repetitions, 3 by default; medians). One rank runs twice: as `mpirun -n 1` binds
# it (Open MPI binds each of up to two ranks to one core, and tasks inherit the binding) and with
# `--bind-to none`. Every line carries the load average before and after. SMX_BENCH_RT=1 runs
# every variant under `chrt -r 1` (round-robin real-time priority: the other work on a shared
# machine waits, which is as close to a quiet machine as it gets; needs root). Prints a markdown
# section; bench/run.sh appends it to RESULTS.md.
#
#   bench/slots.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "${1:?usage: slots.sh BUILD_DIR}" && pwd)
PY=/usr/bin/python3
REPS=${SMX_BENCH_REPS:-3}
N=${SMX_BENCH_TASKS:-3000}
RT=()
[ "${SMX_BENCH_RT:-0}" = 1 ] && RT=(chrt -r 1)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d "$BUILD/bench-slots.XXXXXX")
trap 'rm -rf "$work"' EXIT
raw=$work/raw.txt
: >"$raw"
printf 'name: bench-true\ncommand: [/bin/true]\nparameters:\n  i: {min: 0, max: %d, step: 1}\n' \
    $((N - 1)) >"$work/true.yaml"
load() { cut -d' ' -f1 /proc/loadavg; }

# one VARIANT K P SLOTS [MPIRUN-ARGS...]: one `sweepmux run`, its wall time.
one() {
    local variant=$1 k=$2 p=$3 slots=$4 st=$work/run.h5 l0 t0 t1
    shift 4
    rm -rf "$st" "$st.lock" "$work/run.logs"
    l0=$(load)
    t0=$(date +%s.%N)
    "${RT[@]}" mpirun -n "$p" --oversubscribe "$@" "$BUILD/sweepmux" run "$work/true.yaml" \
        --state "$st" --slots "$slots" --log-mode none >/dev/null 2>"$work/err" ||
        { cat "$work/err" >&2; return 1; }
    t1=$(date +%s.%N)
    echo "variant=$variant k=$k wall_s=$($PY -c "print('%.4f' % ($t1 - $t0))") load0=$l0 load1=$(load)" >>"$raw"
}
for rep in $(seq "$REPS"); do
    echo "[slots $(date +%T)] repetition $rep/$REPS" >&2
    for k in 2 4; do
        one ranks "$k" "$k" 1
        one slots_bound "$k" 1 "$k"
        one slots "$k" 1 "$k" --bind-to none
    done
done
$PY - "$raw" "$N" "${SMX_BENCH_RT:-0}" <<'PYEOF'
import statistics, sys
rows = [dict(t.split("=", 1) for t in l.split()) for l in open(sys.argv[1]) if l.strip()]
n, rt = int(sys.argv[2]), sys.argv[3] == "1"
def med(v, k):
    return statistics.median(float(r["wall_s"]) for r in rows if r["variant"] == v and r["k"] == k)
print("## 8. Slots as fast as ranks (bench/slots.sh)\n")
print("`sweepmux run` of %d `/bin/true` tasks, `--log-mode none`, wall clock of the whole command"
      " (mpirun start-up included), median of %d repetitions%s. Goal: one rank with `--slots K`"
      " >= 0.9x the rate of K ranks. `bound` = `mpirun -n 1` as is: Open MPI binds the rank to one"
      " core and its tasks inherit that; `--bind-to none` leaves the tasks the whole machine"
      " (sweepmux warns about the first).\n" % (
          n, len(rows) // 6, ", every run under `chrt -r 1` (real-time round robin, so other"
          " work on the machine waits)" if rt else ""))
print("| K | K ranks tasks/s | 1 rank, K slots, --bind-to none tasks/s | x ranks | goal |"
      " 1 rank, K slots, bound to one core tasks/s | x ranks |")
print("|---|---|---|---|---|---|---|")
for k in ("2", "4"):
    a, b, c = med("ranks", k), med("slots", k), med("slots_bound", k)
    print("| %s | %.0f | %.0f | %.2f | %s | %.0f | %.2f |" % (
        k, n / a, n / b, a / b, "met" if a / b >= 0.9 else "**MISSED**", n / c, a / c))
loads = [float(r[k]) for r in rows for k in ("load0", "load1")]
print("\nLoad average (1 min) before/after these measurements: %.2f - %.2f.\n" % (min(loads), max(loads)))
print("Raw lines:\n\n```\n" + open(sys.argv[1]).read() + "```")
PYEOF
