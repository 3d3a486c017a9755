#!/usr/bin/env bash
# A look at the report as a browser draws it: a small seed-blog comparison
# with page maps before and after the keys expire, rendered to report.html,
# photographed by headless Chromium (Debian's `chromium` package).  The
# test suite checks the HTML's structure; this is for eyes.
#
# usage: tests/screenshot_report.sh [BUILD_DIR] [OUT_DIR]
#   BUILD_DIR  where fragsim was built (default: build)
#   OUT_DIR    where cmp/, report.html and report.png go (default: BUILD_DIR/screenshot)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-$build/screenshot}

command -v chromium >/dev/null || { echo "needs chromium: apt-get install -y chromium" >&2; exit 2; }
mkdir -p "$out"
"$build/fragsim" compare --preset seed-blog --keys 20000 --speed max --page-map-at 180,300 \
    -o "$out/cmp" -q --no-progress
"$build/fragsim" report "$out/cmp" -o "$out/report.html"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: Chromium refuses to run as root with its sandbox on.  The
# other switches keep a headless run from reaching for the network.
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --screenshot="$(realpath "$out")/report.png" --window-size=1400,3000 \
    "file://$(realpath "$out/report.html")" 2>/dev/null
echo "$out/report.png"
