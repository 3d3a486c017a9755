#!/bin/sh
# End to end: events per second of `fragsim run` on a generated trace of
# small values, read from a text file, from a binary file and straight from
# the generator (no file), on the virtual clock.  Medians of --reps runs
# each, the three kinds run in turn so that slow drift of a shared machine
# falls on all of them; then the bare alloc/write/free loop's events/s from
# fragsim-bench-replay, and each median as a ratio against it.
#
# usage: bench/e2e_run.sh [BUILD_DIR] [EVENTS] [REPS]   (defaults: build 10000000 3)
# The trace is written to $TMPDIR (about 30 bytes an event, twice) and removed.
set -eu
BUILD=${1:-build}
EVENTS=${2:-10000000}
REPS=${3:-3}
FRAGSIM=$BUILD/fragsim
[ -x "$FRAGSIM" ] || { echo "e2e_run: no $FRAGSIM (build first)" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fragsim-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

# One SET per key, values 16..64 B, no TTL: EVENTS live keys at the end.
GEN="--keys $EVENTS --sizes uniform:16,64 --ttl none --insert-seconds 1000 --observe 0 --seed 1"
t0=$(date +%s.%N)
"$FRAGSIM" gen $GEN -o "$TMP/t.trace"
t1=$(date +%s.%N)
"$FRAGSIM" trace convert "$TMP/t.trace" "$TMP/t.fsb" --to binary
t2=$(date +%s.%N)
echo "trace: $EVENTS events; text $(stat -c %s "$TMP/t.trace") B (gen $(echo "$t1 - $t0" | bc) s)," \
     "binary $(stat -c %s "$TMP/t.fsb") B (convert $(echo "$t2 - $t1" | bc) s)"

# A run's events per wall second (summary.json's events_per_second), and per
# CPU second of its process (events / cpu_time): on a shared machine the
# wall figure is whatever share of a core the run got; the CPU one is closer
# to what the run costs (it still pays for caches the other loads evict).
eps() {
    sed -n 's/.*"events_per_second": *\([0-9.]*\).*/\1/p' "$1/summary.json" | head -1
}
cpu_eps() {
    ev=$(sed -n 's/.*"events": *\([0-9]*\).*/\1/p' "$1/summary.json" | head -1)
    cpu=$(sed -n 's/.*"cpu_time": *\([0-9.]*\).*/\1/p' "$1/summary.json" | head -1)
    echo "scale=0; $ev / $cpu" | bc
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

: >"$TMP/text.eps"; : >"$TMP/binary.eps"; : >"$TMP/gen.eps"
: >"$TMP/text.cpu"; : >"$TMP/binary.cpu"; : >"$TMP/gen.cpu"
rep=1
while [ $rep -le "$REPS" ]; do
    "$FRAGSIM" run "$TMP/t.trace" --clock virtual -q --no-progress -o "$TMP/r"
    eps "$TMP/r" >>"$TMP/text.eps"; cpu_eps "$TMP/r" >>"$TMP/text.cpu"
    "$FRAGSIM" run "$TMP/t.fsb" --clock virtual -q --no-progress -o "$TMP/r"
    eps "$TMP/r" >>"$TMP/binary.eps"; cpu_eps "$TMP/r" >>"$TMP/binary.cpu"
    # The generator needs a preset to start from; the options above replace
    # its workload (seed-blog's redis settings, if any, stand).
    # shellcheck disable=SC2086
    "$FRAGSIM" run --preset seed-blog $GEN --clock virtual -q --no-progress -o "$TMP/r"
    eps "$TMP/r" >>"$TMP/gen.eps"; cpu_eps "$TMP/r" >>"$TMP/gen.cpu"
    echo "rep $rep: events/s text $(tail -1 "$TMP/text.eps") binary $(tail -1 "$TMP/binary.eps")" \
         "generator $(tail -1 "$TMP/gen.eps");" \
         "per CPU s text $(tail -1 "$TMP/text.cpu") binary $(tail -1 "$TMP/binary.cpu")" \
         "generator $(tail -1 "$TMP/gen.cpu")"
    rep=$((rep + 1))
done
rm -rf "$TMP/r"
text=$(median <"$TMP/text.eps"); binary=$(median <"$TMP/binary.eps"); gen=$(median <"$TMP/gen.eps")
ctext=$(median <"$TMP/text.cpu"); cbinary=$(median <"$TMP/binary.cpu"); cgen=$(median <"$TMP/gen.cpu")
echo "median per CPU second: text_cpu_eps=$ctext binary_cpu_eps=$cbinary gen_cpu_eps=$cgen"

bare=""
if [ -x "$BUILD/fragsim-bench-replay" ]; then
    bare=$("$BUILD/fragsim-bench-replay" --reps "$REPS" |
           sed -n 's/^median: .*bare_eps=\([0-9]*\).*/\1/p')
fi
if [ -n "$bare" ]; then
    echo "bare loop (fragsim-bench-replay, its own trace): $bare events/s"
    echo "cpu ratios: text_ratio=$(echo "scale=2; $bare / $ctext" | bc)" \
         "binary_ratio=$(echo "scale=2; $bare / $cbinary" | bc)" \
         "gen_ratio=$(echo "scale=2; $bare / $cgen" | bc)"
    echo "median: text_eps=$text binary_eps=$binary gen_eps=$gen bare_eps=$bare" \
         "text_ratio=$(echo "scale=2; $bare / $text" | bc)" \
         "binary_ratio=$(echo "scale=2; $bare / $binary" | bc)" \
         "gen_ratio=$(echo "scale=2; $bare / $gen" | bc)"
else
    echo "median: text_eps=$text binary_eps=$binary gen_eps=$gen (no bare loop: jemalloc not built)"
fi
