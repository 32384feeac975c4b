"""A gzip bomb (issue #14, held before and kept so): a feed answered with
Content-Encoding: gzip whose 40 KB body inflates to 40 MB.  The size cap
(max_body_bytes, here 1 MiB) applies to the decoded bytes as libcurl
decodes them, so:

- the transfer is stopped (the write callback refuses bytes past the cap)
  with an error naming the source and max_body_bytes;
- nothing of it is stored, and the other source is polled and stored.
Run with /usr/bin/python3."""

import gzip
import http.server
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import check  # noqa: E402

NOW = "2025-01-22T00:00:00Z"
INFLATED = 40 << 20


class Bomb:
    def __init__(self):
        self.body = gzip.compress(b"<?xml version=\"1.0\"?>\n<feed>" + b" " * INFLATED,
                                  compresslevel=9)
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                try:
                    self.wfile.write(outer.body)
                except OSError:
                    pass                # the client stopped reading: expected

        self.server = fs.HandlerServer(H)
        self.base = self.server.base

    def stop(self):
        self.server.stop()



def test_gzip_bomb(d):
    bomb = Bomb()
    try:
        check(len(bomb.body) < 200000, "the bomb is not small: %d bytes" % len(bomb.body))
        lm = "Mon, 20 Jan 2025 10:00:00 GMT"
        with fs.FeedServer(feed=('"a"', lm, fs.good_feed())) as good:
            conf = fs.write_config(d, [
                ("bomb", "feed", bomb.base + fs.FEED_PATH,
                 dict(fs.FAST, max_body_bytes=str(1 << 20))),
                ("buyer", "feed", good.base + fs.FEED_PATH, dict(fs.FAST)),
            ])
            p = fs.run_poll(conf, NOW, "--retries", "1", timeout=60)
            check(p.returncode == 1, "poll with a gzip bomb: exit %d, want 1\n%s"
                  % (p.returncode, p.stderr))
            lines = [ln for ln in p.stderr.splitlines() if "max_body_bytes" in ln]
            check(lines and all("bomb" in ln for ln in lines),
                  "no error naming the source and max_body_bytes:\n" + p.stderr)
            stored = {src for src, _ in fs.stored_notices(os.path.join(d, "state"))}
            check(stored == {"feed:buyer"}, "stored sources %r, want only feed:buyer" % stored)
    finally:
        bomb.stop()


if __name__ == "__main__":
    fs.main([test_gzip_bomb])
