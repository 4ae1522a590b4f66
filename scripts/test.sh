#!/usr/bin/env bash
# Installs the dependencies (Debian 12, as root), builds, and runs the whole test suite with ctest:
# unit, mpi, cli and slurm tests (the Slurm tests start and stop a throwaway one-node cluster), all
# against Open MPI; then the MPICH pass (scripts/test-mpich.sh: the tests whose outcome depends on
# the MPI, again against MPICH) and the sanitizer pass (scripts/test-asan.sh: the unit, MPI, CLI
# and Python tests under ASan+UBSan and 20 s of each fuzz harness). Without arguments it also runs
# scripts/demo.sh, the README's first set-up command. Extra arguments go to the first ctest;
# SMX_MPICH_PASS=0 and SMX_SANITIZE_PASS=0 skip those passes.
set -euo pipefail
cd "$(dirname "$0")/.."
SMX_WITH_SLURM=1 ./scripts/deps.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
(cd build && ctest --output-on-failure --timeout 900 "$@")
# The README's first set-up command, as a newcomer runs it (only for a whole-suite run).
if (($# == 0)); then
  ./scripts/demo.sh
fi
if [[ "${SMX_MPICH_PASS:-1}" != 0 ]]; then
  ./scripts/test-mpich.sh
fi
if [[ "${SMX_SANITIZE_PASS:-1}" != 0 ]]; then
  ./scripts/test-asan.sh
fi
