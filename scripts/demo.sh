#!/usr/bin/env bash
# Installs the dependencies (Debian 12, as root), builds, and runs the example sweep
# sweeps/demo.yaml under mpirun with 4 ranks, then shows its status.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=$(mktemp -d /tmp/sweepmux-demo.XXXXXX)
./build/sweepmux check sweeps/demo.yaml --show 3
mpirun -n 4 --oversubscribe ./build/sweepmux run sweeps/demo.yaml --state "$out/demo.h5" --logs "$out/logs"
./build/sweepmux status "$out/demo.h5"
echo "state file: $out/demo.h5 (try: ./build/sweepmux export $out/demo.h5 --format csv)"
