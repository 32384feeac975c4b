#!/bin/sh
# Run every test: the cmocka unit binaries in $UNIT_DIR, the fuzz harnesses
# over their seed corpora (tests/fuzz/corpus/NAME), then the integration
# tests in tests/integration (shell scripts, and Python run with Debian's
# /usr/bin/python3 so python3-aiosmtpd and python3-dkim are importable).
# Each integration test drives the real binary named by $BIDBROKER.
# Prints one closing line "N passed, N failed"; exits 1 if anything failed.
: "${BIDBROKER:?BIDBROKER must name the binary}"
: "${UNIT_DIR:?UNIT_DIR must name the unit test directory}"
top=$(cd "$(dirname "$0")/.." && pwd)
export BIDBROKER TOP="$top" FIXTURES="$top/tests/fixtures"
pass=0 fail=0 failed=""
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

run_one() {
        name=$1; shift
        start=$(date +%s)
        if "$@" >"$log/out" 2>&1; then
                pass=$((pass + 1))
                echo "PASS $name ($(( $(date +%s) - start ))s)"
        else
                fail=$((fail + 1))
                failed="$failed $name"
                echo "FAIL $name"
                sed 's/^/    /' "$log/out" | tail -n 60
        fi
}

for t in "$UNIT_DIR"/test_*; do
        [ -x "$t" ] || continue
        run_one "unit/$(basename "$t")" "$t"
done
# fuzz harnesses linked with tests/fuzz/replay.c: replay each seed corpus
for t in "$UNIT_DIR"/fuzz_*; do
        [ -x "$t" ] || continue
        n=$(basename "$t")
        run_one "fuzz/$n" "$t" "$top/tests/fuzz/corpus/${n#fuzz_}"
done
# static checks of the tree (include layering)
for t in "$top"/tests/static/test_*.py; do
        [ -f "$t" ] || continue
        run_one "static/$(basename "$t")" /usr/bin/python3 "$t"
done
for t in "$top"/tests/integration/test_*; do
        case "$t" in
        *.sh) run_one "integration/$(basename "$t")" sh "$t" ;;
        *.py) run_one "integration/$(basename "$t")" /usr/bin/python3 "$t" ;;
        esac
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
