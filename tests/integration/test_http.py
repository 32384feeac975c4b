#!/usr/bin/env python3
"""test_http.py — the daemon's HTTP server ([http], daemon/http/).

`bidbroker run` with [http] listen on a free 127.0.0.1 port and no source:
  - GET /healthz: 200, JSON {"status": "ok", "store": "writable", ...};
  - GET /metrics: Prometheus text with requests by route and status and the
    opportunities in the store by source (after an `ingest`);
  - 404 for an unknown path and 405 (with Allow) for POST /healthz, as JSON;
  - a header far over the per-connection memory is answered 431 (or 413),
    a body over [http] max_body 413 (declared, and chunked without a length),
    and the daemon still answers /healthz afterwards;
  - SIGHUP with a changed max_body: the new server listens on the same
    address and uses the new cap;
  - SIGTERM: exit 0;
  - check-config names the line of a listen address that is not numeric.
Run with /usr/bin/python3; env BIDBROKER, TOP, FIXTURES.
"""
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httputil import BIN, Daemon, TestFailure, check  # noqa: E402

FIXTURES = os.environ.get("FIXTURES") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")


def is_json_error(body):
    try:
        return isinstance(json.loads(body)["error"], str)
    except (ValueError, KeyError, TypeError):
        return False


def bad_listen():
    import tempfile
    with tempfile.TemporaryDirectory() as t:
        conf = os.path.join(t, "c.conf")
        with open(conf, "w") as f:
            f.write("[bidbroker]\nstate_dir = %s\n[http]\nlisten = localhost:80\n" % t)
        p = subprocess.run([BIN, "-c", conf, "check-config"], capture_output=True, text=True)
        check(p.returncode == 1 and "c.conf:4: [http] listen 'localhost:80': not a numeric"
              in p.stderr, "check-config on a bad listen: %d %s" % (p.returncode, p.stderr))


def run():
    try:
        bad_listen()
    except TestFailure as e:
        sys.stderr.write("FAIL: %s\n" % e)
        return 1
    d = Daemon(http_extra="max_body = 2048\n")
    try:
        st, hdr, body = d.request("GET", "/healthz")
        check(st == 200, "healthz: %d %r" % (st, body))
        j = json.loads(body)
        check(j["status"] == "ok" and j["store"] == "writable" and j["loop"] == "alive",
              "healthz body %r" % body)
        check(hdr.get("Content-Type") == "application/json", "healthz type %r" % hdr)

        st, hdr, body = d.request("GET", "/nowhere")
        check(st == 404 and is_json_error(body), "404: %d %r" % (st, body))
        st, hdr, body = d.request("POST", "/healthz", body=b"{}",
                                  headers={"Content-Type": "application/json"})
        check(st == 405 and is_json_error(body) and "GET" in hdr.get("Allow", ""),
              "405: %d %r %r" % (st, hdr, body))

        # a notice in the store, for the per-source gauge
        fx = os.path.join(FIXTURES, "ocds", "fts-release-032703-2026-UK4-below-threshold.json")
        p = subprocess.run([BIN, "-c", d.conf, "ingest", fx], capture_output=True, text=True)
        check(p.returncode == 0, "ingest: %s" % p.stderr)

        # hostile: a 64 KiB header; a declared body over max_body; a chunked one
        out = d.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 +
                    b"\r\n\r\n")
        check(out.startswith(b"HTTP/1.1 431") or out.startswith(b"HTTP/1.1 413"),
              "huge header: %r" % out[:200])
        st, hdr, body = d.request("POST", "/healthz", body=b"x" * 5000,
                                  headers={"Content-Type": "application/json"})
        check(st == 413 and is_json_error(body), "body over cap: %d %r" % (st, body))
        chunk = b"x" * 1000
        out = d.raw(b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    b"Content-Type: application/json\r\n\r\n" +
                    (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * 5 + b"0\r\n\r\n")
        check(out.startswith(b"HTTP/1.1 413"), "chunked body over cap: %r" % out[:200])
        st, _, _ = d.request("GET", "/healthz")
        check(st == 200, "healthz after hostile requests: %d" % st)

        st, hdr, body = d.request("GET", "/metrics")
        text = body.decode()
        check(st == 200 and hdr.get("Content-Type", "").startswith("text/plain"),
              "metrics: %d %r" % (st, hdr))
        for want in ('bidbroker_http_requests_total{route="healthz",status="200"} 2',
                     'bidbroker_http_requests_total{route="other",status="404"} 1',
                     'bidbroker_http_requests_total{route="healthz",status="405"} 1',
                     "# TYPE bidbroker_opportunities gauge",
                     'bidbroker_outbox_messages{state="queued"} 0',
                     'bidbroker_outbox_messages{state="failed"} 0'):
            check(want in text, "metrics lacks %r:\n%s" % (want, text))
        check('bidbroker_opportunities{source="fts"} 1' in text,
              "metrics lacks the ingested notice:\n%s" % text)

        # reload: same address, new cap
        d.http_extra = "max_body = 8192\n"
        d.write_conf()
        d.proc.send_signal(signal.SIGHUP)
        d.wait_listening(after=1)
        st, _, _ = d.request("POST", "/healthz", body=b"x" * 5000,
                             headers={"Content-Type": "application/json"})
        check(st == 405, "after reload a 5000-byte body is under the cap: %d" % st)
        st, _, _ = d.request("GET", "/healthz")
        check(st == 200, "healthz after reload: %d" % st)

        d.finish()
    except TestFailure as e:
        sys.stderr.write("FAIL: %s\n--- log ---\n%s\n" % (e, d.logtext()[-3000:]))
        return 1
    finally:
        d.stop()
    print("test_http: ok")
    return 0


if __name__ == "__main__":
    sys.exit(run())
