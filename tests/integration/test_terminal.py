"""Integration: output fits the terminal (issue #9 item 5).

- Tables (list, matches, members list) and explain's text fit 80 display
  columns when the output is not a terminal and COLUMNS is unset, clipping
  titles with "…" without cutting a multibyte character; COLUMNS=200 gives
  longer lines; --json is never shortened.
- Colour only on a terminal (a pty), never with NO_COLOR or TERM=dumb or on a
  pipe; --color=always/never override.  On a pty the tables fit its window.
- Global options work after the command too (check-config --config F).
- An unknown option is one line pointing at --help, exit 2; an unknown member
  is exit 1 in every command that takes one.
"""
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import fcntl
import unicodedata

sys.path.insert(0, os.path.dirname(__file__))
from matchutil import BIN, Env, FILES_2022, NOW_2022, OCDS, fail  # noqa: E402

# wide (CJK, two columns each), accented (two bytes) and combining characters
PREFIX = "東京都 Café Zürich e\u0301te — "
ESC = re.compile(r"\x1b\[[0-9;]*m")


def columns(line):
    w = 0
    for ch in line:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def base_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "LINES")}
    env["TERM"] = "xterm"
    env.update(extra or {})
    return env


def run(e, *args, env=None, expect=0):
    cmd = [BIN, "--config", e.conf, "--now", NOW_2022] + list(args)
    p = subprocess.run(cmd, capture_output=True, env=env or base_env(), timeout=120)
    if expect is not None and p.returncode != expect:
        fail("%s: exit %d (expected %d)\n%s%s" % (" ".join(args), p.returncode, expect,
                                                 p.stdout.decode(errors="replace"),
                                                 p.stderr.decode(errors="replace")))
    try:
        return p.stdout.decode("utf-8"), p.stderr.decode("utf-8")
    except UnicodeDecodeError as ex:
        fail("%s: output is not valid UTF-8 (a character cut in half?): %s" % (args, ex))


def run_pty(e, *args, cols=100, extra=None):
    """Run with stdout on a pty of cols columns; its output, \\r removed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    cmd = [BIN, "--config", e.conf, "--now", NOW_2022] + list(args)
    p = subprocess.Popen(cmd, stdout=slave, stderr=subprocess.PIPE, env=base_env(extra))
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=60)
    os.close(master)
    if p.returncode != 0:
        fail("%s on a pty: exit %d\n%s" % (args, p.returncode, p.stderr.read().decode()))
    p.stderr.close()
    return out.decode("utf-8").replace("\r", "")


def check_fits(what, text, width):
    lines = text.splitlines()
    if not lines:
        fail("%s printed nothing" % what)
    for line in lines:
        if columns(ESC.sub("", line)) > width:
            fail("%s: a line of %d columns (> %d):\n%r"
                 % (what, columns(ESC.sub("", line)), width, line))
    return max(columns(ESC.sub("", line)) for line in lines)


def long_titles(e):
    """Ingest the 2022 fixtures with every title made long and multibyte."""
    paths = []
    for name in FILES_2022:
        with open(os.path.join(OCDS, name)) as f:
            doc = json.load(f)
        for rel in doc.get("releases", []):
            t = rel.get("tender", {})
            if t.get("title"):
                t["title"] = PREFIX + t["title"] + " (lots 1 to 12, renewal, long title)"
        path = os.path.join(e.dir, name)
        with open(path, "w") as f:
            json.dump(doc, f, ensure_ascii=False)
        paths.append(path)
    run(e, "ingest", *paths)
    run(e, "match")


def fitting(e):
    opps = {o["id"]: o for o in e.json_lines("list", "--json")}
    tables = [("list",), ("matches",), ("members", "list"), ("matches", "--all")]
    explain_id = next(iter(m["opportunity"] for m in e.json_lines("matches", "--json")))
    for args in tables + [("explain", str(explain_id))]:
        out, _ = run(e, *args)
        if "\x1b" in out:
            fail("%s to a pipe has escape sequences" % (args,))
        check_fits("%s (pipe, COLUMNS unset)" % (args,), out, 80)
        if args[0] in ("list", "matches") and "…" not in out:
            fail("%s: no title was clipped with '…':\n%s" % (args, out))
    # taxonomy coverage: codes with long CPV names, placements
    codes = sorted({c for o in opps.values() for c in o.get("cpv", [])})
    out, _ = run(e, "taxonomy", "coverage", *codes, expect=None)
    check_fits("taxonomy coverage CODE...", out, 80)
    out, _ = run(e, "taxonomy", "coverage", *codes, expect=None, env=base_env({"COLUMNS": "200"}))
    if check_fits("taxonomy coverage CODE... COLUMNS=200", out, 200) <= 80:
        fail("taxonomy coverage: no line needed wrapping at 80 columns: the test proves nothing")
    # show and members show wrap their long lines; a URL stays whole
    with_url = next(o for o in opps.values() if o["url"] and len(o["url"]) > 60)
    out, _ = run(e, "show", str(with_url["id"]))
    if with_url["url"] not in out:
        fail("show cut the URL %s:\n%s" % (with_url["url"], out))
    check_fits("show (pipe)", "\n".join(x for x in out.splitlines() if with_url["url"] not in x), 80)
    if " ".join(with_url["title"].split()) not in " ".join(out.split()):
        fail("show shortened the title (it wraps, never cuts):\n" + out)
    out, _ = run(e, "members", "show", "brum-facilities", env=base_env({"COLUMNS": "60"}))
    # (the file's path is one word: written whole, like a URL)
    check_fits("members show COLUMNS=60", "\n".join(x for x in out.splitlines()
                                                   if e.dir not in x), 60)
    if "security" not in out or "keyholding" not in out:
        fail("members show lost words when wrapping:\n" + out)
    # a clipped title is a prefix of the real one, whole characters only
    out, _ = run(e, "list")
    for line in out.splitlines()[1:]:
        m = re.match(r"\s*(\d+) ", line)
        title = opps[int(m.group(1))]["title"]
        shown = line[line.index(PREFIX[:3]):] if PREFIX[:3] in line else None
        if shown is None:
            continue
        if shown.endswith("…"):
            if not title.startswith(shown[:-1]):
                fail("clipped title %r is not a prefix of %r" % (shown, title))
        elif shown != title:
            fail("title %r shown as %r" % (title, shown))
    # the header and the rows line up: every deadline starts in the same column
    starts = {columns(line[:re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}", line).start()])
              for line in out.splitlines()[1:] if re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}", line)}
    if len(starts) != 1:
        fail("list columns do not line up: deadlines start at columns %s" % sorted(starts))
    # wider when COLUMNS says so
    for args in (("list",), ("matches",)):
        out, _ = run(e, *args, env=base_env({"COLUMNS": "200"}))
        widest = check_fits("%s COLUMNS=200" % (args,), out, 200)
        if widest <= 80:
            fail("%s with COLUMNS=200 is no wider than 80 columns (%d)" % (args, widest))
        out, _ = run(e, *args, env=base_env({"COLUMNS": "50"}))
        check_fits("%s COLUMNS=50" % (args,), out, 50)
    # JSON is never shortened
    for o in [json.loads(x) for x in
              run(e, "list", "--json", env=base_env({"COLUMNS": "20"}))[0].splitlines()]:
        if o["title"] and (o["title"] != opps[o["id"]]["title"] or "…" in o["title"]):
            fail("list --json shortened a title: %r" % o["title"])
        if o["title"] and not o["title"].startswith(PREFIX):
            fail("the long titles were not ingested: %r" % o["title"])


def colour(e):
    # a pty: colour, and the table fits the window (wider than 80 when it is)
    out = run_pty(e, "list", cols=100)
    if "\x1b[" not in out:
        fail("list on a terminal is not coloured")
    widest = check_fits("list on a 100-column pty", out, 100)
    if widest <= 80:
        fail("list on a 100-column pty is no wider than 80 columns (%d)" % widest)
    check_fits("matches on a 60-column pty", run_pty(e, "matches", cols=60), 60)
    check_fits("members list on a 60-column pty", run_pty(e, "members", "list", cols=60), 60)
    for extra, args in (({"NO_COLOR": "1"}, ()), ({"TERM": "dumb"}, ()), ({}, ("--color=never",))):
        out = run_pty(e, "list", *args, cols=100, extra=extra)
        if "\x1b" in out:
            fail("list on a terminal with %s %s is coloured" % (extra, args))
    out, _ = run(e, "list", "--color=always")
    if "\x1b[" not in out:
        fail("--color=always on a pipe is not coloured")
    out, _ = run(e, "matches", env=base_env({"NO_COLOR": "1"}))
    if "\x1b" in out:
        fail("matches with NO_COLOR has escape sequences")


def options(e):
    # global options after the command, long forms, "=" or separate values
    state = os.path.join(e.dir, "state")
    p = subprocess.run([BIN, "check-config", "--config", e.conf], capture_output=True, text=True)
    if p.returncode != 0 or "configuration OK" not in p.stdout or e.conf not in p.stdout:
        fail("check-config --config F: %d %s %s" % (p.returncode, p.stdout, p.stderr))
    want = subprocess.run([BIN, "--config", e.conf, "--state", state, "list", "--json"],
                          capture_output=True, text=True).stdout
    for argv in (["list", "--json", "--config", e.conf, "--state", state],
                 ["list", "--config=" + e.conf, "--json", "--state=" + state],
                 ["--config", e.conf, "list", "--state", state, "--json"]):
        p = subprocess.run([BIN] + argv, capture_output=True, text=True)
        if p.returncode != 0 or p.stdout != want or not want:
            fail("%s: exit %d, %d bytes (want %d)\n%s" % (argv, p.returncode, len(p.stdout),
                                                       len(want), p.stderr))
    p = subprocess.run([BIN, "explain", "1", "--json", "--config", e.conf, "--now", NOW_2022,
                        "--verbose"], capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.startswith("{"):
        fail("explain --now after the command: %d %s" % (p.returncode, p.stderr))
    # unknown options, missing values and arguments: one line, --help, exit 2
    for argv in (["list", "--bogus"], ["members", "list", "--bogus"], ["--bogus", "list"],
                 ["matches", "--member"], ["check-config", "-Q"], ["list", "--state"],
                 ["backup", "--bogus", "x"], ["--color=sometimes", "list"],
                 # a missing or extra argument too
                 ["show"], ["explain"], ["backup"], ["replay"], ["replay", "--conf", "d", "x"],
                 ["members"], ["members", "frob"], ["list", "extra"]):
        p = subprocess.run([BIN, "--config", e.conf] + argv, capture_output=True, text=True)
        lines = p.stderr.splitlines()
        if p.returncode != 2 or len(lines) != 1 or p.stdout:
            fail("%s: exit %d, stderr %r (want exit 2 and one line)"
                 % (argv, p.returncode, p.stderr))
        if "--help" not in lines[0] and "--color" not in argv[0]:
            fail("%s: the error does not point at --help: %r" % (argv, lines[0]))
    # COMMAND --help needs no configuration (make man runs each one)
    broken = os.path.join(e.dir, "broken.conf")
    with open(broken, "w") as f:
        f.write("[filter]\nmax_value = lots\n")
    for c in ("list", "matches", "members", "explain", "poll", "backup"):
        p = subprocess.run([BIN, "--config", broken, c, "--help"], capture_output=True, text=True)
        if p.returncode != 0 or not p.stdout.startswith("usage:"):
            fail("%s --help with a broken config: %d %s" % (c, p.returncode, p.stderr))
    # an unknown member is an error wherever a member is named
    oid = e.json_lines("list", "--json")[0]["id"]
    for args in (("matches", "--member", "nobody"), ("matches", "--member", "nobody", "--json"),
                 ("explain", str(oid), "--member", "nobody"), ("members", "show", "nobody"),
                 ("members", "pause", "nobody"), ("members", "resume", "nobody"),
                 ("members", "remove", "nobody")):
        _, err = run(e, *args, expect=1)
        if "nobody" not in err:
            fail("%s: the error does not name the member: %r" % (args, err))
    # what a command names does not exist: exit 1, saying what
    for args, said in ((("show", "99999"), "99999"), (("explain", "99999"), "99999"),
                       (("replay", "--conf", os.path.join(e.dir, "nope")), "nope")):
        _, err = run(e, *args, expect=1)
        if said not in err:
            fail("%s: the error does not say what is missing: %r" % (args, err))
    # a known member without matches is not an error
    run(e, "matches", "--member", "saltmarsh-surveys")


def poll_bar():
    """The poll progress bar fits a narrow terminal; none on a pipe."""
    import tempfile
    import test_poll_basic as pb
    for cols, term in ((50, "xterm"), (120, "xterm"), (80, "dumb")):
        with tempfile.TemporaryDirectory() as d, pb.servers() as srv:
            conf = pb.config(d, srv)
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, cols, 0, 0))
            proc = subprocess.Popen([BIN, "--config", conf, "--now", pb.NOW, "poll", "--since",
                                     "2025-01-21T00:00:00Z"], stdout=subprocess.PIPE,
                                    stderr=slave, env=base_env({"TERM": term}))
            os.close(slave)
            chunks = []
            while True:
                try:
                    b = os.read(master, 4096)
                except OSError:
                    break
                if not b:
                    break
                chunks.append(b)
            proc.communicate(timeout=60)
            os.close(master)
            err = b"".join(chunks).decode("utf-8")
            bars = [x for x in err.replace("\r\n", "\n").split("\r\x1b[K") if "windows" in x]
            if term == "dumb":
                if "\x1b" in err or proc.returncode != 0:
                    fail("poll with TERM=dumb: exit %d, escapes: %r" % (proc.returncode, err[-300:]))
                continue
            if not bars or proc.returncode != 0:
                fail("poll on a %d-column pty: exit %d, no bar:\n%r"
                     % (cols, proc.returncode, err[-400:]))
            for bar in bars:
                line = bar.split("\n")[0]
                if columns(line) > cols - 1:
                    fail("poll's bar is %d columns on a %d-column terminal: %r"
                         % (columns(line), cols, line))
            if cols > 100 and "[" not in bars[-1]:
                fail("no bar drawn on a wide terminal: %r" % bars[-1])
    with tempfile.TemporaryDirectory() as d, pb.servers() as srv:
        conf = pb.config(d, srv)
        p = subprocess.run([BIN, "--config", conf, "--now", pb.NOW, "poll", "--since",
                            "2025-01-21T00:00:00Z"], capture_output=True, text=True,
                           env=base_env({"COLUMNS": "50"}))
        if p.returncode != 0 or "\x1b" in p.stderr or "\r" in p.stderr:
            fail("poll to a pipe: exit %d, a bar or escapes: %r" % (p.returncode, p.stderr[-300:]))


def main():
    poll_bar()
    e = Env()
    try:
        long_titles(e)
        fitting(e)
        colour(e)
        options(e)
    finally:
        e.cleanup()
    print("terminal: ok")


if __name__ == "__main__":
    main()
