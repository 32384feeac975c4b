# test: serial (it measures how long things take: run alone, see tests/run.sh)
"""A server that trickles (issue #14 item 3): it answers with headers, then 50
bytes every 0.5 s for ever — fast enough for any low-speed limit, so before
[source] total_timeout a request stayed open indefinitely and `poll` never
returned.  Now:

- `poll` gives the trickling source up within its total_timeout (2s here,
  with --retries 1), the error naming the source and the timeout, exit 1;
- the other source (a good Atom feed) is still polled and stored;
- the next `poll` tries the trickling source again;
- under `run`, the same: the request is cut off and logged, the other
  source stored meanwhile, and SIGTERM stops the daemon at once.
Run with /usr/bin/python3."""

import http.server
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import check  # noqa: E402

NOW = "2025-01-22T00:00:00Z"
# Far above 2 retries of total_timeout = 2s even on a busy machine; without
# total_timeout the poll does not end at all.
BOUND_S = 40


class Trickle:
    """Serves /feed.atom as 50 bytes every 0.5 s until the client goes away
    or the server stops; counts the requests."""

    def __init__(self):
        self.requests = 0
        self.stopping = threading.Event()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.end_headers()
                chunk = b"<!-- " + b"x" * 41 + b" -->"      # 50 bytes
                try:
                    self.wfile.write(b'<?xml version="1.0"?>\n<feed>\n')
                    while not outer.stopping.wait(0.5):
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except OSError:
                    pass                    # the client gave up: expected

        self.server = fs.HandlerServer(H)
        self.base = self.server.base

    def stop(self):
        self.stopping.set()
        self.server.stop()



def test_trickle(d):
    lm = "Mon, 20 Jan 2025 10:00:00 GMT"
    trickle = Trickle()
    try:
        with fs.FeedServer(feed=('"a"', lm, fs.good_feed())) as good:
            slow = dict(fs.FAST, low_speed_limit="10", low_speed_time="1s",
                        total_timeout="2s")
            conf = fs.write_config(d, [
                ("trickle", "feed", trickle.base + fs.FEED_PATH, slow),
                ("buyer", "feed", good.base + fs.FEED_PATH, dict(fs.FAST)),
            ])
            p = fs.run_poll(conf, NOW, "--retries", "1", timeout=BOUND_S)
            check(p.returncode == 1, "poll with a trickling source: exit %d, want 1\n%s"
                  % (p.returncode, p.stderr))
            lines = [ln for ln in p.stderr.splitlines() if "total_timeout (2s)" in ln]
            check(lines and all("trickle" in ln for ln in lines),
                  "no error naming the source and total_timeout (2s):\n" + p.stderr)
            check(any("giving up" in ln for ln in lines),
                  "the source was not given up:\n" + p.stderr)
            check(trickle.requests >= 1, "the trickling server was never asked")
            stored = {src for src, _ in fs.stored_notices(os.path.join(d, "state"))}
            check("feed:buyer" in stored, "the good feed was not stored: %r\n%s"
                  % (stored, p.stderr))
            check("trickle:" in p.stdout and "FAILED" in p.stdout.split("trickle:", 1)[1]
                  .split("\n", 1)[0], "the summary does not say trickle FAILED:\n" + p.stdout)

            # the next poll tries again
            before = trickle.requests
            p = fs.run_poll(conf, NOW, "--retries", "1", "--source", "trickle",
                            timeout=BOUND_S)
            check(trickle.requests > before, "the next poll did not try the source again")
            check("total_timeout (2s)" in p.stderr, "second poll:\n" + p.stderr)
    finally:
        trickle.stop()


def test_trickle_daemon(d):
    """The daemon: the trickling request is cut off after total_timeout and
    logged, the other source is stored meanwhile, the daemon stays up and a
    SIGTERM stops it at once (exit 0)."""
    from test_statelock import Daemon
    import signal

    lm = "Mon, 20 Jan 2025 10:00:00 GMT"
    trickle = Trickle()
    daemon = None
    try:
        with fs.FeedServer(feed=('"a"', lm, fs.good_feed())) as good:
            slow = dict(fs.FAST, low_speed_limit="10", low_speed_time="1s",
                        total_timeout="2s", interval="1h")
            conf = fs.write_config(d, [
                ("trickle", "feed", trickle.base + fs.FEED_PATH, slow),
                ("buyer", "feed", good.base + fs.FEED_PATH, dict(fs.FAST, interval="1h")),
            ])
            daemon = Daemon(conf)
            daemon.wait(r"buyer feed: .*notices", "the good feed stored")
            daemon.wait(r"trickle feed page 1: no complete response within total_timeout "
                        r"\(2s\)", "the trickling request cut off by total_timeout")
            check(daemon.p.poll() is None, "the daemon stopped")
            t = time.monotonic()
            daemon.p.send_signal(signal.SIGTERM)
            rc = daemon.p.wait(10)
            check(rc == 0 and time.monotonic() - t < 5,
                  "SIGTERM: exit %d after %.1fs" % (rc, time.monotonic() - t))
    finally:
        if daemon is not None:
            daemon.kill(signal.SIGKILL)
        trickle.stop()


if __name__ == "__main__":
    fs.main([test_trickle, test_trickle_daemon])
