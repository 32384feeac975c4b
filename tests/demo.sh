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

rm -rf demo-state
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
printf '\nState is in %s/demo-state (SQLite: bidbroker.db).\n' "$top"
