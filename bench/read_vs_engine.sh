#!/bin/sh
# Does reading keep up with the engine?  Runs fragsim-bench-replay (the
# engine's events/s on its small-value trace) and fragsim-bench-trace-read
# (events/s of the text, binary and zstd readers, alone) alternately, REPS
# times each with one rep apiece, so that a shared machine's drift falls on
# both; then each reader's median events/s as a ratio to the engine's median
# (above 1: the reader is faster than the engine it feeds).
#
# usage: bench/read_vs_engine.sh [BUILD_DIR] [REPS] [EVENTS]   (defaults: build 5 3000000)
# The read trace has EVENTS events over EVENTS/15 keys (the replay's
# proportions); its four files go to $TMPDIR and are removed.
set -eu
BUILD=${1:-build}
REPS=${2:-5}
EVENTS=${3:-3000000}
for b in fragsim-bench-replay fragsim-bench-trace-read; do
    [ -x "$BUILD/$b" ] || { echo "read_vs_engine: no $BUILD/$b (build first)" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fragsim-rve.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

field() { sed -n "s/^median:.* $1=\([0-9.]*\).*/\1/p" "$2"; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

printf '%-4s %12s %12s %12s %12s %12s\n' rep engine text binary text_zst binary_zst
: > "$TMP/rows"
i=1
while [ "$i" -le "$REPS" ]; do
    "$BUILD/fragsim-bench-replay" --reps 1 --events "$EVENTS" > "$TMP/replay.out"
    "$BUILD/fragsim-bench-trace-read" --reps 1 --events "$EVENTS" --keys $((EVENTS / 15)) \
        > "$TMP/read.out"
    row="$(field engine_eps "$TMP/replay.out") $(field text_eps "$TMP/read.out")"
    row="$row $(field binary_eps "$TMP/read.out") $(field text_zst_eps "$TMP/read.out")"
    row="$row $(field binary_zst_eps "$TMP/read.out")"
    echo "$row" >> "$TMP/rows"
    # shellcheck disable=SC2086
    printf '%-4s %12.0f %12.0f %12.0f %12.0f %12.0f\n' "$i" $row
    i=$((i + 1))
done
col() { awk -v c="$1" '{print $c}' "$TMP/rows" | median; }
eng=$(col 1)
printf '%-4s %12.0f %12.0f %12.0f %12.0f %12.0f\n\n' median "$eng" "$(col 2)" "$(col 3)" \
    "$(col 4)" "$(col 5)"
echo "reader/engine: text=$(echo "$(col 2) / $eng" | bc -l | cut -c1-5)" \
     "binary=$(echo "$(col 3) / $eng" | bc -l | cut -c1-5)" \
     "text_zst=$(echo "$(col 4) / $eng" | bc -l | cut -c1-5)" \
     "binary_zst=$(echo "$(col 5) / $eng" | bc -l | cut -c1-5)"
