#!/bin/sh
# mkman.sh BIDBROKER OUTDIR VERSION — the manual pages, made from the help
# texts so that they never say something else: bidbroker.1 from
# `bidbroker --help`, and bidbroker-COMMAND.1 from `bidbroker COMMAND --help`
# for every command that help lists.  Run by `make man`.
#
# The help texts follow a few habits this script relies on: the first line(s)
# "usage: ...", paragraphs separated by blank lines, items "  TERM  text" (two
# spaces or more between, continued deeper), bullets "  - text", a paragraph
# line ending in ':' as a heading, and "Exit status: ..." as its own
# paragraph.
set -eu
bin=$1 out=$2 version=$3
mkdir -p "$out"

# help text on stdin -> roff on stdout; $1 the page name, $2 its one-line
# summary (NAME), $3 "main" for bidbroker.1
to_roff() {
        awk -v page="$1" -v summary="$2" -v kind="$3" -v version="$version" '
        function esc(s) {
                gsub(/\\/, "\\e", s)
                gsub(/-/, "\\-", s)
                if (s ~ /^[.\047]/)
                        s = "\\&" s
                return s
        }
        function up(s) { return toupper(s) }
        BEGIN {
                printf ".TH %s 1 \"\" \"bidbroker %s\" \"User Commands\"\n", up(page), version
                state = "usage"; para_start = 1; item = 0
        }
        state == "usage" && /^usage: / {
                sub(/^usage: /, "")
                synopsis[++nsyn] = $0
                next
        }
        state == "usage" && /^ +bidbroker / && nsyn > 0 {
                sub(/^ +/, "")
                synopsis[++nsyn] = $0
                next
        }
        state == "usage" && /^ +/ && nsyn > 0 {         # a usage line continued
                sub(/^ +/, "")
                synopsis[nsyn] = synopsis[nsyn] " " $0
                next
        }
        state == "usage" {
                print ".SH NAME"
                printf "%s \\- %s\n", esc(page), esc(summary)
                print ".SH SYNOPSIS"
                for (i = 1; i <= nsyn; i++) {
                        s = synopsis[i]
                        sub(/^bidbroker/, "", s)
                        printf "%s\\fBbidbroker\\fR%s\n", (i > 1 ? ".br\n" : ""), esc(s)
                }
                print ".SH DESCRIPTION"
                state = "body"
        }
        /^[ \t]*$/ { para_start = 1; next }
        { indent = match($0, /[^ ]/) - 1 }
        para_start && /^Exit status: / {
                print ".SH \"EXIT STATUS\""
                sub(/^Exit status: /, "")
                print esc($0)
                para_start = 0; item = 0
                next
        }
        para_start && /^[A-Z].*:$/ && length($0) < 60 {
                h = $0
                sub(/:$/, "", h)
                printf ".SS \"%s\"\n", esc(h)
                para_start = 0; item = 0
                next
        }
        indent >= 1 && indent <= 7 && /^ +- / {        # a bullet
                sub(/^ +- /, "")
                print ".IP \\(bu 2"
                print esc($0)
                para_start = 0; item = 1
                next
        }
        indent >= 1 && indent <= 7 && match($0, /[^ ]  +[^ ]/) {  # an item: TERM  text
                term = substr($0, 1, RSTART)
                text = substr($0, RSTART + 1)
                sub(/^ +/, "", term)
                sub(/^ +/, "", text)
                print ".TP"
                printf "\\fB%s\\fR\n", esc(term)
                print esc(text)
                para_start = 0; item = 1
                next
        }
        indent >= 1 && (item || indent >= 8) {         # an item continued
                sub(/^ +/, "")
                print esc($0)
                para_start = 0
                next
        }
        {
                sub(/^ +/, "")
                if (para_start || item)
                        print ".PP"
                print esc($0)
                para_start = 0; item = 0
        }
        END {
                if (kind == "main") {
                        print ".SH ENVIRONMENT"
                        print ".TP"
                        print "\\fBCOLUMNS\\fR"
                        print "the width tables are fitted to (else the terminal\\(aqs, else 80)"
                        print ".TP"
                        print "\\fBNO_COLOR\\fR"
                        print "set to anything non\\-empty: no colour (unless \\fB\\-\\-color=always\\fR)"
                        print ".TP"
                        print "\\fBTERM\\fR"
                        print "\\fBdumb\\fR: no colour"
                        print ".SH FILES"
                        print ".TP"
                        print "\\fI/etc/bidbroker/bidbroker.conf\\fR"
                        print "the configuration, read when \\fB\\-\\-config\\fR is not given"
                        print ".TP"
                        print "\\fI/var/lib/bidbroker/bidbroker.db\\fR"
                        print "the store (in \\fBstate_dir\\fR)"
                        print ".SH \"SEE ALSO\""
                } else {
                        print ".SH \"SEE ALSO\""
                        print ".BR bidbroker (1)"
                }
        }'
}

"$bin" --help >"$out/help.txt"
# the commands: the items under "Commands:" in the main help
cmds=$(awk '/^Commands:$/ { on = 1; next } on && /^$/ { on = 0 } on { print $1 }' "$out/help.txt")
[ -n "$cmds" ] || { echo "mkman: no commands in '$bin --help'" >&2; exit 1; }
for c in $cmds; do
        summary=$(awk -v c="$c" '$1 == c { $1 = ""; sub(/^ +/, ""); print; exit }' "$out/help.txt")
        "$bin" "$c" --help >"$out/help-$c.txt"
        to_roff "bidbroker-$c" "$summary" cmd <"$out/help-$c.txt" >"$out/bidbroker-$c.1"
        rm -f "$out/help-$c.txt"
done
# NAME: the first paragraph after the usage line, as a phrase
summary=$(awk 'NR > 1 && /^$/ && n { exit } NR > 1 && !/^$/ { printf "%s%s", n++ ? " " : "", $0 }' \
        "$out/help.txt" | sed -e 's/\.$//' -e 's/^W/w/')
{
        to_roff bidbroker "$summary" main <"$out/help.txt"
        sep=
        for c in $cmds; do
                printf '%s.BR bidbroker\\-%s (1)' "$sep" "$(printf %s "$c" | sed 's/-/\\-/g')"
                sep=',
'
        done
        printf '\n'
} >"$out/bidbroker.1"
rm -f "$out/help.txt"
