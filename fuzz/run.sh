#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fuzz/run.sh SECONDS [TARGET...]: build the libFuzzer harnesses (ASan +
# UBSan) and run each (or the named ones) for SECONDS, one after the other.
#
# Output: a TAP plan and one line per harness, e.g.
#   1..6
#   ok 1 - fuzz_token 123456 execs, cov 1234, ft 5678, corpus 300
#   not ok 2 - fuzz_keys crash after 1000 execs: /path/crash-abc (log /path/fuzz_keys.log)
# Exit status 0 when every harness ran without a crash, leak, timeout or
# sanitizer report; 1 otherwise; 2 when the build failed.
#
# The committed seeds (fuzz/corpus/TARGET) are read, never written; what a
# run finds is kept in OUTDIR/corpus/TARGET (OUTDIR: $AJWT_FUZZ_BUILD or
# ../build-fuzz-lf next to the source tree), so later runs start from it.
# Crash inputs land in OUTDIR/artifacts/. Extra libFuzzer flags may be
# given in $AJWT_FUZZ_FLAGS; AJWT_FUZZ_NOBUILD=1 skips the build.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=${AJWT_FUZZ_BUILD:-$(dirname "$top")/build-fuzz-lf}
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift

if [ -n "${AJWT_FUZZ_NOBUILD:-}" ]; then
    # Already built (two runs in parallel must not relink the same files).
    targets=$(cd "$out" && ls fuzz_* | grep -v '\.')
elif ! targets=$("$here/build.sh" "$out" 2>"$out.build.log"); then
    echo "1..1"
    echo "not ok 1 - fuzz build failed (see $out.build.log)"
    exit 2
fi
[ $# -gt 0 ] && targets="$*"

# The largest input worth trying: a token or revoke body over its limit.
max_len() {
    case $1 in
        fuzz_token|fuzz_dpop) echo 9000 ;;
        fuzz_revoke) echo 17000 ;;
        fuzz_keys|fuzz_jwks) echo 12000 ;;
        *) echo 4096 ;;
    esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

n=0
failed=0
set -- $targets
echo "1..$#"
mkdir -p "$out/artifacts"
for t in $targets; do
    n=$((n + 1))
    mkdir -p "$out/corpus/$t"
    log="$out/$t.log"
    seeds="$here/corpus/$t"
    [ -d "$seeds" ] || seeds=
    "$out/$t" -max_total_time="$secs" -print_final_stats=1 \
        -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$out/artifacts/$t-" ${AJWT_FUZZ_FLAGS:-} \
        "$out/corpus/$t" $seeds >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ $rc -eq 0 ] && ! grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\|libFuzzer\)\|runtime error:' "$log"; then
        echo "ok $n - $t ${execs:-0} execs, cov ${cov:-0}, ft ${ft:-0}, corpus ${corp:-0}"
    else
        art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        what=$(grep -o 'ERROR: [A-Za-z]*: [a-z-]*\|runtime error: .*' "$log" | head -1)
        echo "not ok $n - $t ${what:-exit $rc} after ${execs:-?} execs: ${art:-no artifact} (log $log)"
        failed=$((failed + 1))
    fi
done
[ $failed -eq 0 ]
