#!/bin/sh
# Run every test: the cmocka unit binaries in $UNIT_DIR, the fuzz harnesses
# over their seed corpora (tests/fuzz/corpus/NAME), the static checks, then
# the integration tests in tests/integration (shell scripts, and Python run
# with Debian's /usr/bin/python3 so python3-aiosmtpd and python3-dkim are
# importable).  Each integration test drives the real binary named by
# $BIDBROKER.
#
# Integration tests run TEST_JOBS at a time (default: the number of CPUs);
# a test whose first 30 lines say "test: serial" (it measures how quickly the
# daemon answers, or holds locks for a while) runs alone afterwards.
# TEST_JOBS=1 runs everything one after the other.  Each test prints PASS or
# FAIL as it ends; the output of every failed test follows at the end.  A
# test that exits 77 was skipped: SKIP, its reason shown at the end.  One
# closing line "N passed, N failed, N skipped"; exits 1 if anything failed or
# nothing ran.
#
# Usage: tests/run.sh [PATTERN]   (PATTERN: a substring of the test names)
: "${BIDBROKER:?BIDBROKER must name the binary}"
: "${UNIT_DIR:?UNIT_DIR must name the unit test directory}"
top=$(cd "$(dirname "$0")/.." && pwd)

# one test (RUN_ONE=1 tests/run.sh NAME CMD...): its line goes to stdout and
# to $RUN_LOG/res; a failure's output to $RUN_LOG/fail.NAME, shown at the end
if [ "${RUN_ONE:-}" = 1 ]; then
        name=$1; shift
        key=$(echo "$name" | tr '/' '_')
        start=$(date +%s)
        "$@" >"$RUN_LOG/out.$key" 2>&1
        rc=$?
        if [ "$rc" -eq 0 ]; then
                line="PASS $name ($(( $(date +%s) - start ))s)"
                rm -f "$RUN_LOG/out.$key"
        elif [ "$rc" -eq 77 ]; then
                line="SKIP $name"
                mv "$RUN_LOG/out.$key" "$RUN_LOG/skip.$key"
        else
                line="FAIL $name ($(( $(date +%s) - start ))s)"
                mv "$RUN_LOG/out.$key" "$RUN_LOG/fail.$key"
        fi
        echo "$line"
        echo "$line" >>"$RUN_LOG/res"
        exit 0
fi

export BIDBROKER TOP="$top" FIXTURES="$top/tests/fixtures"
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
pattern=${1:-}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
export RUN_LOG="$log"

one() { RUN_ONE=1 sh "$top/tests/run.sh" "$@"; }
want() { [ -z "$pattern" ] || case "$1" in *"$pattern"*) return 0 ;; *) return 1 ;; esac; }

for t in "$UNIT_DIR"/test_*; do
        [ -x "$t" ] && want "unit/${t##*/}" || continue
        one "unit/${t##*/}" "$t"
done
# fuzz harnesses linked with tests/fuzz/replay.c: replay each seed corpus
for t in "$UNIT_DIR"/fuzz_*; do
        [ -x "$t" ] && want "fuzz/${t##*/}" || continue
        n=${t##*/}
        one "fuzz/$n" "$t" "$top/tests/fuzz/corpus/${n#fuzz_}"
done
# static checks of the tree (include layering)
for t in "$top"/tests/static/test_*.py; do
        [ -f "$t" ] && want "static/${t##*/}" || continue
        one "static/${t##*/}" /usr/bin/python3 "$t"
done

# integration tests: the parallel ones through xargs -P, then the serial ones
: >"$log/par"
: >"$log/ser"
for t in "$top"/tests/integration/test_*; do
        case "$t" in *.sh|*.py) ;; *) continue ;; esac
        want "integration/${t##*/}" || continue
        if head -n 30 "$t" | grep -q 'test: serial'; then
                echo "$t" >>"$log/ser"
        else
                echo "$t" >>"$log/par"
        fi
done
# (a test's file name has no blanks: one per line for xargs)
xargs -P "$jobs" -n 1 sh -c '
        t=$1; n=integration/${t##*/}
        case "$t" in
        *.sh) RUN_ONE=1 sh "$TOP/tests/run.sh" "$n" sh "$t" ;;
        *.py) RUN_ONE=1 sh "$TOP/tests/run.sh" "$n" /usr/bin/python3 "$t" ;;
        esac' sh <"$log/par"
while read -r t; do
        case "$t" in
        *.sh) one "integration/${t##*/}" sh "$t" ;;
        *.py) one "integration/${t##*/}" /usr/bin/python3 "$t" ;;
        esac
done <"$log/ser"

for f in "$log"/skip.*; do
        [ -f "$f" ] || continue
        printf '\n---- skipped: %s\n' "$(echo "${f##*/skip.}" | sed 's/_/\//')"
        sed 's/^/    /' "$f" | tail -n 20
done
for f in "$log"/fail.*; do
        [ -f "$f" ] || continue
        printf '\n---- %s\n' "$(echo "${f##*/fail.}" | sed 's/_/\//')"
        sed 's/^/    /' "$f" | tail -n 60
done
pass=$(grep -c '^PASS' "$log/res" 2>/dev/null)
fail=$(grep -c '^FAIL' "$log/res" 2>/dev/null)
failed=$(sed -n 's/^FAIL \([^ ]*\).*/\1/p' "$log/res" 2>/dev/null | tr '\n' ' ')
[ -n "$failed" ] && echo "failed: $failed"
skip=$(grep -c '^SKIP' "$log/res" 2>/dev/null)
echo "${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
[ "${fail:-0}" -eq 0 ] && [ "${pass:-0}" -gt 0 ]
