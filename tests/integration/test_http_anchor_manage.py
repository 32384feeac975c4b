#!/usr/bin/env python3
"""test_http_anchor_manage.py — anchors read, amend and withdraw their own
postings: GET /api/v1/opportunities?mine, GET/PATCH/DELETE /api/v1/opportunities/{id}.

`bidbroker run` with two [anchor] sections, the shipped taxonomy and two
members (cleaning, grounds), tokens from `bidbroker token issue`:
  - a cleaning posting is matched to the cleaning member, and GET /{id}
    counts it (members_matched 1) without naming the member;
  - another anchor's GET, PATCH and DELETE of that id are 404 (its existence
    not leaked) and change nothing; an unknown id and a non-numeric one 404;
  - PATCH: 415 for text/plain, 400 with every bad field (the same checks as
    POST), 400 for idempotency_key, a partial change (only the keys given)
    stored with amended true; the same PATCH again changes nothing
    (updated kept); turning the posting into grounds work re-matches it
    (cleaning match withdrawn, grounds member matched);
  - GET ?mine: newest first, limit and the next link page through, without
    ?mine 400, the other anchor sees none of these;
  - DELETE: 200 status withdrawn, again 200 (idempotent), its matches
    withdrawn by the next matching pass, PATCH after it 409.
Run with /usr/bin/python3; env BIDBROKER, TOP.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httputil import BIN, TestFailure, check, run_test  # noqa: E402

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
PATH = "/api/v1/opportunities"


def future(days=30):
    return time.strftime("%Y-%m-%dT12:00:00Z", time.gmtime(time.time() + days * 86400))


def call(d, tok, method, path, body=None, ctype="application/json"):
    h = {"Authorization": "Bearer " + tok}
    if body is not None:
        h["Content-Type"] = ctype
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
    st, hdr, raw = d.request(method, path, body=body, headers=h)
    try:
        j = json.loads(raw)
    except ValueError:
        j = None
    return st, j, raw


def matches(d):
    p = subprocess.run([BIN, "-c", d.conf, "matches", "--json", "--all"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "matches: %r" % (p,))
    return [json.loads(x) for x in p.stdout.splitlines() if x.strip()]


def wait_for(cond, what, d):
    end = time.time() + 15
    while time.time() < end:
        if cond():
            return
        time.sleep(0.2)
    raise TestFailure("timed out waiting for " + what)


def run_checks(d):
    toks = {}
    for a in ("council", "other"):
        p = subprocess.run([BIN, "-c", d.conf, "token", "issue", a], capture_output=True,
                           text=True)
        check(p.returncode == 0, "token issue %s: %r" % (a, p))
        toks[a] = p.stdout.strip()
    tok, other = toks["council"], toks["other"]

    clean = {"title": "Office cleaning at the civic centre",
             "description": "Daily office cleaning and washroom services for a council "
                            "building.",
             "value": 15000, "deadline": future(), "postcode": "B1 1AA",
             "cpv": ["90910000"], "contact": "procurement@example.org"}
    st, j, _ = call(d, tok, "POST", PATH, clean)
    check(st == 201, "post: %d %r" % (st, j))
    oid = j["id"]
    one = "%s/%d" % (PATH, oid)

    def counted(n):
        return lambda: call(d, tok, "GET", one)[1]["members_matched"] == n

    wait_for(counted(1), "the cleaning posting to be matched", d)
    st, j, raw = call(d, tok, "GET", one)
    check(st == 200 and j["id"] == oid and j["status"] == "open" and
          j["title"] == clean["title"] and j["amended"] is False and
          j["posting"]["value"] == 15000 and "idempotency_key" not in j["posting"],
          "GET /{id}: %d %r" % (st, j))
    check("members_alerted" in j and "members_interested" in j, "counts: %r" % j)
    check(b"cleaners" not in raw, "a member's identity in the answer: %r" % raw)

    # another anchor: nothing to see, nothing to change
    for method, body in (("GET", None), ("PATCH", {"title": "Mine now"}), ("DELETE", None)):
        st, j, _ = call(d, other, method, one, body)
        check(st == 404, "other anchor %s: %d %r" % (method, st, j))
    for bad_path in ("/999999", "/abc", "/01", "/%d/x" % oid, "/-1"):
        st, j, _ = call(d, tok, "GET", PATH + bad_path)
        check(st == 404, "GET %s: %d %r" % (bad_path, st, j))
    st, j, _ = call(d, tok, "GET", one)
    check(j["title"] == clean["title"] and j["status"] == "open", "changed by other: %r" % j)
    st, _, _ = call(d, tok, "PUT", one, {})
    check(st == 405, "PUT: %d" % st)

    # PATCH: the same checks as POST, partial
    st, j, _ = call(d, tok, "PATCH", one, json.dumps({"title": "x"}), ctype="text/plain")
    check(st == 415, "PATCH text/plain: %d %r" % (st, j))
    st, j, _ = call(d, tok, "PATCH", one, {"value": "lots", "deadline": "yesterday",
                                            "postcode": "M1 1AE", "colour": "red"})
    fields = sorted(e["field"] for e in (j or {}).get("errors", []))
    check(st == 400 and fields == ["colour", "deadline", "postcode", "value"],
          "PATCH bad fields: %d %r" % (st, j))
    st, j, _ = call(d, tok, "PATCH", one, {"deadline": None})
    check(st == 400 and [e["field"] for e in j["errors"]] == ["deadline"],
          "PATCH removing the deadline: %d %r" % (st, j))
    st, j, _ = call(d, tok, "PATCH", one, {"idempotency_key": "k"})
    check(st == 400 and j["errors"][0]["field"] == "idempotency_key", "PATCH key: %r" % j)
    st, j, _ = call(d, tok, "PATCH", one, "[1]")
    check(st == 400 and j["errors"][0]["field"] == "", "PATCH array: %d %r" % (st, j))
    st, j, _ = call(d, tok, "GET", one)
    check(j["amended"] is False and j["posting"]["value"] == 15000, "bad PATCH stored: %r" % j)

    st, j, _ = call(d, tok, "PATCH", one, {"value": 17500, "contact": None},
                    ctype="application/merge-patch+json")
    check(st == 200 and j["amended"] is True and j["posting"]["value"] == 17500 and
          "contact" not in j["posting"] and j["title"] == clean["title"] and
          j["posting"]["postcode"] == "B1 1AA", "partial PATCH: %d %r" % (st, j))
    updated = j["updated"]
    time.sleep(1.1)
    st, j, _ = call(d, tok, "PATCH", one, {"value": 17500})
    check(st == 200 and j["updated"] == updated, "same PATCH again: %d %r" % (st, j))

    # re-matched through the content hash: grounds work now
    st, j, _ = call(d, tok, "PATCH", one, {
        "title": "Grounds maintenance of community parks",
        "description": "Grass cutting, hedge trimming and litter picking in three parks.",
        "cpv": ["77310000"]})
    check(st == 200 and j["title"].startswith("Grounds"), "PATCH to grounds: %d %r" % (st, j))

    def rematched():
        ms = {m["member"]: m["status"] for m in matches(d) if m["opportunity"] == oid}
        return ms.get("test-grounds") == "active" and ms.get("test-cleaners") == "withdrawn"

    wait_for(rematched, "the amended posting to be re-matched", d)

    # ?mine, newest first, paged
    st, j, _ = call(d, tok, "POST", PATH, dict(clean, title="Window cleaning"))
    check(st == 201, "second post: %d %r" % (st, j))
    second = j["id"]
    st, j, _ = call(d, tok, "GET", PATH + "?mine")
    check(st == 200 and [x["id"] for x in j["opportunities"]] == [second, oid] and
          j.get("next") is None, "?mine: %d %r" % (st, j))
    st, j, _ = call(d, tok, "GET", PATH + "?mine&limit=1")
    check(st == 200 and [x["id"] for x in j["opportunities"]] == [second] and j["next"],
          "?mine&limit=1: %d %r" % (st, j))
    st, j, _ = call(d, tok, "GET", j["next"])
    check(st == 200 and [x["id"] for x in j["opportunities"]] == [oid] and
          j.get("next") is None, "next page: %d %r" % (st, j))
    for q in ("", "?limit=5", "?mine&limit=0", "?mine&limit=x", "?mine&before=-3"):
        st, j, _ = call(d, tok, "GET", PATH + q)
        check(st == 400, "GET %r: %d %r" % (q, st, j))
    st, j, _ = call(d, other, "GET", PATH + "?mine")
    check(st == 200 and j["opportunities"] == [], "other's ?mine: %d %r" % (st, j))

    # withdraw: idempotent, matches withdrawn, no amending after
    st, j, _ = call(d, tok, "DELETE", one)
    check(st == 200 and j["status"] == "withdrawn", "DELETE: %d %r" % (st, j))
    st, j2, _ = call(d, tok, "DELETE", one)
    check(st == 200 and j2["status"] == "withdrawn" and j2["updated"] == j["updated"],
          "DELETE again: %d %r" % (st, j2))
    wait_for(lambda: all(m["status"] == "withdrawn" for m in matches(d)
                         if m["opportunity"] == oid), "the withdrawn posting's matches", d)
    wait_for(counted(0), "members_matched 0 after withdrawal", d)
    st, j, _ = call(d, tok, "PATCH", one, {"title": "Back again"})
    check(st == 409, "PATCH after withdrawal: %d %r" % (st, j))
    st, j, _ = call(d, tok, "GET", PATH + "?mine")
    check([x["status"] for x in j["opportunities"]] == ["open", "withdrawn"],
          "statuses: %r" % j)
    log = d.logtext()
    check("anchor council amended opportunity %d" % oid in log and
          "anchor council withdrew opportunity %d" % oid in log, "log lines")


def main():
    mdir = tempfile.mkdtemp(prefix="bb-members-")
    for mid, cap in (("test-cleaners", "cleaning"), ("test-grounds", "grounds")):
        with open(os.path.join(mdir, mid + ".conf"), "w") as f:
            f.write("[member]\nid = %s\nname = %s\nemail = bids@%s.example\n"
                    "capabilities = %s\n" % (mid, mid, mid, cap))
    extra = ("[match]\ntaxonomy = %s\nmembers = %s\nmatch_delay = 0.2s\n\n"
             "[anchor council]\ndisplay_name = Test City Council\nregions = B\n\n"
             "[anchor other]\n" % (os.path.join(TOP, "conf", "capabilities.conf"), mdir))
    try:
        return run_test("test_http_anchor_manage", run_checks, extra=extra)
    finally:
        shutil.rmtree(mdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
