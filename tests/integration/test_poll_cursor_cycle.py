"""A cursor cycle under fresh URLs (issue #14 item 5): a Find a Tender-shaped
server whose window has two pages, A and B, served alternately for ever,
each with a links.next cursor never seen before.  Before, only the 5,000-page
cap stopped the walk (about 14 h of requests at the live spacing).  Now the
poller compares each page's content (its releases, not its URL) with the
earlier pages of the walk:

- the walk stops at the first page that repeats an earlier one (page 3),
  with a warning naming the source and the cycle;
- the notices of pages A and B are stored;
- another source in the same poll is polled as usual.
Run with /usr/bin/python3."""

import calendar
import http.server
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import check  # noqa: E402

NOW = "2025-01-22T00:00:00Z"
SINCE = "2025-01-21T22:00:00Z"          # one 6 h window
PAGE = 5


class Cycle:
    """First page A (no cursor); cursor k odd: B, even: A; next is k+1.
    With next_url, every page's links.next is that instead."""

    def __init__(self, next_url=None):
        rels = fs.fts_releases(2 * PAGE)
        for r in rels:
            r["date"] = "2025-01-21T23:00:00Z"
        self.pages = [rels[:PAGE], rels[PAGE:]]
        self.ids = sorted(r["id"] for r in rels)
        self.template = fs.package_template("fts")
        self.requests = 0
        self.lock = threading.Lock()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                with outer.lock:
                    outer.requests += 1
                q = dict(x.split("=", 1) for x in self.path.partition("?")[2].split("&") if x)
                k = int(q.get("cursor", "0"))
                pkg = dict(outer.template)
                pkg["releases"] = outer.pages[k % 2]
                pkg["links"] = {"next": next_url or "%s%s?limit=%d&cursor=%d" % (
                    outer.base, fs.FTS_PATH, PAGE, k + 1)}
                body = json.dumps(pkg).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = fs.HandlerServer(H)
        self.base = self.server.base

    def stop(self):
        self.server.stop()



def test_cursor_cycle(d):
    cyc = Cycle()
    try:
        lm = "Mon, 20 Jan 2025 10:00:00 GMT"
        with fs.FeedServer(feed=('"a"', lm, fs.good_feed())) as good:
            conf = fs.write_config(d, [
                ("cyc", "fts", cyc.base + fs.FTS_PATH, dict(fs.FAST, page_limit=str(PAGE))),
                ("buyer", "feed", good.base + fs.FEED_PATH, dict(fs.FAST)),
            ])
            p = fs.run_poll(conf, NOW, "--retries", "1", "--since", SINCE, timeout=60)
            warn = [ln for ln in p.stderr.splitlines() if "cursor cycle" in ln]
            check(warn, "no cursor cycle reported:\n" + p.stderr)
            check(all("cyc window" in ln for ln in warn),
                  "the warning does not name the source:\n" + "\n".join(warn))
            check("as page 1 of this window" in warn[0], "the warning does not name the "
                  "earlier page:\n" + warn[0])
            check(cyc.requests == 3, "%d requests for a cycle of two pages (want 3: A, B, A)"
                  % cyc.requests)
            check(p.returncode == 1, "poll exit %d, want 1 (cyc gave up)" % p.returncode)
            state = os.path.join(d, "state")
            fs.check_exactly_once(state, "fts", cyc.ids)
            stored = {src for src, _ in fs.stored_notices(state)}
            check("feed:buyer" in stored, "the other source was not polled:\n" + p.stderr)
    finally:
        cyc.stop()


def test_hostile_next_link_logged_safely(d):
    """A links.next the poller refuses is quoted in the log: its control and
    format characters are shown as <U+XXXX>, never written raw (the log goes
    to a terminal or the journal)."""
    cyc = Cycle(next_url="ftp://evil.example/\u202egpj.exe\u001b[2J\u001b]0;pwned\u0007")
    try:
        conf = fs.write_config(d, [
            ("cyc", "fts", cyc.base + fs.FTS_PATH, dict(fs.FAST, page_limit=str(PAGE)))])
        p = fs.run_poll(conf, NOW, "--retries", "1", "--since", SINCE, timeout=60)
        lines = [ln for ln in p.stderr.splitlines() if "links.next" in ln]
        check(lines, "the refused links.next was not logged:\n" + p.stderr)
        check("<U+202E>gpj.exe<U+001B>[2J<U+001B>]0;pwned<U+0007>" in lines[0],
              "the log line does not show the characters escaped:\n" + lines[0])
        for ch in ("\u202e", "\x1b", "\x07"):
            check(ch not in p.stderr + p.stdout, "%r printed raw:\n%r" % (ch, p.stderr))
    finally:
        cyc.stop()


if __name__ == "__main__":
    fs.main([test_cursor_cycle, test_hostile_next_link_logged_safely])
