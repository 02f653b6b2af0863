#!/bin/sh
# Guards run by `make check`: rules of the code base that a compiler does not
# enforce. TAP output. AJWT_SRCDIR is the source tree (set by make check).
top=${AJWT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
glue="$top/mod_auth_jwt.c"
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

# Every APLOGNO is used once.
unique_aplogno() {
    dup=$(grep -o 'APLOGNO([0-9]*)' "$glue" | sort | uniq -d)
    [ -z "$dup" ] || { echo "used twice: $dup"; return 1; }
}

# Every directive the module declares is documented in README.md.
directives_documented() {
    missing=""
    for d in $(grep -oE 'AP_INIT_[A-Z0-9_]+\("[A-Za-z]+"' "$glue" |
               sed 's/.*("//; s/"$//'); do
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

# Every field of auth_jwt_dir_conf is merged in merge_dir_conf.
fields_merged() {
    fields=$(awk '/^typedef struct \{/ { block = "" } { block = block "\n" $0 }
                  /^\} auth_jwt_dir_conf;/ { print block; exit }' "$glue" |
             sed 's,/\*.*,,' | grep -oE '\*?[a-z_]+;' | grep -v auth_jwt_dir_conf | tr -d '*;')
    merge=$(sed -n '/^static void \*merge_dir_conf/,/^}/p' "$glue")
    missing=""
    for f in $fields; do
        printf '%s\n' "$merge" | grep -qE "(MERGE_[A-Z]+\($f\)|c->$f =)" ||
            missing="$missing $f"
    done
    [ -n "$fields" ] && [ -z "$missing" ] || { echo "not merged:$missing"; return 1; }
}

# The only exported symbol of the module is auth_jwt_module.
check "no httpd header under src/" no_httpd_in_core
check "the core neither logs nor reads the clock" no_clock_in_core
check "no APLOGNO used twice" unique_aplogno
check "every directive of mod_auth_jwt.c is in README.md" directives_documented
check "every directive of SPEC.md is in README.md" spec_documented
check "every auth_jwt_dir_conf field is merged" fields_merged
echo "1..$n"
[ "$failed" -eq 0 ]
