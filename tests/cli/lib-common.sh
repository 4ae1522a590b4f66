# Shared helpers for the end-to-end tests under tests/cli and tests/mpi. Sourced, never run: ctest skips
# files whose name starts with "lib".
#
# Every test runs the real sweepmux binary (under a real mpiexec where it says so) against real HDF5 files
# and real child processes, in a scratch directory that is removed on exit. Every sweepmux/mpiexec call is
# wrapped in `timeout` so a hang becomes a failure with a message instead of a stuck ctest.

set -euo pipefail

SMX_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SMX_SOURCE_DIR:=$(cd "$SMX_LIB_DIR/../.." && pwd)}"
: "${SWEEPMUX:=${SMX_BUILD_DIR:-$SMX_SOURCE_DIR/build}/sweepmux}"
: "${MPIEXEC:=mpiexec}"
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
# The system interpreter has h5py and numpy; the pyenv one on PATH may not.
PY=/usr/bin/python3
# Default time limit (seconds) for one sweepmux or mpiexec call.
SMX_TIMEOUT=${SMX_TIMEOUT:-90}

TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
T0=$(date +%s.%N)

# Session ids of background jobs started with `bg_setsid`; their processes are killed on exit so a
# failing test leaves nothing running.
SMX_SIDS=()

log() { printf '[%s %6.1fs] %s\n' "$TEST_NAME" "$(awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN{print a-b}')" "$*" >&2; }

fail() {
    printf '\nFAIL [%s]: %s\n' "$TEST_NAME" "$*" >&2
    exit 1
}

# kill_session SID: SIGKILL every process whose session id is SID (the whole job, including the
# ranks' and tasks' own process groups).
# A process forked between the listing and the kill would escape one round, so repeat until none is left.
kill_session() {
    local sid=$1 pids i
    for i in $(seq 1 50); do
        pids=$(session_pids "$sid")
        [ -n "$pids" ] || return 0
        kill -KILL $pids 2>/dev/null || true
        sleep 0.02
    done
    echo "warning: processes of session $sid survive SIGKILL: $(session_pids "$sid")" >&2
}

# session_pids SID: pids still alive in session SID (empty when none).
session_pids() {
    ps -eo pid=,sid=,stat= | awk -v s="$1" '$2 == s && $3 !~ /^Z/ { print $1 }'
}

smx_cleanup() {
    local rc=$? sid
    for sid in "${SMX_SIDS[@]}"; do kill_session "$sid"; done
    if [ "$rc" -ne 0 ] && [ -n "${KEEP_SCRATCH:-}" ]; then
        echo "scratch kept in $SCRATCH" >&2
    else
        rm -rf "$SCRATCH"
    fi
    if [ "$rc" -eq 0 ]; then
        log "PASS"
    fi
    exit "$rc"
}

[ -x "$SWEEPMUX" ] || fail "SWEEPMUX=$SWEEPMUX is not an executable"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/smx-$TEST_NAME.XXXXXX")
trap smx_cleanup EXIT
cd "$SCRATCH"

# smx ARGS...: run sweepmux with a time limit; output goes where the caller redirects it.
smx() { timeout -k 5 "$SMX_TIMEOUT" "$SWEEPMUX" "$@"; }

# mpi P ARGS...: run `sweepmux ARGS` on P ranks with a time limit.
mpi() {
    local np=$1
    shift
    timeout -k 5 "$SMX_TIMEOUT" "$MPIEXEC" -n "$np" --oversubscribe ${SMX_MCA:-} "$SWEEPMUX" "$@"
}

# expect_rc WANT DESCRIPTION CMD...: run CMD, capture stdout+stderr in $OUTPUT (and file last.out), fail
# unless it exits WANT.
expect_rc() {
    local want=$1 what=$2 rc=0
    shift 2
    "$@" >last.out 2>&1 || rc=$?
    OUTPUT=$(cat last.out)
    if [ "$rc" -ne "$want" ]; then
        printf '%s\n' "$OUTPUT" | tail -n 40 >&2
        fail "$what: expected exit $want, got $rc from: $*"
    fi
}

# bg_setsid OUTFILE CMD...: start CMD in a new session in the background; sets BG_PID (= its sid).
bg_setsid() {
    local out=$1
    shift
    setsid "$@" >"$out" 2>&1 &
    BG_PID=$!
    SMX_SIDS+=("$BG_PID")
}

# wait_rc PID: wait for a background job of this shell and set WAIT_RC to its exit code (not in a
# $(...) subshell: a subshell cannot wait for its parent's children).
wait_rc() {
    WAIT_RC=0
    wait "$1" || WAIT_RC=$?
}

# status_json RUN.h5 [ARGS...]: print `sweepmux status --json`, failing if it does not work.
status_json() {
    local f=$1 rc=0
    shift
    smx status "$f" --json "$@" >status.json 2>status.err || rc=$?
    [ "$rc" -eq 0 ] || { cat status.err >&2; fail "status --json $f $* exited $rc"; }
    cat status.json
}

# jget KEY < JSON: one top-level key of a JSON object (python repr for non-scalars).
jget() { "$PY" -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(json.dumps(v) if isinstance(v,(list,dict)) else v)' "$1"; }

# write_recorder PATH: a task helper that appends one line "INDEX ATTEMPT RANK SLOT PID" to $SMX_REC
# (a single small write with O_APPEND, atomic between concurrent writers) and exits 0. Its arguments
# are ignored (specs pass "{x}" so the parameter counts as used).
write_recorder() {
    cat >"$1" <<'EOF'
#!/bin/sh
printf '%s %s %s %s %s\n' "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" "$SWEEPMUX_RANK" "$SWEEPMUX_SLOT" "$$" >> "$SMX_REC"
exit 0
EOF
    chmod +x "$1"
}

# check_exactly_once RECFILE N: every index 0..N-1 appears exactly once in the first column.
check_exactly_once() {
    local rec=$1 n=$2 dups lines missing
    lines=$(wc -l <"$rec")
    dups=$(awk '{print $1}' "$rec" | sort -n | uniq -d | head -n 5 | tr '\n' ' ')
    [ -z "$dups" ] || fail "indices executed more than once (first: $dups) in $rec"
    missing=$(awk -v n="$n" '{seen[$1]=1} END {c=0; for (i=0;i<n;i++) if (!(i in seen)) {c++; if (c<=5) printf "%d ", i} }' "$rec")
    [ -z "$missing" ] || fail "indices never executed (first: $missing) in $rec"
    [ "$lines" -eq "$n" ] || fail "expected $n executions, got $lines"
}

# h5check RUN.h5 SESSION PYTHON-CODE: run assertions against the state file with h5py; the code sees
# `s` (the session group), `f` (the file), np, and `fail(msg)`.
h5check() {
    local f=$1 sess=$2 code=$3
    "$PY" - "$f" "$sess" <<EOF || fail "state file check failed for $f session $sess"
import sys, h5py, numpy as np
def fail(msg):
    print("state file check: " + msg, file=sys.stderr)
    sys.exit(1)
f = h5py.File(sys.argv[1], "r")
s = f["sessions"][sys.argv[2]]
$code
EOF
}

# csv_rows CSVFILE: number of data rows (header excluded).
csv_rows() { "$PY" -c 'import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))' "$1"; }
