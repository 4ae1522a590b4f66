# Exactly-once commit in library mode, where completions of elements done without results travel and
# are written as ranges while results and failures stay individual records (tests/mpi/lib_once.c):
#   - on 1, 2 and 3 ranks with chunk 1, 16 and guided claims (0), every element is handed out once,
#     and the state file says what each element's outcome was: done with attempts 1 (ranges and records
#     alike), result r = index where one was reported and NaN in every other done element's r (the
#     column is named after ranges were already written), failed with exit code 3 where it failed;
#   - over TCP without hardware atomics (osc pt2pt, Open MPI only) and with point-to-point claims
#     (SWEEPMUX_CLAIMS=p2p) the same holds;
#   - kill -9 of the whole job mid-run, then a resume: the file opens, everything the file showed as
#     done right after the kill stays done and is not handed out again, and after the resume every
#     element is final with the right outcome; an element runs at most twice (once more only if it was
#     not durably done at the kill).
source "$(dirname "$0")/../cli/lib-common.sh"

HELPER="$SMX_TEST_HELPERS/lib_once"
[ -x "$HELPER" ] || fail "helper $HELPER is missing"

# check_file STATE N [ALLOW_PENDING]: every element's outcome in the state file is the expected one.
check_file() {
    h5check "$1" default "
n = $2
st = s['status'][:]; at = s['attempts'][:]; ec = s['exit_code'][:]
names = [x.decode() if isinstance(x, bytes) else x for x in s['result_names'][:]]
if 'r' not in names: fail('result column r is not named: %s' % names)
r = s['results'][:, names.index('r')]
i = np.arange(n)
want = np.where(i % 7 == 3, 2, np.where(i % 11 == 5, 3, 2))
bad = np.nonzero(st != want)[0]
if bad.size: fail('%d elements with the wrong status, first %d: %d (want %d)' % (bad.size, bad[0], st[bad[0]], want[bad[0]]))
if (at < 1).any(): fail('attempts < 1 for %d final elements' % (at < 1).sum())
if ${3:-1} and (at != 1).any(): fail('attempts != 1 for %d elements' % (at != 1).sum())
res = i % 7 == 3
if (r[res] != i[res]).any(): fail('result r wrong for %d elements' % (r[res] != i[res]).sum())
other = (~res) & (st == 2)
if not np.isnan(r[other]).all(): fail('%d done elements without results have r != NaN, first %d' % ((~np.isnan(r[other])).sum(), i[other][~np.isnan(r[other])][0]))
fl = st == 3
if (ec[fl] != 3).any(): fail('failed elements without exit code 3')
"
}

# one_case LABEL P N CHUNK: a complete run, then exactly-once from the logs and the file.
one_case() {
    local label=$1 np=$2 n=$3 chunk=$4 dir="$SCRATCH/$1"
    mkdir -p "$dir"
    "$HELPER" create "$dir/run.h5" "$n" || fail "$label: create"
    local t0=$SECONDS
    timeout -k 5 "$(scaled 120)" "$MPIEXEC" -n "$np" ${SMX_MCA:-} "$HELPER" run "$dir/run.h5" "$chunk" "$dir/log" \
        >"$dir/out" 2>&1 || { cat "$dir/out" >&2; fail "$label: run failed"; }
    log "$label: $n elements on $np ranks, chunk $chunk, in $((SECONDS - t0)) s: $(cat "$dir/out")"
    cat "$dir"/log.* >"$dir/all"
    "$PY" - "$dir/all" "$n" <<'EOF' || fail "$label: not exactly once"
import sys
n = int(sys.argv[2])
seen = {}
for line in open(sys.argv[1]):
    i, a, r = map(int, line.split())
    seen[i] = seen.get(i, 0) + 1
twice = [i for i, c in seen.items() if c > 1]
missing = [i for i in range(n) if i not in seen]
if twice or missing:
    print("handed out twice: %s; never: %s" % (twice[:10], missing[:10]), file=sys.stderr)
    sys.exit(1)
EOF
    check_file "$dir/run.h5" "$n"
}

# In the sanitizer build (every claim several times slower) the sweeps are a quarter as long: the
# same claim paths run to the end under the same checks; the ordinary build runs them at full size.
q=1
[ -z "${SMX_SANITIZE_FLAGS:-}" ] || q=4
one_case p1c1 1 $((3000 / q)) 1
one_case p2c1 2 $((20000 / q)) 1
one_case p2c16 2 $((20000 / q)) 16
one_case p3guided 3 $((20000 / q)) 0
if is_openmpi; then
    SMX_MCA="--mca osc pt2pt --mca btl tcp,self --mca pml ob1 --mca btl_tcp_if_include 127.0.0.0/8" one_case pt2pt 2 $((5000 / q)) 4
else
    log "pt2pt: osc pt2pt and btl tcp are Open MPI components; $MPIEXEC is another MPI (skipped)"
fi
# Claims through rank 0's point-to-point messages instead of the window, under any MPI.
SWEEPMUX_CLAIMS=p2p one_case p2p 2 $((5000 / q)) 4

# kill -9 mid-run, then resume.
dir="$SCRATCH/kill"
mkdir -p "$dir"
N=6000
"$HELPER" create "$dir/run.h5" "$N" || fail "kill: create"
bg_setsid "$dir/job1.out" timeout -k 5 "$(scaled 120)" "$MPIEXEC" -n 2 "$HELPER" run "$dir/run.h5" 8 "$dir/log1" 1000
sid=$BG_PID
# Kill once a good part has run (start-up time varies on a loaded machine), plus time for syncs.
for _ in $(seq 1 300); do
    [ "$(cat "$dir"/log1.* 2>/dev/null | wc -l)" -ge 1500 ] && break
    sleep 0.1
done
sleep 1.5
kill -0 "$sid" 2>/dev/null || { cat "$dir/job1.out" >&2; fail "kill: the job ended before the kill"; }
kill_job "$sid"
wait_rc "$sid"
"$PY" - "$dir/run.h5" >"$dir/done_after_kill" <<'EOF' || fail "kill: the state file does not open after kill -9"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    st = f["sessions/default/status"][:]
for i in np.nonzero(st >= 2)[0]:
    print(i)
EOF
ndone=$(wc -l <"$dir/done_after_kill")
[ "$ndone" -gt 0 ] || fail "kill: nothing was durable 1.5 s after 1500 elements had run"
log "kill: $ndone elements final after the kill"
timeout -k 5 "$(scaled 120)" "$MPIEXEC" -n 2 "$HELPER" run "$dir/run.h5" 8 "$dir/log2" >"$dir/job2.out" 2>&1 ||
    { cat "$dir/job2.out" >&2; fail "kill: the resume failed"; }
cat "$dir"/log1.* >"$dir/ran1"
cat "$dir"/log2.* >"$dir/ran2"
"$PY" - "$dir/done_after_kill" "$dir/ran1" "$dir/ran2" "$N" <<'EOF' || fail "kill: exactly-once violated across the kill"
import sys
durable = {int(x) for x in open(sys.argv[1])}
def runs(p):
    out = {}
    for line in open(p):
        i, a, r = map(int, line.split())
        out.setdefault(i, []).append(a)
    return out
r1, r2 = runs(sys.argv[2]), runs(sys.argv[3])
n = int(sys.argv[4])
bad = []
for d in (r1, r2):
    bad += ["element %d handed out twice in one job" % i for i, a in d.items() if len(a) > 1]
bad += ["element %d durably final after the kill but handed out again" % i for i in durable & set(r2)]
bad += ["element %d recorded final but never ran" % i for i in durable - set(r1)]
bad += ["element %d never ran" % i for i in range(n) if i not in r1 and i not in r2]
rerun = len(set(r1) & set(r2))
print("kill: %d ran in job 1, %d durable after the kill, %d ran again" % (len(r1), len(durable), rerun), file=sys.stderr)
if bad:
    print("\n".join(bad[:10]), file=sys.stderr)
    sys.exit(1)
EOF
check_file "$dir/run.h5" "$N" 0
log "ok"
