# Exactly-once claims: on 1, 2, 4 and 8 ranks (oversubscribed), with --slots 3 and with --chunk 7, every
# element of a sweep of tiny tasks runs exactly once, and the state file agrees: all done, attempts 1,
# the rank recorded for each element is the rank that ran it, and export has one row per element.
source "$(dirname "$0")/../cli/lib-common.sh"

write_recorder "$SCRATCH/rec.sh"
export SMX_REC

# one_case LABEL P N RUN-ARGS...: run N elements on P ranks and check everything.
one_case() {
    local label=$1 np=$2 n=$3
    shift 3
    local dir="$SCRATCH/$label"
    mkdir -p "$dir"
    SMX_REC="$dir/rec.txt"
    : >"$SMX_REC"
    cat >"$dir/spec.yaml" <<EOF
name: once-$label
command: ["$SCRATCH/rec.sh", "{x}"]
parameters:
  x: {min: 0, max: $((n - 1)), step: 1}
EOF
    local t0=$SECONDS
    expect_rc 0 "$label: run on $np ranks" mpi "$np" run "$dir/spec.yaml" --state "$dir/run.h5" --log-mode none "$@"
    log "$label: $n elements on $np ranks ($*) in $((SECONDS - t0)) s"
    check_exactly_once "$SMX_REC" "$n"

    # The state file: every element done once, by the rank that really ran it.
    awk '{print $1, $3, $4}' "$SMX_REC" >"$dir/ran.txt"
    h5check "$dir/run.h5" default "
n = $n; P = $np; slots = ${SLOTS:-1}
st = s['status'][:]; at = s['attempts'][:]; rk = s['rank'][:]; ec = s['exit_code'][:]
if st.shape[0] != n: fail('status has %d entries, want %d' % (st.shape[0], n))
if (st != 2).any(): fail('%d elements not done (first index %d, status %d)' % ((st != 2).sum(), np.argmax(st != 2), st[np.argmax(st != 2)]))
if (at != 1).any(): fail('attempts != 1 for %d elements (first %d: %d)' % ((at != 1).sum(), np.argmax(at != 1), at[np.argmax(at != 1)]))
if (ec != 0).any(): fail('nonzero exit_code recorded')
if (rk < 0).any() or (rk >= P).any(): fail('rank out of [0,%d): %s' % (P, sorted(set(rk.tolist()))))
ran = np.loadtxt('$dir/ran.txt', dtype=np.int64, ndmin=2)
byidx = np.full(n, -1); byidx[ran[:, 0]] = ran[:, 1]
bad = np.nonzero(byidx != rk)[0]
if bad.size: fail('element %d ran on rank %d but the state file says rank %d' % (bad[0], byidx[bad[0]], rk[bad[0]]))
if (ran[:, 2] < 0).any() or (ran[:, 2] >= slots).any(): fail('SWEEPMUX_SLOT out of [0,%d): %s' % (slots, sorted(set(ran[:, 2].tolist()))))
if P >= 2 and len(set(rk.tolist())) < 2: fail('only rank %s ran tasks on %d ranks' % (set(rk.tolist()), P))
"
    # Status and export agree with the file.
    local js
    js=$(status_json "$dir/run.h5")
    [ "$(jget total <<<"$js")" = "$n" ] || fail "$label: status total != $n: $js"
    [ "$(jget done <<<"$js")" = "$n" ] || fail "$label: status done != $n: $js"
    for k in pending running failed; do
        [ "$(jget $k <<<"$js")" = 0 ] || fail "$label: status $k != 0: $js"
    done
    smx export "$dir/run.h5" >"$dir/export.csv" || fail "$label: export failed"
    [ "$(csv_rows "$dir/export.csv")" = "$n" ] || fail "$label: export has $(csv_rows "$dir/export.csv") rows, want $n"
    [ "$(grep -c ',done,1,0,' "$dir/export.csv")" = "$n" ] || fail "$label: export rows not all 'done,1,0'"
    # A second run on a complete session has nothing to do: exit 0 and no task runs again.
    expect_rc 0 "$label: rerun of a complete session" mpi "$np" run --state "$dir/run.h5" --log-mode none
    [ "$(wc -l <"$SMX_REC")" = "$n" ] || fail "$label: rerunning a complete session ran tasks again"
}

# In the sanitizer build (each rank slower to start, claim and reap its tasks) the sweeps are a
# quarter as long: the same paths run to the end under the same checks; the ordinary build runs
# them at full size. 2501 and 625 leave a partial last chunk of 7.
q=1
[ -z "${SMX_SANITIZE_FLAGS:-}" ] || q=4
one_case np1 1 $((2000 / q))
one_case np2 2 $((2500 / q))
one_case np4 4 $((2500 / q))
one_case np8 8 $((3000 / q))
SLOTS=3 one_case np4-slots3 4 $((2500 / q)) --slots 3
one_case np4-chunk7 4 $((2501 / q)) --chunk 7
# Slot numbers must actually spread over the slots when there are several.
[ "$(awk '{print $4}' "$SCRATCH/np4-slots3/rec.txt" | sort -u | wc -l)" -ge 2 ] ||
    fail "--slots 3: every task ran in the same slot"
