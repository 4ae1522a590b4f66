# Usage and input errors exit 2, say what is wrong once (spec errors as file:line:col), and write nothing:
# no state file (nor lock or logs) is created, and an existing state file is left byte-for-byte unchanged.
source "$(dirname "$0")/../cli/lib-common.sh"

# listing: the scratch directory's entries (to prove that nothing was created).
listing() { ls -A "$SCRATCH" | grep -v -e '^last\.out$' -e '^status\.' | tr '\n' ' '; }

# bad_spec NAME LINE COL TEXT: `run` on spec NAME (written from stdin) exits 2 with exactly one message
# naming NAME:LINE:COL, on 1 rank and on 3 ranks, and creates nothing.
bad_spec() {
    local name=$1 line=$2 col=$3 before
    cat >"$name"
    before=$(listing)
    expect_rc 2 "bad spec $name" smx run "$name" --state run.h5
    [ "$(grep -c "$name:$line:$col:" last.out)" = 1 ] ||
        fail "bad spec $name: want exactly one message naming $name:$line:$col, got: $OUTPUT"
    [ "$(grep -c '^sweepmux' last.out)" = 1 ] || fail "bad spec $name: more than one message: $OUTPUT"
    [ "$(listing)" = "$before" ] || fail "bad spec $name: files were created: $(listing) (before: $before)"
    expect_rc 2 "bad spec $name on 3 ranks" mpi 3 run "$name" --state run.h5
    [ "$(grep -c "$name:$line:$col:" last.out)" = 1 ] ||
        fail "bad spec $name on 3 ranks: want exactly one message naming $name:$line:$col (only rank 0 speaks), got: $OUTPUT"
    [ "$(listing)" = "$before" ] || fail "bad spec $name on 3 ranks: files were created: $(listing)"
    # check agrees.
    expect_rc 2 "check of bad spec $name" smx check "$name"
    grep -q "$name:$line:$col:" last.out || fail "check $name: no $name:$line:$col in: $OUTPUT"
}

bad_spec syntax.yaml 6 1 <<'EOF'
name: b
command: [echo, "{x}"]
parameters:
  x: {min: 1, max: 5, step: 1}
  y: [oops
EOF
bad_spec unknown-key.yaml 5 23 <<'EOF'
name: b
command: [echo, "{x}", "{y}"]
parameters:
  x: {min: 1, max: 5, step: 1}
  y: {values: [a, b], bogus: 1}
EOF
bad_spec placeholder.yaml 2 18 <<'EOF'
name: b
command: [echo, "{z}"]
parameters:
  x: {min: 1, max: 5, step: 1}
EOF
bad_spec timeout.yaml 5 10 <<'EOF'
name: b
command: [echo, "{x}"]
parameters:
  x: {min: 1, max: 5, step: 1}
timeout: forever
EOF

# A spec file that does not exist; resuming a state file that does not exist.
before=$(listing)
expect_rc 2 "missing spec file" smx run nosuch.yaml --state run.h5
expect_rc 2 "resume of a missing state file" smx run --state run.h5
[ "$(listing)" = "$before" ] || fail "missing spec/state: files were created: $(listing)"

# --- a changed spec against an existing state file -------------------------------------------------------
cat >good.yaml <<'EOF'
name: b
command: [echo, "{x}"]
parameters:
  x: {min: 1, max: 5, step: 1}
EOF
expect_rc 0 "first run" smx run good.yaml --state run.h5
cp -p run.h5 run.before.h5
mtime=$(stat -c %Y.%s run.h5)
ls -A >dir.before
# changed_spec NAME STORED GIVEN: spec NAME (stdin) differs from the stored one; the message shows both
# the stored line and the given line.
changed_spec() {
    local name=$1 stored=$2 given=$3
    cat >"$name"
    sleep 1.1 # so that any write would show in the mtime too
    expect_rc 2 "changed spec $name" smx run "$name" --state run.h5
    grep -qF -- "$stored" last.out || fail "changed spec $name: message does not show the stored '$stored': $OUTPUT"
    grep -qF -- "$given" last.out || fail "changed spec $name: message does not show the new '$given': $OUTPUT"
    cmp -s run.h5 run.before.h5 || fail "changed spec $name: the state file was modified"
    [ "$(stat -c %Y.%s run.h5)" = "$mtime" ] || fail "changed spec $name: the state file was rewritten"
    expect_rc 2 "changed spec $name on 2 ranks" mpi 2 run "$name" --state run.h5
    cmp -s run.h5 run.before.h5 || fail "changed spec $name on 2 ranks: the state file was modified"
    [ "$(ls -A | grep -v -e '^last\.out$' -e '\.yaml$' | tr '\n' ' ')" = "$(grep -v -e '^last\.out$' -e '\.yaml$' dir.before | tr '\n' ' ')" ] ||
        fail "changed spec $name: files were created: $(ls -A)"
}
changed_spec range.yaml 'max: 5' 'max: 6' <<'EOF'
name: b
command: [echo, "{x}"]
parameters:
  x: {min: 1, max: 6, step: 1}
EOF
changed_spec command.yaml 'command: [echo, "{x}"]' 'command: [echo, "{x}", hi]' <<'EOF'
name: b
command: [echo, "{x}", hi]
parameters:
  x: {min: 1, max: 5, step: 1}
EOF

# --- usage errors -----------------------------------------------------------------------------------------
before=$(listing)
expect_rc 2 "unknown run option" smx run good.yaml --state new.h5 --bogus
grep -q -- '--bogus' last.out || fail "unknown option message does not name --bogus: $OUTPUT"
expect_rc 2 "missing --state" smx run good.yaml
grep -q -- '--state' last.out || fail "missing --state message does not mention --state: $OUTPUT"
expect_rc 2 "--slots 0" smx run good.yaml --state new.h5 --slots 0
expect_rc 2 "--slots abc" smx run good.yaml --state new.h5 --slots abc
expect_rc 2 "--max-time garbage" smx run good.yaml --state new.h5 --max-time soon
expect_rc 2 "--halt-on-failures garbage" smx run good.yaml --state new.h5 --halt-on-failures lots
expect_rc 2 "--log-mode garbage" smx run good.yaml --state new.h5 --log-mode everything
expect_rc 2 "unknown option on 2 ranks" mpi 2 run good.yaml --state new.h5 --bogus
expect_rc 2 "missing --state on 2 ranks" mpi 2 run good.yaml
expect_rc 2 "unknown command" smx frobnicate
expect_rc 2 "unknown status option" smx status run.h5 --bogus
expect_rc 2 "requeue without --status" smx requeue run.h5
expect_rc 2 "export with a bad --status" smx export run.h5 --status sideways
[ "$(listing)" = "$before" ] || fail "usage errors created files: $(listing) (before: $before)"
cmp -s run.h5 run.before.h5 || fail "usage errors modified the state file"
