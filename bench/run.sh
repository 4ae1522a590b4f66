#!/usr/bin/env bash
# Runs every benchmark against an existing build and rewrites bench/RESULTS.md.
#
#   bench/run.sh BUILD_DIR
#
# Builds nothing: configure and build first (cmake -S . -B build-bench && cmake --build build-bench).
# Every ratio is measured side by side in the same run (the variants of one repetition run back to
# back), each measurement is repeated SMX_BENCH_REPS times (3) and the median is reported; the
# 1e8-element runs (a library sweep to completion, resume, checkpoint, status) once
# (SMX_BENCH_BIG_REPS). About 15 minutes on 2 cores, ~2 GB of RAM, ~10 GB of (sparse) disk.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: bench/run.sh BUILD_DIR" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$1" && pwd)
SMX=$BUILD/sweepmux
for exe in "$SMX" "$BUILD/bench/lib_loop" "$BUILD/bench/spawn_raw" "$BUILD/bench/ckpt"; do
    if [ ! -x "$exe" ]; then
        echo "bench/run.sh: $exe is missing; build $BUILD first" >&2
        exit 2
    fi
done
PY=/usr/bin/python3 # has h5py; the pyenv python3 does not
REPS=${SMX_BENCH_REPS:-3}
BIG_REPS=${SMX_BENCH_BIG_REPS:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
PT2PT=(--mca osc pt2pt --mca btl tcp,self)
# SMX_BENCH_SECTIONS picks sections (e.g. "2 3"); the default runs all of them.
SECTIONS=" ${SMX_BENCH_SECTIONS:-1 2 3 4 5 6 7 8} "
want() { [[ $SECTIONS == *" $1 "* ]]; }

# State files go on the build directory's file system (a real disk: fsync costs what it costs).
WORK=$(mktemp -d "$BUILD/bench-work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RAW=$WORK/raw.txt
: >"$RAW"
log() { echo "[bench $(date +%T)] $*" >&2; }
# Every record carries the 1-minute load average before (load0, set by mark) and after (load1) the
# measurement: the machine is shared, and a figure taken above a load of ~3 should be repeated.
LOAD0=
load() { cut -d' ' -f1 /proc/loadavg; }
mark() { LOAD0=$(load); }
rec() { echo "$* load0=$LOAD0 load1=$(load)" >>"$RAW"; }
now() { date +%s.%N; }
elapsed() { $PY -c "import sys; print('%.4f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
# The run's own duration from the jobs table (coordinator start to its final sync).
job_s() {
    $PY - "$1" <<'PYEOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    j = f["sessions/default/jobs"][0]
    print("%.4f" % (j["t_end"] - j["t_start"]))
PYEOF
}

# ---- 1. tasks/s for /bin/true ---------------------------------------------------------------
N1=${SMX_BENCH_TASKS:-3000}
SPEC=$WORK/true.yaml
printf 'name: bench-true\ncommand: [/bin/true]\nparameters:\n  i: {min: 0, max: %d, step: 1}\n' \
    $((N1 - 1)) >"$SPEC"

# smx_run CFG P SLOTS LOGMODE: one `sweepmux run`, wall clock and job duration recorded.
smx_run() {
    local cfg=$1 p=$2 slots=$3 mode=$4 st=$WORK/run.h5 t0 t1 lm=()
    rm -rf "$st" "$st.lock" "$WORK/run.logs"
    [ "$mode" = default ] || lm=(--log-mode "$mode")
    mark
    t0=$(now)
    # One rank with several slots runs unbound: Open MPI binds a lone rank to one core, which its
    # tasks would share (section 8 shows both).
    local bind=()
    [ "$slots" -gt 1 ] && bind=(--bind-to none)
    mpirun -n "$p" --oversubscribe "${bind[@]}" "$SMX" run "$SPEC" --state "$st" --slots "$slots" "${lm[@]}" \
        >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }
    t1=$(now)
    rec "b=tasks cfg=$cfg kind=smx_$mode wall_s=$(elapsed "$t0" "$t1") loop_s=$(job_s "$st")"
}
raw_run() {
    local cfg=$1 p=$2 t0 t1 out
    mark
    t0=$(now)
    out=$(mpirun -n "$p" --oversubscribe "$BUILD/bench/spawn_raw" "$N1" 1)
    t1=$(now)
    rec "b=tasks cfg=$cfg kind=raw wall_s=$(elapsed "$t0" "$t1") $(echo "$out" | grep -o 'loop_s=[0-9.]*')"
}
xargs_run() {
    local cfg=$1 p=$2 t0 t1
    mark
    t0=$(now)
    seq "$N1" | xargs -P "$p" -n 1 /bin/true
    t1=$(now)
    rec "b=tasks cfg=$cfg kind=xargs wall_s=$(elapsed "$t0" "$t1") loop_s=$(elapsed "$t0" "$t1")"
}
want 1 && for rep in $(seq "$REPS"); do
    log "1. tasks/s, repetition $rep/$REPS"
    for cfg in P2 P4 P1S2 P1S4; do
        case $cfg in
        P2) p=2 slots=1 par=2 ;;
        P4) p=4 slots=1 par=4 ;;
        P1S2) p=1 slots=2 par=2 ;;
        P1S4) p=1 slots=4 par=4 ;;
        esac
        smx_run "$cfg" $p $slots none
        smx_run "$cfg" $p $slots default
        raw_run "$cfg" $par
        xargs_run "$cfg" $par
    done
done

# ---- 2. library loop, microsecond elements ------------------------------------------------------
# Chunk 16 runs 10x the elements of chunk 1: the raw loop does 16x fewer atomics, and the fixed
# cost of the final fsync at close should not dominate a loop of a few milliseconds.
N2=${SMX_BENCH_LOOP_N:-1000000}
N2PT=${SMX_BENCH_LOOP_N_PT2PT:-200000}
loop_run() { # NET N MODE CHUNK
    local net=$1 n=$2 mode=$3 chunk=$4 extra=()
    [ "$net" = pt2pt ] && extra=("${PT2PT[@]}")
    local out
    mark
    out=$(mpirun -n 2 "${extra[@]}" "$BUILD/bench/lib_loop" "$mode" "$n" "$chunk" "$WORK/loop.h5")
    rm -f "$WORK/loop.h5" "$WORK/loop.h5.lock"
    rec "b=loop net=$net $out"
}
want 2 && for rep in $(seq "$REPS"); do
    log "2. library loop, repetition $rep/$REPS"
    for chunk in 1 16; do
        f=1
        [ $chunk = 16 ] && f=10
        loop_run sm $((N2 * f)) raw $chunk
        loop_run sm $((N2 * f)) smx $chunk
        loop_run pt2pt $((N2PT * f)) raw $chunk
        loop_run pt2pt $((N2PT * f)) smx $chunk
    done
done

# ---- 3. rank-0 memory per element; 1e8 elements to completion in library mode -------------------
want 3 && for n in 100000 1000000 10000000 100000000; do
    reps=$REPS
    [ $n -ge 100000000 ] && reps=$BIG_REPS
    for rep in $(seq "$reps"); do
        log "3. memory, N=$n, repetition $rep/$reps"
        mark
        out=$(mpirun -n 2 "$BUILD/bench/lib_loop" smx $n 16 "$WORK/mem.h5")
        rm -f "$WORK/mem.h5" "$WORK/mem.h5.lock"
        rec "b=mem $out"
    done
done

# ---- 4. checkpoint, resume and status -------------------------------------------------------------
want 4 && for n in 100000 1000000 10000000 100000000; do
    reps=$REPS
    [ $n -ge 100000000 ] && reps=$BIG_REPS
    for rep in $(seq "$reps"); do
        log "4. checkpoint/resume, N=$n, repetition $rep/$reps"
        k=$((n / 20 < 100000 ? n / 20 : 100000))
        mark
        prep=$("$BUILD/bench/ckpt" prep $n "$WORK/ck.h5" 0.5)
        t0=$(now)
        "$SMX" status "$WORK/ck.h5" --json >/dev/null
        t1=$(now)
        out=$(mpirun -n 1 "$BUILD/bench/ckpt" resume "$WORK/ck.h5" $k)
        rm -f "$WORK/ck.h5" "$WORK/ck.h5.lock"
        rec "b=ckpt n=$n $prep status_s=$(elapsed "$t0" "$t1") $out"
    done
done

# ---- 6. durability lag: re-runs per kill -9 (tests/mpi/kill9_chaos.sh, 50-100 ms tasks) ---------
lag=
want 6 && log "6. durability lag (kill -9 chaos test, ${SMX_BENCH_CHAOS_KILLS:-8} kills)" && mark &&
    lag=$(cd "$BUILD" && SMX_CHAOS_KILLS=${SMX_BENCH_CHAOS_KILLS:-8} SMX_CHAOS_WINDOW_MS=${SMX_BENCH_CHAOS_WINDOW_MS:-4000} ctest -R '^mpi.kill9_chaos$' -V 2>&1 |
    grep -o 'chaos-lag: .*' | sed 's/^chaos-lag: //' || true)
[ -n "$lag" ] && rec "b=lag $lag"

log "writing $HERE/RESULTS.md"
$PY "$HERE/report.py" "$RAW" "$HERE/analysis.md" "$BUILD" >"$HERE/RESULTS.md.tmp"
mv "$HERE/RESULTS.md.tmp" "$HERE/RESULTS.md"
want 5 && log "5. rank 0 idle CPU" && {
    echo
    echo "## 5. Rank 0's CPU use while idle (bench/idle_cpu.sh)"
    echo
    echo "4 ranks, each running one 30 s \`sleep\`; CPU time per rank over 10 s. Goal: rank 0 under 2 % of a core."
    echo
    echo "Default one-sided path (shared memory):"
    echo
    bash "$HERE/idle_cpu.sh" "$BUILD"
    echo
    echo "TCP without hardware atomics (\`--mca osc pt2pt --mca btl tcp,self\`: rank 0 must keep calling MPI):"
    echo
    bash "$HERE/idle_cpu.sh" "$BUILD" --mca osc pt2pt --mca btl tcp,self --mca pml ob1 --mca btl_tcp_if_include 127.0.0.0/8
} >>"$HERE/RESULTS.md"
want 8 && log "8. slots vs ranks" && {
    echo
    bash "$HERE/slots.sh" "$BUILD"
} >>"$HERE/RESULTS.md"
want 7 && log "7. claim paths" && {
    echo
    bash "$HERE/claims.sh" "$BUILD"
} >>"$HERE/RESULTS.md"
cp "$RAW" "$HERE/raw-results.txt"
log "done"
