#!/usr/bin/env bash
# Installs what sweepmux needs on Debian 12 (as root) and builds it into ./build.
# Used by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake pkg-config libopenmpi-dev openmpi-bin mpich libmpich-dev libhdf5-dev hdf5-tools
      libyaml-dev libcunit1-dev python3 python3-h5py python3-numpy python3-pandas python3-matplotlib
      python3-venv chromium help2man procps clang libclang-rt-14-dev)
if [[ "${SMX_WITH_SLURM:-0}" == 1 ]]; then
  pkgs+=(slurm-wlm slurmctld slurmd slurm-client munge)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "sweepmux: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
