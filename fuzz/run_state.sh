#!/usr/bin/env bash
# Runs fuzz_state for SECONDS: fuzz/run_state.sh BINARY SECONDS WORKDIR CORPUS [LIBFUZZER-ARG...]
#
# HDF5 1.10 itself crashes on some damaged files (a SEGV decoding a layout message, an attribute
# name read past its end, ...): sweepmux has to open an object to check it, so no check of its own
# can keep HDF5 from that. A crash whose first frame in HDF5 or sweepmux code is in libhdf5, and
# whose overflowed buffer (if ASan names one) HDF5 allocated, is HDF5's defect: its input is kept
# as WORKDIR/hdf5-defect-* and fuzzing goes on. Any other report (a frame of sweepmux first, a
# buffer sweepmux allocated, UBSan, a leak, a timeout in sweepmux, an HDF5 object left open) fails.
set -uo pipefail
bin=$1 secs=$2 work=$3 corpus=$4
shift 4
mkdir -p "$work/corpus"
# A damaged header makes HDF5 ask for absurd allocations (2^62 bytes); glibc's malloc returns NULL
# for those and HDF5 reports an error, so the sanitizer's allocator must return NULL too. (Hence
# also -malloc_limit_mb above the sanitizer's own 1 TiB cap, given by the callers.)
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1}
end=$((SECONDS + secs))
hdf5=0
# Prints "hdf5" or "sweepmux" for the report in log $1: the first frame in libhdf5 or in a source
# file decides, in the crash's stack and in the stack that allocated the buffer.
owner() {
    awk '
        BEGIN { s = 0 }
        /ERROR: (AddressSanitizer|libFuzzer)/ { on = 1 }
        !on { next }
        /^(allocated|freed|previously allocated) by thread/ { s++; next }
        /^ *#[0-9]+ / && !((s) in who) {
            if (/libhdf5/) who[s] = "hdf5"
            else if (/\/(src|fuzz)\/[^ ]*\.c:[0-9]/) who[s] = "sweepmux"
        }
        END {
            r = (0 in who) && who[0] == "hdf5" ? "hdf5" : "sweepmux"
            for (k in who) if (who[k] == "sweepmux") r = "sweepmux"
            print r
        }' "$1"
}
while ((SECONDS < end)); do
    log=$work/last.log
    "$bin" -max_total_time=$((end - SECONDS)) -artifact_prefix="$work/" "$@" "$work/corpus" \
        "$corpus" >"$log" 2>&1
    rc=$?
    if ((rc == 0)); then
        tail -n 12 "$log"
        break
    fi
    input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if grep -q "runtime error\|LeakSanitizer\|objects left open" "$log" || [[ -z $input ]] ||
        [[ $(owner "$log") != hdf5 ]]; then
        cat "$log"
        echo "fuzz_state: a defect in sweepmux (input: ${input:-none})" >&2
        exit 1
    fi
    hdf5=$((hdf5 + 1))
    mv "$input" "$work/hdf5-defect-$(basename "$input")"
    grep -m1 "SUMMARY:" "$log" | sed 's/^/fuzz_state: HDF5 defect, fuzzing goes on: /' >&2
done
echo "fuzz_state: $hdf5 crash(es) inside libhdf5 on damaged files (inputs in $work/hdf5-defect-*)" >&2
