#!/bin/sh
# make demo: one full cycle on the bundled sample data (real public notices in
# tests/fixtures/ocds) with conf/demo.conf: a local SQLite state directory
# (demo-state/), the shipped capability taxonomy and example members.
# The clock is fixed inside the sample notices' dates so the run is the same
# every time.
set -e
bin=${1:?usage: demo.sh BIN}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
conf=conf/demo.conf
now=2022-10-24T12:00:00Z
bb() { "$bin" --config "$conf" --now "$now" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# a fresh state each run, but the demo's DKIM keys are made once (never committed)
if [ -d demo-state ]; then
        find demo-state -mindepth 1 -maxdepth 1 ! -name dkim -exec rm -rf {} +
fi
domain=brokerage.example.org
if [ ! -f demo-state/dkim/demo-ed25519.private ] || [ ! -f demo-state/dkim/demo-rsa.private ]; then
        step "make the demo's DKIM keys (first run only): bidbroker keygen"
        "$bin" keygen --force --selector demo-ed25519 --domain "$domain" --dir demo-state/dkim
        "$bin" keygen --force --rsa --selector demo-rsa --domain "$domain" --dir demo-state/dkim
fi

step "check the configuration"
bb check-config

step "ingest the bundled notices (Contracts Finder and Find a Tender OCDS)"
bb ingest tests/fixtures/ocds/*.json

step "again: re-ingesting the same data changes nothing"
bb ingest tests/fixtures/ocds/*.json | tail -n 1

step "open, low-value opportunities at $now (value cap £25,000; 'not stated' kept)"
bb list --open --low-value

step "the same, West Midlands only (ITL UKG)"
bb list --open --low-value --region UKG

if "$bin" match --help >/dev/null 2>&1; then
        step "match them against the member register (conf/members)"
        bb match
        step "who matched what"
        bb matches
        first=$(bb matches --json | sed -n '1s/.*"opportunity": *\([0-9][0-9]*\).*/\1/p')
        if [ -n "$first" ]; then
                step "and why: bidbroker explain $first"
                bb explain "$first"
        fi
fi
if "$bin" digest --help >/dev/null 2>&1; then
        step "compose each member's digest for this week, queue it (DKIM-signed twice) and deliver it"
        # no [mail] transport in demo.conf: the embedded default, a maildir in the state
        bb digest --send
        bb outbox
        maildir=demo-state/maildir
        first=$(ls "$maildir"/new/* 2>/dev/null | head -n 1)
        if [ -n "$first" ]; then
                step "one of them, as a member's mail program shows it (text part)"
                /usr/bin/python3 - "$first" <<'PY'
import email, email.policy, sys
with open(sys.argv[1], "rb") as f:
    m = email.message_from_binary_file(f, policy=email.policy.default)
for h in ("From", "To", "Subject", "Message-ID", "List-Unsubscribe"):
    print(f"{h}: {m[h]}")
print()
print(m.get_body(("plain",)).get_content())
PY
        fi
        step "the digests are in the maildir $top/$maildir; publish these DNS TXT records"
        cat demo-state/dkim/demo-ed25519.txt demo-state/dkim/demo-rsa.txt
        printf '(the record texts, for a DNS provider'"'"'s form:)\n'
        for sel in demo-ed25519 demo-rsa; do
                printf '%s._domainkey.%s: ' "$sel" "$domain"
                sed -e 's/^[^"]*"//' -e 's/" "//g' -e 's/"$//' "demo-state/dkim/$sel.txt"
        done
        # the brief's checker, beside the project when it is there (not in a clone)
        mailcheck=$top/../shared/tools/mailcheck.py
        if [ -f "$mailcheck" ] && [ -n "$first" ]; then
                step "check every digest with $(basename "$mailcheck") against those records"
                for sel in demo-ed25519 demo-rsa; do
                        /usr/bin/python3 "$mailcheck" --pubkey-txt \
                                "demo-state/dkim/$sel.txt" --selector "$sel" --domain "$domain" \
                                "$maildir"/new/* | tail -n 1
                done
        fi
fi
printf '\nState is in %s/demo-state (SQLite: bidbroker.db).\n' "$top"
