#!/usr/bin/env bash
# Installs the dependencies (Debian 12, as root), builds, and runs the whole test suite with ctest:
# unit, mpi, cli and slurm tests (the Slurm tests start and stop a throwaway one-node cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
SMX_WITH_SLURM=1 ./scripts/deps.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd build
ctest --output-on-failure --timeout 900 "$@"
