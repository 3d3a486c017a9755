#!/bin/sh
# build_redis.sh SRC OUT: upstream redis-server built from the Redis source
# tree SRC (fetch.sh's redis-7.0.15) in OUT (a copy of it), as upstream's
# README builds it: `make MALLOC=jemalloc`, its bundled jemalloc 5.2.1
# (8-byte quantum, je_ prefix) linked in.  Leaves OUT/src/redis-server.
# Nothing is redone when OUT/.fragsim-built is there.
set -eu

src=${1:?usage: build_redis.sh SRC OUT}
out=${2:?}
if [ -f "$out/.fragsim-built" ] && [ -x "$out/src/redis-server" ]; then
    touch "$out/.fragsim-built" # newer than this script: make need not ask again
    exit 0
fi
[ -f "$src/src/server.c" ] || { echo "build_redis.sh: no redis source tree at $src" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$(dirname "$out")"
cp -a "$src" "$out"
cd "$out"
echo "redis-server 7.0.15: make MALLOC=jemalloc (a few minutes)" >&2
# A plain `make` of upstream: Redis's own CFLAGS, none from the environment;
# no git repository around the copy (mkreleasehdr.sh would take its commit
# for Redis's: a release tarball's build says sha=00000000).
env -u CFLAGS -u LDFLAGS GIT_DIR=/nonexistent make -j"${FRAGSIM_JOBS:-2}" MALLOC=jemalloc >make.log 2>&1 ||
    { tail -n 30 make.log >&2; echo "build_redis.sh: make failed (log: $out/make.log)" >&2; exit 1; }
./src/redis-server --version >&2
touch .fragsim-built
