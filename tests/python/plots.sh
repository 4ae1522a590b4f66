# python3 -m sweepmux plot and report against state files made by the real CLI: the PNGs have the
# expected size and are not blank, bad columns are refused with exit 2, and the HTML report is one
# self-contained page whose every image renders in headless chromium.
source "$(dirname "$0")/../cli/lib-common.sh"
source "$SMX_SOURCE_DIR/tests/python/lib-page.sh"

export PYTHONPATH="$SMX_SOURCE_DIR/python"
smxpy() { timeout -k 5 120 "$PY" -m sweepmux "$@"; }
image_ok() { "$PY" "$SMX_SOURCE_DIR/tests/python/check_image.py" "$@" || fail "image $1"; }

cat >task.sh <<'EOF2'
#!/bin/sh
# task.sh LR DEPTH OPT: loss and acc from the parameters; fails for depth 8 with sgd.
awk -v lr="$1" -v d="$2" -v i="$SWEEPMUX_INDEX" 'BEGIN { printf "loss=%.6f\nacc=%.4f\n", (log(lr) / log(10) + 3) ^ 2 / d + (i % 7) / 50, 1 - 1 / d }' >"$SWEEPMUX_RESULT"
if [ "$3" = sgd ] && [ "$2" = 8 ]; then echo "diverged at depth 8" >&2; exit 4; fi
exit 0
EOF2
chmod +x task.sh
cat >grid.yaml <<EOF2
name: plots
command: ["$SCRATCH/task.sh", "{lr}", "{depth}", "{opt}"]
parameters:
  lr: {min: 1.0e-5, max: 1.0e-1, num: 5, scale: log}
  depth: {min: 2, max: 8, step: 2}
  opt: {values: [sgd, adam]}
EOF2
expect_rc 1 "grid run" mpi 2 run grid.yaml --state run.h5 --slots 2

# --- plot ------------------------------------------------------------------------------------------------
expect_rc 0 "plot --hue --logx" smxpy plot run.h5 --x lr --y loss --hue depth --logx -o hue.png
image_ok hue.png 600 400
expect_rc 0 "plot of a string parameter" smxpy plot run.h5 --x opt --y acc -o opt.png
image_ok opt.png 600 400
expect_rc 0 "plot of duration" smxpy plot run.h5 --x depth --y duration --hue opt -o dur.png
image_ok dur.png 600 400
grep -q "loss vs lr, 35 elements" <(smxpy plot run.h5 --x lr --y loss -o plain.png 2>&1) ||
    fail "plot does not say it drew the 35 done elements"
expect_rc 2 "plot of an unknown column" smxpy plot run.h5 --x lr --y nope -o bad.png
grep -q "no column 'nope' (columns: lr, depth, opt, status" last.out || fail "unknown column message: $OUTPUT"
[ ! -e bad.png ] || fail "a refused plot wrote bad.png"
expect_rc 2 "plot of a missing file" smxpy plot missing.h5 --x lr --y loss -o bad.png
grep -q "missing.h5: no such file" last.out || fail "missing file message: $OUTPUT"
expect_rc 2 "plot of a missing session" smxpy plot run.h5 --session zz --x lr --y loss -o bad.png
grep -q "no session 'zz'" last.out || fail "missing session message: $OUTPUT"
expect_rc 2 "plot without --y" smxpy plot run.h5 --x lr -o bad.png

# --- report ----------------------------------------------------------------------------------------------
expect_rc 0 "report" smxpy report run.h5 -o report.html
# Two results, failures by value, durations, timeline.
[ "$(grep -o '<img ' report.html | wc -l)" = 5 ] || fail "report has $(grep -o '<img ' report.html | wc -l) images, want 5"
grep -Eq '(src|href)="(https?:|//|file:)' report.html && fail "report refers to something outside itself"
grep -q "diverged at depth 8" report.html || fail "report does not show the failures' stderr"
grep -q "5 failed" report.html || fail "report does not give the failed count"
"$PY" - report.html <<'EOF2' || fail "the report's images are not valid PNGs"
import base64, re, sys
imgs = re.findall(r'src="data:image/png;base64,([^"]+)"', open(sys.argv[1]).read())
assert len(imgs) == 5, len(imgs)
for k, b in enumerate(imgs):
    open(f"img{k}.png", "wb").write(base64.b64decode(b))
EOF2
for k in 0 1 2 3 4; do image_ok "img$k.png" 500 150; done
check_page report.html 5
# The check itself: a page with one image that cannot decode must not pass.
sed 's|</body>|<img alt="broken" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"></body>|' report.html >broken.html
( check_page broken.html 6 ) 2>/dev/null && fail "the page check passed a broken image"

# --- a sweep being written: the report shows running elements and a running job ------------------------
cat >slow.yaml <<'EOF2'
name: slow
command: [sh, -c, 'sleep 2; echo "loss=$1" > "$SWEEPMUX_RESULT"', sh, "{x}"]
parameters:
  x: {min: 0, max: 29, step: 1}
EOF2
bg_setsid slow.out timeout -k 5 "$(scaled "$SMX_TIMEOUT")" "$SWEEPMUX" run slow.yaml --state slow.h5 --slots 2 --sync-interval 0.2
slow_pid=$BG_PID
for i in $(seq 1 200); do
    "$PY" -c 'import sweepmux, sys; s = sweepmux.open(sys.argv[1]).session(); sys.exit(not (s.counts["done"] >= 2 and s.counts["running"] > 0))' slow.h5 2>/dev/null && break
    sleep 0.1
done
expect_rc 0 "report during a run" smxpy report slow.h5 -o live.html
grep -q "running or died" live.html || fail "the report of a running sweep does not show its running job"
grep -Eq "[1-9][0-9]* running" live.html || fail "the report of a running sweep shows no running elements"
wait_rc "$slow_pid"
[ "$WAIT_RC" -eq 0 ] || fail "the slow run exited $WAIT_RC"
