#!/usr/bin/env python3
"""test_http_anchor.py — anchors post opportunities: POST /api/v1/opportunities.

`bidbroker run` with two [anchor] sections (council: regions = B; other), and
tokens from `bidbroker token issue` while it runs.  The whole status-code table:
  401 without a token and with an unknown one; 403 with a revoked one
  (`token revoke`); 415 for text/plain; 413 for a body over max_body;
  400 listing every bad field at once ({"errors": [{field, message}]}),
  and a postcode outside the anchor's regions; 201 with the new id, the row
  stored as source anchor:council with the anchor's display name as buyer;
  200 and the same id for the same idempotency_key and body, 409 for another
  body; 429 with Retry-After past anchor_rate; 401/405 for other methods.
Also: `token issue` for an unknown anchor fails, `token list` shows valid and
revoked tokens, the store keeps no token in clear, and /metrics counts the API.
Run with /usr/bin/python3; env BIDBROKER, TOP.
"""
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httputil import BIN, check, run_test  # noqa: E402

ANCHORS = """
[anchor council]
display_name = Test City Council
buyer_id = GB-TEST-1
contact = procurement@example.org
regions = B

[anchor other]
"""

PATH = "/api/v1/opportunities"


def future(days=30):
    return time.strftime("%Y-%m-%dT12:00:00Z", time.gmtime(time.time() + days * 86400))


def token(d, *args):
    return subprocess.run([BIN, "-c", d.conf, "token"] + list(args),
                          capture_output=True, text=True)


def post(d, tok, body, ctype="application/json"):
    h = {"Content-Type": ctype}
    if tok is not None:
        h["Authorization"] = "Bearer " + tok
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    st, hdr, raw = d.request("POST", PATH, body=body, headers=h)
    try:
        j = json.loads(raw)
    except ValueError:
        j = None
    return st, hdr, j


def run_checks(d):
    p = token(d, "issue", "nobody")
    check(p.returncode == 1 and "[anchor nobody]" in p.stderr, "issue unknown: %r" % (p,))
    p = token(d, "issue", "council")
    check(p.returncode == 0 and p.stdout.startswith("bbt_"), "issue: %r" % (p,))
    tok = p.stdout.strip()
    p = token(d, "issue", "other")
    other = p.stdout.strip()
    p = token(d, "revoke", "other")
    check(p.returncode == 0 and "revoked 1 token of other" in p.stdout, "revoke: %r" % (p,))
    p = token(d, "list")
    check(p.returncode == 0 and "council" in p.stdout and "valid" in p.stdout and
          "revoked" in p.stdout, "list: %r" % (p,))
    db = sqlite3.connect(os.path.join(d.dir, "state", "bidbroker.db"))
    dump = "\n".join(db.iterdump())
    check(tok not in dump and other not in dump, "a token is stored in clear")

    good = {"title": "Grounds maintenance at the civic centre",
            "description": "Grass cutting and hedges, April to October.",
            "value": 18000, "deadline": future(), "postcode": "B1 1AA",
            "cpv": ["77310000-6"], "lots": ["Lot 1: grass"],
            "contact": "procurement@example.org",
            "documents_url": "https://example.org/tender/1"}

    st, hdr, j = post(d, None, good)
    check(st == 401 and "Bearer" in hdr.get("WWW-Authenticate", ""), "no token: %d" % st)
    st, _, j = post(d, "bbt_" + "0" * 64, good)
    check(st == 401 and j and "unknown" in j["error"], "unknown token: %d %r" % (st, j))
    st, _, j = post(d, other, good)
    check(st == 403 and j and "revoked" in j["error"], "revoked: %d %r" % (st, j))
    st, _, j = post(d, tok, json.dumps(good), ctype="text/plain")
    check(st == 415, "text/plain: %d %r" % (st, j))
    st, _, j = post(d, tok, json.dumps(dict(good, description="x" * 10000)))
    check(st == 413, "over max_body: %d %r" % (st, j))

    st, _, j = post(d, tok, {"title": "", "value": "lots", "deadline": "yesterday",
                             "postcode": "ZZ", "cpv": ["123"], "documents_url": "ftp://x",
                             "colour": "red"})
    fields = sorted(e["field"] for e in (j or {}).get("errors", []))
    check(st == 400 and fields == ["colour", "cpv", "deadline", "documents_url", "postcode",
                                   "title", "value"], "every bad field: %d %r" % (st, j))
    st, _, j = post(d, tok, dict(good, value=None, value_min=9000, value_max=5000))
    check(st == 400 and [e["field"] for e in j["errors"]] == ["value_min"],
          "min > max: %d %r" % (st, j))
    st, _, j = post(d, tok, dict(good, postcode="M1 1AE"))
    check(st == 400 and j["errors"][0]["field"] == "postcode" and
          "regions" in j["errors"][0]["message"], "outside regions: %d %r" % (st, j))
    st, _, j = post(d, tok, "{not json")
    check(st == 400 and j["errors"][0]["field"] == "", "not JSON: %d %r" % (st, j))

    st, _, j = post(d, tok, good)
    check(st == 201 and isinstance(j.get("id"), int), "posting: %d %r" % (st, j))
    row = db.execute("SELECT source, title, buyer_name, value_max FROM opportunity "
                     "WHERE id = ?", (j["id"],)).fetchone()
    check(row == ("anchor:council", good["title"], "Test City Council", 1800000),
          "stored row %r" % (row,))

    keyed = dict(good, title="Window cleaning", idempotency_key="req-42")
    st, _, j1 = post(d, tok, keyed)
    st2, _, j2 = post(d, tok, keyed)
    check(st == 201 and st2 == 200 and j1["id"] == j2["id"],
          "idempotent repeat: %d %r, %d %r" % (st, j1, st2, j2))
    st, _, j = post(d, tok, dict(keyed, value=19000))
    check(st == 409, "same key, other body: %d %r" % (st, j))

    st, _, _ = d.request("GET", PATH)
    check(st == 401, "GET the collection without a token: %d" % st)
    st, hdr, _ = d.request("PUT", PATH)
    check(st == 405 and hdr.get("Allow") == "GET, POST", "PUT the collection: %d %r" % (st, hdr))

    # the rate: anchor_rate = 20 a minute, about 11 used so far
    for _ in range(25):
        st, hdr, j = post(d, tok, dict(good, title="Rate test"))
        if st == 429:
            break
        check(st == 201, "rate test posting: %d %r" % (st, j))
    check(st == 429 and 1 <= int(hdr.get("Retry-After", "0")) <= 60,
          "rate limit: %d %r" % (st, hdr))

    st, _, body = d.request("GET", "/metrics")
    text = body.decode()
    for want in ('route="api_opportunities",status="201"',
                 'route="api_opportunities",status="401"} 3',
                 'route="api_opportunities",status="429"} 1',
                 'bidbroker_opportunities{source="anchor:council"}'):
        check(want in text, "metrics lacks %r:\n%s" % (want, text))
    check("anchor council posted opportunity" in d.logtext(), "no log line")
    db.close()


def main():
    return run_test("test_http_anchor", run_checks,
                    http_extra="max_body = 4096\nanchor_rate = 20\n", extra=ANCHORS)


if __name__ == "__main__":
    sys.exit(main())
