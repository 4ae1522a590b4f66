# Exactly-once claims over the TCP path without hardware atomics (osc pt2pt, btl tcp, pml ob1) on 4
# ranks. There a worker's MPI_Fetch_and_op only completes when rank 0's MPI library makes progress, so
# this test keeps rank 0 busy: every task that lands on rank 0 sleeps 0.5 s, and claims are one element
# at a time (--chunk 1). If rank 0 did not keep MPI progressing while its own task runs (or while it
# writes the state file), every worker claim would wait for rank 0's task to end and the 1500 elements
# would take minutes; with progress the workers finish them in seconds.
source "$(dirname "$0")/../cli/lib-common.sh"

if ! is_openmpi; then
    log "SKIP: osc pt2pt and btl tcp are Open MPI components; $MPIEXEC is another MPI"
    exit 77 # ctest: skipped
fi
SMX_MCA="--mca osc pt2pt --mca btl tcp,self --mca pml ob1 --mca btl_tcp_if_include 127.0.0.0/8"
N=1500
export SMX_REC="$SCRATCH/rec.txt"
: >"$SMX_REC"
cat >task.sh <<'EOF'
#!/bin/sh
printf '%s %s %s %s %s\n' "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" "$SWEEPMUX_RANK" "$SWEEPMUX_SLOT" "$$" >> "$SMX_REC"
[ "$SWEEPMUX_RANK" = 0 ] && sleep 0.5
exit 0
EOF
chmod +x task.sh
cat >spec.yaml <<EOF
name: tcp
command: ["$SCRATCH/task.sh", "{x}"]
parameters:
  x: {min: 1, max: $N, step: 1}
EOF

run_case() {
    local label=$1
    shift
    : >"$SMX_REC"
    rm -rf run.h5 run.logs
    local t0=$SECONDS
    expect_rc 0 "$label: pt2pt run on 4 ranks" mpi 4 run spec.yaml --state run.h5 --log-mode none "$@"
    local dt=$((SECONDS - t0))
    log "$label: $N elements in $dt s; per rank: $(awk '{c[$3]++} END {for (r in c) printf "%s:%d ", r, c[r]}' "$SMX_REC")"
    check_exactly_once "$SMX_REC" "$N"
    # Rank 0 ran at most ~dt/0.5 tasks; the workers must have claimed (almost) everything meanwhile.
    local r0 workers
    r0=$(awk '$3 == 0' "$SMX_REC" | wc -l)
    workers=$((N - r0))
    [ "$workers" -ge $((N - 100)) ] || fail "$label: workers ran only $workers of $N elements (rank 0 ran $r0)"
    # Without progress the workers' claims would wait about 0.5 s each: minutes, even for the
    # sanitizer build, whose processes are slower (the limit grows with SMX_TIME_SCALE).
    [ "$dt" -le "$(scaled 45)" ] || fail "$label: took $dt s: worker claims seem to wait for rank 0's tasks (no progress)"
    h5check run.h5 default "
st = s['status'][:]; at = s['attempts'][:]; rk = s['rank'][:]
if (st != 2).any(): fail('%d elements not done' % (st != 2).sum())
if (at != 1).any(): fail('%d elements with attempts != 1' % (at != 1).sum())
if (rk < 0).any() or (rk > 3).any(): fail('rank out of range')
if (rk != 0).sum() != $workers: fail('state file says workers ran %d, tasks say $workers' % (rk != 0).sum())
"
}

run_case chunk1 --chunk 1

run_case slots2 --slots 2 --chunk 3
