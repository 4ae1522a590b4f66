#!/usr/bin/env bash
# --gpus-per-slot: each slot's tasks see their own CUDA_VISIBLE_DEVICES share, counted within an
# inherited CUDA_VISIBLE_DEVICES (as Slurm sets it); too few devices is an input error (exit 2).
set -euo pipefail
: "${SWEEPMUX:?}"
d=$(mktemp -d /tmp/smx-gpus.XXXXXX)
trap 'rm -rf "$d"' EXIT
cd "$d"
cat > g.yaml <<'Y'
name: gpus
command: [sh, -c, 'echo "$SWEEPMUX_SLOT $CUDA_VISIBLE_DEVICES" >> seen.txt; sleep 0.2', "{x}"]
parameters:
  x: {min: 1, max: 8}
Y
check() { # expected lines "slot devices", sorted
    local want=$1
    got=$(sort -u seen.txt | tr '\n' ';')
    [[ "$got" == "$want" ]] || { echo "saw '$got', want '$want'"; exit 1; }
}
env -u CUDA_VISIBLE_DEVICES timeout $((60 * ${SMX_TIME_SCALE:-1})) "$SWEEPMUX" run g.yaml --state a.h5 --slots 2 --gpus-per-slot 2 2>/dev/null
check "0 0,1;1 2,3;"
rm -f seen.txt
CUDA_VISIBLE_DEVICES=GPU-a,GPU-b,GPU-c timeout $((60 * ${SMX_TIME_SCALE:-1})) "$SWEEPMUX" run g.yaml --state b.h5 --slots 3 --gpus-per-slot 1 2>/dev/null
check "0 GPU-a;1 GPU-b;2 GPU-c;"
set +e
CUDA_VISIBLE_DEVICES=4,5 timeout $((60 * ${SMX_TIME_SCALE:-1})) "$SWEEPMUX" run g.yaml --state c.h5 --slots 2 --gpus-per-slot 2 2> err.txt
rc=$?
set -e
[[ $rc -eq 2 ]] || { echo "too few GPUs: exit $rc, want 2"; cat err.txt; exit 1; }
grep -q "needs 4 GPUs" err.txt || { echo "no clear message"; cat err.txt; exit 1; }
echo "gpus: ok"
