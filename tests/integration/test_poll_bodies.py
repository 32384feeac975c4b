"""bidbroker poll: broken bodies and hostile responses — truncated (with and
without Content-Length), not JSON, invalid JSON numbers, slow trickle, over
the size cap (with and without Content-Length), redirects to file:// and
ftp://, cursor loops, repeated pages, and a full page without links.next
(the window is split) — every notice still arrives exactly once and no window
is skipped.  Run with /usr/bin/python3."""

import calendar
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import Fault, check  # noqa: E402

T0 = calendar.timegm((2025, 1, 20, 0, 0, 0))
T1 = calendar.timegm((2025, 1, 21, 0, 0, 0))
NOW = "2025-01-21T00:00:00Z"


def poll_fts(d, ds, *args, rc=0, **over):
    with fs.FeedServer(fts=ds, big_bytes=100000) as srv:
        keys = dict(fs.FAST, page_limit="5", max_body_bytes="65536")
        keys.update(over)
        conf = fs.write_config(d, [("fts", "fts", srv.base + fs.FTS_PATH, keys)])
        p = fs.run_poll(conf, NOW, "--since", "2025-01-20T00:00:00Z", "--retries", "8",
                        *args, check_rc=rc)
        return srv, p


def retried_same(reqs, kind):
    """The request after each `kind` fault fetched the same URL again."""
    for i, r in enumerate(reqs):
        if r["fault"] == kind:
            check(i + 1 < len(reqs), "%s: nothing after the fault" % kind)
            check(reqs[i + 1]["url"] == r["url"], "%s: not retried; next was %s" % (
                kind, reqs[i + 1]["url"]))


def restarted_window(reqs, kind):
    """After a cursor problem the window is re-read from its first page."""
    for i, r in enumerate(reqs):
        if r["fault"] == kind:
            n = reqs[i + 1]
            check("cursor" not in n["query"] and n["window"] == r["window"],
                  "%s: window not restarted from its first page (next: %s)" % (kind, n["url"]))


def test_broken_bodies(d):
    ds = fs.Dataset("fts", fs.fts_releases(40), T0, T1, faults=[
        Fault("truncated-cl", cursor=True), Fault("truncated", at=4), Fault("invalid", at=6),
        Fault("slow", at=8), Fault("big", at=10), Fault("big-chunked", at=12),
        Fault("redirect-file", at=14), Fault("redirect-ftp", at=16)])
    srv, p = poll_fts(d, ds)
    fs.check_exactly_once(os.path.join(d, "state"), "fts", ds.notice_ids())
    reqs = srv.requests()
    kinds = [r["fault"] for r in reqs if r["fault"]]
    check(len(kinds) == 8, "faults served: %s" % kinds)
    for k in kinds:
        retried_same(reqs, k)
    # nothing was followed to file:// or ftp://, and the errors were logged
    # with the source and window
    check(len([r for r in reqs if r["path"] != fs.FTS_PATH]) == 0, "odd request")
    check("fts window 2025-01-20T" in p.stderr, "errors not logged with the window:\n" +
          p.stderr)
    check("too slow" in p.stderr.lower() or "low speed" in p.stderr.lower() or
          "slow" in p.stderr.lower(), "slow body not reported:\n" + p.stderr)
    check("max_body_bytes" in p.stderr, "size cap not reported:\n" + p.stderr)
    fs.check_windows(reqs, T0, T1, 6 * 3600, "fts")


def test_invalid_numbers_are_read(d):
    ds = fs.Dataset("fts", fs.fts_releases(10), T0, T1, faults=[Fault("badnum", times=-1)])
    srv, p = poll_fts(d, ds)
    fs.check_exactly_once(os.path.join(d, "state"), "fts", ds.notice_ids())
    check(all(r["status"] == 200 for r in srv.requests()), "unexpected errors")
    check("invalid body" not in p.stderr, "1e9999/000 rejected:\n" + p.stderr)


def test_cursor_loop_and_repeated_page(d):
    ds = fs.Dataset("fts", fs.fts_releases(40), T0, T1, faults=[
        Fault("loop", cursor=True, times=1), Fault("repeat", cursor=True, times=1)])
    srv, p = poll_fts(d, ds)
    fs.check_exactly_once(os.path.join(d, "state"), "fts", ds.notice_ids())
    reqs = srv.requests()
    check([r["fault"] for r in reqs if r["fault"]] == ["loop", "repeat"], "faults served")
    restarted_window(reqs, "loop")
    restarted_window(reqs, "repeat")
    check("cursor loop" in p.stderr, "cursor loop not logged:\n" + p.stderr)
    check("repeats the previous page" in p.stderr, "repeated page not logged:\n" + p.stderr)
    check(len(reqs) < 40, "too many requests (%d): loop not stopped" % len(reqs))


def test_full_page_without_next_splits(d):
    # A window longer than 2 h with more than a page of releases comes back
    # as one full page with no links.next (the live services' bug).
    ds = fs.Dataset("fts", fs.fts_releases(40), T0, T1, truncate_over=2 * 3600)
    srv, p = poll_fts(d, ds)
    fs.check_exactly_once(os.path.join(d, "state"), "fts", ds.notice_ids())
    reqs = srv.requests()
    trunc = [r for r in reqs if r.get("truncated")]
    check(trunc, "the server never truncated")
    for r in trunc:
        a, b = r["window"]
        mid = a + (b - a) // 2
        halves = {x["window"] for x in reqs if "cursor" not in x["query"]}
        check((a, mid) in halves and (mid, b) in halves,
              "truncated window %s..%s not split into halves" % (fs.iso(a), fs.iso(b)))
    fs.check_windows(reqs, T0, T1, 6 * 3600, "fts")
    check("splitting" in p.stderr, "split not logged:\n" + p.stderr)


def test_truncated_at_minimum_window_is_accepted(d):
    # Three releases within 10 seconds and a service that always truncates:
    # the poller splits down to the smallest window (60 s), then accepts the
    # page with a warning instead of splitting forever.
    t = T0 + 3 * 3600
    ds = fs.Dataset("fts", fs.fts_releases(3), t, t + 10, truncate_over=0)
    srv, p = poll_fts(d, ds, page_limit="2")
    check("smallest window" in p.stderr, "no warning at the minimum window:\n" + p.stderr)
    reqs = srv.requests()
    check(len(reqs) < 60, "splitting did not stop: %d requests" % len(reqs))
    spans = [r["window"][1] - r["window"][0] for r in reqs]
    check(min(spans) >= 30, "split below the minimum window: %ss" % min(spans))
    fs.check_windows(reqs, T0, T1, 6 * 3600, "fts")


if __name__ == "__main__":
    fs.main([test_broken_bodies, test_invalid_numbers_are_read,
             test_cursor_loop_and_repeated_page, test_full_page_without_next_splits,
             test_truncated_at_minimum_window_is_accepted])
