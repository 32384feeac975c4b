"""smtpcases.py — the cases of test_outbox_smtp.py and test_outbox_smtp_faults.py:
`bidbroker outbox --send` delivering over SMTP to a
real server on 127.0.0.1 (aiosmtpd, smtpsink.py) with STARTTLS required, a
certificate checked against [mail] tls_ca, AUTH and injected faults:

  - a good delivery: the bytes arrive exactly as stored (CRLF, a line that
    starts with a dot), MAIL FROM is the From address, one RCPT, the EHLO name
    is [mail] helo, AUTH only after STARTTLS (LOGIN when [mail] auth = LOGIN);
  - 451 at RCPT and 452 after DATA: retry (code and reply kept), then sent
    with the same bytes and Message-ID;
  - 550 at RCPT and 554 after DATA: failed, never tried again by --send;
    `outbox --retry ID` queues it again and it goes;
  - the connection dropped after the message: retry (the server has it), sent
    again: the server holds two identical copies with one Message-ID;
  - a slow final reply within [mail] reply_timeout: sent once; one slower
    than reply_timeout: retry, resent identically;
  - a server without STARTTLS: nothing sent, no AUTH in clear, retry naming
    STARTTLS; a wrong password (535): retry naming the credentials, not
    failed; a message older than retry_max_age that meets a 4xx: failed;
  - a credentials file readable by others is refused, by --send and by
    check-config; starttls = no towards a non-local host is a config error.
"""
import calendar
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
warnings.simplefilter("ignore")
import smtpsink as S                     # noqa: E402
from smtpsink import fail                # noqa: E402


def send(state, conf, check=None):
    return S.run(["outbox", "--send"], state, conf, check=check)


def setup(dir, sink, extra=""):
    conf = S.write_conf(dir, sink, extra)
    state = os.path.join(dir, "state")
    send(state, conf, check=0)                  # creates the store; nothing to send
    return conf, state


def queue(state, n, **kw):
    rcpt, mid, data = S.message(n, **kw)
    return S.enqueue(state, "member%d" % n, rcpt, mid, data), rcpt, mid, data


def iso(t):
    return calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ"))


def until_due(state, conf, i):
    """Message i waits for a retry [mail] retry (1s, jittered) after its
    attempt.  Then its time comes (without waiting for it)."""
    row = S.outbox(state, conf)[i]
    if row["state"] != "retry":
        fail("message %d is %s, expected retry" % (i, row["state"]))
    wait = iso(row["next_attempt"]) - iso(row["updated"])
    if not 1 <= wait <= 2:
        fail("the first wait is %ds, expected [mail] retry = 1s (80-120%%, whole seconds)" % wait)
    S.make_due(state, i)
    return row


def good_delivery(dir):
    sink = S.Sink(dir)
    try:
        conf, state = setup(dir, sink, "auth = LOGIN\n")
        i, rcpt, mid, data = queue(state, 1)
        p = send(state, conf, check=0)
        if "1 sent, 0 to retry later, 0 failed" not in p.stdout:
            fail("summary: " + p.stdout)
        (frm, rcpts, got), = sink.wait_messages(1)
        if got != data:
            fail("the bytes changed on the way:\n%r\n%r" % (data, got))
        if frm != "digests@cluster.example.org" or rcpts != [rcpt]:
            fail("envelope %r %r" % (frm, rcpts))
        if not sink.ehlo or set(sink.ehlo) != {"bb.test.example"}:
            fail("EHLO names %r" % sink.ehlo)
        if sink.auth != [("LOGIN", True)]:
            fail("AUTH %r, expected LOGIN over TLS" % sink.auth)
        row = S.outbox(state, conf)[i]
        if row["state"] != "sent" or row["attempts"] != 1 or row["last_code"] != 250 \
                or row["sent_at"] is None or row["message_id"] != mid:
            fail("row after sending: %r" % row)
        # nothing left to send: --send does nothing, the list says so
        p = send(state, conf, check=0)
        if "0 sent" not in p.stdout or len(sink.messages) != 1:
            fail("a second --send sent again: " + p.stdout)
        p = S.run(["outbox"], state, conf, check=0)
        if "0 queued, 0 sending, 1 sent, 0 retry, 0 failed" not in p.stdout:
            fail("outbox list: " + p.stdout)
    finally:
        sink.stop()


def temporary_then_sent(dir, where, reply):
    sink = S.Sink(dir)
    try:
        conf, state = setup(dir, sink)
        sink.plan[where].append(reply)
        i, rcpt, mid, data = queue(state, 2)
        p = send(state, conf, check=1)
        if "retry later" not in p.stdout or reply not in p.stdout:
            fail("%s %s: --send said %s" % (where, reply, p.stdout))
        row = until_due(state, conf, i)
        if row["last_code"] != int(reply[:3]) or reply not in (row["last_error"] or ""):
            fail("row after %s: %r" % (reply, row))
        send(state, conf, check=0)
        msgs = sink.wait_messages(1)
        if len(msgs) != 1 or msgs[0][2] != data:
            fail("after the retry: %r" % msgs)
        row = S.outbox(state, conf)[i]
        if row["state"] != "sent" or row["attempts"] != 2:
            fail("row after the retry: %r" % row)
    finally:
        sink.stop()


def permanent(dir, where, reply):
    sink = S.Sink(dir)
    try:
        conf, state = setup(dir, sink)
        sink.plan[where].append(reply)
        i, rcpt, mid, data = queue(state, 3)
        p = send(state, conf, check=1)
        if "failed" not in p.stdout or reply not in p.stdout:
            fail("%s %s: --send said %s" % (where, reply, p.stdout))
        row = S.outbox(state, conf)[i]
        if row["state"] != "failed" or row["last_code"] != int(reply[:3]) \
                or row["next_attempt"] is not None:
            fail("row after %s: %r" % (reply, row))
        p = S.run(["outbox", "--only", "failed", "--json"], state, conf, check=0)
        if len(p.stdout.splitlines()) != 1 or '"state":"failed"' not in p.stdout:
            fail("outbox --only failed: " + p.stdout)
        p = S.run(["outbox", "--only", "sent"], state, conf, check=0)
        if "member3" in p.stdout:
            fail("outbox --only sent lists a failed message: " + p.stdout)
        S.run(["outbox", "--only", "bogus"], state, conf, check=2)
        S.make_due(state, i)                    # even "due", a failed message stays
        send(state, conf, check=0)
        if sink.messages or S.outbox(state, conf)[i]["attempts"] != 1:
            fail("a failed message was tried again")
        # staff send it again
        p = S.run(["outbox", "--retry", str(i)], state, conf, check=0)
        p = S.run(["outbox", "--retry", str(i)], state, conf, check=1)
        if "already queued" not in p.stderr:
            fail("--retry of a queued message: " + p.stderr)
        send(state, conf, check=0)
        if sink.wait_messages(1)[0][2] != data:
            fail("the message sent after --retry differs")
        p = S.run(["outbox", "--retry", str(i)], state, conf, check=1)
        if "is sent" not in p.stderr:
            fail("--retry of a sent message: " + p.stderr)
        S.run(["outbox", "--retry", "999"], state, conf, check=1)
        S.run(["outbox", "--retry", "x"], state, conf, check=2)
    finally:
        sink.stop()


def ambiguous(dir, fault, extra, expect):
    sink = S.Sink(dir)
    try:
        conf, state = setup(dir, sink, extra)
        sink.plan["data"].append(fault)
        i, rcpt, mid, data = queue(state, 4)
        p = send(state, conf, check=1)
        if expect not in p.stdout:
            fail("%r: --send said %s" % (fault, p.stdout))
        until_due(state, conf, i)
        send(state, conf, check=0)
        msgs = sink.wait_messages(2)
        if len(msgs) != 2 or msgs[0][2] != data or msgs[1][2] != data:
            fail("%r: the server should hold two identical copies: %r" % (fault, msgs))
        row = S.outbox(state, conf)[i]
        if row["state"] != "sent" or row["attempts"] != 2:
            fail("%r: row %r" % (fault, row))
    finally:
        sink.stop()


def slow_within_timeout(dir):
    sink = S.Sink(dir)
    try:
        conf, state = setup(dir, sink, "reply_timeout = 10s\n")
        sink.plan["data"].append(("slow", 1.5))
        i, rcpt, mid, data = queue(state, 5)
        send(state, conf, check=0)
        row = S.outbox(state, conf)[i]
        if row["state"] != "sent" or row["attempts"] != 1 or len(sink.messages) != 1:
            fail("slow reply within the timeout: %r" % row)
    finally:
        sink.stop()


def no_starttls(dir):
    sink = S.Sink(dir, tls=False, auth=False)
    try:
        conf = S.write_conf(dir, sink)
        # the sink has no TLS: ask for STARTTLS all the same
        with open(conf) as f:
            text = f.read().replace("starttls = no\n", "")
        with open(conf, "w") as f:
            f.write(text)
        state = os.path.join(dir, "state")
        send(state, conf, check=0)
        i, rcpt, mid, data = queue(state, 6)
        p = send(state, conf, check=1)
        if "STARTTLS" not in p.stdout or sink.messages or sink.auth:
            fail("no STARTTLS offered: %s / %r %r" % (p.stdout, sink.messages, sink.auth))
        if S.outbox(state, conf)[i]["state"] != "retry":
            fail("no STARTTLS: not retry")
    finally:
        sink.stop()


def wrong_password(dir):
    sink = S.Sink(dir)
    try:
        conf, state = setup(dir, sink)
        creds = os.path.join(dir, "smtp.credentials")
        with open(creds, "w") as f:
            f.write("bb:wrong\n")
        i, rcpt, mid, data = queue(state, 7)
        p = send(state, conf, check=1)
        row = S.outbox(state, conf)[i]
        if row["state"] != "retry" or row["last_code"] != 535 or "credentials" not in \
                (row["last_error"] or ""):
            fail("a refused login: %r (%s)" % (row, p.stdout))
    finally:
        sink.stop()


def too_old(dir):
    sink = S.Sink(dir)
    try:
        conf, state = setup(dir, sink, "retry_max_age = 1h\n")
        sink.plan["rcpt"].append("450 4.2.1 mailbox busy")
        rcpt, mid, data = S.message(8)
        i = S.enqueue(state, "member8", rcpt, mid, data, created=int(time.time()) - 7200)
        send(state, conf, check=1)
        row = S.outbox(state, conf)[i]
        if row["state"] != "failed" or "gave up" not in (row["last_error"] or ""):
            fail("a message past retry_max_age: %r" % row)
    finally:
        sink.stop()


def bad_config(dir):
    sink = S.Sink(dir)
    try:
        conf, state = setup(dir, sink)
        creds = os.path.join(dir, "smtp.credentials")
        os.chmod(creds, 0o644)
        p = send(state, conf, check=1)
        if creds not in p.stderr or "chmod 600" not in p.stderr:
            fail("a world-readable credentials file: " + p.stderr)
        p = S.run(["check-config"], state, conf, check=1)
        if creds not in p.stderr:
            fail("check-config passed a world-readable credentials file: " + p.stderr)
        os.chmod(creds, 0o600)
        bad = os.path.join(dir, "bad.conf")
        with open(bad, "w") as f:
            f.write("[mail]\ntransport = smtp://mail.example.org:587\nstarttls = no\n"
                    "reply_timeout = 1h\ntimeout = 1m\ntransport2 = x\n")
        p = S.run(["check-config"], state, bad, check=1)
        for want in ("bad.conf:3:", "in clear", "bad.conf:6:", "must be at least"):
            if want not in p.stderr:
                fail("check-config of a bad [mail]: %r missing in %s" % (want, p.stderr))
        with open(bad, "w") as f:
            f.write("[mail]\ntransport = smtp://user:pw@mail.example.org/helo\n")
        p = S.run(["check-config"], state, bad, check=1)
        if "bad.conf:2:" not in p.stderr or "credentials" not in p.stderr:
            fail("a URL with a password: " + p.stderr)
    finally:
        sink.stop()


CASES = [
    ("good delivery", good_delivery),
    ("451 at RCPT", lambda d: temporary_then_sent(d, "rcpt", "451 4.3.0 try again later")),
    ("452 after DATA", lambda d: temporary_then_sent(d, "data", "452 4.3.1 out of space")),
    ("550 at RCPT", lambda d: permanent(d, "rcpt", "550 5.1.1 no such user")),
    ("554 after DATA", lambda d: permanent(d, "data", "554 5.6.0 rejected")),
    ("drop after DATA", lambda d: ambiguous(d, "drop", "", "the server may have it")),
    ("final reply too slow", lambda d: ambiguous(d, ("slow", 2.5), "reply_timeout = 1s\n",
                                                 "the server may have it")),
    ("final reply slow", slow_within_timeout),
    ("no STARTTLS", no_starttls),
    ("wrong password", wrong_password),
    ("past retry_max_age", too_old),
    ("bad config", bad_config),
]


def run_cases(names):
    """Run the named cases (or those the command line names)."""
    S.run_cases([c for c in CASES if c[0] in names or sys.argv[1:]])
