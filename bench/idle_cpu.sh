#!/usr/bin/env bash
# Rank 0's CPU use while idle: 4 ranks (oversubscribed) each run one `sleep` task, so every rank
# just waits; each rank's CPU time is sampled from /proc over a window and printed as a markdown
# table. Goal: rank 0 under 2 % of a core (it must keep calling MPI so claims progress on
# networks without hardware atomics, but must not spin). Optional first argument: --mca words.
# usage: bench/idle_cpu.sh BUILD_DIR [MCA ARGS...]
set -euo pipefail
BUILD=$(cd "${1:?usage: idle_cpu.sh BUILD_DIR}" && pwd)
shift
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d /tmp/smx-idle.XXXXXX)
trap 'kill -USR1 "$mp" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/idle.yaml" <<'Y'
name: idle
command: [sleep, "30", "{i}"]
parameters:
  i: {min: 1, max: 4}
Y
mpirun -n 4 --oversubscribe "$@" "$BUILD/sweepmux" run "$work/idle.yaml" --state "$work/idle.h5" \
    --grace 0 >/dev/null 2>&1 &
mp=$!
sleep 4 # start-up, and every rank has its task
ticks=$(getconf CLK_TCK)
declare -A rank_of
for p in $(pgrep -f "$BUILD/sweepmux run $work/idle.yaml" || true); do
    r=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
    [[ -n "$r" ]] && rank_of[$p]=$r
done
declare -A t0
for p in "${!rank_of[@]}"; do t0[$p]=$(awk '{print $14 + $15}' "/proc/$p/stat"); done
window=10
sleep $window
echo "| rank | CPU % of one core over ${window} s |"
echo "|---|---|"
for p in "${!rank_of[@]}"; do
    t1=$(awk '{print $14 + $15}' "/proc/$p/stat")
    echo "${rank_of[$p]} $(awk -v a="${t0[$p]}" -v b="$t1" -v hz="$ticks" -v w=$window \
        'BEGIN { printf "%.2f", 100 * (b - a) / hz / w }')"
done | sort -n | awk '{ printf "| %s | %s |\n", $1, $2 }'
