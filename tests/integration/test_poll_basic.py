# test: serial (it measures how far apart requests arrive: run alone, see tests/run.sh)
"""bidbroker poll against the test server: windows, pagination, politeness,
watermark and resume (no faults).  Run with /usr/bin/python3."""

import calendar
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import check  # noqa: E402

T0 = calendar.timegm((2025, 1, 20, 0, 0, 0))
NOW = "2025-01-22T00:00:00Z"
T_NOW = calendar.timegm((2025, 1, 22, 0, 0, 0))


def servers():
    fts = fs.Dataset("fts", fs.fts_releases(60), T0, T_NOW)
    cf = fs.Dataset("cf", fs.cf_releases(), T0, T_NOW)
    return fs.FeedServer(fts=fts, cf=cf)


def config(d, srv, **over):
    keys = dict(fs.FAST)
    keys.update(over)
    return fs.write_config(d, [
        ("fts", "fts", srv.base + fs.FTS_PATH, dict(keys, page_limit="5")),
        ("cf", "contracts-finder", srv.base + fs.CF_PATH, dict(keys, page_limit="50")),
    ])


def test_backfill_every_notice_once(d):
    with servers() as srv:
        conf = config(d, srv, min_interval="0.1s")
        p = fs.run_poll(conf, NOW, "--since", "2025-01-20T00:00:00Z", check_rc=0)
        state = os.path.join(d, "state")
        fs.check_exactly_once(state, "fts", srv.fts.notice_ids())
        fs.check_exactly_once(state, "cf", srv.cf.notice_ids())
        fts = srv.requests(fs.FTS_PATH)
        cf = srv.requests(fs.CF_PATH)
        # windows: FTS <= 6 h, CF <= 1 day, together covering since..now
        fs.check_windows(fts, T0, T_NOW, 6 * 3600, "fts")
        fs.check_windows(cf, T0, T_NOW, 86400, "cf")
        check(len([r for r in fts if "cursor" not in r["query"]]) == 8,
              "fts: expected 8 windows of 6 h over 2 days")
        # pagination followed links.next (cursor requests happened)
        check(any("cursor" in r["query"] for r in fts), "fts: links.next never followed")
        # no stages=, limit=page_limit, window in the documented format
        for r in fts + cf:
            check("stages" not in r["query"], "stages= sent: %s" % r["url"])
            if "cursor" not in r["query"]:
                lim = "5" if r["path"] == fs.FTS_PATH else "50"
                check(r["query"].get("limit") == lim, "limit is not page_limit: %s" % r["url"])
        check("updatedFrom" in fts[0]["query"] and "publishedFrom" in cf[0]["query"],
              "wrong window parameters")
        check(fts[0]["query"]["updatedFrom"] == "2025-01-20T00:00:00",
              "updatedFrom format: %s" % fts[0]["query"]["updatedFrom"])
        # one host: one request at a time, starts >= min_interval apart
        # (arrival times at the server jitter under load: 50 ms slack;
        # without the spacing the gaps are a few milliseconds)
        fs.check_spacing(srv.requests(), 0.1, "all", tol=0.05)
        # User-Agent and gzip
        for r in srv.requests():
            check(r["ua"].startswith("bidbroker/"), "User-Agent: %r" % r["ua"])
            check("gzip" in r["accept_encoding"], "gzip not accepted: %r" % r["accept_encoding"])
        check("fts: ok" in p.stdout and "cf: ok" in p.stdout, "summary:\n" + p.stdout)
        check("window 2025-01-20T00:00:00..2025-01-20T06:00:00" in p.stderr,
              "no per-window log line:\n" + p.stderr)


def test_resume_from_watermark(d):
    with servers() as srv:
        conf = config(d, srv, overlap="30m", start="1d")
        # first run: no watermark, starts 'start' (1 d) before --now
        fs.run_poll(conf, "2025-01-21T12:00:00Z", check_rc=0)
        first = srv.requests(fs.FTS_PATH)
        a, _ = first[0]["window"]
        check(a == calendar.timegm((2025, 1, 20, 12, 0, 0)),
              "first run did not start 'start' before now: %s" % fs.iso(a))
        n1 = len(srv.requests())
        # second run: from the watermark (2025-01-21T12:00) minus 30 min overlap
        p = fs.run_poll(conf, NOW, check_rc=0)
        second = srv.requests(fs.FTS_PATH)[len(first):]
        a, b = second[0]["window"]
        check(a == calendar.timegm((2025, 1, 21, 11, 30, 0)),
              "second run did not resume at watermark - overlap: %s" % fs.iso(a))
        check(b - a <= 6 * 3600, "window too long")
        fs.check_windows(second, a, T_NOW, 6 * 3600, "fts (second run)")
        # everything from 2025-01-20T12:00 on is stored, exactly once
        exp = sorted(r["id"] for t, r in srv.fts.items if t >= calendar.timegm(
            (2025, 1, 20, 12, 0, 0)))
        fs.check_exactly_once(os.path.join(d, "state"), "fts", exp)
        check(len(srv.requests()) > n1, "second run made no requests")
        check("fts: ok" in p.stdout, p.stdout)
        # a third run at the same --now re-reads only the overlap
        n2 = len(srv.requests(fs.FTS_PATH))
        fs.run_poll(conf, NOW, "--source", "fts", check_rc=0)
        third = srv.requests(fs.FTS_PATH)[n2:]
        check(third and third[0]["window"][0] == T_NOW - 1800,
              "third run did not re-read only the overlap")
        check(all(r["path"] == fs.FTS_PATH for r in srv.requests()[n2 + len(
            srv.requests(fs.CF_PATH)):]), "--source fts polled another source")


def test_usage_errors(d):
    with servers() as srv:
        conf = config(d, srv)
        p = fs.run_poll(conf, NOW, "--source", "nosuch")       # not found: 1
        check(p.returncode == 1 and "nosuch" in p.stderr, "unknown --source: exit %d" % p.returncode)
        p = fs.run_poll(conf, NOW, "--since", "yesterday")
        check(p.returncode == 2, "bad --since: exit %d" % p.returncode)
        p = fs.run_poll(conf, NOW, "--since", "2030-01-01")
        check(p.returncode == 2, "--since after now: exit %d" % p.returncode)
        check(not srv.requests(), "requests made on a usage error")


def test_progress_bar_on_terminal(d):
    import pty
    import subprocess
    with servers() as srv:
        conf = config(d, srv)
        master, slave = pty.openpty()
        proc = subprocess.Popen([fs.BIDBROKER, "--config", conf, "--now", NOW, "poll",
                                 "--since", "2025-01-21T00:00:00Z"],
                                stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            try:
                b = os.read(master, 4096)
            except OSError:                     # EIO: the child closed the pty
                break
            if not b:
                break
            chunks.append(b)
        out, _ = proc.communicate(timeout=30)
        os.close(master)
        err = b"".join(chunks).decode("utf-8", "replace")
        fs.check_sanitizers(err)
        check(proc.returncode == 0, "exit %d\n%s" % (proc.returncode, err))
        check("\r\033[K" in err and "windows" in err and "ETA" in err,
              "no progress bar on a terminal:\n%r" % err[-500:])
        check("5/5 windows" in err, "final bar does not show 5/5 windows:\n%r" % err[-300:])
        check("window 2025-01-21T00:00:00.." not in err,
              "per-window log lines break the bar:\n%r" % err[-500:])
        check(b"fts: ok" in out, out)


if __name__ == "__main__":
    fs.main([test_backfill_every_notice_once, test_resume_from_watermark, test_usage_errors,
             test_progress_bar_on_terminal])
