#!/bin/sh
# run.sh: every fuzz target for a while, one after another.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#
# BUILD_DIR is a -DFRAGSIM_FUZZ=ON build (`cmake --build BUILD_DIR --target
# fuzz`).  Each target starts from its regression corpus (tests/fuzz/corpus/
# TARGET, read only: what it finds goes to a scratch corpus in
# BUILD_DIR/fuzz-work/TARGET) and runs SECONDS.  A crash, a leak, a sanitizer
# report or a timeout (10 s for one input) leaves the input as
# BUILD_DIR/fuzz-work/TARGET-crash-... and fails the script (exit 1) once
# every target has run.  The log of each is BUILD_DIR/fuzz-work/TARGET.log.
set -u
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 2
secs=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
    set -- $(ls "$src/corpus")
fi
work=$build/fuzz-work
mkdir -p "$work"
failed=""
for t in "$@"; do
    bin=$build/tests/fuzz/fuzz_$t
    [ -x "$bin" ] || { echo "$t: no $bin (build the fuzz target)" >&2; failed="$failed $t"; continue; }
    mkdir -p "$work/$t"
    start=$(date +%s)
    "$bin" "$work/$t" "$src/corpus/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/$t-" >"$work/$t.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
    cov=$(grep -E '^#[0-9]+' "$work/$t.log" | tail -n 1 | sed -n 's/.*\(cov: [0-9]* ft: [0-9]*\).*/\1/p')
    echo "$t: $((($(date +%s) - start))) s, ${runs:-?} inputs, $cov, exit $rc"
    if [ $rc -ne 0 ]; then
        failed="$failed $t"
        grep -E 'ERROR|SUMMARY|Test unit written' "$work/$t.log" | head -n 5
    fi
done
if [ -n "$failed" ]; then
    echo "fuzzing failed:$failed (logs and inputs in $work)" >&2
    exit 1
fi
