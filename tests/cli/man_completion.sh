# `cmake --install` puts the man page (generated from the --help texts at build time) and the bash
# completion in their usual places; the page documents every command and option the program has, and
# the completion offers commands, options, option values, session names read from the state file,
# and spec/state files.
source "$(dirname "$0")/lib-common.sh"

timeout -k 5 300 cmake --install "$SMX_BUILD_DIR" --prefix "$SCRATCH/prefix" >install.out 2>&1 ||
    { cat install.out >&2; fail "cmake --install"; }
page="$SCRATCH/prefix/share/man/man1/sweepmux.1"
comp="$SCRATCH/prefix/share/bash-completion/completions/sweepmux"
[ -s "$page" ] || fail "no man page at $page"
[ -s "$comp" ] || fail "no bash completion at $comp"

# --- the man page ------------------------------------------------------------------------------------------
head -n 5 "$page" | grep -q '^\.TH SWEEPMUX "1"' || fail "man page header: $(head -n 5 "$page")"
if command -v man >/dev/null; then
    MANPATH="$SCRATCH/prefix/share/man" MANWIDTH=100 man sweepmux 2>man.err | col -b >man.txt ||
        { cat man.err >&2; fail "man sweepmux"; }
else
    # Without man-db, render it the way man would.
    groff -man -Tutf8 "$page" 2>/dev/null | col -b >man.txt || cp "$page" man.txt
fi
grep -q "distribute the elements of a parameter sweep" man.txt || fail "man page has no NAME line"
commands=$(smx --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
[ "$(echo $commands | wc -w)" -ge 7 ] || fail "sweepmux --help lists too few commands: $commands"
for c in $commands; do
    grep -q "sweepmux $c" man.txt || fail "man page does not document '$c'"
    for o in $(smx "$c" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
        grep -q -- "$o" man.txt || fail "man page lacks option $o of '$c'"
    done
done

# --- the bash completion -----------------------------------------------------------------------------------
cat >spec.yaml <<'EOF2'
name: comp
command: [/bin/true, "{x}"]
parameters:
  x: {values: [1, 2]}
EOF2
expect_rc 0 "session alpha" smx run spec.yaml --state run.h5 --session alpha
expect_rc 0 "session beta" smx run spec.yaml --state run.h5 --session beta
mkdir sub
# complete WORDS...: COMPREPLY (sorted, one line) for the command line WORDS, completing the last word.
complete_words() {
    PATH="$(dirname "$SWEEPMUX"):$PATH" bash -c '
        shopt -s extglob progcomp
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _sweepmux
        ((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' complete "$comp" "$@"
}
want() {
    local got
    got=$(complete_words "${@:2}")
    [ "$got" = "$1" ] || fail "completion of '${*:2}': got '$got', want '$1'"
}
want "sessions status " sweepmux s
want "requeue run " sweepmux r
want "upgrade " sweepmux u
want "--json " sweepmux status run.h5 --j
want "--retries --retry-failed " sweepmux run spec.yaml --ret
want "alpha beta " sweepmux status run.h5 --session ""
want "alpha " sweepmux run --state run.h5 --session al
want "done failed pending running " sweepmux export run.h5 --status ""
want "csv json spec " sweepmux export run.h5 --format ""
want "none rank task " sweepmux run spec.yaml --log-mode ""
want "prefix/ run.h5 run.logs/ sub/ " sweepmux status ""
want "prefix run.logs sub " sweepmux upgrade run.h5 --dir ""
want "spec.yaml " sweepmux check sp
want "true truncate " sweepmux run spec.yaml --state run.h5 -- tru
want "" sweepmux status run.h5 --failures ""
