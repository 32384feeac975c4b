"""bidbroker poll gives a source up (exit 1) when it keeps failing or the wait
would exceed --max-wait, persists failures/last_error/next_attempt, keeps
what was committed, and a later run honours the persisted back-off.  Run with
/usr/bin/python3."""

import calendar
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import Fault, check  # noqa: E402

T0 = calendar.timegm((2025, 1, 20, 0, 0, 0))
T1 = calendar.timegm((2025, 1, 21, 0, 0, 0))
NOW = "2025-01-21T00:00:00Z"
SINCE = "2025-01-20T00:00:00Z"


def state_row(d, source):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(d, "state", "bidbroker.db"),
                          uri=True)
    try:
        return con.execute("SELECT watermark, failures, next_attempt, last_error "
                           "FROM source_state WHERE source = ?", (source,)).fetchone()
    finally:
        con.close()


def test_persistent_errors_give_up(d):
    # The second window always fails.
    ds = fs.Dataset("fts", fs.fts_releases(40), T0, T1,
                    faults=[Fault("500", at=n) for n in range(4, 40)])
    with fs.FeedServer(fts=ds) as srv:
        conf = fs.write_config(d, [("fts", "fts", srv.base + fs.FTS_PATH,
                                    dict(fs.FAST, page_limit="5"))])
        p = fs.run_poll(conf, NOW, "--since", SINCE, "--retries", "3", check_rc=1)
        check("fts: FAILED" in p.stdout and "HTTP 500" in p.stdout, "summary:\n" + p.stdout)
        check("giving up" in p.stderr, "no give-up message:\n" + p.stderr)
        check(len(srv.requests()) == 3 + 3, "expected 3 good + 3 failed requests, got %d" %
              len(srv.requests()))
        wm, failures, next_attempt, last_error = state_row(d, "fts")
        check(wm == T0 + 6 * 3600, "watermark must stay at the end of the first window")
        check(failures == 3, "failures persisted: %r" % failures)
        check(next_attempt is not None and next_attempt >= int(time.time()) - 1,
              "next_attempt not persisted: %r" % next_attempt)
        check(last_error and "500" in last_error, "last_error: %r" % last_error)
        # the first window's notices are kept
        first = [r["id"] for t, r in ds.items if t <= T0 + 6 * 3600]
        got = [n for s, n in fs.stored_notices(os.path.join(d, "state")) if s == "fts"]
        check(sorted(got) == sorted(first), "committed notices lost or extra stored")


def test_wait_beyond_max_wait_and_persisted_backoff(d):
    ds = fs.Dataset("fts", fs.fts_releases(10), T0, T1, faults=[Fault("504", at=1)])
    with fs.FeedServer(fts=ds) as srv:
        conf = fs.write_config(d, [("fts", "fts", srv.base + fs.FTS_PATH,
                                    dict(fs.FAST, backoff_initial="30s", backoff_max="1h"))])
        # the back-off after one failure (15..30 s) exceeds --max-wait 2s
        p = fs.run_poll(conf, NOW, "--since", SINCE, "--max-wait", "2s", check_rc=1)
        check(len(srv.requests()) == 1, "retried although the wait exceeds --max-wait")
        check("--max-wait" in p.stderr, "reason not given:\n" + p.stderr)
        _, failures, next_attempt, _ = state_row(d, "fts")
        check(failures == 1 and next_attempt >= int(time.time()) + 10,
              "back-off not persisted: %r %r" % (failures, next_attempt))
        # a second run honours the persisted back-off: no request at all
        p = fs.run_poll(conf, NOW, "--since", SINCE, "--max-wait", "2s", check_rc=1)
        check(len(srv.requests()) == 1, "the persisted back-off was not honoured")
        check("backing off until" in p.stderr, "no back-off message:\n" + p.stderr)


def test_cf_rate_limit_default_wait(d):
    # Contracts Finder's 403 means five minutes by default: a one-shot poll
    # gives up at once instead of hammering or sleeping.
    ds = fs.Dataset("cf", fs.cf_releases()[:20], T0, T1, faults=[Fault("403", times=-1)])
    with fs.FeedServer(cf=ds) as srv:
        keys = dict(fs.FAST)
        conf = fs.write_config(d, [("cf", "contracts-finder", srv.base + fs.CF_PATH, keys)])
        t = int(time.time())
        p = fs.run_poll(conf, NOW, "--since", SINCE, check_rc=1)
        check(len(srv.requests()) == 1, "requests after a 403: %d" % len(srv.requests()))
        _, _, next_attempt, last_error = state_row(d, "cf")
        check(t + 299 <= next_attempt <= int(time.time()) + 301,
              "403 did not set a 5-minute wait: next_attempt %r (now %d)" % (next_attempt, t))
        check("403" in last_error, last_error)
        check("cf: FAILED" in p.stdout, p.stdout)


def test_oversized_body(d):
    ds = fs.Dataset("fts", fs.fts_releases(10), T0, T1, faults=[Fault("big", times=-1)])
    with fs.FeedServer(fts=ds, big_bytes=200000) as srv:
        conf = fs.write_config(d, [("fts", "fts", srv.base + fs.FTS_PATH,
                                    dict(fs.FAST, max_body_bytes="65536"))])
        p = fs.run_poll(conf, NOW, "--since", SINCE, "--retries", "2", check_rc=1)
        check("max_body_bytes" in p.stdout, "summary:\n" + p.stdout)
        got = [n for s, n in fs.stored_notices(os.path.join(d, "state")) if s == "fts"]
        check(got == [], "a page over the size cap was (partly) stored")


def test_connection_refused(d):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                   # nothing listens there now
    conf = fs.write_config(d, [("fts", "fts", "http://127.0.0.1:%d%s" % (port, fs.FTS_PATH),
                                dict(fs.FAST))])
    p = fs.run_poll(conf, NOW, "--since", SINCE, "--retries", "3", check_rc=1)
    check(p.stderr.count("retrying in") == 2 and "giving up" in p.stderr,
          "connection errors not retried with back-off, then given up:\n" + p.stderr)
    _, failures, _, last_error = state_row(d, "fts")
    check(failures == 3 and last_error, "state: %r %r" % (failures, last_error))


if __name__ == "__main__":
    fs.main([test_persistent_errors_give_up, test_wait_beyond_max_wait_and_persisted_backoff,
             test_cf_rate_limit_default_wait, test_oversized_body, test_connection_refused])
