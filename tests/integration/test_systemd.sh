#!/bin/sh
# test_systemd.sh — the shipped unit is valid and hardened:
#   - systemd-analyze verify reports nothing (the unit's ExecStart paths are
#     pointed at the binary under test, as make install would);
#   - systemd-analyze security --offline=yes rates it at most 2.0;
#   - the things the daemon relies on are there (Type=notify, watchdog,
#     reload by SIGHUP, check-config before start) and PCRE2's JIT is not
#     disabled by MemoryDenyWriteExecute=;
#   - the sysusers snippet creates the account the unit runs as.
# Skips (exit 0, with a message) where systemd-analyze is not installed.
set -u
top=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
unit=$top/systemd/bidbroker.service
: "${BIDBROKER:?BIDBROKER must name the binary}"
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -f "$unit" ] || fail "no $unit"
if ! command -v systemd-analyze >/dev/null 2>&1; then
        echo "SKIP: systemd-analyze is not installed; unit not verified"
        exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- verify: silent and successful
sed "s|/usr/local/bin/bidbroker|$BIDBROKER|g" "$unit" > "$tmp/bidbroker.service"
if ! systemd-analyze verify --man=no "$tmp/bidbroker.service" > "$tmp/verify.out" 2>&1; then
        cat "$tmp/verify.out" >&2
        fail "systemd-analyze verify failed"
fi
if [ -s "$tmp/verify.out" ]; then
        cat "$tmp/verify.out" >&2
        fail "systemd-analyze verify printed warnings"
fi

# ---- security: exposure at most 2.0
systemd-analyze security --offline=yes "$tmp/bidbroker.service" > "$tmp/security.out" 2>&1 \
        || { cat "$tmp/security.out" >&2; fail "systemd-analyze security failed"; }
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$tmp/security.out")
[ -n "$score" ] || { cat "$tmp/security.out" >&2; fail "no exposure score in the output"; }
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' \
        || { grep '✗' "$tmp/security.out" >&2; fail "exposure $score is above 2.0"; }

# ---- what the daemon relies on
for line in 'Type=notify' 'NotifyAccess=main' 'ExecReload=/bin/kill -HUP $MAINPID' \
            'StateDirectory=bidbroker' 'ConfigurationDirectory=bidbroker' \
            'ProtectSystem=strict' 'NoNewPrivileges=yes' 'CapabilityBoundingSet=' \
            'SystemCallFilter=@system-service' 'Restart=on-failure'; do
        grep -qxF "$line" "$unit" || fail "unit lacks '$line'"
done
grep -q '^WatchdogSec=' "$unit" || fail "unit has no WatchdogSec="
grep -q '^ExecStartPre=.* check-config$' "$unit" || fail "no check-config before start"
# reload: check-config first, so a rejected config fails `systemctl reload`
reloads=$(sed -n 's/^ExecReload=//p' "$unit")
[ "$(printf '%s\n' "$reloads" | head -n 1 | sed 's/.* //')" = check-config ] \
        || fail "ExecReload does not run check-config first: $reloads"
[ "$(printf '%s\n' "$reloads" | tail -n 1)" = '/bin/kill -HUP $MAINPID' ] \
        || fail "ExecReload does not send HUP last: $reloads"
grep -q '^ExecStart=.* run$' "$unit" || fail "ExecStart does not run the daemon"
grep -q '^MemoryDenyWriteExecute=yes' "$unit" && fail "MemoryDenyWriteExecute=yes breaks PCRE2's JIT"
# the command lines work as written (with the binary under test)
"$BIDBROKER" --config "$top/conf/bidbroker.conf" check-config >/dev/null \
        || fail "ExecStartPre's check-config fails on the shipped configuration"

# ---- the account
user=$(sed -n 's/^User=//p' "$unit")
if [ -f "$top/systemd/bidbroker.sysusers" ] && command -v systemd-sysusers >/dev/null 2>&1; then
        mkdir -p "$tmp/root/etc"
        systemd-sysusers --root="$tmp/root" "$top/systemd/bidbroker.sysusers" >/dev/null 2>&1 \
                || fail "systemd-sysusers rejects bidbroker.sysusers"
        grep -q "^$user:" "$tmp/root/etc/passwd" || fail "sysusers does not create user '$user'"
fi
echo "systemd: verify clean, exposure $score"
