#!/usr/bin/env bash
# The public headers stand on their own and are strict-C clean: each one compiles alone with
# `-std=c11 -Wall -Wextra -pedantic -Werror` (and C99, and C++ when mpicxx exists), using only the
# include directory and what mpicc adds. The version macros agree with each other, with
# smx_version() in the built library, with `sweepmux --version` and with the CMake package.
set -euo pipefail
: "${SMX_SOURCE_DIR:?}" "${SMX_BUILD_DIR:?}"
inc=$SMX_SOURCE_DIR/include
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smx-header.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
MPICC=${MPICC:-mpicc}
strict=(-Wall -Wextra -pedantic -Werror -I"$inc")

for h in sweepmux.h sweepmux/common.h sweepmux/errors.h sweepmux/mux.h sweepmux/session.h; do
    # Twice in a row: the include guards must work too.
    printf '#include <%s>\n#include <%s>\nint smx_header_test_dummy;\n' "$h" "$h" > "$tmp/h.c"
    for std in c11 c99; do
        "$MPICC" -std=$std "${strict[@]}" -c "$tmp/h.c" -o "$tmp/h.o" ||
            fail "<$h> does not compile alone with -std=$std -pedantic -Werror"
    done
    if command -v mpicxx > /dev/null; then
        cp "$tmp/h.c" "$tmp/h.cc"
        # The MPI implementations' own C++ bindings are not -pedantic clean: leave them out.
        mpicxx -std=c++11 -DOMPI_SKIP_MPICXX -DMPICH_SKIP_MPICXX "${strict[@]}" -c "$tmp/h.cc" -o "$tmp/h.o" ||
            fail "<$h> does not compile as C++11 with -pedantic -Werror"
    fi
done
echo "ok: every public header compiles alone (C11, C99$(command -v mpicxx > /dev/null && echo ', C++11'))"

# A program that sees only <sweepmux.h>: the macros are consistent at compile time, and agree with
# the library it runs with.
cat > "$tmp/version.c" <<'C'
#include <sweepmux.h>

#include <stdio.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

_Static_assert(SMX_VERSION_NUMBER ==
                   SMX_VERSION_MAJOR * 10000 + SMX_VERSION_MINOR * 100 + SMX_VERSION_PATCH,
               "SMX_VERSION_NUMBER disagrees with MAJOR/MINOR/PATCH");

int main(void)
{
    const char *built = STR(SMX_VERSION_MAJOR) "." STR(SMX_VERSION_MINOR) "." STR(SMX_VERSION_PATCH);
    if (strcmp(built, SMX_VERSION_STRING) != 0) {
        fprintf(stderr, "SMX_VERSION_STRING %s but MAJOR.MINOR.PATCH %s\n", SMX_VERSION_STRING, built);
        return 1;
    }
    if (strcmp(smx_version(), SMX_VERSION_STRING) != 0) {
        fprintf(stderr, "smx_version() %s but SMX_VERSION_STRING %s\n", smx_version(),
                SMX_VERSION_STRING);
        return 1;
    }
    /* A fresh thread has no error, and error names are available without MPI. */
    if (smx_error_last_code() != SMX_OK || strcmp(smx_error_last(), "") != 0 ||
        strcmp(smx_error_name(SMX_EINPUT), "SMX_EINPUT") != 0) {
        fprintf(stderr, "unexpected error state: %d '%s' %s\n", smx_error_last_code(),
                smx_error_last(), smx_error_name(SMX_EINPUT));
        return 1;
    }
    printf("%s\n", smx_version());
    return 0;
}
C
lib=$(find "$SMX_BUILD_DIR" -maxdepth 2 -name 'libsweepmux.so' -print -quit)
[ -n "$lib" ] || fail "no libsweepmux.so under $SMX_BUILD_DIR"
# shellcheck disable=SC2086 # SMX_SANITIZE_FLAGS: the sanitizer build's flags, which the program needs too
"$MPICC" -std=c11 "${strict[@]}" ${SMX_SANITIZE_FLAGS:-} "$tmp/version.c" -o "$tmp/version" -L"$(dirname "$lib")" \
    -lsweepmux -Wl,-rpath,"$(dirname "$lib")" || fail "the version program does not build"
v=$("$tmp/version") || fail "the version program says the versions disagree"
echo "ok: version macros and smx_version() agree: $v"

# The CLI and the CMake package report the same version.
if [ -n "${SWEEPMUX:-}" ]; then
    cli=$("$SWEEPMUX" --version) || fail "sweepmux --version failed"
    grep -qF "$v" <<< "$cli" || fail "sweepmux --version says '$cli', the library $v"
    echo "ok: sweepmux --version: $cli"
fi
cfgv=$SMX_BUILD_DIR/sweepmuxConfigVersion.cmake
if [ -f "$cfgv" ]; then
    grep -q "PACKAGE_VERSION \"$v\"" "$cfgv" || fail "$cfgv does not say version $v"
    echo "ok: sweepmuxConfigVersion.cmake says $v"
fi
