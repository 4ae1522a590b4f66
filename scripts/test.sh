#!/usr/bin/env bash
# Installs the dependencies (Debian 12, as root), builds, and runs the whole test suite with ctest:
# unit, mpi, cli, python and slurm tests (the Slurm tests start and stop a throwaway one-node
# cluster); then the sanitizer pass (scripts/test-asan.sh): the unit tests again and bounded fuzz
# runs in a clang ASan+UBSan build. Extra arguments go to both ctest runs. Each phase prints its
# duration.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
SMX_WITH_SLURM=1 ./scripts/deps.sh
echo "sweepmux: dependencies and build/ took $((SECONDS - t0)) s" >&2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
t1=$SECONDS
(cd build && ctest --output-on-failure --timeout 900 "$@")
echo "sweepmux: the test suite took $((SECONDS - t1)) s" >&2
./scripts/test-asan.sh "$@"
echo "sweepmux: CI took $((SECONDS - t0)) s in all" >&2
