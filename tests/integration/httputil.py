"""httputil.py — running `bidbroker run` with an [http] section on a free
127.0.0.1 port, and raw HTTP requests to it (http.client, or a socket for
requests no client library would send)."""

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.environ["BIDBROKER"]


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """bidbroker run in a temp dir: no source enabled, [http] on a free port."""

    def __init__(self, http_extra="", extra=""):
        self.tmp = tempfile.TemporaryDirectory(prefix="bb-http-")
        self.dir = self.tmp.name
        self.port = free_port()
        self.conf = os.path.join(self.dir, "bidbroker.conf")
        self.http_extra = http_extra
        self.extra = extra
        self.write_conf()
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen([BIN, "-c", self.conf, "run"], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_listening()

    def write_conf(self):
        with open(self.conf, "w") as f:
            f.write("[bidbroker]\nstate_dir = %s\nlog_level = debug\n\n"
                    "[source off]\ntype = feed\nurl = http://127.0.0.1:9/\nenabled = no\n\n"
                    "[http]\nlisten = 127.0.0.1:%d\n%s\n%s"
                    % (os.path.join(self.dir, "state"), self.port, self.http_extra, self.extra))

    def logtext(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def wait_listening(self, after=0):
        t0 = time.time()
        while time.time() - t0 < 10:
            check(self.proc.poll() is None, "daemon exited:\n" + self.logtext()[-3000:])
            if self.logtext().count("http: listening on") > after:
                return
            time.sleep(0.05)
        raise TestFailure("daemon not listening:\n" + self.logtext()[-3000:])

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def raw(self, data, read_timeout=10):
        """Send bytes, return what the server answered until it closed."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout)
        out = b""
        try:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            while True:
                try:
                    chunk = s.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            s.close()
        return out

    def finish(self):
        """SIGTERM: exit 0 and no sanitizer report in the log."""
        self.proc.terminate()
        rc = self.proc.wait(20)
        log = self.logtext()
        check(rc == 0, "exit %d:\n%s" % (rc, log[-3000:]))
        for m in ("AddressSanitizer", "LeakSanitizer", "runtime error"):
            check(m not in log, "sanitizer report:\n" + log[-4000:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.tmp.cleanup()


def run_test(name, checks, **daemon_args):
    """Daemon(**daemon_args), checks(d), SIGTERM (exit 0, no sanitizer
    report): the exit status of the test, its log's tail on failure."""
    d = Daemon(**daemon_args)
    try:
        checks(d)
        check(d.proc.poll() is None, "daemon died")
        d.finish()
    except TestFailure as e:
        sys.stderr.write("FAIL: %s\n--- log ---\n%s\n" % (e, d.logtext()[-3000:]))
        return 1
    finally:
        d.stop()
    print("%s: ok" % name)
    return 0
