# The Python reader (python/sweepmux) against state files made by the real CLI: grid, random and list
# sweeps, several sessions, failures (exit codes, a signal, stderr tails), a file read over and over while
# a run writes it, the numpy fallback without pandas, clear errors for foreign and old files, and
# `pip install ./python` offline.
source "$(dirname "$0")/../cli/lib-common.sh"

export PYTHONPATH="$SMX_SOURCE_DIR/python"
CHECK="$SMX_SOURCE_DIR/tests/python/check_reader.py"
check() { "$PY" "$CHECK" "$SWEEPMUX" "$@" || fail "check_reader.py $*"; }

cat >task.sh <<'EOF2'
#!/bin/sh
# task.sh LR DEPTH ACT: reports loss = LR * DEPTH; fails (exit 7) for depth 4 with tanh and kills itself
# (SIGTERM) for depth 6 with tanh.
echo "loss=$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.17g", a * b }')" >"$SWEEPMUX_RESULT"
if [ "$3" = tanh ] && [ "$2" = 4 ]; then echo "depth 4 is too deep for tanh" >&2; exit 7; fi
if [ "$3" = tanh ] && [ "$2" = 6 ]; then kill -TERM $$; fi
exit 0
EOF2
chmod +x task.sh
cat >grid.yaml <<EOF2
name: grid
command: ["$SCRATCH/task.sh", "{lr}", "{depth}", "{act}"]
parameters:
  lr: {values: [0.1, 0.01]}
  depth: {min: 2, max: 6, step: 2}
  act: {values: [relu, tanh]}
EOF2

# --- a grid sweep with failures on 2 ranks ---------------------------------------------------------------
expect_rc 1 "grid run" mpi 2 run grid.yaml --state grid.h5
# A file as written before parameters were stored (format_version 1: no /params).
cp grid.h5 v1.h5
"$PY" -c 'import h5py, sys
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs["format_version"] = 1
    for g in ("params", "param_values"):
        if g in f:
            del f[g]' v1.h5
check grid grid.h5

# --- several sessions, one with a command override --------------------------------------------------------
expect_rc 1 "session a" smx run grid.yaml --state sess.h5 --session a
expect_rc 0 "session b" smx run grid.yaml --state sess.h5 --session b -- /bin/true "{lr}" "{depth}" "{act}"
check sessions sess.h5

# --- a random sweep and a list sweep ----------------------------------------------------------------------
cat >rand.yaml <<EOF2
name: rand
command: [sh, -c, 'echo "score=\$1" > "\$SWEEPMUX_RESULT"', sh, "{lr}-{opt}-{layers}-{drop}-{flag}"]
method: random
count: 25
seed: 3
parameters:
  lr: {distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-1}
  opt: {distribution: categorical, values: [sgd, adam, "ad,am w"]}
  layers: {distribution: int_uniform, min: 2, max: 12}
  drop: {distribution: uniform, min: 0.0, max: 0.5}
  flag: {values: [true, false]}
EOF2
expect_rc 0 "random run" smx run rand.yaml --state rand.h5
check compare rand.h5 default lr opt layers drop flag
cat >list.yaml <<EOF2
name: list
command: [sh, -c, 'echo "epochs=\$1" > "\$SWEEPMUX_RESULT"', sh, "{epochs}", "{model}", "{data}"]
method: list
parameters:
  data: {value: "imagenet 1k"}
rows:
  - {model: resnet50, lr: 0.1, epochs: 90}
  - {model: "vit-b/16 ü", lr: 0.001, epochs: 300}
  - {model: convnext-t, lr: 0.004, epochs: 300}
EOF2
expect_rc 0 "list run" smx run list.yaml --state list.h5
"$PY" - list.h5 <<'EOF2' || fail "list sweep values"
import sys, sweepmux
df = sweepmux.read(sys.argv[1])
assert list(df["model"]) == ["resnet50", "vit-b/16 ü", "convnext-t"], list(df["model"])
assert list(df["epochs"]) == [90, 300, 300] and list(df["lr"]) == [0.1, 0.001, 0.004], df
assert (df["data"] == "imagenet 1k").all() and list(df["result.epochs"]) == [90.0, 300.0, 300.0], df  # a result named like a parameter
EOF2

# --- without pandas: a numpy structured array ----------------------------------------------------------
"$PY" - grid.h5 <<'EOF2' || fail "numpy fallback without pandas"
import sys
sys.modules["pandas"] = None  # as if pandas were not installed
import numpy as np, sweepmux
a = sweepmux.read(sys.argv[1])
assert isinstance(a, np.ndarray) and a.shape == (12,), type(a)
assert a["status"][0] == "done" and a["act"][1] == "tanh" and a["lr"][0] == 0.1, a[:2]
s = sweepmux.open(sys.argv[1]).session()
assert isinstance(s.jobs, np.ndarray) and s.jobs["reason"][0] == "complete", s.jobs
EOF2

# --- bad files -------------------------------------------------------------------------------------------
"$PY" -c 'import h5py, sys; h5py.File(sys.argv[1], "w").create_dataset("x", data=[1])' other.h5
check errors v1.h5 other.h5
"$PY" -c 'import sweepmux; sweepmux.read("missing.h5")' 2>err.txt && fail "reading a missing file worked"
grep -q "FileNotFoundError" err.txt || fail "missing file: $(tail -n 1 err.txt)"

# --- a file read over and over while a run writes it ------------------------------------------------------
cat >slow.yaml <<'EOF2'
name: slow
command: [sh, -c, 'sleep 1; echo "loss=$(($1 * 2))" > "$SWEEPMUX_RESULT"', sh, "{x}"]
parameters:
  x: {min: 0, max: 59, step: 1}
EOF2
expect_rc 0 "check slow" smx check slow.yaml
bg_setsid run.out timeout -k 5 "$(scaled "$SMX_TIMEOUT")" "$MPIEXEC" -n 3 "$SWEEPMUX" run slow.yaml --state slow.h5 --slots 2 --sync-interval 0.2
run_pid=$BG_PID
for i in $(seq 1 300); do
    [ -e slow.h5 ] && break
    sleep 0.05
done
"$PY" "$CHECK" "$SWEEPMUX" running slow.h5 60 "$run_pid" || fail "reading during the run"
wait_rc "$run_pid"
[ "$WAIT_RC" -eq 0 ] || { cat run.out >&2; fail "the slow run exited $WAIT_RC"; }
check compare slow.h5 default x

# --- installable offline, with pip, into a virtual environment ---------------------------------------------
"$PY" -m venv --system-site-packages venv || fail "python3 -m venv"
PIP_NO_INDEX=1 PIP_FIND_LINKS= venv/bin/pip install --no-cache-dir "$SMX_SOURCE_DIR/python" >pip.out 2>&1 ||
    { cat pip.out >&2; fail "pip install ./python failed offline"; }
(cd / && env -u PYTHONPATH "$SCRATCH/venv/bin/python" -c 'import sweepmux, sys; assert "/venv/" in sweepmux.__file__, sweepmux.__file__; print(sweepmux.read(sys.argv[1]).shape)' "$SCRATCH/grid.h5") >shape.txt ||
    fail "the pip-installed package does not read grid.h5"
[ "$(cat shape.txt)" = "(12, 14)" ] || fail "pip-installed read(): shape $(cat shape.txt)"
