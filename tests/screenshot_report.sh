#!/usr/bin/env bash
# A look at the reports as a browser draws them: a small seed-blog
# comparison (with page maps before and after the keys expire), a decay
# sweep, a what-if and a run with active defrag, each rendered by
# `fragsim report` with a container limit and photographed by headless
# Chromium (Debian's `chromium` package).  The test suite checks the HTML's
# structure; the pictures are for eyes.  As the ctest test
# screenshot_reports it checks that every picture was made and is not
# blank; it is skipped (77) where Chromium is not installed.
#
# usage: tests/screenshot_report.sh [BUILD_DIR] [OUT_DIR]
#   BUILD_DIR  where fragsim was built (default: build)
#   OUT_DIR    where the results, NAME.html and NAME.png go (default: BUILD_DIR/screenshot)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-$build/screenshot}
fragsim=$build/fragsim

command -v chromium >/dev/null || { echo "needs chromium: apt-get install -y chromium" >&2; exit 77; }
rm -rf "$out"
mkdir -p "$out"
"$fragsim" compare --preset seed-blog --keys 5000 --page-map-at 180,300 -o "$out/compare" -q --no-progress
"$fragsim" sweep --preset seed-blog --keys 5000 --grid jemalloc.dirty_decay_ms=0,1000,10000 \
    --grid jemalloc.muzzy_decay_ms=0,10000 -o "$out/sweep" -q --no-progress
"$fragsim" whatif --preset seed-blog --keys 5000 -o "$out/whatif" -q --no-progress
"$fragsim" run --preset seed-blog --keys 50000 --activedefrag yes --active-defrag-ignore-bytes 1mb \
    --sample-interval 1 -o "$out/defrag" --no-progress >/dev/null

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
for name in compare sweep whatif defrag; do
    "$fragsim" report "$out/$name" -o "$out/$name.html" --container-limit 40mb
    # --no-sandbox: Chromium refuses to run as root with its sandbox on.  The
    # other switches keep a headless run from reaching for the network.
    chromium --headless --no-sandbox --disable-gpu --disable-quic --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
        --screenshot="$(realpath "$out")/$name.png" --window-size=1400,3000 \
        "file://$(realpath "$out/$name.html")" >/dev/null 2>&1
    # A page of charts compresses to well over 50 KB; a blank one to a few.
    size=$(stat -c %s "$out/$name.png" 2>/dev/null || echo 0)
    [ "$size" -gt 50000 ] || { echo "$out/$name.png: $size bytes: blank or missing" >&2; exit 1; }
    echo "$out/$name.png"
done
