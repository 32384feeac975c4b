# test: serial (it measures how long things take: run alone, see tests/run.sh)
"""test_daemon_parse.py — parsing runs off the loop thread (issue #14).

A Contracts Finder source on 127.0.0.1 serves one large page (some 30 MB,
10,000 releases: seconds of parsing, within max_body_bytes) and a feed
source on 127.0.0.2 answers a moment later.  While the large page is being
parsed:
  - the other source's feed is fetched, parsed and stored (its window line
    comes before the large page's);
  - WATCHDOG=1 keeps coming every 100 ms (no gap over 0.5 s);
  - SIGHUP reloads within a second (the new generation gives the parse up);
  - SIGTERM stops the daemon within a second, exit 0, without waiting for the
    parse (the large page is never stored).
With the parse on the loop thread all three fail: the loop sleeps in the
parser.  Run with /usr/bin/python3; env BIDBROKER, FIXTURES.
"""

import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_daemon import FIXTURES, Log, Notify, fail, start, wait_for, write  # noqa: E402

RELEASES = 10000
BIG = "a full page (%d)" % RELEASES       # logged once the large page is stored


def big_page():
    with open(os.path.join(FIXTURES, "ocds", "cf-search-2025-01-20to23-page1.json")) as f:
        pkg = json.load(f)
    base = pkg["releases"]
    rels = []
    for k in range(RELEASES // len(base)):
        for r in base:
            r2 = dict(r)
            r2["id"] = "%s-%d" % (r["id"], k)
            r2["ocid"] = "%s-%d" % (r["ocid"], k)
            rels.append(r2)
    pkg["releases"] = rels
    pkg["links"] = {}
    return json.dumps(pkg).encode()


class Server:
    """One handler for both addresses: the large page once, then empty pages;
    the feed after a short delay.  Notes when the large page was sent."""

    def __init__(self, host, body, delay=0.0, once=False):
        self.requests = 0
        self.sent = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests += 1
                data = body
                if once and outer.requests > 1:
                    data = b'{"releases": [], "links": {}}'
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                outer.sent.set()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.url = "http://%s:%d" % (host, self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def main():
    with open(os.path.join(FIXTURES, "feeds", "atom-buyer.xml"), "rb") as f:
        feed = f.read()
    big = Server("127.0.0.1", big_page(), once=True)
    small = Server("127.0.0.2", feed, delay=0.4)
    tmp = tempfile.mkdtemp(prefix="bb-parse-")
    proc = None
    try:
        conf = os.path.join(tmp, "bidbroker.conf")
        write(conf, "[bidbroker]\nstate_dir = %s\nlog_level = info\n\n"
              "[source big]\ntype = contracts-finder\nurl = %s/cf\ninterval = 1h\n"
              "min_interval = 0.2\nmax_body_bytes = 67108864\n\n"
              "[source north]\ntype = feed\nurl = %s/north.atom\ninterval = 1h\n"
              "min_interval = 0.2\n" % (os.path.join(tmp, "state"), big.url, small.url))
        sock = os.path.join(tmp, "notify.sock")
        notify = Notify(sock)
        proc = start(tmp, conf, {"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "200000"})
        log = Log(proc.stderr)
        notify.key("READY")
        if not big.sent.wait(20):
            fail("the large page was never requested")
        served = time.monotonic()

        # the other source goes on while the large page is parsed
        log.wait(r"north feed: 1 page, 2 notices", "the north feed stored")
        if BIG in log.text():
            fail("the large page was stored before the other source: the parse is not "
                 "off the loop thread, or too fast for this test; log:\n" + log.text())

        # watchdog pings keep coming during the parse
        last, gap = time.monotonic(), 0.0
        while time.monotonic() - served < 0.8:
            notify.key("WATCHDOG", timeout=2)
            now = time.monotonic()
            gap, last = max(gap, now - last), now
        if gap > 0.5:
            fail("WATCHDOG=1 stopped for %.2f s during the parse" % gap)
        if BIG in log.text():
            fail("the parse ended before SIGHUP: too fast for this test")

        # SIGHUP is answered at once; the new generation gives the parse up
        t0 = time.monotonic()
        proc.send_signal(signal.SIGHUP)
        log.wait(r"configuration reloaded", "the reload")
        reload_took = time.monotonic() - t0
        if reload_took > 1.0:
            fail("SIGHUP took %.2f s during a parse, want < 1 s" % reload_took)

        # SIGTERM is answered at once, not after the parse
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(10)
        except subprocess.TimeoutExpired:
            fail("no exit 10 s after SIGTERM")
        took = time.monotonic() - t0
        if rc != 0:
            fail("exit %d after SIGTERM, want 0; log:\n%s" % (rc, log.text()))
        if took > 1.0:
            fail("SIGTERM took %.2f s during a parse, want < 1 s" % took)
        log.thread.join(5)
        if BIG in log.text():
            fail("the large page was stored after all")
        proc = None
        print("ok: other source stored, watchdog gap %.2f s, reload in %.2f s, SIGTERM exit "
              "in %.2f s, all while a large page was parsed" % (gap, reload_took, took))
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        big.stop()
        small.stop()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
