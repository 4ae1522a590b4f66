#!/usr/bin/env bash
# sweepmux upgrade (README "State file", format versions): real format-1 files, written by the
# sweepmux of commit 8f2b296~1 (tests/fixtures/README.md), one a grid sweep and one whose rows come
# from a CSV file, each with done, failed and pending elements, results, failures and jobs.
# Every other command refuses them (exit 2) naming the upgrade command, without touching them. A
# missing CSV (exit 2), a held lock (exit 4) and a disk that fails mid-upgrade (exit 5) leave the
# file byte-identical; a real upgrade, run from another directory with --dir naming where the
# sweep's CSV is, stores the parameter values and the directory and keeps every record bit for bit;
# upgrading again changes nothing; and the sweep then resumes on 2 ranks, running in that
# directory exactly the elements that were not done, each once, with its own parameter values.
source "$(dirname "$0")/lib-common.sh"

[ -n "${SMX_FAULT_LIB:-}" ] && [ -f "$SMX_FAULT_LIB" ] || fail "SMX_FAULT_LIB (tests/fault) is not built"

# The directory the sweeps ran in: the CSV they were made with, and a task that records each run
# ("INDEX ARGS...") and reports the results the fixtures' task reported.
mkdir sweep elsewhere nocsv short
cat >sweep/points.csv <<'C'
name,size,w
alpha,1,0.5
beta,2,1.5
"gamma, the third",3,2.25
delta,4,-0.001
eps,5,7
C
head -n 5 sweep/points.csv >short/points.csv
cat >sweep/task.sh <<'T'
#!/bin/sh
printf '%s|%s\n' "$SWEEPMUX_INDEX" "$*" >> "$SMX_REC"
echo "r=$((SWEEPMUX_INDEX * 100 + 7))" >> "$SWEEPMUX_RESULT"
echo "half=0.5" >> "$SWEEPMUX_RESULT"
T
chmod +x sweep/task.sh
SWEEP=$(cd sweep && pwd -P)

# same FILE COPY WHAT: FILE is byte-identical to COPY, and nothing was left beside it.
same() {
    cmp -s "$1" "$2" || fail "$3: $1 changed"
    ! ls "$1".upgrade-* "$1".tmp-* >/dev/null 2>&1 || fail "$3: a temporary file was left: $(ls "$1".*)"
}

for kind in grid rows; do
    f=v1-$kind.h5
    gunzip -c "$SMX_SOURCE_DIR/tests/fixtures/format1-$kind.h5.gz" >"$f"
    cp "$f" "orig-$kind.h5"
    "$PY" - "$f" <<'P' || fail "$kind: the fixture is not what tests/fixtures/README.md says"
import h5py, sys
f = h5py.File(sys.argv[1], "r")
assert int(f.attrs["format_version"]) == 1 and "params" not in f and "workdir" not in f.attrs
st = f["sessions/default/status"][:]
assert (st == 2).sum() >= 2 and (st == 0).sum() >= 2, st  # done and pending elements
assert f["sessions/default/meta"][2] >= 1  # failures recorded
P

    # --- every other command refuses the file, naming the upgrade ---------------------------------------
    for cmd in "status $f" "export $f" "run --state $f" "sessions $f"; do
        expect_rc 2 "$kind: $cmd" smx $cmd
        grep -qF "$f was written by sweepmux format 1" last.out || fail "$kind: $cmd: $OUTPUT"
        grep -qF "run \`sweepmux upgrade $f --dir DIR\`" last.out || fail "$kind: $cmd names no upgrade: $OUTPUT"
        same "$f" "orig-$kind.h5" "$kind: $cmd"
    done

    # --- a held lock: exit 4, nothing written ------------------------------------------------------------
    printf 'host=some-other-node-xyz\npid=4242\npstart=1\nboot=x\nslurm_job=none\nstarted=%s\ntoken=%s\n' \
        "$(date +%s)" 0123456789abcdef0123456789abcdef >"$f.lock"
    expect_rc 4 "$kind: upgrade while a run holds the file" smx upgrade "$f" --dir sweep
    grep -q "in use by host some-other-node-xyz" last.out || fail "$kind: lock message: $OUTPUT"
    same "$f" "orig-$kind.h5" "$kind: upgrade while locked"
    rm "$f.lock"

    # --- the disk fails while the copy is written, or right before it would replace the file -------------
    for fault in pwrite:3 fsync:2; do
        # exec keeps the shell's pid, so the injector's path suffix can name the temporary file.
        expect_rc 5 "$kind: upgrade with $fault failing" env SMX_FAULT_CALL="${fault%:*}" SMX_FAULT_AT="${fault#*:}" \
            LD_PRELOAD="$SMX_FAULT_LIB" timeout -k 5 "$SMX_TIMEOUT" sh -c \
            'SMX_FAULT_PATH="$0.upgrade-$$" exec "$1" upgrade "$0" --dir sweep' "$f" "$SWEEPMUX"
        grep -q "smx_fault: ${fault%:*}" last.out || fail "$kind: the $fault fault was never injected: $OUTPUT"
        same "$f" "orig-$kind.h5" "$kind: upgrade with $fault failing"
        [ ! -e "$f.lock" ] || fail "$kind: the failed upgrade left its lock"
    done
done

# --- bad input: the CSV is missing, or is not the one the sweep ran with: exit 2, file untouched -------
expect_rc 2 "upgrade without the CSV" smx upgrade v1-rows.h5 --dir nocsv
grep -qF "v1-rows.h5:3:" last.out || fail "missing CSV: no line of the stored spec: $OUTPUT"
grep -qF "nocsv/points.csv" last.out || fail "missing CSV: the path is not named: $OUTPUT"
same v1-rows.h5 orig-rows.h5 "upgrade without the CSV"
expect_rc 2 "upgrade with a CSV of 4 rows" smx upgrade v1-rows.h5 --dir short
grep -q "has 4 elements, but session default has 5" last.out || fail "short CSV: $OUTPUT"
same v1-rows.h5 orig-rows.h5 "upgrade with a short CSV"
expect_rc 2 "upgrade with --dir that does not exist" smx upgrade v1-rows.h5 --dir no-such-dir
same v1-rows.h5 orig-rows.h5 "upgrade with a missing --dir"

# --- the upgrade, from another directory ------------------------------------------------------------------
for kind in grid rows; do
    f=v1-$kind.h5
    (cd elsewhere && smx upgrade "../$f" --dir ../sweep) >last.out 2>&1 || { cat last.out >&2; fail "$kind: upgrade"; }
    grep -qF "upgraded ../$f from format 1 to 3" last.out || fail "$kind: upgrade said: $(cat last.out)"
    grep -qF "tasks run in $SWEEP" last.out || fail "$kind: upgrade does not name the directory: $(cat last.out)"
    [ ! -e "$f.lock" ] || fail "$kind: the upgrade left its lock"
    "$PY" - "$f" "orig-$kind.h5" "$kind" "$SWEEP" <<'P' || fail "$kind: the upgraded file"
import csv, h5py, numpy as np, sys
new, old, kind, sweep = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), sys.argv[3], sys.argv[4]
assert int(new.attrs["format_version"]) == 3, new.attrs["format_version"]
assert new.attrs["workdir"].decode() == sweep, new.attrs["workdir"]
assert new["spec"][()] == old["spec"][()] and new["spec"].attrs["sha256"] == old["spec"].attrs["sha256"]
# Every record, table and attribute of the session, bit for bit.
so, sn = old["sessions/default"], new["sessions/default"]
assert sorted(so.keys()) == sorted(sn.keys()) and dict(so.attrs) == dict(sn.attrs)
for k in so:
    assert so[k].dtype == sn[k].dtype and so[k].shape == sn[k].shape, k
    assert so[k][()].tobytes() == sn[k][()].tobytes(), "dataset %s changed" % k
def values(name):
    d = new["params"][name]
    if d.attrs["type"] == b"string":
        table = [v.decode() if isinstance(v, bytes) else v for v in new["param_values"][name][:]]
        return [table[c] for c in d[:]]
    return d[:].tolist()
if kind == "grid":
    assert values("x") == [1, 1, 2, 2, 3, 3, 4, 4], values("x")
    assert values("y") == ["a", "b"] * 4, values("y")
else:
    rows = list(csv.DictReader(open(sweep + "/points.csv")))
    assert values("name") == [r["name"] for r in rows], values("name")
    assert values("size") == [int(r["size"]) for r in rows], values("size")
    assert values("w") == [float(r["w"]) for r in rows], values("w")
    text = new["inputs/csv"][()]
    assert text.decode() == open(sweep + "/points.csv").read(), text
P
    # Already current: said so, nothing written.
    cp "$f" "up-$kind.h5"
    expect_rc 0 "$kind: upgrade of a current file" smx upgrade "$f"
    grep -qF "is of the current format (3): nothing to upgrade" last.out || fail "$kind: $OUTPUT"
    same "$f" "up-$kind.h5" "$kind: upgrade of a current file"
done
expect_rc 0 "export of the upgraded CSV sweep" smx export v1-rows.h5
grep -qF '2,"gamma, the third",3,2.25,failed,1,' last.out || fail "export: $OUTPUT"

# --- the sweep resumes on 2 ranks, in the recorded directory ------------------------------------------------
for kind in grid rows; do
    f=v1-$kind.h5
    export SMX_REC="$SCRATCH/rec-$kind.txt"
    : >"$SMX_REC"
    todo=$("$PY" -c 'import h5py,sys; s=h5py.File(sys.argv[1],"r")["sessions/default/status"][:]; print(" ".join(str(i) for i in range(len(s)) if s[i] != 2))' "orig-$kind.h5")
    (cd elsewhere && mpi 2 run --state "../$f" --retry-failed) >last.out 2>&1 || { cat last.out >&2; fail "$kind: resume"; }
    got=$(cut -d'|' -f1 "$SMX_REC" | sort -n | tr '\n' ' ')
    [ "$got" = "$todo " ] || fail "$kind: the resume ran elements [$got], want each of [$todo] once"
    case $kind in
    grid) grep -qx '7|4 b' "$SMX_REC" || fail "grid: element 7's arguments: $(cat "$SMX_REC")" ;;
    rows) grep -qx '4|eps 5 7.0' "$SMX_REC" && grep -qx '2|gamma, the third 3 2.25' "$SMX_REC" ||
        fail "rows: arguments: $(cat "$SMX_REC")" ;;
    esac
    "$PY" - "$f" "orig-$kind.h5" <<'P' || fail "$kind: records after the resume"
import h5py, sys
new, old = h5py.File(sys.argv[1], "r")["sessions/default"], h5py.File(sys.argv[2], "r")["sessions/default"]
st = new["status"][:]
assert (st == 2).all(), st
done = old["status"][:] == 2
for k in ("attempts", "t_start", "t_end", "rank", "job", "results"):
    assert new[k][:][done].tobytes() == old[k][:][done].tobytes(), "a done element's %s changed" % k
assert (new["results"][:, 0][~done] == [100 * i + 7 for i in range(len(st)) if not done[i]]).all()
P
done
