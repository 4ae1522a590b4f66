# An MPI program per element: each task runs `$MPIEXEC -n 2 elem_mpi` (a real two-rank MPI job) from
# inside a two-rank sweepmux job. Tasks do not inherit the launcher's per-rank variables (Open MPI's
# OMPI_COMM_WORLD_*, OMPI_MCA_orte_*, PMIX_*, MPICH's PMI_*, ...), so every nested job starts and reports
# ranks=2 sum=1; variables a user exported for MPI (OMPI_ALLOW_RUN_AS_ROOT, other OMPI_MCA_*) stay. With
# --keep-launcher-env the same tasks inherit them, and the nested launch fails.
source "$(dirname "$0")/../cli/lib-common.sh"

PROG="$SMX_TEST_HELPERS/elem_mpi"
[ -x "$PROG" ] || fail "helper $PROG is not built"
N=6
export SMX_MYVAR=kept
cat >task.sh <<EOF
#!/bin/sh
env > "$SCRATCH/env.\$SWEEPMUX_INDEX"
exec timeout -k 5 $(scaled 60) "$MPIEXEC" -n 2 "$PROG"
EOF
chmod +x task.sh
cat >spec.yaml <<EOF
name: nested
command: ["$SCRATCH/task.sh", "{x}"]
retries: 0
parameters:
  x: {min: 1, max: $N, step: 1}
EOF

SMX_TIMEOUT=240 expect_rc 0 "nested mpiexec in every task" mpi 2 run spec.yaml --state run.h5 --log-mode task
h5check run.h5 default "
st = s['status'][:]
if (st != 2).any(): fail('%d of $N elements not done' % (st != 2).sum())
names = [n.decode() if isinstance(n, bytes) else n for n in s['result_names'][:]]
r = s['results'][:]
for want, col in (('ranks', 2.0), ('sum', 1.0)):
    if want not in names: fail('no %s result: %s' % (want, names))
    v = r[:, names.index(want)]
    if (v != col).any(): fail('%s: %s, want all %s' % (want, v.tolist(), col))
"
for f in env.*; do
    for v in OMPI_COMM_WORLD_RANK OMPI_MCA_orte_hnp_uri OMPI_MCA_ess PMIX_RANK PMIX_NAMESPACE PMI_RANK PMI_FD PMI_PORT HYDRA_CONTROL_FD MPI_LOCALRANKID; do
        ! grep -q "^$v=" "$f" || fail "$f: the task inherited the launcher's $v"
    done
    for v in SMX_MYVAR OMPI_ALLOW_RUN_AS_ROOT SWEEPMUX_RANK SWEEPMUX_INDEX PATH; do
        grep -q "^$v=" "$f" || fail "$f: the task lost $v"
    done
done
if is_openmpi; then
    grep -q '^OMPI_MCA_rmaps_base_oversubscribe=1' env.1 || fail "a user's OMPI_MCA_ setting did not reach the task"
fi

# --keep-launcher-env: the tasks see the outer job's variables. Open MPI's mpirun then refuses to
# start ("does not support recursive calls"); MPICH's hydra happens to cope, so there only the
# variables are checked.
rm -f env.*
if is_openmpi; then
    expect_rc 1 "nested mpiexec with --keep-launcher-env" mpi 2 run spec.yaml --state keep.h5 --log-mode none --keep-launcher-env
    js=$(status_json keep.h5)
    [ "$(jget failed <<<"$js")" = "$N" ] || fail "--keep-launcher-env: want all $N nested launches to fail: $js"
else
    expect_rc 0 "nested mpiexec with --keep-launcher-env" mpi 2 run spec.yaml --state keep.h5 --log-mode none --keep-launcher-env
fi
grep -Eq '^(OMPI_COMM_WORLD_RANK|PMI_RANK|PMIX_RANK)=' env.1 || fail "--keep-launcher-env: the launcher's variables did not reach the task"
