"""bidbroker poll of a type=feed source (a buyer's Atom feed): entries are
stored, ETag/Last-Modified are kept and sent back (conditional GET, 304 is a
success that changes nothing), a changed feed is read again, and a hostile
feed (XXE) is refused without storing anything.  Run with /usr/bin/python3."""

import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feedserver as fs  # noqa: E402
from feedserver import check  # noqa: E402

NOW = "2025-06-01T00:00:00Z"
FEEDS = os.path.join(fs.FIXTURES, "feeds")


def read(name):
    with open(os.path.join(FEEDS, name), "rb") as f:
        return f.read()


def feed_rows(d):
    return sorted(n for s, n in fs.stored_notices(os.path.join(d, "state")) if s == "feed:buyer")


def etag_state(d):
    con = sqlite3.connect(os.path.join(d, "state", "bidbroker.db"))
    try:
        return con.execute("SELECT etag, last_modified, failures FROM source_state "
                           "WHERE source = 'buyer'").fetchone()
    finally:
        con.close()


def test_conditional_get(d):
    srv = fs.FeedServer(feed=('"v1"', "Mon, 20 Jan 2025 10:00:00 GMT",
                              read("atom-buyer.xml")))
    with srv:
        conf = fs.write_config(d, [("buyer", "feed", srv.base + fs.FEED_PATH, dict(fs.FAST))])
        fs.run_poll(conf, NOW, check_rc=0)
        ids = feed_rows(d)
        check(ids == ["urn:northshire:tender:NS-2025-0042", "urn:northshire:tender:NS-2025-0043"],
              "feed entries stored: %r" % ids)
        check(etag_state(d)[:2] == ('"v1"', "Mon, 20 Jan 2025 10:00:00 GMT"),
              "validators not kept: %r" % (etag_state(d),))
        # unchanged: the poller asks conditionally and gets 304
        p = fs.run_poll(conf, NOW, check_rc=0)
        r = srv.requests()[-1]
        check(r["if_none_match"] == '"v1"' and
              r["if_modified_since"] == "Mon, 20 Jan 2025 10:00:00 GMT",
              "no conditional GET: %r" % r)
        check(r["status"] == 304, "server did not answer 304")
        check(feed_rows(d) == ids, "a 304 changed the store")
        check("buyer: ok" in p.stdout, p.stdout)
        # the feed changes: read again, new validators stored
        srv.feed = ('"v2"', "Tue, 21 Jan 2025 10:00:00 GMT", read("rss-buyer.xml"))
        fs.run_poll(conf, NOW, check_rc=0)
        check(srv.requests()[-1]["status"] == 200, "changed feed not fetched")
        check(len(feed_rows(d)) > len(ids), "the changed feed's entries were not stored")
        check(etag_state(d)[0] == '"v2"', "new ETag not stored")


def test_hostile_feed_refused(d):
    srv = fs.FeedServer(feed=('"x"', "Mon, 20 Jan 2025 10:00:00 GMT", read("xxe.xml")))
    with srv:
        conf = fs.write_config(d, [("buyer", "feed", srv.base + fs.FEED_PATH, dict(fs.FAST))])
        p = fs.run_poll(conf, NOW, "--retries", "1", check_rc=1)
        check("invalid feed" in p.stderr, "no error logged:\n" + p.stderr)
        check(feed_rows(d) == [], "something was stored from a hostile feed")
        check(etag_state(d)[2] == 1, "failure not recorded")


if __name__ == "__main__":
    fs.main([test_conditional_get, test_hostile_feed_refused])
