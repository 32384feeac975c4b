"""feedserver.py — a small threaded HTTP server for the poller's integration
tests (run with /usr/bin/python3; standard library only).

It serves Find a Tender- and Contracts Finder-shaped OCDS pages built from the
real fixtures in tests/fixtures/ocds: the real releases are spread across a
time range by rewriting their `date`, filtered by the request's window
(updatedFrom/updatedTo or publishedFrom/publishedTo, inclusive), paginated
with an opaque cursor, and `links.next` points back at this server.  An Atom
feed endpoint supports conditional GET (ETag / Last-Modified).

Every request is logged (arrival time, path, query, headers, status, fault) in
`server.log`, which the tests read instead of measuring wall-clock time.

Faults are injected per endpoint by a list of rules; see Fault.  Kinds:
  429            no Retry-After            429-ra:N       Retry-After: N seconds
  429-date:N     Retry-After: HTTP-date now+N            503 / 503-ra:N
  403            Contracts Finder's rate-limit HTML page
  500, 504       server errors
  truncated-cl   Content-Length says more than is sent, then the connection closes
  truncated      a close-delimited body cut in half (no Content-Length)
  invalid        a body that is not JSON
  badnum         the real page with invalid JSON numbers (1e9999, 000) inserted
  slow           headers, then one byte every 0.3 s (below any low_speed_limit)
  big            the page padded beyond max_body_bytes (with Content-Length)
  big-chunked    the same, chunked (no Content-Length)
  loop           the real page, but links.next is the URL just requested
  repeat         the previous page's releases again, with a fresh cursor
  redirect-file  302 to file:///etc/passwd        redirect-ftp  302 to ftp://...
  hang           log the request, then never answer (until the server stops)
"""

import base64
import copy
import email.utils
import gzip
import http.server
import json
import math
import os
import socketserver
import threading
import time
import urllib.parse

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.environ.get("FIXTURES") or os.path.join(TOP, "tests", "fixtures")

FTS_PATH = "/api/1.0/ocdsReleasePackages"
CF_PATH = "/Published/Notices/OCDS/Search"
FEED_PATH = "/feed.atom"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_query_time(s):
    """'2025-01-20T06:00:00' (UTC, as the poller sends it) -> Unix seconds."""
    return float(__import__("calendar").timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%S")))


def _load(name):
    with open(os.path.join(FIXTURES, "ocds", name), encoding="utf-8") as f:
        return json.load(f)


def cf_releases():
    """Real Contracts Finder releases whose ocid and notice GUID occur once
    in the fixtures, so that each is exactly one notice in the store."""
    rels = []
    for name in ("cf-search-2025-01-20to23-page1.json", "cf-search-2022-10-20-page1.json",
                 "cf-search-2022-10-22-page1.json"):
        rels.extend(_load(name)["releases"])
    by_ocid, by_guid = {}, {}
    for r in rels:
        by_ocid[r["ocid"]] = by_ocid.get(r["ocid"], 0) + 1
        g = r["id"][:36]
        by_guid[g] = by_guid.get(g, 0) + 1
    return [r for r in rels if by_ocid[r["ocid"]] == 1 and by_guid[r["id"][:36]] == 1]


def cf_notice_id(r):
    return r["id"][:36]


def fts_releases(n):
    """n Find a Tender releases cloned from the two real ones, each with its
    own release id and ocid (the FTS notice id is the release id)."""
    base = [_load("fts-release-032703-2026-UK4-below-threshold.json")["releases"][0],
            _load("fts-release-037689-2026-UK1-pipeline.json")["releases"][0]]
    out = []
    for i in range(n):
        r = copy.deepcopy(base[i % 2])
        r["id"] = "%06d-2026" % (900000 + i)
        r["ocid"] = "ocds-h6vhtk-%06x" % (0xa00000 + i)
        out.append(r)
    return out


def package_template(kind):
    if kind == "fts":
        p = _load("fts-release-032703-2026-UK4-below-threshold.json")
    else:
        p = _load("cf-search-2025-01-20to23-page1.json")
    p = {k: v for k, v in p.items() if k not in ("releases", "links")}
    return p


class Fault:
    """A rule: apply `kind` to the request number `at` (1-based, per
    endpoint), or to requests with a cursor (`cursor=True`), or to every
    request; at most `times` times (-1: always)."""

    def __init__(self, kind, at=None, cursor=False, times=1):
        self.kind, self.at, self.cursor, self.times = kind, at, cursor, times

    def matches(self, n, has_cursor):
        if self.times == 0:
            return False
        if self.at is not None:
            return n == self.at
        if self.cursor and not has_cursor:
            return False
        return True


class Dataset:
    """Releases of one endpoint with their assigned times."""

    def __init__(self, kind, releases, start, end, truncate_over=None, faults=None,
                 gzip_ok=True):
        self.kind = kind
        self.template = package_template(kind)
        span = end - start
        self.items = []
        for i, r in enumerate(releases):
            t = start + (i + 0.5) * span / len(releases)
            t = float(int(t))
            r = copy.deepcopy(r)
            r["date"] = iso(t)
            self.items.append((t, r))
        self.items.sort(key=lambda x: x[0])
        self.truncate_over = truncate_over
        self.faults = faults or []
        self.gzip_ok = gzip_ok
        self.count = 0
        self.last_page = None           # (from, to, offset, limit) of the last page served

    def notice_ids(self):
        if self.kind == "fts":
            return sorted(r["id"] for _, r in self.items)
        return sorted(cf_notice_id(r) for _, r in self.items)

    def select(self, t0, t1):
        return [r for t, r in self.items if t0 <= t <= t1]


def enc_cursor(d):
    return base64.urlsafe_b64encode(json.dumps(d, sort_keys=True).encode()).decode()


def dec_cursor(s):
    return json.loads(base64.urlsafe_b64decode(s.encode()).decode())


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):       # quiet
        pass

    # ---- plumbing
    def _send(self, status, body, ctype="application/json", headers=None, gz=False):
        if isinstance(body, str):
            body = body.encode("utf-8")
        if gz:
            body = gzip.compress(body)
        # recorded before the client can have the answer: a test reading the
        # log right after the poll exits must see it
        self.entry["status"] = status
        self.entry["bytes"] = len(body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if gz:
            self.send_header("Content-Encoding", "gzip")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        srv = self.server.owner
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        self.entry = {"t": time.time(), "path": url.path, "query": q, "url": self.path,
                      "ua": self.headers.get("User-Agent", ""),
                      "accept_encoding": self.headers.get("Accept-Encoding", ""),
                      "if_none_match": self.headers.get("If-None-Match"),
                      "if_modified_since": self.headers.get("If-Modified-Since"),
                      "status": None, "fault": None}
        with srv.lock:
            srv.log.append(self.entry)
        try:
            if url.path == FTS_PATH and srv.fts:
                self.serve_ocds(srv, srv.fts, q)
            elif url.path == CF_PATH and srv.cf:
                self.serve_ocds(srv, srv.cf, q)
            elif url.path == FEED_PATH and srv.feed is not None:
                self.serve_feed(srv)
            else:
                self._send(404, "not found", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ---- OCDS pages
    def serve_ocds(self, srv, ds, q):
        with srv.lock:
            ds.count += 1
            n = ds.count
            fault = None
            for f in ds.faults:
                if f.matches(n, "cursor" in q):
                    fault = f.kind
                    if f.times > 0:
                        f.times -= 1
                    break
        self.entry["fault"] = fault
        self.entry["n"] = n
        fp, tp = ("updatedFrom", "updatedTo") if ds.kind == "fts" else \
                 ("publishedFrom", "publishedTo")
        try:
            limit = int(q.get("limit", "100"))
            if "cursor" in q:
                c = dec_cursor(q["cursor"])
                t0, t1, off = c["f"], c["t"], c["o"]
            else:
                t0, t1, off = parse_query_time(q[fp]), parse_query_time(q[tp]), 0
        except (KeyError, ValueError):
            return self._send(400, '{"error": "bad request"}')
        self.entry["window"] = (t0, t1)
        self.entry["offset"] = off

        if fault and self.simple_fault(fault, srv):
            return
        sel = ds.select(t0, t1)
        if fault == "repeat" and off >= limit:
            page = sel[off - limit:off]
            nxt = {"f": t0, "t": t1, "o": off, "nonce": n}
        else:
            page = sel[off:off + limit]
            # like the live services: a full page always has a next link (the
            # last one may then be empty)
            nxt = {"f": t0, "t": t1, "o": off + limit} if off + limit <= len(sel) else None
        if (ds.truncate_over is not None and t1 - t0 > ds.truncate_over and
                len(sel) > limit):
            nxt = None                  # the live services' bug: a full page, no next
            self.entry["truncated"] = True
        pkg = dict(ds.template)
        pkg["releases"] = page
        if fault == "loop":
            pkg["links"] = {"next": srv.base + self.path}
        elif nxt is not None:
            path = FTS_PATH if ds.kind == "fts" else CF_PATH
            pkg["links"] = {"next": "%s%s?limit=%d&cursor=%s" % (srv.base, path, limit,
                                                                 enc_cursor(nxt))}
        body = json.dumps(pkg, ensure_ascii=False)
        self.entry["releases"] = [r["id"] for r in page]
        ds.last_page = (t0, t1, off, limit)
        if fault == "badnum":
            body = body.replace('"amount": ', '"amount": 1e9999, "x000": 000, "was": ', 1)
        gz = ds.gzip_ok and "gzip" in self.entry["accept_encoding"]
        if fault in ("big", "big-chunked"):
            body = body[:-1] + ', "pad": "' + "x" * (srv.big_bytes) + '"}'
            gz = False                  # a true Content-Length (big) or none (chunked)
        if fault == "truncated-cl":
            raw = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw[:len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.entry["status"] = 200
            return
        if fault == "truncated":
            raw = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(raw[:len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.entry["status"] = 200
            return
        if fault == "big-chunked":
            raw = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(raw), 512):
                ch = raw[i:i + 512]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(ch), ch))
            self.wfile.write(b"0\r\n\r\n")
            self.entry["status"] = 200
            return
        if fault == "slow":
            raw = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.entry["status"] = 200
            for i in range(len(raw)):
                if srv.stopping.wait(0.3):
                    break
                self.wfile.write(raw[i:i + 1])
                self.wfile.flush()
            self.close_connection = True
            return
        self._send(200, body, gz=gz)

    def simple_fault(self, fault, srv):
        """Faults that replace the response entirely.  True if handled."""
        kind, _, arg = fault.partition(":")
        if kind in ("429", "503"):
            self._send(int(kind), '{"error": "too many requests"}')
            return True
        if kind in ("429-ra", "503-ra"):
            self._send(int(kind[:3]), '{"error": "too many requests"}',
                       headers={"Retry-After": arg})
            self.entry["retry_after_s"] = float(arg)
            return True
        if kind == "429-date":
            until = math.ceil(time.time()) + int(arg)
            self._send(429, '{"error": "slow down"}',
                       headers={"Retry-After": email.utils.formatdate(until, usegmt=True)})
            self.entry["retry_until"] = float(until)
            return True
        if kind == "403":
            self._send(403, "<html><body><h1>Too many requests</h1><p>Please wait 5 "
                       "minutes before trying again.</p></body></html>", "text/html")
            return True
        if kind in ("500", "504"):
            self._send(int(kind), "<html>error</html>", "text/html")
            return True
        if kind == "invalid":
            self._send(200, '{"releases": [ {"id": "x", <html>oops', "application/json")
            return True
        if kind.startswith("redirect-"):
            loc = "file:///etc/passwd" if kind == "redirect-file" else \
                  "ftp://127.0.0.1:%d/x" % srv.port
            self._send(302, "", "text/plain", headers={"Location": loc})
            return True
        if kind == "hang":
            self.entry["status"] = "hang"
            srv.stopping.wait(30)
            self.close_connection = True
            return True
        return False

    # ---- Atom feed with conditional GET
    def serve_feed(self, srv):
        etag, lm, body = srv.feed
        if self.entry["if_none_match"] == etag:
            self.entry["status"] = 304      # before the answer (see _send)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(200, body, "application/atom+xml",
                   headers={"ETag": etag, "Last-Modified": lm})


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        import sys
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return                      # the client gave up on a fault: expected
        super().handle_error(request, client_address)


class FeedServer:
    """Start with FeedServer(fts=Dataset(...), cf=Dataset(...)).start();
    `base` is http://127.0.0.1:PORT; stop() at the end."""

    def __init__(self, fts=None, cf=None, feed=None, big_bytes=4096):
        self.fts, self.cf, self.feed = fts, cf, feed
        self.big_bytes = big_bytes
        self.log = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()

    def requests(self, path=None):
        with self.lock:
            return [dict(e) for e in self.log if path is None or e["path"] == path]


class HandlerServer:
    """A test's own server on 127.0.0.1 for a handler class of its own (a
    trickle, a bomb, a cursor cycle): serving at once, `base` its URL;
    stop() at the end."""

    def __init__(self, handler):
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.base = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---- helpers shared by the test_poll*.py tests ---------------------------------

import sqlite3                              # noqa: E402
import subprocess                           # noqa: E402
import tempfile                             # noqa: E402

BIDBROKER = os.environ.get("BIDBROKER") or os.path.join(TOP, "bidbroker")


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def write_config(dirpath, sources, extra=""):
    """sources: list of (name, type, url, {key: value})."""
    lines = ["[bidbroker]", "state_dir = %s" % os.path.join(dirpath, "state"),
             "log_level = info", ""]
    for name, typ, url, keys in sources:
        lines += ["[source %s]" % name, "type = %s" % typ, "url = %s" % url]
        lines += ["%s = %s" % (k, v) for k, v in keys.items()]
        lines.append("")
    path = os.path.join(dirpath, "bidbroker.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + extra)
    return path


FAST = {"min_interval": "0.05s", "default_retry_after": "1s", "backoff_initial": "0.1s",
        "backoff_max": "1s", "connect_timeout": "2s", "low_speed_time": "1s",
        "low_speed_limit": "1000", "overlap": "10m"}


def check_sanitizers(stderr):
    """An exit status the test expects must not hide a sanitizer report."""
    for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        check(m not in stderr, "sanitizer report:\n" + stderr[-4000:])


def run_poll(conf, now, *args, timeout=60, check_rc=None):
    cmd = [BIDBROKER, "--config", conf, "--now", now, "poll", "--no-progress"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    check_sanitizers(p.stderr)
    if check_rc is not None and p.returncode != check_rc:
        raise TestFailure("%s exited %d, expected %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(cmd), p.returncode, check_rc, p.stdout, p.stderr))
    return p


def stored_notices(state_dir):
    """(source, notice_id) of every stored notice, read from the SQLite store."""
    db = os.path.join(state_dir, "bidbroker.db")
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        rows = con.execute("SELECT source, notice_id FROM opportunity").fetchall()
    finally:
        con.close()
    return rows


def check_exactly_once(state_dir, source, expected_ids):
    rows = [nid for src, nid in stored_notices(state_dir) if src == source]
    dup = sorted({x for x in rows if rows.count(x) > 1})
    check(not dup, "%s: notices stored more than once: %s" % (source, dup[:5]))
    missing = sorted(set(expected_ids) - set(rows))
    extra = sorted(set(rows) - set(expected_ids))
    check(not missing, "%s: %d notices missing, e.g. %s" % (source, len(missing), missing[:5]))
    check(not extra, "%s: unexpected notices %s" % (source, extra[:5]))


def check_windows(reqs, since, until, max_len, name):
    """First-page windows: none longer than max_len, and together (with the
    windows read completely) they cover [since, until] without a gap."""
    firsts = [r for r in reqs if "cursor" not in r["query"] and "window" in r]
    for r in firsts:
        a, b = r["window"]
        check(b - a <= max_len, "%s: window %s..%s is longer than %ds" % (
            name, iso(a), iso(b), max_len))
    spans = sorted({r["window"] for r in firsts})
    check(spans, "%s: no windows requested" % name)
    covered = since
    for a, b in spans:
        check(a <= covered, "%s: gap in the windows: nothing read between %s and %s" % (
            name, iso(covered), iso(a)))
        covered = max(covered, b)
    check(covered >= until, "%s: windows end at %s, before %s" % (
        name, iso(covered), iso(until)))


def check_spacing(reqs, min_gap, name, tol=0.01):
    ts = [r["t"] for r in reqs]
    for i in range(1, len(ts)):
        check(ts[i] - ts[i - 1] >= min_gap - tol, "%s: requests %d and %d only %.3fs apart "
              "(min_interval %.3fs)" % (name, i, i + 1, ts[i] - ts[i - 1], min_gap))


def good_feed():
    """A real buyer's Atom feed (tests/fixtures/feeds/atom-buyer.xml), for the
    well-behaved source beside a hostile one."""
    with open(os.path.join(FIXTURES, "feeds", "atom-buyer.xml"), "rb") as f:
        return f.read()


def tmpdir():
    return tempfile.mkdtemp(prefix="bb-poll-")


def main(tests):
    """Run test functions; print PASS/FAIL; exit non-zero on failure."""
    import shutil
    import sys
    import traceback
    if not os.path.exists(BIDBROKER):
        print("BIDBROKER binary not found: %s" % BIDBROKER)
        sys.exit(1)
    failed = 0
    for t in tests:
        d = tmpdir()
        try:
            t(d)
            print("ok   %s" % t.__name__)
        except Exception as e:          # noqa: BLE001
            failed += 1
            print("FAIL %s: %s" % (t.__name__, e))
            if not isinstance(e, TestFailure):
                traceback.print_exc()
        finally:
            shutil.rmtree(d, ignore_errors=True)
    sys.exit(1 if failed else 0)
