"""test_outbox_smtp_faults.py — `bidbroker outbox --send` against a server
that misbehaves: the connection dropped after the message and a final reply
slower than [mail] reply_timeout (retried, the same bytes and Message-ID
twice at the server), a slow reply within it (sent once), no STARTTLS
offered (nothing sent, no AUTH in clear), a wrong password (retry, not
failed), a message past retry_max_age (failed), and bad [mail] settings and
a world-readable credentials file in check-config.  The cases are in
smtpcases.py.  Run with /usr/bin/python3; env BIDBROKER.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpcases  # noqa: E402

smtpcases.run_cases(["drop after DATA", "final reply too slow", "final reply slow",
                     "no STARTTLS", "wrong password", "past retry_max_age", "bad config"])
