#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fuzz/build.sh [OUTDIR]: build every libFuzzer harness of fuzz/ with
# clang, AddressSanitizer and UndefinedBehaviorSanitizer (any UB aborts),
# linking the core's sources (src/*.c) directly. OUTDIR defaults to
# $AJWT_FUZZ_BUILD or ../build-fuzz-lf next to the source tree.
# Prints the harness names it built, one per line, on stdout.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=${1:-${AJWT_FUZZ_BUILD:-$(dirname "$top")/build-fuzz-lf}}
CC=${CC:-clang}
mkdir -p "$out/obj"

pkgs="apr-1 apr-util-1 openssl jansson libmemcached libcurl hiredis"
deps_cflags=$(pkg-config --cflags $pkgs)
deps_libs=$(pkg-config --libs $pkgs)
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -fno-omit-frame-pointer $san -Wall -Wextra -Werror \
 -Wno-unused-parameter $deps_cflags -I$top/src -I$top/t/unit -I$here"

# The core, once, instrumented for coverage (fuzzer-no-link).
objs=
for c in "$top"/src/*.c; do
    o="$out/obj/$(basename "$c" .c).o"
    if [ ! -f "$o" ] || [ "$c" -nt "$o" ] \
       || [ -n "$(find "$top/src" -name '*.h' -newer "$o")" ]; then
        $CC $cflags -fsanitize=fuzzer-no-link -c "$c" -o "$o" >&2
    fi
    objs="$objs $o"
done

# t/unit/fixtures.h's fx_die() exits but is not marked noreturn, which
# clang's -Wsometimes-uninitialized does not see through.
for h in "$here"/fuzz_*.c; do
    name=$(basename "$h" .c)
    $CC $cflags -Wno-sometimes-uninitialized -fsanitize=fuzzer "$h" $objs $deps_libs -o "$out/$name" >&2
    echo "$name"
done
