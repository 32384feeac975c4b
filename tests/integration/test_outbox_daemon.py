"""test_outbox_daemon.py — the daemon's outbox service (kill -9: test_outbox_kill.py).

  - maildir (the default transport, STATE/maildir): a message queued while
    the daemon runs is delivered within seconds, byte for byte, into new/;
    `outbox --send` next to the daemon says the daemon delivers and exits 0;
  - a crash between the maildir's rename and the outbox update (the row put
    back to sending by hand): delivered once only, no second file;
  - SIGHUP during a slow delivery: the new generation sends it again and it
    ends sent; SIGTERM during one: exit 0 at once, the row is retry, not
    sending.
Run with /usr/bin/python3; env BIDBROKER.
"""
import glob
import os
import signal
import sqlite3
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpsink as S                     # noqa: E402
from smtpsink import fail                # noqa: E402


rows = S.outbox


def maildir_daemon(dir):
    port = S.free_port()
    conf = S.write_conf(dir, listen="127.0.0.1:%d" % port)
    state = os.path.join(dir, "state")
    S.make_store(state, conf)
    d = S.Daemon(dir, conf, state)
    try:
        time.sleep(0.5)
        rcpt, mid, data = S.message(1)
        i = S.enqueue(state, "member1", rcpt, mid, data)
        S.wait_for("the daemon to deliver into the maildir",
                   lambda: rows(state, conf)[i]["state"] == "sent")
        files = glob.glob(os.path.join(state, "maildir", "new", "*"))
        if len(files) != 1:
            fail("maildir/new holds %r" % files)
        with open(files[0], "rb") as f:
            if f.read() != data:
                fail("the maildir copy differs from the message")
        if glob.glob(os.path.join(state, "maildir", "tmp", "*")):
            fail("a file was left in maildir/tmp")
        p = S.run(["outbox", "--send"], state, conf, check=0)
        if "already delivering mail" not in p.stderr or "it delivers" not in p.stderr:
            fail("--send next to the daemon: " + p.stderr)
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read()
        for want in (b'bidbroker_outbox_deliveries_total{outcome="sent"} 1',
                     b'bidbroker_outbox_messages{state="sent"} 1',
                     b'bidbroker_outbox_messages{state="queued"} 0'):
            if want not in text:
                fail("/metrics lacks %r:\n%s" % (want, text.decode()))
    finally:
        if d.kill(signal.SIGTERM) != 0:
            fail("the daemon did not exit 0 on SIGTERM")


def maildir_crash_after_rename(dir):
    conf = S.write_conf(dir)
    state = os.path.join(dir, "state")
    S.make_store(state, conf)
    rcpt, mid, data = S.message(2)
    i = S.enqueue(state, "member2", rcpt, mid, data)
    S.run(["outbox", "--send"], state, conf, check=0)
    # the crash: the file is in new/ but the row still says sending
    db = sqlite3.connect(os.path.join(state, "bidbroker.db"))
    with db:
        db.execute("UPDATE outbox SET state = 'sending', sent_at = NULL WHERE id = ?", (i,))
    db.close()
    # a reader moved it to cur/ meanwhile, with flags
    (f,) = glob.glob(os.path.join(state, "maildir", "new", "*"))
    os.rename(f, os.path.join(state, "maildir", "cur", os.path.basename(f) + ":2,S"))
    p = S.run(["outbox", "--send"], state, conf, check=0)
    if "1 sent" not in p.stdout:
        fail("after the crash: " + p.stdout)
    files = glob.glob(os.path.join(state, "maildir", "*", "*"))
    if len(files) != 1:
        fail("delivered twice into the maildir: %r" % files)
    row = rows(state, conf)[i]
    if row["state"] != "sent" or row["attempts"] != 2:
        fail("row %r" % row)


def hup_and_term(dir):
    sink = S.Sink(dir)
    try:
        conf = S.write_conf(dir, sink)
        state = os.path.join(dir, "state")
        S.make_store(state, conf)
        rcpt, mid, data = S.message(20)
        i = S.enqueue(state, "member20", rcpt, mid, data)
        sink.plan["data"] = [("slow", 30)]
        d = S.Daemon(dir, conf, state)
        if not sink.data_started.wait(15):
            fail("the daemon did not send")
        sink.data_started.clear()
        d.p.send_signal(signal.SIGHUP)
        # the reload stops the delivery and the new generation sends it again
        S.wait_for("the message sent after SIGHUP",
                   lambda: rows(state, conf)[i]["state"] == "sent")
        if d.p.poll() is not None:
            fail("the daemon died on SIGHUP")
        if any(m[2] != data for m in sink.wait_messages(2)):
            fail("a copy differs after SIGHUP")
        # SIGTERM while sending: exit 0 without waiting, the row is retry
        sink.data_started.clear()
        sink.plan["data"] = [("slow", 30)]
        rcpt, mid, data = S.message(21)
        j = S.enqueue(state, "member21", rcpt, mid, data)
        if not sink.data_started.wait(15):
            fail("the daemon did not send the second message")
        t = time.monotonic()
        if d.kill(signal.SIGTERM) != 0 or time.monotonic() - t > 10:
            fail("SIGTERM during a delivery: not a prompt exit 0")
        if rows(state, conf)[j]["state"] != "retry":
            fail("after SIGTERM the row is %r" % rows(state, conf)[j])
    finally:
        sink.stop()


S.run_cases([("maildir daemon", maildir_daemon),
             ("maildir crash after rename", maildir_crash_after_rename),
             ("SIGHUP and SIGTERM", hup_and_term)])
