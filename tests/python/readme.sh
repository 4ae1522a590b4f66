# Every example of README.md's "Looking at results" section runs, in order, from a copy of the
# repository root: the sh blocks with bash (sweepmux and python3 on PATH), the python blocks with the
# system python3 and the package in place. Then a few checks that they did what the README says.
source "$(dirname "$0")/../cli/lib-common.sh"

mkdir -p bin home
ln -s "$SWEEPMUX" bin/sweepmux
ln -s "$PY" bin/python3
ln -s "$SMX_SOURCE_DIR/sweeps" sweeps
ln -s "$SMX_SOURCE_DIR/python" python
export PATH="$SCRATCH/bin:$PATH" HOME="$SCRATCH/home" PYTHONPATH="$SMX_SOURCE_DIR/python" PIP_NO_INDEX=1 PIP_FIND_LINKS=

# The fenced sh and python blocks between "## Looking at results" and the next "## " heading, one
# file each: block-NN.sh / block-NN.py.
"$PY" - "$SMX_SOURCE_DIR/README.md" <<'EOF2' || fail "cannot extract the README's examples"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
start = text.index("\n## Looking at results\n")
end = text.index("\n## ", start + 1)
blocks = re.findall(r"^```(sh|python)\n(.*?)^```$", text[start:end], re.S | re.M)
assert len(blocks) >= 6, blocks
for k, (lang, body) in enumerate(blocks):
    open(f"block-{k:02d}.{'sh' if lang == 'sh' else 'py'}", "w").write(body)
print(len(blocks), "blocks")
EOF2
for b in block-*; do
    log "running $b: $(head -n 1 "$b")"
    rc=0
    case $b in
    *.sh) timeout -k 5 300 bash -euo pipefail "$b" >"$b.out" 2>&1 || rc=$? ;;
    *.py) timeout -k 5 300 "$PY" "$b" >"$b.out" 2>&1 || rc=$? ;;
    esac
    [ "$rc" -eq 0 ] || { tail -n 30 "$b.out" >&2; fail "README example $b exited $rc"; }
done

# The examples' results are what the README says they are.
grep -q "demo.h5: 40 done, 0 failed, 0 pending of 40 (complete)" block-00.sh.out || fail "the demo run: $(tail -n 2 block-00.sh.out)"
grep -Eq '^\* adam +20 +20 +0 +0 +0 ' block-01.sh.out || fail "status --by opt: $(cat block-01.sh.out)"
grep -q '"by": \["width"\]' block-01.sh.out || fail "status --by width --json did not run"
grep -q "demo.h5: complete: 40 done, 0 failed" block-02.sh.out || fail "status --watch: $(tail -n 3 block-02.sh.out)"
[ -x home/venv/bin/python ] && (cd / && "$SCRATCH/home/venv/bin/python" -c 'import sweepmux') ||
    fail "the pip example did not install the package"
grep -q "'done': 40, 'failed': 0, 'total': 40" block-04.py.out || fail "python example: $(head -n 3 block-04.py.out)"
for png in loss.png duration.png; do
    "$PY" "$SMX_SOURCE_DIR/tests/python/check_image.py" "$png" 600 400 || fail "README plot $png"
done
[ "$(grep -o '<img ' report.html | wc -l)" -ge 5 ] || fail "the README's report has too few images"
