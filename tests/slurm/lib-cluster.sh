# shellcheck shell=bash
# Sourced by the Slurm tests: a throwaway one-node Slurm cluster (munged, slurmctld, slurmd) run as
# root from a scratch directory, torn down by an EXIT trap. See /work/shared/SLURM-LOCAL.md for the
# facts this relies on. Nothing here touches /etc/slurm or a system munged: every client command
# finds this cluster through the exported SLURM_CONF, and munge through its own socket.
#
# Usage in a test:
#   . "$SMX_SOURCE_DIR/tests/slurm/lib-cluster.sh"
#   smx_cluster_start            # exports SLURM_CONF, SMX_CLUSTER_DIR; installs the EXIT trap
#   id=$(smx_sbatch ...)         # sbatch --parsable, echoes the job id
#   smx_wait_queue_empty 300     # polls squeue until no job is left
#   smx_jobs_by_name NAME        # finished jobs of that name from the jobcomp log: "id state exit"
#
# SMX_CLUSTER_NODES=2 before smx_cluster_start makes two nodes, n1 and n2, on this machine: two
# slurmd (-N n1, -N n2), each on its own port in a UTS namespace of its own whose host name is the
# node's, so the job steps and tasks on each see that name (see /work/shared/MULTINODE-LOCAL.md).
#
# A missing component (binary, plugin, permission) is a test FAILURE, never a skip: the slurm label
# is only run where Slurm is meant to be installed.

set -u

smx_fail() {
    echo "FAIL: $*" >&2
    exit 1
}

smx_log() {
    printf '[%s] %s\n' "$(date +%T)" "$*" >&2
}

# Finds a TCP port nobody listens on, starting at $1, by reading /proc/net/tcp{,6} (no ss needed).
smx__free_port() {
    local p=$1 used
    used=$(awk 'NR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        sort -u)
    while :; do
        if ! grep -qx "$(printf '%04X' "$p")" <<<"$used"; then
            echo "$p"
            return
        fi
        p=$((p + 1))
    done
}

# True if PID names a live (not zombie) process.
smx__alive() {
    local st
    [ -r "/proc/$1/status" ] || return 1
    st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Stops the process whose pid is in file $1 (TERM, then KILL after a few seconds). Only ever pids
# read from this cluster's own pid files.
smx__stop_pidfile() {
    local f=$1 pid
    [ -s "$f" ] || return 0
    pid=$(cat "$f")
    case $pid in '' | *[!0-9]*) return 0 ;; esac
    smx__alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        smx__alive "$pid" || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    sleep 0.2
}

smx__require() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || smx_fail "required command '$c' not found (install slurm-wlm slurmctld slurmd slurm-client munge)"
    done
}

smx_cluster_start() {
    [ "$(id -u)" = 0 ] || smx_fail "the Slurm tests start slurmd and must run as root"
    export PATH="$PATH:/usr/sbin:/sbin"
    smx__require munged mungekey slurmctld slurmd sbatch srun squeue scancel scontrol sinfo
    : "${SWEEPMUX:?SWEEPMUX must point at the built sweepmux binary}"
    [ -x "$SWEEPMUX" ] || smx_fail "SWEEPMUX=$SWEEPMUX is not executable"
    : "${SMX_SOURCE_DIR:?SMX_SOURCE_DIR must point at the repository}"

    SMX_CLUSTER_DIR=$(mktemp -d /tmp/smx-slurm-XXXXXX) || smx_fail "mktemp"
    export SMX_CLUSTER_DIR
    local d=$SMX_CLUSTER_DIR
    chmod 755 "$d"
    mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log" "$d/run" "$d/work"
    chmod 755 "$d/munge"
    trap smx_cluster_stop EXIT
    trap 'exit 1' INT TERM HUP
    smx__start_watchdog

    mungekey --create --keyfile="$d/munge/munge.key" >/dev/null 2>&1 ||
        smx_fail "mungekey --create failed"
    chmod 600 "$d/munge/munge.key"
    munged --key-file="$d/munge/munge.key" --socket="$d/munge/socket" \
        --pid-file="$d/run/munged.pid" --log-file="$d/log/munged.log" \
        --seed-file="$d/munge/seed" --origin=127.0.0.1 ||
        smx_fail "munged did not start: $(tail -n 5 "$d/log/munged.log" 2>/dev/null)"

    local host ctl_port d_port cpus=${SMX_CLUSTER_CPUS:-4} gpus=${SMX_CLUSTER_GPUS:-0} gres="" gtypes=""
    local nodes=${SMX_CLUSTER_NODES:-1} node_lines node_names n2_port=""
    host=$(hostname -s)
    ctl_port=$(smx__free_port 16817)
    d_port=$(smx__free_port $((ctl_port + 1)))
    # Optional GPUs without devices (gres.conf Count, no File): Slurm schedules and counts them
    # (SLURM_GPUS_ON_NODE) but sets no CUDA_VISIBLE_DEVICES, which is enough for the recipe.
    if [ "$gpus" -gt 0 ]; then
        gres=" Gres=gpu:$gpus"
        gtypes="GresTypes=gpu"
        : >"$d/gres.conf"
        for g in $(seq 0 $((gpus - 1))); do
            mknod "$d/gpu$g" c 1 3 2>/dev/null
            echo "NodeName=$host Name=gpu File=$d/gpu$g" >>"$d/gres.conf"
        done
    fi
    # After the GPUs: the node line carries their Gres.
    node_lines="NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus$gres State=UNKNOWN"
    node_names=$host
    if [ "$nodes" = 2 ]; then
        n2_port=$(smx__free_port $((d_port + 1)))
        # Per-node spool, pid, log and TmpFS paths (%n): the pmix plugin's per-step directory
        # under TmpFS must differ between the two daemons.
        mkdir -p "$d/tmp/n1" "$d/tmp/n2"
        node_lines="NodeName=n1 NodeHostname=n1 NodeAddr=127.0.0.1 Port=$d_port CPUs=$cpus State=UNKNOWN
NodeName=n2 NodeHostname=n2 NodeAddr=127.0.0.1 Port=$n2_port CPUs=$cpus State=UNKNOWN
TmpFS=$d/tmp/%n"
        node_names=n1,n2
    fi
    local spool=$d/spool slurmd_pid=$d/run/slurmd.pid slurmd_log=$d/log/slurmd.log
    [ "$nodes" = 2 ] && spool=$d/spool/%n slurmd_pid=$d/run/slurmd-%n.pid slurmd_log=$d/log/slurmd-%n.log
    export SLURM_CONF="$d/slurm.conf"
    cat >"$SLURM_CONF" <<EOF
ClusterName=smxtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/socket,cred_expire=10
StateSaveLocation=$d/state
SlurmdSpoolDir=$spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$slurmd_pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$slurmd_log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$d/log/jobcomp.log
MpiDefault=pmix
SchedulerParameters=sched_interval=5,bf_interval=5
KillWait=5
MinJobAge=300
MailProg=/bin/true
ReturnToService=2
SlurmdParameters=config_overrides
PlugStackConfig=$d/plugstack.conf
$gtypes
$node_lines
PartitionName=debug Nodes=$node_names Default=YES MaxTime=INFINITE State=UP
EOF
    : >"$d/plugstack.conf"

    slurmctld -f "$SLURM_CONF" || smx_fail "slurmctld did not start: $(tail -n 5 "$d/log/slurmctld.log" 2>/dev/null)"
    if [ "$nodes" = 2 ]; then
        local n
        for n in n1 n2; do
            mkdir -p "$d/spool/$n"
            unshare --uts sh -c 'hostname "$0" && exec slurmd -f "$1" -N "$0"' "$n" "$SLURM_CONF" ||
                smx_fail "slurmd -N $n did not start: $(tail -n 5 "$d/log/slurmd-$n.log" 2>/dev/null)"
        done
    else
        slurmd -f "$SLURM_CONF" || smx_fail "slurmd did not start: $(tail -n 5 "$d/log/slurmd.log" 2>/dev/null)"
    fi

    local state=""
    for _ in $(seq 150); do
        state=$(sinfo -h -N -o %t 2>/dev/null | sort -u | tr '\n' ' ')
        case $state in "idle ") break ;; esac
        sleep 0.2
    done
    case $state in
    "idle ") ;;
    *)
        tail -n 20 "$d/log/slurmctld.log" "$d"/log/slurmd*.log >&2
        smx_fail "the nodes did not become idle (states '$state')"
        ;;
    esac
    srun --mpi=list 2>&1 | grep -qw pmix ||
        smx_fail "srun has no pmix plugin (srun --mpi=list: $(srun --mpi=list 2>&1 | tr '\n' ' '))"
    smx_log "cluster up in $d (nodes $node_names, $cpus CPUs each, ports $ctl_port/$d_port${n2_port:+/$n2_port})"
}

# Lists this cluster's job ids still in the queue.
smx_queue_ids() {
    squeue -h -o %i 2>/dev/null
}

# Waits up to $1 seconds (default 600) for the queue to be empty; returns 1 on timeout.
smx_wait_queue_empty() {
    local limit=${1:-600} start=$SECONDS
    while [ -n "$(squeue -h -o %i 2>/dev/null)" ]; do
        if [ $((SECONDS - start)) -ge "$limit" ]; then
            return 1
        fi
        sleep 0.3
    done
    return 0
}

# Waits up to $2 seconds for job $1 to leave the queue.
smx_wait_job() {
    local id=$1 limit=${2:-600} start=$SECONDS
    while [ -n "$(squeue -h -j "$id" -o %i 2>/dev/null)" ]; do
        if [ $((SECONDS - start)) -ge "$limit" ]; then
            return 1
        fi
        sleep 0.3
    done
    return 0
}

# Prints "JOBID STATE EXITCODE PROCCNT TIMELIMIT" for every finished job named $1, from the
# jobcomp text log, in the order the jobs ended.
smx_jobs_by_name() {
    local f="$SMX_CLUSTER_DIR/log/jobcomp.log"
    [ -f "$f" ] || return 0
    awk -v name="$1" '{
        id = ""; st = ""; ex = ""; nm = ""; pc = ""; tl = ""
        for (i = 1; i <= NF; i++) {
            split($i, kv, "=")
            if (kv[1] == "JobId") id = kv[2]
            else if (kv[1] == "Name") nm = kv[2]
            else if (kv[1] == "JobState") st = kv[2]
            else if (kv[1] == "ExitCode") ex = substr($i, 10)
            else if (kv[1] == "ProcCnt") pc = kv[2]
            else if (kv[1] == "TimeLimit") tl = kv[2]
        }
        if (nm == name) print id, st, ex, pc, tl
    }' "$f"
}

# If the test shell is killed outright (SIGKILL from a test timeout), its EXIT trap never runs: a
# watchdog in its own session then stops the daemons, recognised by the scratch directory on their
# command line, so that no daemon outlives the test.
smx__start_watchdog() {
    local d=$SMX_CLUSTER_DIR
    cat >"$d/watchdog.sh" <<'WATCH'
#!/bin/bash
parent=$1 d=$2
while [ -r "/proc/$parent/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$parent/status"; do
    sleep 2
done
[ -e "$d/stopped" ] && exit 0
for f in "$d"/run/slurmd*.pid "$d/run/slurmctld.pid" "$d/run/munged.pid"; do
    pid=$(cat "$f" 2>/dev/null)
    case $pid in '' | *[!0-9]*) continue ;; esac
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$d/"; then
        kill -TERM "$pid" 2>/dev/null
    fi
done
WATCH
    if command -v setsid >/dev/null; then
        setsid bash "$d/watchdog.sh" "$$" "$d" </dev/null >/dev/null 2>&1 &
        SMX__WATCHDOG=$!
    fi
}

smx_cluster_stop() {
    local rc=$?
    trap - EXIT
    [ -n "${SMX_CLUSTER_DIR:-}" ] || exit "$rc"
    local d=$SMX_CLUSTER_DIR ids pid
    : >"$d/stopped"
    if [ -n "${SMX__WATCHDOG:-}" ]; then
        kill "$SMX__WATCHDOG" 2>/dev/null
    fi
    if [ -n "${SLURM_CONF:-}" ] && [ -s "$d/run/slurmctld.pid" ]; then
        ids=$(smx_queue_ids)
        if [ -n "$ids" ]; then
            # shellcheck disable=SC2086
            scancel $ids 2>/dev/null
            smx_wait_queue_empty 60 || smx_log "queue not empty after 60 s: $(squeue -h 2>&1)"
        fi
    fi
    # Job steps (slurmstepd) outlive slurmd: wait for the ones this cluster started to end. They
    # are recognised by our slurm.conf path in their environment, never by name alone.
    for _ in $(seq 100); do
        [ -z "$(smx__our_stepds)" ] && break
        sleep 0.1
    done
    for pid in $(smx__our_stepds); do
        kill -KILL "$pid" 2>/dev/null
    done
    for pid in "$d"/run/slurmd*.pid; do
        [ -e "$pid" ] && smx__stop_pidfile "$pid"
    done
    smx__stop_pidfile "$d/run/slurmctld.pid"
    smx__stop_pidfile "$d/run/munged.pid"
    if [ "$rc" != 0 ] || [ -n "${SMX_KEEP_CLUSTER_DIR:-}" ]; then
        smx_log "cluster logs kept in $d"
    else
        rm -rf "$d"
    fi
    exit "$rc"
}

smx__our_stepds() {
    local p
    for p in /proc/[0-9]*; do
        [ -r "$p/cmdline" ] || continue
        case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
        slurmstepd*)
            if tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF" &&
                smx__alive "${p#/proc/}"; then
                echo "${p#/proc/}"
            fi
            ;;
        esac
    done
}

# ---- Helpers for checking sweeps run through the batch scripts ----

# Writes DIR/task.sh: appends its first argument (the element index) to the file named by its
# second argument (default $OUT), then sleeps $TASK_SLEEP seconds (default 1). Each element's runs
# are thus counted outside the state file.
smx_write_task() {
    cat >"$1/task.sh" <<'TASK'
#!/bin/sh
echo "$1" >>"${2:-$OUT}"
sleep "${TASK_SLEEP:-1}"
TASK
    chmod +x "$1/task.sh"
}

# Writes a spec named $2 at $1 whose N=$3 elements run task.sh (beside the spec) with {index},
# appending to the file $4 if given (else $OUT).
smx_write_spec() {
    local dir out=""
    dir=$(cd "$(dirname "$1")" && pwd)
    [ -n "${4:-}" ] && out=", \"$4\""
    cat >"$1" <<SPEC
name: $2
command: [$dir/task.sh, "{index}"$out]
parameters:
  x: {min: 1, max: $3}
SPEC
}

# The integer KEY of `sweepmux status STATE --json` (the first occurrence: the top-level one).
smx_status_int() {
    "$SWEEPMUX" status "$1" --json 2>/dev/null | tr -d ' \n\t' | grep -o "\"$2\":[0-9]*" |
        head -n 1 | cut -d: -f2
}

# Fails unless STATE ($1) holds TOTAL ($2) elements, all done.
smx_check_state_done() {
    local k v
    for k in total "done"; do
        v=$(smx_status_int "$1" "$k")
        [ "$v" = "$2" ] || smx_fail "$1: $k is '$v', expected $2 ($("$SWEEPMUX" status "$1" 2>&1))"
    done
    for k in pending running failed; do
        v=$(smx_status_int "$1" "$k")
        [ "$v" = 0 ] || smx_fail "$1: $k is '$v', expected 0 ($("$SWEEPMUX" status "$1" 2>&1))"
    done
}

# Checks the task-side record OUT ($1) of a sweep of TOTAL ($2) elements indexed FIRST ($4,
# default 0) to FIRST+TOTAL-1: every index ran at least once and at most MAXDUP ($3) runs are
# repeats. Prints the number of repeats.
smx_check_ran_once() {
    local out=$1 total=$2 maxdup=$3 first=${4:-0} missing extra lines dups
    [ -f "$out" ] || smx_fail "no task ever ran ($out missing)"
    missing=$(seq "$first" $((first + total - 1)) | sort | comm -23 - <(sort -u "$out"))
    [ -z "$missing" ] || smx_fail "elements never run: $(echo "$missing" | sort -n | tr '\n' ' ')"
    extra=$(sort -u "$out" | comm -13 <(seq "$first" $((first + total - 1)) | sort) -)
    [ -z "$extra" ] || smx_fail "unexpected indices ran: $(echo "$extra" | tr '\n' ' ')"
    lines=$(wc -l <"$out")
    dups=$((lines - total))
    [ "$dups" -le "$maxdup" ] ||
        smx_fail "$dups repeated runs (at most $maxdup expected): $(sort -n "$out" | uniq -d | tr '\n' ' ')"
    echo "$dups"
}

# Prints the output files of the jobs (for a failing test's log).
smx_show_outputs() {
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        echo "---- $f" >&2
        tail -n 40 "$f" >&2
    done
}
