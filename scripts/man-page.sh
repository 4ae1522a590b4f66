#!/usr/bin/env bash
# man-page.sh SWEEPMUX OUT.1: writes the sweepmux(1) man page with help2man from the program's own
# --help texts (`sweepmux --help` for the synopsis, `sweepmux CMD --help` for every command it lists),
# so the page never says anything the program does not. Run by the build (cmake/man.cmake).
set -euo pipefail
smx=$1
out=$2
inc=$(mktemp)
trap 'rm -f "$inc"' EXIT

# roff: a backslash is \e, and a line starting with . or ' would be a request.
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

# The commands are the indented names under "commands:" in `sweepmux --help`.
commands=$("$smx" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
[ -n "$commands" ] || { echo "man-page.sh: no commands in '$smx --help'" >&2; exit 1; }
{
    echo "[COMMANDS]"
    for c in $commands; do
        echo ".SS \"sweepmux $c\""
        echo ".nf"
        "$smx" "$c" --help | roff
        echo ".fi"
    done
    echo "[SEE ALSO]"
    echo "The README of sweepmux (the state file's layout, the spec format, Slurm recipes)."
    echo "\`python3 -m sweepmux plot|report\` for plots of a sweep, and the Python package \`sweepmux\`."
} >"$inc"
help2man --no-info --no-discard-stderr --section 1 \
    --name "distribute the elements of a parameter sweep over the ranks of an MPI job" \
    --include "$inc" --output "$out.tmp" "$smx"
mv "$out.tmp" "$out"
