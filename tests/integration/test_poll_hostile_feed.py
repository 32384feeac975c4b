# test: serial (it measures how long things take: run alone, see tests/run.sh)
"""bidbroker poll --once with feeds whose shape is hostile: one Atom <entry>
carrying 60,000 attributes (650 KB; libxml2 2.9.14 alone spends 37 s of CPU
on it, quadratic in attributes) and 300,000 (3.3 MB; still parsing after 11
minutes).  The poll must finish in a bounded time with the refusal logged
(naming the source, the element, its line and the limit), and the other
sources' notices (a good Atom feed, Find a Tender pages) must still be
stored.  Run with /usr/bin/python3."""

import calendar
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import check  # noqa: E402

T0 = calendar.timegm((2025, 1, 20, 0, 0, 0))
NOW = "2025-01-22T00:00:00Z"
T_NOW = calendar.timegm((2025, 1, 22, 0, 0, 0))
# Far above what the scan needs (well under a second, even under ASan on a
# busy machine), far below what libxml2 needs without it.
BOUND_S = 25


def hostile(nattr):
    attrs = " ".join('at%06d=""' % i for i in range(nattr))
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>evil</title>\n'
            '<entry %s><id>urn:evil:1</id><title>evil</title></entry>\n'
            '</feed>\n' % attrs).encode()



def test_many_attributes(d):
    lm = "Mon, 20 Jan 2025 10:00:00 GMT"
    evil60 = fs.FeedServer(feed=('"a"', lm, hostile(60000)))
    evil300 = fs.FeedServer(feed=('"b"', lm, hostile(300000)))
    good = fs.FeedServer(fts=fs.Dataset("fts", fs.fts_releases(20), T0, T_NOW),
                         feed=('"c"', lm, fs.good_feed()))
    with evil60, evil300, good:
        check(len(evil60.feed[2]) > 600000 and len(evil300.feed[2]) > 3000000,
              "hostile feeds smaller than intended")
        conf = fs.write_config(d, [
            ("evil60k", "feed", evil60.base + fs.FEED_PATH, dict(fs.FAST)),
            ("evil300k", "feed", evil300.base + fs.FEED_PATH, dict(fs.FAST)),
            ("buyer", "feed", good.base + fs.FEED_PATH, dict(fs.FAST)),
            ("fts", "fts", good.base + fs.FTS_PATH, dict(fs.FAST, page_limit="5")),
        ])
        t = time.monotonic()
        p = fs.run_poll(conf, NOW, "--once", "--retries", "1", "--since",
                        "2025-01-20T00:00:00Z", timeout=BOUND_S)
        took = time.monotonic() - t
        check(took < BOUND_S, "poll took %.1fs" % took)
        check(p.returncode != 0, "a refused feed is a failed source: exit status 0")
        for name in ("evil60k", "evil300k"):
            want = "%s: refused: element <entry> at line 3 has more than 256 attributes" % name
            check(want in p.stderr, "no refusal logged for %s:\n%s" % (name, p.stderr[-3000:]))
        rows = fs.stored_notices(os.path.join(d, "state"))
        srcs = {s for s, _ in rows}
        check(not any(s.startswith("feed:evil") for s in srcs), "stored from a hostile feed")
        buyer = sorted(n for s, n in rows if s == "feed:buyer")
        check(buyer == ["urn:northshire:tender:NS-2025-0042",
                        "urn:northshire:tender:NS-2025-0043"],
              "good feed's entries not stored: %r" % buyer)
        fts = [n for s, n in rows if s == "fts"]
        check(len(fts) == 20, "fts notices stored: %d of 20" % len(fts))


if __name__ == "__main__":
    fs.main([test_many_attributes])
