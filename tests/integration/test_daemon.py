"""test_daemon.py — `bidbroker run` as systemd runs it.

Starts the daemon against feeds served by a small HTTP server on 127.0.0.1,
with NOTIFY_SOCKET pointing at a unix datagram socket this test reads and a
watchdog, then:
  - READY=1 with a STATUS=, WATCHDOG=1 pings, the feed is polled and stored;
  - SIGHUP with a broken config: RELOADING=1 then READY=1 again, every error
    logged as FILE:LINE at warning priority (journald "<4>" prefix), the old
    configuration kept, the daemon still running;
  - SIGHUP with a good config that adds a source: "configuration reloaded",
    the new source is polled and its notices stored;
  - SIGTERM: STOPPING=1 and exit status 0.  SIGINT likewise (second run,
    with a transfer hanging in flight: the daemon does not wait for it).
  - a store that cannot be opened: exit 1; a stray argument: exit 2.
Run with /usr/bin/python3; env BIDBROKER, FIXTURES.
"""

import http.server
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.environ["BIDBROKER"]
FIXTURES = os.environ.get("FIXTURES") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
FEEDS = {"/north.atom": "atom-buyer.xml", "/south.rss": "rss-buyer.xml"}
TIMEOUT = 15


def fail(msg):
    sys.stderr.write("FAIL: %s\n" % msg)
    sys.exit(1)


class Server:
    """Serves the feed fixtures; remembers the paths requested."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with outer.lock:
                    outer.requests.append(self.path)
                if self.path == "/hang":            # a transfer that never ends
                    outer.release.wait(60)
                    return
                name = FEEDS.get(self.path)
                if name is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with open(os.path.join(FIXTURES, "feeds", name), "rb") as f:
                    data = f.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def count(self, path):
        with self.lock:
            return self.requests.count(path)

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class Notify:
    """The NOTIFY_SOCKET end: collects sd_notify datagrams as (key, value)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.msgs = []

    def wait(self, pred, what, timeout=TIMEOUT):
        """Read until a message satisfies pred(key, value); return it."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (k, v) in enumerate(self.msgs):
                if pred(k, v):
                    del self.msgs[:i + 1]
                    return k, v
            left = deadline - time.monotonic()
            if left <= 0:
                fail("no %s from sd_notify (got %r)" % (what, self.msgs[-10:]))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            for line in data.split("\n"):
                if "=" in line:
                    k, v = line.split("=", 1)
                    self.msgs.append((k, v))

    def key(self, key, timeout=TIMEOUT):
        return self.wait(lambda k, v: k == key, key + "=", timeout)[1]


class Log:
    """The daemon's stderr, read by a thread."""

    def __init__(self, stream):
        self.lines = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for raw in stream:
            with self.lock:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def text(self):
        with self.lock:
            return "\n".join(self.lines)

    def wait(self, pattern, what, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.text(), re.M)
            if m:
                return m
            time.sleep(0.05)
        fail("log never showed %s; log:\n%s" % (what, self.text()))


def wait_for(cond, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    fail("timed out waiting for " + what)


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def source(name, port, path):
    return ("[source %s]\ntype = feed\nurl = http://127.0.0.1:%d%s\n"
            "interval = 1h\nmin_interval = 0.2\n" % (name, port, path))


def start(tmp, conf, env_extra=None):
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    env.pop("WATCHDOG_USEC", None)
    env.pop("WATCHDOG_PID", None)
    env.update(env_extra or {})
    return subprocess.Popen([BIN, "--config", conf, "run"], cwd=tmp, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def stop(proc, sig, what):
    proc.send_signal(sig)
    try:
        rc = proc.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("daemon did not exit after %s" % what)
    if rc != 0:
        fail("daemon exited %d after %s, want 0" % (rc, what))


def main():
    srv = Server()
    tmp = tempfile.mkdtemp(prefix="bb-daemon-")
    proc = None
    try:
        conf = os.path.join(tmp, "bidbroker.conf")
        state = os.path.join(tmp, "state")
        head = "[bidbroker]\nstate_dir = %s\n\n" % state
        write(conf, head + source("north", srv.port, "/north.atom"))
        notify = Notify(os.path.join(tmp, "notify.sock"))
        proc = start(tmp, conf, {
            "NOTIFY_SOCKET": os.path.join(tmp, "notify.sock"),
            "WATCHDOG_USEC": "400000",
            "JOURNAL_STREAM": "0:0",        # journald priority prefixes on
        })
        log = Log(proc.stderr)

        # ---- start: READY with a status; the feed is polled and stored
        notify.key("READY")
        status = notify.key("STATUS")
        if not status.startswith("polling 1 source,"):
            fail("first STATUS=%r" % status)
        wait_for(lambda: srv.count("/north.atom") >= 1, "the north feed to be polled")
        notify.wait(lambda k, v: k == "STATUS" and v.startswith("polling 1 source, 2 notices"),
                    "STATUS with the 2 stored north notices")
        notify.key("WATCHDOG")
        notify.key("WATCHDOG")              # pinged again, every 200 ms
        log.wait(r"^<5>start: polling 1 source: north \(feed\)$", "the start line")

        # ---- SIGHUP with a broken config: old one kept, errors logged FILE:LINE
        write(conf, head + source("north", srv.port, "/north.atom")
              + source("south", srv.port, "/south.rss")
              + "[filter]\nmax_value = lots\n"      # max_value on line 15
              + "[source bad]\ntype = carrier-pigeon\n")
        proc.send_signal(signal.SIGHUP)
        notify.key("RELOADING")
        notify.key("READY")
        log.wait(r"^<4>" + re.escape(conf) + r":15: .*max_value", "the bad max_value as FILE:LINE")
        log.wait(r"^<4>" + re.escape(conf) + r":\d+: .*carrier-pigeon", "the bad type")
        log.wait(r"^<4>configuration not reloaded \(\d+ errors?\): keeping", "the refusal")
        if "configuration reloaded" in log.text():
            fail("a broken configuration was applied")
        status = notify.key("STATUS")
        if not status.startswith("polling 1 source,"):
            fail("STATUS after a failed reload: %r" % status)
        time.sleep(0.5)
        if proc.poll() is not None:
            fail("daemon died after a broken config (exit %s)" % proc.returncode)
        if srv.count("/south.rss") != 0:
            fail("a source from the broken config was polled")

        # ---- SIGHUP with a good config: applied, the new source is polled
        write(conf, head + source("north", srv.port, "/north.atom")
              + source("south", srv.port, "/south.rss"))
        proc.send_signal(signal.SIGHUP)
        notify.key("RELOADING")
        notify.key("READY")
        log.wait(r"^<5>configuration reloaded$", "configuration reloaded")
        log.wait(r"^<5>reload: polling 2 sources: north \(feed\), south \(feed\)$",
                 "the new source list")
        wait_for(lambda: srv.count("/south.rss") >= 1, "the new south source to be polled")
        notify.wait(lambda k, v: k == "STATUS" and v.startswith("polling 2 sources, 5 notices"),
                    "STATUS with 2 sources and 5 notices")

        # ---- SIGTERM: STOPPING and exit 0
        stop(proc, signal.SIGTERM, "SIGTERM")
        notify.key("STOPPING")
        log.thread.join(5)
        log.wait(r"^<5>SIGTERM received: stopping$", "the stop line")
        proc = None

        # ---- SIGINT works the same, also with a transfer in flight
        write(conf, head + source("north", srv.port, "/north.atom")
              + source("slow", srv.port, "/hang"))
        proc = start(tmp, conf, {"NOTIFY_SOCKET": os.path.join(tmp, "notify.sock")})
        log = Log(proc.stderr)
        notify.key("READY")
        wait_for(lambda: srv.count("/hang") >= 1, "the hanging request to start")
        stop(proc, signal.SIGINT, "SIGINT during a transfer")
        notify.key("STOPPING")
        log.thread.join(5)
        log.wait(r"SIGINT received: stopping", "the SIGINT stop line")
        proc = None

        # ---- a store that cannot be opened: exit 1, said clearly
        r = subprocess.run([BIN, "--config", conf, "--state", "/dev/null/state", "run"],
                           cwd=tmp, capture_output=True, timeout=TIMEOUT,
                           env={k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"})
        if r.returncode != 1 or b"/dev/null/state" not in r.stderr:
            fail("unusable state dir: exit %d, stderr %r" % (r.returncode, r.stderr))
        r = subprocess.run([BIN, "--config", conf, "run", "extra"], cwd=tmp,
                           capture_output=True, timeout=TIMEOUT)
        if r.returncode != 2:
            fail("stray argument: exit %d, want 2" % r.returncode)
        print("ok: READY/STATUS/WATCHDOG/RELOADING/STOPPING, bad reload kept, good reload "
              "applied, SIGTERM/SIGINT exit 0")
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        srv.stop()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
