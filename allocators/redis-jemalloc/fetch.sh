#!/bin/sh
# fetch.sh DEST: the source packages of Redis 7.0.15 (its bundled jemalloc
# 5.2.1 with Redis's defrag-hint patch, deps/jemalloc) and of jemalloc 5.3.0,
# unpacked under DEST as DEST/redis-7.0.15 and DEST/jemalloc-5.3.0.
#
# They come from the same archive as the machine's binary packages: a
# deb-src entry is derived at run time from each entry of
# /etc/apt/sources.list.d (and /etc/apt/sources.list), written into a
# private apt directory under DEST, so the machine's own apt setup is left
# as it is and no archive is named here.  Needs apt-get and dpkg-source
# (dpkg-dev).  The upstream sources are unpacked without Debian's patches:
# the build stands for upstream Redis as its users build it.
#
# Exit status 0 when both trees are there (already, or fetched now).
set -eu

dest=${1:?usage: fetch.sh DEST}
if [ -f "$dest/redis-7.0.15/deps/jemalloc/configure.ac" ] && [ -f "$dest/jemalloc-5.3.0/configure.ac" ]; then
    exit 0
fi
for tool in apt-get dpkg-source; do
    command -v "$tool" >/dev/null 2>&1 || { echo "fetch.sh: $tool not found (apt-get install dpkg-dev)" >&2; exit 1; }
done

# Absolute from here on: the unpacking below runs inside $dest, so a
# relative DEST (as CI passes it) must not be resolved twice.
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
redis_dir=$dest/redis-7.0.15
jemalloc_dir=$dest/jemalloc-5.3.0
apt=$dest/apt
rm -rf "$apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts"

# deb822 files: each stanza as it is, its Types line made deb-src.
# One-line files: each "deb" line made "deb-src".
: > "$apt/src.sources"
: > "$apt/src.list"
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    sed -e 's/^Types:.*/Types: deb-src/' "$f" >> "$apt/src.sources"
    echo >> "$apt/src.sources"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n -e 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$apt/src.list"
done
for f in "$apt/src.list" "$apt/src.sources"; do
    [ -s "$f" ] && cp "$f" "$apt/parts/"
done
if ! ls "$apt/parts/"* >/dev/null 2>&1; then
    echo "fetch.sh: no apt source entry found in /etc/apt to derive a deb-src entry from" >&2
    exit 1
fi

aptget() {
    apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt/parts" \
        -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
        -o Debug::NoLocking=true "$@"
}

aptget update >"$apt/update.log" 2>&1 || { cat "$apt/update.log" >&2; echo "fetch.sh: apt-get update (deb-src) failed" >&2; exit 1; }

cd "$dest"
for pkg in redis jemalloc; do
    aptget --download-only source "$pkg" >"$apt/$pkg.log" 2>&1 ||
        { cat "$apt/$pkg.log" >&2; echo "fetch.sh: apt-get source $pkg failed" >&2; exit 1; }
done
rm -rf "$redis_dir" "$jemalloc_dir"
dpkg-source --skip-patches -x "$(ls redis_7.0.15-*.dsc | tail -n 1)" "$redis_dir" >"$apt/redis-x.log"
dpkg-source --skip-patches -x "$(ls jemalloc_5.3.0-*.dsc | tail -n 1)" "$jemalloc_dir" >"$apt/jemalloc-x.log"
for f in "$redis_dir/deps/jemalloc/configure.ac" "$jemalloc_dir/configure.ac"; do
    [ -f "$f" ] || { echo "fetch.sh: $f missing after unpacking" >&2; exit 1; }
done
