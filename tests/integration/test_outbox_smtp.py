"""test_outbox_smtp.py — `bidbroker outbox --send` over SMTP (STARTTLS, a
checked certificate, AUTH) to a server on 127.0.0.1: a good delivery byte for
byte, 451 at RCPT and 452 after DATA retried then sent, 550 at RCPT and 554
after DATA failed and never retried until `outbox --retry`.  The cases are in
smtpcases.py.  Run with /usr/bin/python3; env BIDBROKER.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpcases  # noqa: E402

smtpcases.run_cases(["good delivery", "451 at RCPT", "452 after DATA", "550 at RCPT",
                     "554 after DATA"])
