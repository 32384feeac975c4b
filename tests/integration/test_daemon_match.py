"""test_daemon_match.py — the daemon matches what it polls, and reloads the
taxonomy and member register on SIGHUP.

`bidbroker run` polls an Atom feed (served on 127.0.0.1 with today's dates,
so its entries are open) and matches new notices against the shipped
taxonomy and a member register in a temp directory:
  - a cleaning entry is matched to the cleaning member soon after it arrives;
  - SIGHUP with a member file holding a broken regex: every error logged as
    FILE:LINE, the running engine kept, the daemon still running;
  - SIGHUP after the file is fixed and a grounds member added: the new
    engine is used at once (the grounds entry is matched to it);
  - SIGTERM: exit 0.
Run with /usr/bin/python3; env BIDBROKER, TOP.
"""

import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.environ["BIDBROKER"]
TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
DEADLINE = 20


def fail(msg, log=None):
    if log:
        msg += "\n--- daemon log ---\n" + log[-3000:]
    sys.stderr.write("FAIL: %s\n" % msg)
    sys.exit(1)


def atom():
    pub = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    entries = [
        ("urn:test:clean-1", "Office cleaning at the civic centre",
         "Daily office cleaning and washroom services for a council building.", "90910000"),
        ("urn:test:grounds-1", "Grounds maintenance of community parks",
         "Grass cutting, hedge trimming and litter picking in three parks.", "77310000"),
    ]
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<feed xmlns="http://www.w3.org/2005/Atom">',
           '<title>Test council opportunities</title><id>urn:test:feed</id>',
           '<updated>%s</updated>' % pub]
    for eid, title, summary, cpv in entries:
        out.append('<entry><id>%s</id><title>%s</title><updated>%s</updated>'
                   '<published>%s</published><link href="https://example.org/%s"/>'
                   '<summary>%s</summary><category term="%s"/></entry>'
                   % (eid, title, pub, pub, eid.rsplit(":", 1)[1], summary, cpv))
    out.append("</feed>")
    return "\n".join(out).encode()


class Server:
    def __init__(self):
        body = atom()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


MEMBER = """[member]
id = {id}
name = {name}
email = bids@{id}.example
capabilities = {caps}
{extra}
"""


def write_member(d, mid, caps, extra=""):
    with open(os.path.join(d, "members", mid + ".conf"), "w") as f:
        f.write(MEMBER.format(id=mid, name=mid.replace("-", " ").title(), caps=caps,
                              extra=extra))


def matches(state):
    p = subprocess.run([BIN, "--state", state, "matches", "--json"], capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 0:
        return []
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def wait_for(cond, what, logf):
    end = time.time() + DEADLINE
    while time.time() < end:
        if cond():
            return
        time.sleep(0.2)
    fail("timed out waiting for " + what, open(logf).read())


def main():
    srv = Server()
    d = tempfile.mkdtemp(prefix="bb-dmatch-")
    proc = None
    try:
        os.mkdir(os.path.join(d, "members"))
        shutil.copy(os.path.join(TOP, "conf", "capabilities.conf"), d)
        shutil.copy(os.path.join(TOP, "conf", "cpv-coverage.conf"), d)
        write_member(d, "test-cleaners", "cleaning")
        state = os.path.join(d, "state")
        conf = os.path.join(d, "bidbroker.conf")
        with open(conf, "w") as f:
            f.write("[bidbroker]\nstate_dir = state\nlog_level = info\n"
                    "[match]\ntaxonomy = capabilities.conf\nmembers = members\n"
                    "match_delay = 0.2s\n"
                    "[source council]\ntype = feed\nurl = http://127.0.0.1:%d/feed.atom\n"
                    "interval = 1h\nmin_interval = 0.05s\n" % srv.port)
        logf = os.path.join(d, "daemon.log")
        proc = subprocess.Popen([BIN, "--config", conf, "run"], stdout=subprocess.DEVNULL,
                                stderr=open(logf, "w"))

        def opp_ids():
            p = subprocess.run([BIN, "--state", state, "list", "--json"],
                               capture_output=True, text=True, timeout=30)
            return {json.loads(l)["title"]: json.loads(l)["id"]
                    for l in p.stdout.splitlines() if l.strip()}

        wait_for(lambda: len(opp_ids()) == 2, "the feed's two entries to be stored", logf)
        ids = opp_ids()
        clean_id = ids["Office cleaning at the civic centre"]
        grounds_id = ids["Grounds maintenance of community parks"]

        def has(member, opp):
            return lambda: any(m["member"] == member and m["opportunity"] == opp
                               for m in matches(state))

        wait_for(has("test-cleaners", clean_id), "the cleaning entry to be matched", logf)
        if any(m["opportunity"] == grounds_id for m in matches(state)):
            fail("grounds entry matched with no grounds member", open(logf).read())

        # a broken member file: reload refused, old engine kept, errors with FILE:LINE
        bad = os.path.join(d, "members", "broken.conf")
        write_member(d, "broken", "grounds", "regex = (unclosed")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "configuration not reloaded" in open(logf).read(),
                 "the bad reload to be refused", logf)
        log = open(logf).read()
        if bad + ":" not in log or "offset" not in log:
            fail("the regex error is not reported as FILE:LINE with its offset", log)
        if proc.poll() is not None:
            fail("daemon died on a bad reload", log)
        if any(m["member"] == "broken" for m in matches(state)):
            fail("a member from the refused register was used", log)

        # fixed: the new register is live at once
        write_member(d, "broken", "grounds")
        proc.send_signal(signal.SIGHUP)
        wait_for(has("broken", grounds_id), "the reloaded register to match grounds", logf)

        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=DEADLINE)
        if rc != 0:
            fail("exit status %d after SIGTERM" % rc, open(logf).read())
        log = open(logf).read()
        for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if m in log:
                fail("sanitizer report", log)
        proc = None
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)
    print("ok: daemon matches new notices; bad register reload kept old engine; "
          "good reload applied")


main()
