#!/bin/sh
# Demo task for sweeps/demo.yaml: demo-task.sh LR WIDTH OPT INDEX.
# Computes a made-up loss from the parameters with awk, sleeps ~50 ms, writes name=value lines to
# $SWEEPMUX_RESULT (when set) and prints one line to stdout.
set -eu
lr=$1 width=$2 opt=$3 index=$4
loss=$(awk -v lr="$lr" -v w="$width" -v opt="$opt" 'BEGIN {
    b = (opt == "adam") ? 0.8 : 1.0
    l = log(lr) / log(10) + 2.5
    printf "%.6f", b * (0.1 + l * l / 10 + 4 / w)
}')
acc=$(awk -v l="$loss" 'BEGIN { printf "%.6f", 1 / (1 + l) }')
sleep 0.05
if [ -n "${SWEEPMUX_RESULT:-}" ]; then
    printf 'loss=%s\naccuracy=%s\n' "$loss" "$acc" > "$SWEEPMUX_RESULT"
fi
echo "element $index: lr=$lr width=$width opt=$opt loss=$loss"
