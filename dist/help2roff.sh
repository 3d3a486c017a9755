#!/bin/sh
# help2roff.sh: a man page made from what `fragsim CMD --help` prints, so
# the page and the help cannot say different things (the build runs this
# after building fragsim; CMakeLists.txt "install").
#
#   dist/help2roff.sh FRAGSIM COMMAND OUT.1     the page of `fragsim COMMAND`
#   dist/help2roff.sh FRAGSIM - OUT.1           fragsim.1, from `fragsim --help`
#
# The help's shape, which every command keeps: "usage:" lines, paragraphs,
# headings (a line ending in ':' at the left edge), options ("  -x, --opt ARG"
# then two spaces or more, then the text; continuation lines indented).  A
# command whose usage names subcommands (fragsim trace convert ...) gets
# each subcommand's --help too, as a section of its own, when it differs.
set -eu
bin=$1 cmd=$2 out=$3
version=$("$bin" version | sed 's/^fragsim //')

if [ "$cmd" = - ]; then
    name=fragsim
    summary="replay key SET/EXPIRE/DEL streams against real allocators"
    help=$("$bin" --help)
else
    name=fragsim-$cmd
    # The command's line of `fragsim help` (commands.h), continuation joined.
    summary=$("$bin" help | awk -v c="$cmd" '
        $1 == c { sub(/^ *[^ ]+ +/, ""); s = $0; on = 1; next }
        on && /^              / { sub(/^ +/, ""); s = s " " $0; next }
        { on = 0 }
        END { print s }')
    help=$("$bin" "$cmd" --help)
fi

# One help text as roff body.  Columns are read before escaping (roff's
# own characters: a backslash, a hyphen, a leading dot or quote).
body() {
    awk '
    function esc(t) { gsub(/\\/, "\\e", t); gsub(/-/, "\\-", t); sub(/^[.'"'"']/, "\\\\&&", t); return t }
    function flush() { if (para != "") { print para; para = "" } }
    function endusage() { if (inusage) print ".fi"; inusage = 0 }
    /^usage: / || (inusage && /^      +[^ ]/) {
        line = $0; sub(/^usage: */, "", line); sub(/^ +/, "", line)
        if (!inusage) { if (!synopsis++) print ".SH SYNOPSIS"; print ".nf" }
        inusage = 1; print ".B " esc(line); next }
    { endusage() }
    /^[ ]*$/ { flush(); if (started) print ".PP"; next }
    # A heading: text at the left edge ending in a colon.
    /^[^ ].*:$/ { flush(); h = $0; sub(/:$/, "", h); print ".SS \"" esc(h) "\""; started = 1; next }
    # An option (or a listed item): tag, then the text from column 25 (the
    # help column), or after two spaces or more when the tag is longer.
    /^  ?[^ ]/ && (match($0, /[^ ]  +/) || substr($0, 24, 2) ~ /^ [^ ]/) {
        flush()
        if (RSTART > 0 && RSTART + RLENGTH <= 26) { tag = substr($0, 1, RSTART); txt = substr($0, RSTART + 1) }
        else if (substr($0, 24, 2) ~ /^ [^ ]/) { tag = substr($0, 1, 24); txt = substr($0, 25) }
        else { tag = substr($0, 1, RSTART); txt = substr($0, RSTART + 1) }
        sub(/^ +/, "", tag); sub(/ +$/, "", tag); sub(/^ +/, "", txt)
        print ".TP"; print "\\fB" esc(tag) "\\fR"; if (txt != "") print esc(txt); started = 1; next }
    # A deeply indented line continues the option above it.
    /^      / && !inpara { l = $0; sub(/^ +/, "", l); print esc(l); next }
    # Any other indented line is an example: as it is.
    /^ / { flush(); print ".nf"; print esc($0); print ".fi"; next }
    { if (!started) { print ".SH DESCRIPTION"; started = 1 }
      para = para (para == "" ? "" : "\n") esc($0) }
    END { flush(); endusage() }'
}

{
    echo ".\\\" Generated from \`fragsim${cmd#-} --help' by dist/help2roff.sh; do not edit."
    up=$(echo "$name" | tr a-z A-Z)
    echo ".TH $up 1 \"\" \"fragsim $version\" \"fragsim manual\""
    echo ".SH NAME"
    echo "$name \\- $summary" | sed 's/-/\\-/g; s/\\\\-/\\-/g'
    printf '%s\n' "$help" | body
    if [ "$cmd" != - ]; then
        # Subcommands named in the usage lines: "fragsim CMD SUB ...".
        subs=$(printf '%s\n' "$help" | awk -v c="$cmd" '
            /^(usage:|      ) +fragsim / {
                for (i = 1; i < NF; i++) if ($i == "fragsim" && $(i + 1) == c) {
                    s = $(i + 2); if (s ~ /^[a-z][a-z-]*$/ && !seen[s]++) print s } }')
        for sub in $subs; do
            subhelp=$("$bin" "$cmd" "$sub" --help 2>/dev/null) || continue
            [ "$subhelp" = "$help" ] && continue
            echo ".SH \"$(echo "$cmd $sub" | tr a-z A-Z)\""
            printf '%s\n' "$subhelp" | body | sed 's/^\.SH SYNOPSIS$//; s/^\.SH DESCRIPTION$//'
        done
        echo ".SH SEE ALSO"
        echo ".BR fragsim (1)"
    else
        echo ".SH SEE ALSO"
        "$bin" help | awk '/^  [a-z]/ && $1 != "help" && $1 != "version" { print $1 }' |
            sed 's/.*/.BR fragsim-& (1),/' | sed '$ s/,$//'
    fi
} > "$out.tmp"
mv "$out.tmp" "$out"
