#!/bin/sh
# build.sh SRC OUT VERSION LG_QUANTUM [EXTRA_CONFIGURE_FLAG...]: a static,
# je_-prefixed jemalloc from the source tree SRC, built in OUT (a copy of
# SRC) the way Redis's deps/Makefile builds its bundled one:
#
#   ./configure --with-version=VERSION --with-lg-quantum=3 --with-jemalloc-prefix=je_ \
#       CFLAGS="-std=gnu99 -Wall -pipe -g3 -O3 -funroll-loops"
#   make lib/libjemalloc.a
#
# (Redis 7.0's deps/Makefile, with Redis's own CFLAGS empty as a plain
# `make` leaves them; Redis 7.2's adds --disable-cxx, passed as an extra
# flag.)  Leaves OUT/lib/libjemalloc.a and OUT/include/jemalloc/jemalloc.h.
# Nothing is redone when OUT/.fragsim-built records the same arguments.
set -eu

src=${1:?usage: build.sh SRC OUT VERSION LG_QUANTUM [CONFIGURE_FLAG...]}
out=${2:?}
version=${3:?}
quantum=${4:?}
shift 4
cflags="-std=gnu99 -Wall -pipe -g3 -O3 -funroll-loops"
stamp="$version $quantum $* $cflags"

if [ -f "$out/.fragsim-built" ] && [ "$(cat "$out/.fragsim-built")" = "$stamp" ] &&
   [ -f "$out/lib/libjemalloc.a" ]; then
    touch "$out/.fragsim-built" # newer than this script: make need not ask again
    exit 0
fi
[ -f "$src/configure" ] || { echo "build.sh: no jemalloc source tree at $src" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$(dirname "$out")"
cp -a "$src" "$out"
cd "$out"
echo "jemalloc $version (lg-quantum $quantum, prefix je_): configure" >&2
./configure --with-version="$version" --with-lg-quantum="$quantum" --with-jemalloc-prefix=je_ \
    "$@" CFLAGS="$cflags" LDFLAGS="" >configure.log 2>&1 ||
    { tail -n 30 configure.log >&2; echo "build.sh: configure failed (log: $out/configure.log)" >&2; exit 1; }
echo "jemalloc $version: make lib/libjemalloc.a" >&2
make -j"${FRAGSIM_JOBS:-2}" CFLAGS="$cflags" LDFLAGS="" lib/libjemalloc.a >make.log 2>&1 ||
    { tail -n 30 make.log >&2; echo "build.sh: make failed (log: $out/make.log)" >&2; exit 1; }
echo "$stamp" > .fragsim-built
