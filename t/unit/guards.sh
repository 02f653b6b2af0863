#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Guards run by `make check`: rules of the code base that a compiler does not
# enforce. TAP output. AJWT_SRCDIR is the source tree (set by make check).
top=${AJWT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# The glue: mod_auth_jwt.c, mod_auth_jwt_<role>.c and mod_auth_jwt.h. Each
# guard on it reads all of them (a glob, so a new file is covered too).
n=0 failed=0

check() {   # check "description" command...
    desc=$1; shift
    n=$((n + 1))
    if out=$("$@" 2>&1); then
        echo "ok $n - $desc"
    else
        failed=$((failed + 1))
        echo "not ok $n - $desc"
        printf '%s\n' "$out" | sed 's/^/#   /'
    fi
}

# src/ is the httpd-free core.
no_httpd_in_core() {
    bad=$(grep -nE '#[[:space:]]*include[[:space:]]*[<"](httpd|http_[a-z_]+|ap_[a-z_]+|mod_[a-z_]+|util_[a-z_]+)\.h' \
          "$top"/src/*.[ch])
    [ -z "$bad" ] || { echo "$bad"; return 1; }
}

# The core never logs and never reads the clock.
no_clock_in_core() {
    bad=$(grep -nE '\b(apr_time_now|time|gettimeofday|clock_gettime|fprintf|printf|syslog)[[:space:]]*\(' \
          "$top"/src/*.c | grep -v 'snprintf')
    [ -z "$bad" ] || { echo "$bad"; return 1; }
}

# Every glue .c includes mod_auth_jwt.h and no other glue file; the header
# includes only httpd, APR and core (src/) headers: no cycles.
glue_includes() {
    bad=""
    for f in "$top"/mod_auth_jwt*.c; do
        grep -q '^#include "mod_auth_jwt\.h"$' "$f" ||
            bad="$bad ${f##*/}:no-mod_auth_jwt.h"
        inc=$(grep -nE '^#[[:space:]]*include[[:space:]]*"mod_auth_jwt' "$f" |
              grep -v ':#include "mod_auth_jwt\.h"$')
        [ -z "$inc" ] || bad="$bad ${f##*/}:$inc"
    done
    inc=$(grep -nE '^#[[:space:]]*include' "$top/mod_auth_jwt.h" |
          grep -vE '"(httpd|http_[a-z_]+|ap_[a-z_]+|apr[a-z_]*|apu[a-z_]*|ajwt[a-z_]*)\.h"$')
    [ -z "$inc" ] || bad="$bad mod_auth_jwt.h:$inc"
    [ -z "$bad" ] || { echo "$bad"; return 1; }
}

# A glue function is static, or auth_jwt_<role>_<verb> in
# mod_auth_jwt_<role>.c and declared in mod_auth_jwt.h; auth_jwt_module is
# the one symbol the .so exports (-export-symbols-regex).
glue_names() {
    bad=""
    for f in "$top"/mod_auth_jwt*.c; do
        role=${f##*/mod_auth_jwt}; role=${role#_}; role=${role%.c}
        for fn in $(grep -E '^[a-z][a-z_0-9 ]*[ *][a-z_0-9]+\(' "$f" |
                    grep -vE '^(static|typedef|extern|struct|enum|union) ' |
                    sed -E 's/\(.*//; s/.*[ *]//'); do
            case $fn in
                auth_jwt_"$role"_*) grep -q "[ *]$fn(" "$top/mod_auth_jwt.h" ||
                                        bad="$bad $fn:not-in-mod_auth_jwt.h" ;;
                *) bad="$bad ${f##*/}:$fn" ;;
            esac
        done
    done
    [ -z "$bad" ] || { echo "not static, not auth_jwt_<role>_*:$bad"; return 1; }
}

# Every APLOGNO is used once, across all the glue files.
unique_aplogno() {
    all=$(grep -ho 'APLOGNO([0-9]*)' "$top"/mod_auth_jwt*.c "$top"/mod_auth_jwt*.h)
    [ -n "$all" ] || { echo "no APLOGNO found"; return 1; }
    dup=$(printf '%s\n' "$all" | sort | uniq -d)
    [ -z "$dup" ] || { echo "used twice: $dup"; return 1; }
}

# Every directive the module declares is documented in README.md.
directives_documented() {
    missing=""
    all=$(grep -ohE 'AP_INIT_[A-Z0-9_]+\("[A-Za-z]+"' \
              "$top"/mod_auth_jwt*.c "$top"/mod_auth_jwt*.h |
          sed 's/.*("//; s/"$//')
    [ -n "$all" ] || { echo "no AP_INIT_* directive found"; return 1; }
    for d in $all; do
        grep -q "$d" "$top/README.md" || missing="$missing $d"
    done
    [ -z "$missing" ] || { echo "not in README.md:$missing"; return 1; }
}

# Every SPEC directive name also appears in README.md (the reference).
spec_documented() {
    spec="$top/../shared/SPEC.md"
    [ -f "$spec" ] || return 0
    missing=""
    for d in $(grep -oE '`AuthJWT[A-Za-z]+' "$spec" | tr -d '`' | sort -u); do
        grep -q "$d" "$top/README.md" || missing="$missing $d"
    done
    [ -z "$missing" ] || { echo "not in README.md:$missing"; return 1; }
}

# Every field of auth_jwt_dir_conf (mod_auth_jwt.h) is merged in the
# dir merge function (mod_auth_jwt_config.c), wherever the two are.
fields_merged() {
    fields=$(cat "$top"/mod_auth_jwt*.h "$top"/mod_auth_jwt*.c |
             awk '/^typedef struct \{/ { block = "" } { block = block "\n" $0 }
                  /^\} auth_jwt_dir_conf;/ { print block; exit }' |
             sed 's,/\*.*,,' | grep -oE '\*?[a-z_]+;' | grep -v auth_jwt_dir_conf | tr -d '*;')
    merge=$(cat "$top"/mod_auth_jwt*.c |
            sed -n '/^[a-z ]*void \*[a-z_]*merge_dir[a-z_]*(/,/^}/p')
    missing=""
    for f in $fields; do
        printf '%s\n' "$merge" | grep -qE "(MERGE_[A-Z]+\($f\)|c->$f =)" ||
            missing="$missing $f"
    done
    [ -n "$fields" ] && [ -n "$merge" ] && [ -z "$missing" ] ||
        { echo "not merged:$missing"; return 1; }
}

# Every C source and header carries its license as an SPDX line (LICENSE).
spdx_lines() {
    bad=""
    for f in "$top"/mod_auth_jwt*.[ch] "$top"/src/*.[ch] "$top"/tools/*.c \
             "$top"/t/unit/*.[ch] "$top"/fuzz/*.[ch]; do
        [ -f "$f" ] || continue
        head -3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' ||
            bad="$bad ${f#$top/}"
    done
    [ -z "$bad" ] || { echo "no SPDX line:$bad"; return 1; }
}

check "no httpd header under src/" no_httpd_in_core
check "the core neither logs nor reads the clock" no_clock_in_core
check "the glue files share mod_auth_jwt.h, and only it" glue_includes
check "glue functions are static or auth_jwt_<role>_*" glue_names
check "no APLOGNO used twice" unique_aplogno
check "every directive of mod_auth_jwt*.c is in README.md" directives_documented
check "every directive of SPEC.md is in README.md" spec_documented
check "every auth_jwt_dir_conf field is merged" fields_merged
check "every C file has an SPDX license line" spdx_lines
echo "1..$n"
[ "$failed" -eq 0 ]
