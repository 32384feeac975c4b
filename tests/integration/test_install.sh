#!/bin/sh
# make install honours PREFIX and DESTDIR and installs the binary, the example
# configuration, the taxonomy and the systemd unit.
set -e
top=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc \
        BIN="$BIDBROKER" >/dev/null
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$dest/usr/bin/bidbroker" ] || fail "binary not installed under PREFIX"
[ -f "$dest/etc/bidbroker/bidbroker.conf" ] || fail "bidbroker.conf not installed"
if [ -f "$top/conf/capabilities.conf" ]; then
        [ -f "$dest/etc/bidbroker/capabilities.conf" ] || fail "taxonomy not installed"
fi
if [ -f "$top/systemd/bidbroker.service" ]; then
        [ -f "$dest/usr/lib/systemd/system/bidbroker.service" ] || fail "unit not installed"
fi
# the installed config is valid as installed
"$dest/usr/bin/bidbroker" --config "$dest/etc/bidbroker/bidbroker.conf" check-config >/dev/null \
        || fail "installed configuration does not pass check-config"
find "$dest" -path '*/home/*' -print | grep -q . && fail "wrote outside DESTDIR"
echo "install: ok"
