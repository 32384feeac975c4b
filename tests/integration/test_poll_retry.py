"""bidbroker poll: Retry-After (seconds, HTTP-date, absent), 503, Contracts
Finder's 403, exponential back-off on 500/504 — read from the server's request
log — and still every notice exactly once.  Run with /usr/bin/python3."""

import calendar
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import Fault, check  # noqa: E402

T0 = calendar.timegm((2025, 1, 20, 0, 0, 0))
T1 = calendar.timegm((2025, 1, 21, 0, 0, 0))
NOW = "2025-01-21T00:00:00Z"
TOL = 0.02      # scheduling slack between our clock and the server's log


def after(reqs, i):
    """Gap between request i (a fault) and the next request."""
    return reqs[i + 1]["t"] - reqs[i]["t"]


def test_retry_after_and_rate_limit(d):
    fts = fs.Dataset("fts", fs.fts_releases(20), T0, T1, faults=[
        Fault("429-ra:1", at=2), Fault("429-date:1", at=4), Fault("429", at=6),
        Fault("503", at=8)])
    cf = fs.Dataset("cf", fs.cf_releases()[:40], T0, T1, faults=[Fault("403", at=1)])
    with fs.FeedServer(fts=fts, cf=cf) as srv:
        keys = dict(fs.FAST, default_retry_after="0.5s", rate_limit_wait="0.7s")
        conf = fs.write_config(d, [
            ("fts", "fts", srv.base + fs.FTS_PATH, dict(keys, page_limit="5")),
            ("cf", "contracts-finder", srv.base + fs.CF_PATH,
             dict(keys, page_limit="20")),
        ])
        p = fs.run_poll(conf, NOW, "--since", "2025-01-20T00:00:00Z", check_rc=0)
        state = os.path.join(d, "state")
        fs.check_exactly_once(state, "fts", fts.notice_ids())
        fs.check_exactly_once(state, "cf", cf.notice_ids())
        allr = srv.requests()
        faults = [i for i, r in enumerate(allr) if r["fault"]]
        check(len(faults) == 5, "expected 5 faults served, got %d" % len(faults))
        for i in faults:
            r, nxt = allr[i], allr[i + 1]
            gap = nxt["t"] - r["t"]
            kind = r["fault"]
            if kind == "429-ra:1":
                want = 1.0
            elif kind == "429-date:1":
                want = r["retry_until"] - r["t"]
            elif kind in ("429", "503"):
                want = 0.5                      # default_retry_after
            else:
                want = 0.7                      # rate_limit_wait after CF's 403
            # the host is held: no request at all to it before the wait is over
            check(gap >= want - TOL, "%s: next request after %.3fs, must wait %.3fs" % (
                kind, gap, want))
            # and the same URL is retried
            same = [x for x in allr[i + 1:] if x["path"] == r["path"]][0]
            check(same["url"] == r["url"], "%s: the page was not retried: %s" % (
                kind, same["url"]))
        check(all(r["ua"].startswith("bidbroker/") for r in allr), "User-Agent")
        check("Retry-After" in p.stderr and "rate limit" in p.stderr,
              "faults not logged:\n" + p.stderr)


def test_exponential_backoff(d):
    fts = fs.Dataset("fts", fs.fts_releases(10), T0, T1, faults=[
        Fault("500", at=2), Fault("504", at=3), Fault("500", at=4), Fault("500", at=5)])
    with fs.FeedServer(fts=fts) as srv:
        keys = dict(fs.FAST, backoff_initial="0.1s", backoff_max="1s")
        conf = fs.write_config(d, [("fts", "fts", srv.base + fs.FTS_PATH,
                                    dict(keys, page_limit="5"))])
        fs.run_poll(conf, NOW, "--since", "2025-01-20T00:00:00Z", "--retries", "6",
                    check_rc=0)
        fs.check_exactly_once(os.path.join(d, "state"), "fts", fts.notice_ids())
        reqs = srv.requests()
        # failures 1..4: delay in [d/2, d] with d = 0.1, 0.2, 0.4, 0.8
        for k, i in enumerate(range(1, 5)):
            dmax = min(1.0, 0.1 * 2 ** k)
            gap = after(reqs, i)
            check(gap >= dmax / 2 - TOL, "failure %d: retried after %.3fs, back-off must "
                  "be at least %.3fs" % (k + 1, gap, dmax / 2))
        # exponential, not flat: the 4th retry waited longer than the 1st could
        check(after(reqs, 4) > 0.1 + TOL, "back-off does not grow")
        # the state is clean again after the success
        import sqlite3
        con = sqlite3.connect(os.path.join(d, "state", "bidbroker.db"))
        row = con.execute("SELECT failures, last_error, next_attempt FROM source_state "
                          "WHERE source = 'fts'").fetchone()
        con.close()
        check(row == (0, None, None), "source_state not reset after success: %r" % (row,))


if __name__ == "__main__":
    fs.main([test_retry_after_and_rate_limit, test_exponential_backoff])
