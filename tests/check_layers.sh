#!/bin/sh
# check_layers.sh: no #include runs up the layers (README "Architecture").
#
#   tests/check_layers.sh [--graph] [SOURCE_DIR]
#
# The layers, lowest first; a file may include its own folder and any lower
# layer, nothing beside or above it:
#   0 sim/base     the ground: engine memory, errors, units, output, /proc, the key table
#   1 traces       trace formats          1 allocators   the backends
#   2 sim          the engine and its Redis models
#   3 analysis     results, comparisons, reports
#   4 sim/cli      one replay into a results directory, the command line
#   5 tests bench  anything (tests/fuzz too)
# With --graph, prints every folder-to-folder edge with its count and
# "ok" or "UPWARD" (the graph the README shows).  Exits 1 if any edge runs
# upward or sideways, or names a path that is no file, naming the file and
# line, or if README.md's copy of the graph is not the tree's.
graph=0
if [ "$1" = "--graph" ]; then graph=1; shift; fi
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2

layer() {
    case $1 in
    sim/base) echo 0 ;;
    traces|allocators) echo 1 ;;
    sim) echo 2 ;;
    analysis) echo 3 ;;
    sim/cli) echo 4 ;;
    tests|tests/fuzz|bench) echo 5 ;;
    *) echo x ;;
    esac
}

# One line per project include: "FILE LINE FROM TO", TO resolved against
# the including file's folder, as the compiler's quoted search does.
edges=$(for f in sim/base/*.[ch] sim/*.[ch] sim/cli/*.[ch] traces/*.[ch] allocators/*.[ch] \
            analysis/*.[ch] tests/*.[ch] tests/fuzz/*.[ch] bench/*.[ch]; do
    [ -f "$f" ] || continue
    d=$(dirname "$f")
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
    sed 's/^\([0-9]*\):.*"\([^"]*\)".*/\1 \2/' |
    while read -r line inc; do
        t="$d/$inc"
        if [ ! -f "$t" ]; then
            # A path into the tree that names no file: a build that finds it
            # anyway found a stale copy somewhere else.
            case $inc in */*) echo "$f $line $d MISSING:$inc" ;; esac
            continue  # generated (fragsim_config.h) or not ours
        fi
        td=$(cd "$(dirname "$t")" && pwd -P)
        td=${td#"$(pwd -P)/"}
        echo "$f $line $d $td"
    done
done)

bad=0
report=$(echo "$edges" | while read -r f line from to; do
    [ -n "$f" ] || continue
    lf=$(layer "$from"); lt=$(layer "$to")
    case $to in MISSING:*) echo "$from $to MISSING $f:$line"; continue ;; esac
    if [ "$from" = "$to" ]; then verdict=ok
    elif [ "$lf" = x ] || [ "$lt" = x ]; then verdict=UPWARD
    elif [ "$lt" -lt "$lf" ]; then verdict=ok
    else verdict=UPWARD
    fi
    echo "$from $to $verdict $f:$line"
done)

graph_text=$(echo "$report" | awk '$1 != $2 {print $1 " -> " $2 "  " $3}' | sort | uniq -c |
        awk '{printf "%-12s -> %-12s %4d  %s\n", $2, $4, $1, $5}')
if [ "$graph" = 1 ]; then
    echo "$graph_text"
fi
# The README shows the graph (the fenced block after "prints the include
# graph"): it must be this one, or it tells a reader of an older tree.
if [ -f README.md ]; then
    shown=$(awk '/check_layers.sh --graph` prints the include graph/ {found = 1; next}
                 found && /^```/ {if (inside) exit; inside = 1; next}
                 inside {print}' README.md)
    if [ "$shown" != "$graph_text" ]; then
        echo "README.md: its include graph is not the tree's; replace the block after" \
             "\"prints the include graph\" with the output of tests/check_layers.sh --graph" >&2
        exit 1
    fi
fi
up=$(echo "$report" | awk '$3 == "UPWARD" {print $4 ": includes " $2 " from " $1 ", a layer not below it"}
                          $3 == "MISSING" {sub(/^MISSING:/, "", $2); print $4 ": includes \"" $2 "\", which is no file in the tree"}')
if [ -n "$up" ]; then
    echo "$up" >&2
    exit 1
fi
[ "$graph" = 1 ] || echo "check_layers: no include runs upward"
exit 0
