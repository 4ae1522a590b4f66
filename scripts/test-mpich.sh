#!/usr/bin/env bash
# The second MPI configuration: builds sweepmux against MPICH into ./build-mpich
# (-DMPI_EXECUTABLE_SUFFIX=.mpich: mpicc.mpich, mpiexec.mpich) and runs, with mpiexec.mpich, the
# unit tests, the mpi tests and the end-to-end tests labelled `launcher` (those whose outcome depends
# on the MPI: several ranks, signals through the launcher, one-rank runs without one, exit codes,
# the package's MPI). Left out: tests labelled `slow` (the kill -9 chaos run) and the other cli,
# python and slurm tests, whose subject (the state file, specs, output) does not depend on the MPI;
# they run under Open MPI in scripts/test.sh. scripts/test.sh calls this after its own run (deps.sh
# installs mpich); extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mpiexec.mpich >/dev/null || { echo "test-mpich.sh: mpiexec.mpich missing (scripts/deps.sh installs mpich)" >&2; exit 2; }
cmake -S . -B build-mpich -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPI_EXECUTABLE_SUFFIX=.mpich >/dev/null
cmake --build build-mpich -j "$(nproc)"
cd build-mpich
ctest --output-on-failure --timeout 900 -L '^(unit|mpi|launcher)$' -LE '^slow$' "$@"
