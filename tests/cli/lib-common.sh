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
# Time limits (never assertions) grow by this factor where every process is slower: the sanitizer
# build sets it (tests/CMakeLists.txt).
SMX_TIME_SCALE=${SMX_TIME_SCALE:-1}

# scaled SECONDS: a time limit of SECONDS on an ordinary build, scaled by SMX_TIME_SCALE.
scaled() { echo $(($1 * SMX_TIME_SCALE)); }

TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
T0=$(date +%s.%N)

# Launcher pids of background jobs started with `bg_setsid`; their processes are killed on exit so a
# failing test leaves nothing running.
SMX_JOBS=()

log() { printf '[%s %6.1fs] %s\n' "$TEST_NAME" "$(awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN{print a-b}')" "$*" >&2; }

fail() {
    printf '\nFAIL [%s]: %s\n' "$TEST_NAME" "$*" >&2
    exit 1
}

# The processes of a background job are found by lineage only: job_pids and kill_job select the
# launcher that bg_setsid started and its descendants, and nothing else. MPICH's hydra starts each
# rank in a session of its own and a rank may outlive its launcher (reparented to init), so neither
# one session id nor the current parent links alone describe a job; instead every process ever seen
# as a member is remembered in $SCRATCH/.job.LAUNCHER as "PID START" (START: its start time in clock
# ticks, field 22 of /proc/PID/stat), and a remembered pid counts only while a process with that pid
# and that start time lives, so a reused pid never matches.

# job_pids LAUNCHER: pids still alive (zombies left out) of the job bg_setsid started as LAUNCHER:
# remembered members that still live, their children, and members of a session whose leader is a
# live member (every member of a session descends from its leader), repeated until nothing is added.
job_pids() {
    local known="$SCRATCH/.job.$1"
    [ -s "$known" ] || return 0
    # One line per process; a process that ends during the listing is simply missing.
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v known="$known" '
        BEGIN { while ((getline l < known) > 0) { split(l, f, " "); seen[f[1]] = f[2] } close(known) }
        /^[0-9]+ \(/ {
            pid = substr($0, 1, index($0, " (") - 1)
            rest = $0
            sub(/.*\) /, "", rest) # the command name may hold blanks and parentheses: cut at the last ") "
            if (split(rest, f, " ") < 20) next
            state[pid] = f[1]; parent[pid] = f[2]; sid[pid] = f[4]; start[pid] = f[20]; order[++n] = pid
        }
        END {
            for (p in seen) if ((p in start) && start[p] == seen[p]) member[p] = 1
            do {
                grew = 0
                for (k = 1; k <= n; k++) {
                    p = order[k]
                    if (p in member) continue
                    if ((parent[p] in member) || (sid[p] in member)) { member[p] = 1; grew = 1 }
                }
            } while (grew)
            for (p in member) if (!(p in seen)) print p, start[p] >> known
            close(known)
            for (p in member) if (state[p] != "Z") print p
        }'
}

# kill_job LAUNCHER: SIGKILL every process of the job (see job_pids). The job is frozen first
# (SIGSTOP, listed again until the listing finds no one new, since a stopped process cannot fork), so
# no child started between a listing and the kill escapes; repeated until no process is left.
kill_job() {
    local launcher=$1 pids all new i j p
    for i in $(seq 1 50); do
        all=" "
        for j in $(seq 1 20); do
            new=""
            pids=$(job_pids "$launcher")
            for p in $pids; do
                case $all in *" $p "*) ;; *) new="$new $p" ;; esac
            done
            [ -n "$new" ] || break
            kill -STOP $new 2>/dev/null || true
            all="$all${new# } "
        done
        [ -n "${all// /}" ] || return 0
        kill -KILL $all 2>/dev/null || true
        sleep 0.02
    done
    echo "warning: processes of job $launcher survive SIGKILL: $(job_pids "$launcher")" >&2
}

smx_cleanup() {
    local rc=$? job
    for job in "${SMX_JOBS[@]}"; do kill_job "$job"; done
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
smx() { timeout -k 5 "$(scaled "$SMX_TIMEOUT")" "$SWEEPMUX" "$@"; }

# mpi P ARGS...: run `sweepmux ARGS` on P ranks with a time limit.
mpi() {
    local np=$1
    shift
    timeout -k 5 "$(scaled "$SMX_TIMEOUT")" "$MPIEXEC" -n "$np" ${SMX_MCA:-} "$SWEEPMUX" "$@"
}

# is_openmpi: whether $MPIEXEC is Open MPI's (mpiexec (OpenRTE) ...) rather than MPICH's hydra.
is_openmpi() { "$MPIEXEC" --version 2>&1 | grep -Eq 'OpenRTE|Open MPI|open-mpi'; }

# launcher_stop_rc RC OUTFILE: the exit code of a run stopped by a signal sent to the launcher, as
# the test should judge it. MPICH's mpiexec (hydra) forwards the signal and waits for the ranks, but
# the code it then exits with is unreliable: now and then 0 although a rank exited 3 (seen with plain
# `sh -c 'exit 3'` ranks as well, so it is hydra's). Under hydra a 0 therefore counts as 3 when rank
# 0's own last words in OUTFILE say it stopped resumably; any other code is judged as it is.
launcher_stop_rc() {
    if [ "$1" = 0 ] && ! is_openmpi && grep -q '^sweepmux: stopped (signal' "$2"; then
        log "the launcher exited 0, but rank 0 stopped resumably (exit 3): hydra's exit code after a forwarded signal"
        echo 3
    else
        echo "$1"
    fi
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

# bg_setsid OUTFILE CMD...: start CMD in a new session in the background; sets BG_PID (its pid, the
# session's id, and the launcher job_pids and kill_job know the job by).
bg_setsid() {
    local out=$1 stat
    shift
    setsid "$@" >"$out" 2>&1 &
    BG_PID=$!
    # Read right after the fork: only a job that had already ended and whose pid was reused within
    # this instant could be mistaken, and one that has ended leaves no file (nothing to kill).
    stat=$(cat "/proc/$BG_PID/stat" 2>/dev/null) || stat=""
    if [ -n "$stat" ]; then
        echo "$BG_PID $(printf '%s\n' "${stat##*) }" | awk '{ print $20 }')" >"$SCRATCH/.job.$BG_PID"
    fi
    SMX_JOBS+=("$BG_PID")
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
