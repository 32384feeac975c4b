"""cdp.py — Debian's headless Chromium driven over the Chrome DevTools
Protocol on a pipe (--remote-debugging-pipe: commands on fd 3, answers and
events on fd 4, each a JSON text ending in NUL), with nothing but Python's
standard library.  Used by test_http_browser.py.

Input goes in as a person's would: Input.insertText into the focused field,
Input.dispatchMouseEvent at the middle of a button.  Only what the test
cannot type (a datetime-local field's segments are locale-dependent) is set
through the DOM.
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio",
         "--remote-debugging-pipe"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


class CDPError(Exception):
    pass


class Chromium:
    def __init__(self, exe, timeout=20):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="bb-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():                      # fd 3: commands in, fd 4: answers out
            # via fds >= 10: the pipe's own fds may be 3 or 4 (dup2 onto
            # itself would keep close-on-exec)
            r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.log = open(os.path.join(self.profile, "chromium.log"), "w+")
        self.proc = subprocess.Popen([exe] + FLAGS + ["--user-data-dir=" + self.profile,
                                                      "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=fds,
                                     close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"},
                           timeout=60)["targetId"]     # a loaded machine starts slowly
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise CDPError("no answer from Chromium in time:\n" + self.logtext())
            r, _, _ = select.select([self.from_chrome], [], [], left)
            if r:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    raise CDPError("Chromium closed the pipe:\n" + self.logtext())
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, page=True, timeout=None):
        self.next_id += 1
        m = {"id": self.next_id, "method": method, "params": params or {}}
        if page and self.session:
            m["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(m).encode() + b"\0")
        deadline = time.time() + (timeout or self.timeout)
        while True:
            msg = self._read(deadline)
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise CDPError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method):
        deadline = time.time() + self.timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    del self.events[i]
                    return e
            self.events.append(self._read(deadline))

    def js(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise CDPError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def navigate(self, url):
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def phone(self, width=390, height=844):
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})

    def type_into(self, selector, text, replace=False):
        """Focus the field (selecting what it holds when replacing) and type."""
        ok = self.js("(() => { const e = document.querySelector(%s); if (!e) return false;"
                     " e.focus(); if (%s) e.select(); return true; })()"
                     % (json.dumps(selector), "true" if replace else "false"))
        if not ok:
            raise CDPError("no field " + selector)
        self.call("Input.insertText", {"text": text})

    def set_value(self, selector, value):
        if not self.js("(() => { const e = document.querySelector(%s); if (!e) return false;"
                       " e.value = %s; return true; })()"
                       % (json.dumps(selector), json.dumps(value))):
            raise CDPError("no field " + selector)

    def click(self, selector):
        """A mouse click at the middle of the element; waits for the next page."""
        box = self.js("(() => { const e = document.querySelector(%s); if (!e) return null;"
                      " e.scrollIntoView({block: 'center'}); const r ="
                      " e.getBoundingClientRect(); return [r.x + r.width / 2,"
                      " r.y + r.height / 2]; })()" % json.dumps(selector))
        if box is None:
            raise CDPError("nothing to click at " + selector)
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})
        self.wait_event("Page.loadEventFired")

    def desktop(self, width=1280, height=900):
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def screenshot(self, path, full_page=False):
        params = {"format": "png", "captureBeyondViewport": True}
        if full_page:                   # the whole document, not only what is in view
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": size["height"], "scale": 1}
        data = self.call("Page.captureScreenshot", params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def logtext(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()[-2000:]

    def close(self):
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close", page=False)
                except (CDPError, OSError):
                    pass
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            for fd in (self.to_chrome, self.from_chrome):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)
