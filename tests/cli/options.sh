# The command line is uniform across subcommands (one option table each, one parser): a misspelt
# option gets "did you mean", out-of-range or malformed values exit 2 with a message naming the
# option, and neither creates nor changes a file. `--opt=value` and `--opt value` mean the same.
source "$(dirname "$0")/../cli/lib-common.sh"

listing() { ls -A "$SCRATCH" | grep -v -e '^last\.out$' | tr '\n' ' '; }

cat >good.yaml <<'EOF2'
name: opts
command: [sh, -c, 'echo {x}']
parameters:
  x: {min: 1, max: 4, step: 1}
EOF2
expect_rc 0 "first run, --opt=value forms" smx run good.yaml --state=run.h5 --slots=2 --max-time=1h30m \
    --grace 5s --log-mode=none
expect_rc 0 "status" smx status run.h5 --json
[ "$(jget done <last.out)" = 4 ] || fail "the run did not do its 4 elements: $OUTPUT"
# A spec whose timeout uses the order the CLI used to accept and the spec refused.
cat >order.yaml <<'EOF2'
name: opts
command: [echo, "{x}"]
parameters:
  x: {min: 1, max: 4, step: 1}
timeout: 30m1h
EOF2
cp -p run.h5 run.before.h5
before=$(listing)

# did_you_mean WANT CMD...: CMD exits 2 and suggests WANT.
did_you_mean() {
    local want=$1
    shift
    expect_rc 2 "misspelt option in: $*" smx "$@"
    grep -qF -- "did you mean '$want'?" last.out || fail "$*: no \"did you mean '$want'?\" in: $OUTPUT"
    [ "$(wc -l <last.out)" = 1 ] || fail "$*: want one line of error, got: $OUTPUT"
}
did_you_mean --slots run good.yaml --state new.h5 --slotz 2
did_you_mean --max-time run good.yaml --state new.h5 --max-tiem=10m
did_you_mean --state run good.yaml --sate new.h5
did_you_mean --json status run.h5 --jsno
did_you_mean --failures status run.h5 --failure 3
did_you_mean --format export run.h5 --fromat json
did_you_mean json export run.h5 --format jsno
did_you_mean failed requeue run.h5 --status faild
did_you_mean --session destroy run.h5 --sesion x
did_you_mean --show check good.yaml --shwo 2
did_you_mean status stauts run.h5

# range_error WHAT CMD...: CMD exits 2 with a message that names WHAT.
range_error() {
    local what=$1
    shift
    expect_rc 2 "bad value in: $*" smx "$@"
    grep -qF -- "$what" last.out || fail "$*: the message does not name $what: $OUTPUT"
}
range_error --slots run good.yaml --state new.h5 --slots 0
range_error --slots run good.yaml --state new.h5 --slots 2147483648 # was truncated to 0 or wrapped
range_error --chunk run good.yaml --state new.h5 --chunk=4294967297  # was truncated to 1
range_error --retries run good.yaml --state new.h5 --retries -1
range_error --gpus-per-slot run good.yaml --state new.h5 --gpus-per-slot 1.5
range_error --sync-interval run good.yaml --state new.h5 --sync-interval 0
range_error --max-time run good.yaml --state new.h5 --max-time 30m1h
range_error --grace run good.yaml --state new.h5 --grace=-5
range_error --halt-on-failures run good.yaml --state new.h5 --halt-on-failures 0%
range_error --failures status run.h5 --failures -1
range_error --show check good.yaml --show 99999999999
range_error --json status run.h5 --json=yes
range_error --state run good.yaml --state
range_error RUN.h5 status
range_error "unexpected argument" status run.h5 other.h5
range_error "nothing after --" run good.yaml --state new.h5 --
# The same duration grammar in the spec: 30m1h is refused there too, with the spec's position.
range_error "order.yaml:5:10:" check order.yaml
grep -q misorders last.out || fail "spec 30m1h: $OUTPUT"
range_error "misorders" run good.yaml --state new.h5 --max-time 30m1h
[ "$(listing)" = "$before" ] || fail "usage errors created files: $(listing) (before: $before)"
[ ! -e new.h5 ] || fail "a usage error created new.h5"
cmp -s run.h5 run.before.h5 || fail "usage errors modified the state file"

# `--` ends the options of the read-side commands: a state file whose name starts with a dash.
cp run.h5 ./-odd.h5
expect_rc 0 "status of a file named -odd.h5" smx status -- -odd.h5
grep -q '4 done' last.out || fail "status -- -odd.h5: $OUTPUT"

# Every subcommand's --help comes from its table: usage line, each option, and exit 0 on stdout.
for c in check run status export sessions requeue destroy; do
    smx "$c" --help >help.out 2>help.err || fail "$c --help exited $?"
    grep -q "^usage: sweepmux $c " help.out || fail "$c --help: no usage line: $(cat help.out)"
    grep -q -- "-h, --help" help.out || fail "$c --help does not list --help"
    [ ! -s help.err ] || fail "$c --help wrote to stderr: $(cat help.err)"
done
smx run --help >help.out
for o in state session slots chunk no-rank0-tasks logs log-mode max-time grace retries retry-failed \
    extend halt-on-failures gpus-per-slot progress sync-interval; do
    grep -q -- "--$o" help.out || fail "run --help does not list --$o"
done
log "ok"
