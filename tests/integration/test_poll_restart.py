"""bidbroker poll killed with SIGKILL in the middle of a window, then run
again: the watermark only covers committed windows, the second run resumes
from it (minus overlap), no window is skipped and every notice is stored
exactly once.  Also: SIGTERM stops a poll cleanly.  Run with /usr/bin/python3."""

import calendar
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import Fault, check  # noqa: E402

T0 = calendar.timegm((2025, 1, 20, 0, 0, 0))
T1 = calendar.timegm((2025, 1, 21, 0, 0, 0))
NOW = "2025-01-21T00:00:00Z"


def watermark(state):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "bidbroker.db"), uri=True)
    try:
        row = con.execute("SELECT watermark FROM source_state WHERE source = 'fts'").fetchone()
    finally:
        con.close()
    return row[0] if row else None


def start_poll(conf):
    return subprocess.Popen([fs.BIDBROKER, "--config", conf, "--now", NOW, "poll",
                             "--no-progress", "--since", "2025-01-20T00:00:00Z"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(srv, pred, what, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred(srv.requests()):
            return
        time.sleep(0.02)
    raise fs.TestFailure("timed out waiting for " + what)


def test_sigkill_mid_window_then_resume(d):
    # 10 releases a window, 5 a page: 3 requests a window (the last page is
    # empty).  Request 6 is the third page of the second window; it never answers.
    ds = fs.Dataset("fts", fs.fts_releases(40), T0, T1, faults=[Fault("hang", at=6)])
    with fs.FeedServer(fts=ds) as srv:
        conf = fs.write_config(d, [("fts", "fts", srv.base + fs.FTS_PATH,
                                    dict(fs.FAST, page_limit="5", overlap="10m"))])
        state = os.path.join(d, "state")
        proc = start_poll(conf)
        try:
            wait_for(srv, lambda rs: any(r["status"] == "hang" for r in rs), "the hung request")
        finally:
            proc.kill()                         # SIGKILL: no clean-up at all
            proc.communicate()
        hung = [r for r in srv.requests() if r["status"] == "hang"][0]
        win_a, win_b = hung["window"]
        check("cursor" in hung["query"], "the hung request should be a later page")
        wm = watermark(state)
        # the windows before the hung one were committed; the hung one was not
        check(wm == win_a, "watermark after the kill is %s, expected the end of the last "
              "complete window %s" % (fs.iso(wm) if wm else wm, fs.iso(win_a)))
        n1 = len(srv.requests())

        p = fs.run_poll(conf, NOW, check_rc=0)
        second = srv.requests()[n1:]
        a, _ = second[0]["window"]
        check(a == wm - 600, "second run starts at %s, expected watermark - overlap %s" % (
            fs.iso(a), fs.iso(wm - 600)))
        check(a <= win_a, "the interrupted window would be skipped")
        fs.check_windows(second, a, T1, 6 * 3600, "fts (after restart)")
        fs.check_windows(srv.requests(), T0, T1, 6 * 3600, "fts (both runs)")
        fs.check_exactly_once(state, "fts", ds.notice_ids())
        check(watermark(state) == T1, "watermark did not reach --now")
        check("fts: ok" in p.stdout, p.stdout)


def test_sigterm_stops_between_transactions(d):
    # 10 releases a window, 5 a page: 3 requests a window; request 4 is the
    # first page of the second window.
    ds = fs.Dataset("fts", fs.fts_releases(40), T0, T1, faults=[Fault("hang", at=4)])
    with fs.FeedServer(fts=ds) as srv:
        conf = fs.write_config(d, [("fts", "fts", srv.base + fs.FTS_PATH,
                                    dict(fs.FAST, page_limit="5"))])
        proc = start_poll(conf)
        try:
            wait_for(srv, lambda rs: any(r["status"] == "hang" for r in rs), "the hung request")
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        fs.check_sanitizers(err)
        check(proc.returncode == 1, "SIGTERM: exit %d, expected 1\n%s" % (proc.returncode, err))
        check("interrupted" in err, "no notice of the interruption:\n" + err)
        check("fts: stopped" in out, "no summary after SIGTERM:\n" + out)
        # what was committed before stays
        check(watermark(os.path.join(d, "state")) == T0 + 6 * 3600,
              "first window not committed before the interruption")


if __name__ == "__main__":
    fs.main([test_sigkill_mid_window_then_resume, test_sigterm_stops_between_transactions])
