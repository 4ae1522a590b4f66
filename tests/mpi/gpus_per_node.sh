# Node-local placement: two ranks on one node with --slots 2 --gpus-per-slot 1 and the job's devices in
# CUDA_VISIBLE_DEVICES=4,5,6,7 get disjoint devices (rank 0: 4 and 5, rank 1: 6 and 7), and every task
# sees SWEEPMUX_LOCAL_RANK. Two devices for four slots are refused before anything is written (exit 2,
# a message naming the numbers), unless --gpu-oversubscribe, which shares them. Ranks the launcher
# already gave different device lists each count in their own list from the start.
source "$(dirname "$0")/../cli/lib-common.sh"

export SMX_REC="$SCRATCH/rec.txt"
cat >task.sh <<'EOF'
#!/bin/sh
printf '%s %s %s %s\n' "$SWEEPMUX_RANK" "$SWEEPMUX_LOCAL_RANK" "$SWEEPMUX_SLOT" "$CUDA_VISIBLE_DEVICES" >> "$SMX_REC"
EOF
chmod +x task.sh
cat >spec.yaml <<EOF
name: gpus
command: ["$SCRATCH/task.sh", "{x}"]
parameters:
  x: {min: 1, max: 60, step: 1}
EOF

: >"$SMX_REC"
CUDA_VISIBLE_DEVICES=4,5,6,7 expect_rc 0 "four devices, two ranks x two slots" mpi 2 run spec.yaml --state a.h5 --slots 2 --gpus-per-slot 1 --log-mode none
sort -u "$SMX_REC" >seen.txt
want=$'0 0 0 4\n0 0 1 5\n1 1 0 6\n1 1 1 7'
# Both ranks must have run something; every (rank, slot) pair maps to its own device.
[ "$(awk '{print $1}' seen.txt | sort -u | wc -l)" = 2 ] || fail "only one rank ran tasks: $(cat seen.txt)"
while read -r r l sl d; do
    grep -qx "$r $l $sl $d" <<<"$want" || fail "rank $r local $l slot $sl got CUDA_VISIBLE_DEVICES=$d; want one of: $want"
done <seen.txt

rm -f b.h5
CUDA_VISIBLE_DEVICES=0,1 expect_rc 2 "two devices for four slots" mpi 2 run spec.yaml --state b.h5 --slots 2 --gpus-per-slot 1 --log-mode none
grep -q 'needs 4 GPUs, but CUDA_VISIBLE_DEVICES lists 2' last.out || fail "refusal message: $OUTPUT"
[ ! -e b.h5 ] || fail "a refused placement wrote the state file"

: >"$SMX_REC"
CUDA_VISIBLE_DEVICES=0,1 expect_rc 0 "--gpu-oversubscribe" mpi 2 run spec.yaml --state c.h5 --slots 2 --gpus-per-slot 1 --log-mode none --gpu-oversubscribe
[ "$(awk '{print $4}' "$SMX_REC" | sort -u | tr '\n' ' ')" = "0 1 " ] || fail "--gpu-oversubscribe: devices $(awk '{print $4}' "$SMX_REC" | sort -u | tr '\n' ' ')"

# Different lists per rank (as srun --gpus-per-task gives): no offset, each rank uses its own list.
: >"$SMX_REC"
cat >percvd.sh <<EOF
#!/bin/sh
case "\${OMPI_COMM_WORLD_RANK:-\$PMI_RANK}" in 0) CUDA_VISIBLE_DEVICES=2,3 ;; *) CUDA_VISIBLE_DEVICES=8,9 ;; esac
export CUDA_VISIBLE_DEVICES
exec "$SWEEPMUX" "\$@"
EOF
chmod +x percvd.sh
expect_rc 0 "per-rank device lists" timeout -k 5 "$(scaled "$SMX_TIMEOUT")" "$MPIEXEC" -n 2 "$SCRATCH/percvd.sh" run spec.yaml --state d.h5 --slots 2 --gpus-per-slot 1 --log-mode none
bad=$(awk '!(($1 == 0 && ($4 == 2 || $4 == 3)) || ($1 == 1 && ($4 == 8 || $4 == 9)))' "$SMX_REC" | head -3)
[ -z "$bad" ] || fail "per-rank lists: tasks got $bad"
