# --bind-slots pins each slot's tasks to its share of the CPUs the rank may use: with two allowed
# CPUs (taskset) and two slots each slot gets one of its own, with three slots the third shares the
# first CPU, with one slot it gets both; without the option every task may use both.
source "$(dirname "$0")/lib-common.sh"

# Two CPUs this test may use.
cpus=($(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status | tr ',' '\n' |
    awk -F- '{ if (NF == 2) for (c = $1; c <= $2; c++) print c; else print $1 }' | head -n 2))
if [ "${#cpus[@]}" -lt 2 ]; then
    log "SKIP: fewer than two CPUs allowed here"
    exit 77 # ctest: skipped
fi
a=${cpus[0]} b=${cpus[1]}
cat >spec.yaml <<'EOF2'
name: bind
command: [sh, -c, 'echo "$SWEEPMUX_SLOT $(grep Cpus_allowed_list /proc/self/status | cut -f2)" >> bind.txt', "{x}"]
parameters:
  x: {min: 1, max: 12, step: 1}
EOF2

# bound WANT ARGS...: run with the rank on CPUs a and b; the distinct "SLOT CPUS" lines must be WANT.
bound() {
    local want=$1
    shift
    rm -f run.h5 bind.txt
    expect_rc 0 "run $*" taskset -c "$a,$b" "$SWEEPMUX" run spec.yaml --state run.h5 --log-mode none "$@"
    local got
    got=$(sort -u bind.txt | tr '\n' ';')
    [ "$got" = "$want" ] || fail "$*: tasks ran on '$got', want '$want'"
}

both=$(taskset -c "$a,$b" awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)
bound "0 $a;1 $b;" --slots 2 --bind-slots
bound "0 $a;1 $b;2 $a;" --slots 3 --bind-slots
bound "0 $both;" --slots 1 --bind-slots
bound "0 $both;1 $both;" --slots 2
