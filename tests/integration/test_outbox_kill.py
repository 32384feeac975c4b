"""test_outbox_kill.py — kill -9 of the daemon while it delivers mail.

  - kill -9 while a message is being sent (the server has it, its reply not
    yet given): the row stays sending; the next start sends it again, same
    bytes and Message-ID, and it ends sent;
  - kill -9 at several moments of a run delivering several messages, then a
    clean run: every message delivered, every copy of a Message-ID identical,
    every row sent (no loss, never two different messages).
Run with /usr/bin/python3; env BIDBROKER.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpsink as S                     # noqa: E402
from smtpsink import fail                # noqa: E402

rows = S.outbox


def kill_while_sending(dir):
    sink = S.Sink(dir)
    try:
        conf = S.write_conf(dir, sink)
        state = os.path.join(dir, "state")
        S.make_store(state, conf)
        rcpt, mid, data = S.message(3)
        i = S.enqueue(state, "member3", rcpt, mid, data)
        sink.plan["data"].append(("slow", 30))
        d = S.Daemon(dir, conf, state)
        if not sink.data_started.wait(15):
            fail("the daemon did not send")
        time.sleep(0.2)
        d.kill()
        row = rows(state, conf)[i]
        if row["state"] != "sending":
            fail("killed while sending, the row is %r" % row)
        d = S.Daemon(dir, conf, state)
        try:
            S.wait_for("the resend", lambda: rows(state, conf)[i]["state"] == "sent")
        finally:
            d.kill(signal.SIGTERM)
        msgs = sink.wait_messages(2)
        if len(msgs) != 2 or any(m[2] != data for m in msgs):
            fail("the two copies differ or are missing: %r" % msgs)
        row = rows(state, conf)[i]
        if row["attempts"] != 2 or row["last_error"] is not None:
            fail("row after the resend: %r" % row)
    finally:
        sink.stop()


def kill_at_moments(dir):
    sink = S.Sink(dir)
    try:
        conf = S.write_conf(dir, sink, "parallel = 2\n")
        state = os.path.join(dir, "state")
        S.make_store(state, conf)
        sent = {}
        for n in range(10, 16):
            rcpt, mid, data = S.message(n)
            S.enqueue(state, "member%d" % n, rcpt, mid, data)
            sent[mid] = data
        sink.plan["data"] = [("slow", 0.3)] * 12
        for delay in (0.2, 0.5, 0.9):
            d = S.Daemon(dir, conf, state)
            time.sleep(delay)
            d.kill()
        d = S.Daemon(dir, conf, state)
        try:
            S.wait_for("every message sent", lambda: all(
                r["state"] == "sent" for r in rows(state, conf).values()), timeout=30)
        finally:
            d.kill(signal.SIGTERM)
        seen = {}
        for frm, rcpts, data in sink.messages:
            mid = [line.split(b": ", 1)[1].decode() for line in data.split(b"\r\n")
                   if line.startswith(b"Message-ID: ")][0]
            if data != sent[mid]:
                fail("a copy of %s differs from the queued message" % mid)
            seen[mid] = seen.get(mid, 0) + 1
        if set(seen) != set(sent):
            fail("lost: %r" % (set(sent) - set(seen)))
    finally:
        sink.stop()


S.run_cases([("kill -9 while sending", kill_while_sending),
             ("kill -9 at moments", kill_at_moments)])
