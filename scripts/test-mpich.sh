#!/usr/bin/env bash
# The second MPI configuration: builds sweepmux against MPICH into ./build-mpich
# (-DMPI_EXECUTABLE_SUFFIX=.mpich: mpicc.mpich, mpiexec.mpich) and runs its unit, mpi and cli tests
# with mpiexec.mpich. Run it after scripts/test.sh (which installs mpich); extra arguments go to
# ctest. Tests labelled `slow` (long chaos runs already covered under Open MPI) are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mpiexec.mpich >/dev/null || { echo "test-mpich.sh: mpiexec.mpich missing (scripts/deps.sh installs mpich)" >&2; exit 2; }
cmake -S . -B build-mpich -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPI_EXECUTABLE_SUFFIX=.mpich >/dev/null
cmake --build build-mpich -j "$(nproc)"
cd build-mpich
ctest --output-on-failure --timeout 900 -L '^(unit|mpi|cli)$' -LE '^slow$' "$@"
