#!/bin/sh
# install_test.sh: `cmake --install` into a fresh prefix, then what a user
# does with it, away from the build tree: a run from another directory, the
# man page through man, the bash completion through bash, a front end copied
# on its own.  Exit 77 (skipped) only when man is not installed (man-db).
#
#   tests/install_test.sh BUILD_DIR [CMAKE]
set -eu
build=$(cd "$1" && pwd)
cmake=${2:-cmake}
fail() { echo "install_test: $*" >&2; exit 1; }

p=$(mktemp -d) w=$(mktemp -d)
trap 'rm -rf "$p" "$w"' EXIT
"$cmake" --install "$build" --prefix "$p" >/dev/null || fail "cmake --install failed"

for f in bin/fragsim libexec/fragsim/fragsim-jemalloc libexec/fragsim/fragsim-preload \
         share/man/man1/fragsim.1 share/man/man1/fragsim-run.1 share/man/man1/fragsim-report.1 \
         share/bash-completion/completions/fragsim share/doc/fragsim/LICENSE; do
    [ -e "$p/$f" ] || fail "not installed: $f"
done

# A run from another directory: the front end finds its worker under the
# prefix, not in the build tree.
(cd "$w" && "$p/bin/fragsim" run --preset seed-blog --keys 1000 -o somewhere --no-progress \
    >"$w/out.txt" 2>"$w/err.txt") || { cat "$w/err.txt" >&2; fail "installed fragsim run failed"; }
[ -s "$w/somewhere/summary.json" ] || fail "no somewhere/summary.json"
grep -q '^used_memory_rss:' "$w/out.txt" || fail "no INFO block on stdout"
"$p/bin/fragsim" allocators | grep -q "^jemalloc .* $p/libexec/fragsim/fragsim-jemalloc\$" ||
    fail "fragsim allocators does not name the installed worker"

# A front end copied on its own: FRAGSIM_LIBEXECDIR names the workers; without
# it the message says where it looked, not that the allocator is not built.
mkdir "$w/alone" && cp "$p/bin/fragsim" "$w/alone/"
(cd "$w" && FRAGSIM_LIBEXECDIR="$p/libexec/fragsim" "$w/alone/fragsim" run --preset seed-blog \
    --keys 1000 -o copied --no-progress >/dev/null 2>&1) || fail "copied fragsim with FRAGSIM_LIBEXECDIR failed"
if ! (cd "$w" && "$w/alone/fragsim" run --preset seed-blog --keys 1000 -o copied2 \
        --no-progress >/dev/null 2>"$w/err2.txt"); then
    grep -q "its worker fragsim-jemalloc is in none of: $w/alone" "$w/err2.txt" ||
        { cat "$w/err2.txt" >&2; fail "copied fragsim: the message does not say where it looked"; }
fi

# The completion offers commands, subcommands and options.
complete_words() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _fragsim; echo "${COMPREPLY[*]}"' \
        _ "$p/share/bash-completion/completions/fragsim" "$@"
}
[ "$(complete_words fragsim ru)" = run ] || fail "completion of 'fragsim ru'"
[ "$(complete_words fragsim trace '')" = "convert stats" ] || fail "completion of 'fragsim trace '"
[ "$(complete_words fragsim whatif --rem)" = --remedies ] || fail "completion of 'whatif --rem'"
[ "$(complete_words "$p/bin/fragsim" run --preset seed-b)" = seed-blog ] || fail "completion of --preset"

# The man page, as man shows it, holds the help's options.
command -v man >/dev/null || { echo "install_test: man is not installed (apt-get install man-db)"; exit 77; }
LC_ALL=C MANWIDTH=100 man -l "$p/share/man/man1/fragsim-run.1" >"$w/man.txt" 2>"$w/man.err" ||
    { cat "$w/man.err" >&2; fail "man -l fragsim-run.1 failed"; }
grep -q "^FRAGSIM-RUN(1)" "$w/man.txt" || fail "man page has no FRAGSIM-RUN(1) header"
for o in $("$p/bin/fragsim" run --help | sed -n 's/^  \(--[a-z][a-z-]*\).*/\1/p'); do
    grep -q -- "$o" "$w/man.txt" || fail "fragsim-run.1 lacks $o"
done
[ -s "$w/man.err" ] && { cat "$w/man.err" >&2; fail "man warned about fragsim-run.1"; }
echo "install_test: installed to a fresh prefix; run, man page, completion all work"
