# Claims served by rank 0 over point-to-point messages (the fallback for MPIs that cannot make the claim
# window, forced here with SWEEPMUX_CLAIMS=p2p): exactly once on 1, 4 (--slots 3) and 8 ranks, a resume
# whose to-do list is not the identity (entries travel with the grants), a resume whose to-do list is
# held as runs (on both paths), workers keep claiming while
# rank 0 runs slow tasks of its own, the automatic fallback when MPI_Win_allocate fails (osc rdma over
# TCP) with its one warning line, SWEEPMUX_CLAIMS=rma refusing to fall back, a bad value rejected before
# anything is written, and `status` naming the path each job used.
source "$(dirname "$0")/../cli/lib-common.sh"

write_recorder "$SCRATCH/rec.sh"
export SMX_REC

# spec_of NAME N CMD: a sweep of N elements running CMD (a YAML flow list).
spec_of() {
    cat >"$SCRATCH/$1.yaml" <<EOF
name: $1
command: $3
retries: 0
parameters:
  x: {min: 0, max: $(($2 - 1)), step: 1}
EOF
}

# claims_of RUN.h5: the claims field of every job, space separated.
claims_of() { status_json "$1" | "$PY" -c 'import json,sys; print(" ".join(str(j["claims"]) for j in json.load(sys.stdin)["jobs"]))'; }

# once LABEL P N RUN-ARGS...: N elements on P ranks with point-to-point claims, each run once.
once() {
    local label=$1 np=$2 n=$3
    shift 3
    SMX_REC="$SCRATCH/$label.rec"
    : >"$SMX_REC"
    spec_of "$label" "$n" "[\"$SCRATCH/rec.sh\", \"{x}\"]"
    SWEEPMUX_CLAIMS=p2p expect_rc 0 "$label: p2p run on $np ranks" mpi "$np" run "$SCRATCH/$label.yaml" --state "$label.h5" --log-mode none "$@"
    grep -q 'warning' last.out && fail "$label: a forced p2p run printed a warning: $OUTPUT"
    check_exactly_once "$SMX_REC" "$n"
    [ "$(claims_of "$label.h5")" = p2p ] || fail "$label: status says claims '$(claims_of "$label.h5")', want p2p"
    js=$(status_json "$label.h5")
    [ "$(jget done <<<"$js")" = "$n" ] || fail "$label: status: $js"
    if [ "$np" -ge 2 ]; then
        [ "$(awk '{print $3}' "$SMX_REC" | sort -u | wc -l)" -ge 2 ] || fail "$label: only one rank ran tasks"
    fi
}
once np1 1 300
once np4s3 4 600 --slots 3
once np8 8 800
once np4c7 4 501 --chunk 7

# The default path on one host is the window: status says rma.
SMX_REC="$SCRATCH/rma.rec"
: >"$SMX_REC"
expect_rc 0 "default run" mpi 2 run "$SCRATCH/np1.yaml" --state rma.h5 --log-mode none
[ "$(claims_of rma.h5)" = rma ] || fail "default run: claims '$(claims_of rma.h5)', want rma"

# Resume with a to-do list that is not the identity: every third element fails in job 1; job 2
# (p2p, --retry-failed) runs exactly those again, as attempt 2, once each.
SMX_REC="$SCRATCH/retry.rec"
: >"$SMX_REC"
cat >"$SCRATCH/flaky.sh" <<'EOF'
#!/bin/sh
printf '%s %s %s\n' "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" "$SWEEPMUX_RANK" >> "$SMX_REC"
[ $((SWEEPMUX_INDEX % 3)) = 0 ] && [ "$SWEEPMUX_ATTEMPT" = 1 ] && exit 1
exit 0
EOF
chmod +x "$SCRATCH/flaky.sh"
spec_of retry 300 "[\"$SCRATCH/flaky.sh\", \"{x}\"]"
expect_rc 1 "retry: first job" mpi 3 run "$SCRATCH/retry.yaml" --state retry.h5 --log-mode none
SWEEPMUX_CLAIMS=p2p expect_rc 0 "retry: p2p resume" mpi 4 run --state retry.h5 --retry-failed --log-mode none
awk '$2 == 2 {print $1}' "$SMX_REC" | sort -n >again.txt
seq 0 3 299 >want.txt
cmp -s again.txt want.txt || fail "retry: the p2p resume ran attempt 2 of $(wc -l <again.txt) elements, want every third of 300 once"
[ "$(awk '$2 == 2 && $3 != 0' "$SMX_REC" | wc -l)" -gt 0 ] || fail "retry: no worker received to-do entries"
[ "$(claims_of retry.h5)" = "rma p2p" ] || fail "retry: jobs' claims '$(claims_of retry.h5)', want 'rma p2p'"
h5check retry.h5 default "
st = s['status'][:]; at = s['attempts'][:]
if (st != 2).any(): fail('%d not done' % (st != 2).sum())
want = np.where(np.arange(300) % 3 == 0, 2, 1)
if (at != want).any(): fail('attempts differ at %d elements' % (at != want).sum())
"

# A resume whose to-do list is a few long runs (elements 300-799 and 1000-1099 failed in job 1): the
# claims hold it as runs that every rank maps positions through (claim.h). From the same file, once
# with point-to-point claims and once with the window, job 2 (--retry-failed) runs exactly those
# elements again, as attempt 2, once each, on workers as well as rank 0.
cat >"$SCRATCH/blocks.sh" <<'EOF'
#!/bin/sh
printf '%s %s %s\n' "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" "$SWEEPMUX_RANK" >> "$SMX_REC"
i=$SWEEPMUX_INDEX
if [ "$SWEEPMUX_ATTEMPT" = 1 ] && { { [ "$i" -ge 300 ] && [ "$i" -lt 800 ]; } || { [ "$i" -ge 1000 ] && [ "$i" -lt 1100 ]; }; }; then
    exit 1
fi
exit 0
EOF
chmod +x "$SCRATCH/blocks.sh"
spec_of blocks 1200 "[\"$SCRATCH/blocks.sh\", \"{x}\"]"
SMX_REC="$SCRATCH/blocks1.rec"
: >"$SMX_REC"
expect_rc 1 "runs: first job" mpi 3 run "$SCRATCH/blocks.yaml" --state blocks.h5 --log-mode none
{ seq 300 799; seq 1000 1099; } >want.txt
for path in p2p rma; do
    cp blocks.h5 "blocks-$path.h5"
    SMX_REC="$SCRATCH/blocks-$path.rec"
    : >"$SMX_REC"
    SWEEPMUX_CLAIMS=$path expect_rc 0 "runs: $path resume" mpi 4 run --state "blocks-$path.h5" --retry-failed --log-mode none
    awk '{print $1}' "$SMX_REC" | sort -n >again.txt
    cmp -s again.txt want.txt || fail "runs: the $path resume ran $(wc -l <again.txt) elements ($(uniq -d again.txt | wc -l) twice), want elements 300-799 and 1000-1099 once each"
    [ "$(awk '$2 != 2' "$SMX_REC" | wc -l)" = 0 ] || fail "runs: the $path resume ran an element with an attempt other than 2: $(awk '$2 != 2' "$SMX_REC" | head -3)"
    [ "$(awk '$3 != 0' "$SMX_REC" | wc -l)" -gt 0 ] || fail "runs: no worker ran an element of the $path resume"
    h5check "blocks-$path.h5" default "
st = s['status'][:]; at = s['attempts'][:]
i = np.arange(1200)
if (st != 2).any(): fail('%d not done' % (st != 2).sum())
want = np.where(((i >= 300) & (i < 800)) | ((i >= 1000) & (i < 1100)), 2, 1)
if (at != want).any(): fail('attempts differ at %d elements' % (at != want).sum())
"
done

# Rank 0 answers claims while its own task runs: tasks on rank 0 sleep 0.5 s, claims are one element
# at a time; if claims waited for rank 0's tasks the workers would get only a handful of elements.
SMX_REC="$SCRATCH/busy.rec"
: >"$SMX_REC"
cat >"$SCRATCH/busy.sh" <<'EOF'
#!/bin/sh
printf '%s %s %s\n' "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" "$SWEEPMUX_RANK" >> "$SMX_REC"
[ "$SWEEPMUX_RANK" = 0 ] && sleep 0.5
exit 0
EOF
chmod +x "$SCRATCH/busy.sh"
spec_of busy 600 "[\"$SCRATCH/busy.sh\", \"{x}\"]"
SWEEPMUX_CLAIMS=p2p expect_rc 0 "busy: p2p run" mpi 4 run "$SCRATCH/busy.yaml" --state busy.h5 --log-mode none --chunk 1
check_exactly_once "$SMX_REC" 600
r0=$(awk '$3 == 0' "$SMX_REC" | wc -l)
[ "$r0" -le 100 ] || fail "busy: rank 0 ran $r0 of 600 elements: worker claims waited for its tasks"

# Automatic fallback: Open MPI's osc rdma over TCP cannot make the window; the run completes, prints
# one warning naming the cure, and status says p2p. With SWEEPMUX_CLAIMS=rma the same run fails (5).
if is_openmpi; then
    SMX_REC="$SCRATCH/auto.rec"
    : >"$SMX_REC"
    SMX_MCA="--mca osc rdma --mca btl tcp,self" expect_rc 0 "auto fallback" mpi 3 run "$SCRATCH/np1.yaml" --state auto.h5 --log-mode none
    check_exactly_once "$SMX_REC" 300
    [ "$(grep -c 'warning: MPI_Win_allocate' last.out)" = 1 ] || fail "auto fallback: want one warning line: $OUTPUT"
    grep -q 'OMPI_MCA_osc=pt2pt' last.out || fail "auto fallback: the warning does not say how to get one-sided claims"
    [ "$(claims_of auto.h5)" = p2p ] || fail "auto fallback: claims '$(claims_of auto.h5)', want p2p"
    SWEEPMUX_CLAIMS=rma SMX_MCA="--mca osc rdma --mca btl tcp,self" expect_rc 5 "rma forced" mpi 3 run "$SCRATCH/np1.yaml" --state forced.h5 --log-mode none
    grep -q 'SWEEPMUX_CLAIMS=rma' last.out || fail "rma forced: the message does not say why: $OUTPUT"
fi

# A bad value is a usage error, before any state file exists.
SWEEPMUX_CLAIMS=fast expect_rc 2 "bad SWEEPMUX_CLAIMS" mpi 2 run "$SCRATCH/np1.yaml" --state bad.h5
grep -q "SWEEPMUX_CLAIMS is auto, rma or p2p, not 'fast'" last.out || fail "bad value: message: $OUTPUT"
[ ! -e bad.h5 ] || fail "bad SWEEPMUX_CLAIMS: a state file was written"
