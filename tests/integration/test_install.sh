#!/bin/sh
# make install honours PREFIX and DESTDIR and installs the binary, the example
# configuration, the taxonomy, the CPV list, the systemd unit and the manual
# pages (made from the help texts, rendered without warnings); a second
# install (an upgrade) keeps configuration files staff edited and writes the
# new version beside them as FILE.dist, saying so.
set -e
top=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
inst() {
        MAKEFLAGS= MFLAGS= MAKELEVEL= make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc \
                BIN="$BIDBROKER" >"$dest.out" 2>&1 || { cat "$dest.out" >&2; exit 1; }
        cat "$dest.out"; rm -f "$dest.out"
}
fail() { echo "FAIL: $*" >&2; exit 1; }
out=$(inst)
[ -z "$out" ] || fail "first install printed: $out"
etc=$dest/etc/bidbroker
[ -x "$dest/usr/bin/bidbroker" ] || fail "binary not installed under PREFIX"
[ -f "$etc/bidbroker.conf" ] || fail "bidbroker.conf not installed"
[ -f "$etc/capabilities.conf" ] || fail "taxonomy not installed"
[ -f "$etc/cpv-coverage.conf" ] || fail "CPV coverage table not installed beside the taxonomy"
[ -d "$etc/members" ] || fail "member directory not created"
[ -f "$dest/usr/lib/systemd/system/bidbroker.service" ] || fail "unit not installed"
# the CPV list is installed and the installed config names it
cpv=$dest/usr/share/bidbroker/cpv2008.json
[ -f "$cpv" ] && [ ! -L "$cpv" ] || fail "CPV list not installed as a file"
cmp -s "$cpv" "$top/tests/fixtures/reference/ref-cpv2008-xterr-cpvCodes.json" \
        || fail "installed CPV list differs from the reference"
grep -qx 'cpv_reference = /usr/share/bidbroker/cpv2008.json' "$etc/bidbroker.conf" \
        || fail "installed bidbroker.conf does not name /usr/share/bidbroker/cpv2008.json"
# the installed config is valid as installed (paths under DESTDIR for the test)
sed "s|= /usr/share/|= $dest/usr/share/|" "$etc/bidbroker.conf" >"$etc/test.conf"
"$dest/usr/bin/bidbroker" --config "$etc/test.conf" check-config >/dev/null 2>"$dest/check.err" \
        || { cat "$dest/check.err" >&2; fail "installed configuration does not pass check-config"; }
rm -f "$dest/check.err"
rm "$etc/test.conf"

# the manual pages, made from the help texts: installed, and rendered without
# a warning (man -l when man is there, else groff)
mandir=$dest/usr/share/man/man1
[ -f "$mandir/bidbroker.1" ] || fail "bidbroker.1 not installed in $mandir"
for c in check-config list matches members explain backup; do
        [ -f "$mandir/bidbroker-$c.1" ] || fail "bidbroker-$c.1 not installed"
done
for page in "$mandir"/bidbroker*.1; do
        if command -v man >/dev/null 2>&1; then
                rendered=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>"$dest/man.err") \
                        || fail "man -l $page failed: $(cat "$dest/man.err")"
        else
                rendered=$(groff -man -Tutf8 -ww "$page" 2>"$dest/man.err") \
                        || fail "groff $page failed: $(cat "$dest/man.err")"
        fi
        [ -s "$dest/man.err" ] && fail "$page renders with warnings: $(cat "$dest/man.err")"
        echo "$rendered" | grep -q "SYNOPSIS" || fail "$page has no SYNOPSIS"
done
rm -f "$dest/man.err"
# the page says what --help says: every global option and every command
rendered=$(MANWIDTH=200 man -l "$mandir/bidbroker.1" 2>/dev/null || groff -man -Tutf8 "$mandir/bidbroker.1")
for word in --config --state --now --color NO_COLOR COLUMNS check-config members backup "EXIT STATUS"; do
        echo "$rendered" | grep -q -- "$word" || fail "bidbroker.1 does not mention $word"
done
MANWIDTH=200 man -l "$mandir/bidbroker-members.1" 2>/dev/null | grep -q -- "--dry-run" \
        || fail "bidbroker-members.1 lacks members --help's --dry-run"

# ---- upgrade: nothing edited -> nothing said, nothing written
out=$(inst)
[ -z "$out" ] || fail "re-install over unedited files printed: $out"
ls "$etc" | grep -q '\.dist$' && fail "re-install over unedited files wrote .dist files"

# ---- upgrade after staff edited both files
orig_conf=$(cat "$etc/bidbroker.conf")
printf '\n# edited by staff\n' >>"$etc/bidbroker.conf"
printf '\n# edited by staff too\n' >>"$etc/capabilities.conf"
printf '[member]\nid = m\nname = M\ncapabilities = cleaning\n' >"$etc/members/m.conf"
chmod 640 "$etc/members/m.conf"
cp "$etc/bidbroker.conf" "$dest/conf.edited"
cp "$etc/capabilities.conf" "$dest/caps.edited"
out=$(inst)
cmp -s "$etc/bidbroker.conf" "$dest/conf.edited" || fail "upgrade overwrote the edited bidbroker.conf"
cmp -s "$etc/capabilities.conf" "$dest/caps.edited" || fail "upgrade overwrote the edited capabilities.conf"
[ "$(cat "$etc/bidbroker.conf.dist")" = "$orig_conf" ] || fail "bidbroker.conf.dist is not the new version"
cmp -s "$etc/capabilities.conf.dist" "$top/conf/capabilities.conf" || fail "capabilities.conf.dist is not the new version"
echo "$out" | grep -q "kept your $etc/bidbroker.conf; the new version is $etc/bidbroker.conf.dist" \
        || fail "upgrade did not say it kept bidbroker.conf: $out"
echo "$out" | grep -q "capabilities.conf.dist" || fail "upgrade did not say it kept capabilities.conf: $out"
[ "$(cat "$etc/members/m.conf")" = "$(printf '[member]\nid = m\nname = M\ncapabilities = cleaning')" ] \
        && [ "$(stat -c %a "$etc/members/m.conf")" = 640 ] || fail "upgrade touched a member file"
find "$dest" -path '*/home/*' -print | grep -q . && fail "wrote outside DESTDIR"
echo "install: ok (upgrade keeps edits, writes .dist)"
