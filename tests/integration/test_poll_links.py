"""bidbroker poll links the same tender on its two sources (#8 item 7): a
real Contracts Finder tender and its Find a Tender twin (tests/fixtures/links/)
served by the test server are linked as they are polled, the Contracts Finder
record canonical; the summary lines and the window log lines count it.
Run with /usr/bin/python3."""

import calendar
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import check  # noqa: E402

T0 = calendar.timegm((2025, 1, 20, 0, 0, 0))
NOW = "2025-01-22T00:00:00Z"
T_NOW = calendar.timegm((2025, 1, 22, 0, 0, 0))
HAMPSHIRE = "b8c14041-9e33-4f4c-8c08-398d0c8ada2c"


def releases():
    with open(os.path.join(fs.FIXTURES, "ocds", "cf-search-2025-01-20to23-page1.json")) as f:
        cf = [r for r in json.load(f)["releases"] if r["id"].startswith(HAMPSHIRE)]
    with open(os.path.join(fs.FIXTURES, "links", "fts-twin-hampshire-catering.json")) as f:
        fts = json.load(f)["releases"]
    return cf, fts


def test_poll_links(d):
    cf, fts = releases()
    check(len(cf) == 1 and len(fts) == 1, "fixture releases not found")
    with fs.FeedServer(fts=fs.Dataset("fts", fts, T0, T_NOW),
                       cf=fs.Dataset("cf", cf, T0, T_NOW)) as srv:
        keys = dict(fs.FAST)
        conf = fs.write_config(d, [
            ("fts", "fts", srv.base + fs.FTS_PATH, keys),
            ("cf", "contracts-finder", srv.base + fs.CF_PATH, keys),
        ])
        p = fs.run_poll(conf, NOW, "--since", "2025-01-20T00:00:00Z", check_rc=0)
    linked = [int(m) for m in re.findall(r"(\d+) linked; watermark", p.stdout)]
    check(sorted(linked) == [0, 1], "summary lines should count 1 linked:\n" + p.stdout)
    windows = [int(m) for m in re.findall(r"updated, (\d+) linked\)", p.stderr)]
    check(sum(windows) == 1, "window lines should count 1 linked:\n" + p.stderr)
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d, "state", "bidbroker.db"), uri=True)
    rows = db.execute("SELECT d.source, c.source, c.notice_id, l.rule FROM link l"
                      " JOIN opportunity d ON d.id = l.opportunity_id"
                      " JOIN opportunity c ON c.id = l.canonical_id").fetchall()
    db.close()
    check(rows == [("fts", "cf", HAMPSHIRE, "buyer+title+deadline")],
          "link after polling: %r" % rows)


if __name__ == "__main__":
    fs.main([test_poll_links])
