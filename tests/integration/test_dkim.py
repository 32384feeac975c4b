#!/usr/bin/python3
"""test_dkim.py - DKIM keys from `bidbroker keygen`, a signed sample message,
both signatures verified by dkimpy.

`bidbroker keygen` makes an Ed25519 and an RSA key (mode 0600, never over an
existing key without --force) and prints the DNS TXT records; the unit-test
binary test_mail (MAIL_OUT set) writes the library's sample message signed
with both keys, with a hostile feed title (<script>, CRLF + "Bcc:").  dkimpy
verifies both signatures with the printed records served by a dnsfunc (no
DNS); then the message's shape: CRLF, RFC 2047 subject with "£",
multipart/alternative with text/plain first and text/html last,
quoted-printable lines of at most 76, RFC 8058 headers present and signed,
the title escaped in the HTML and no header injected.  The Ed25519 key as
a PKCS#8 PEM signs alike; a key readable by group is refused; a changed body
fails verification.
"""
import base64
import email
import email.policy
import os
import re
import stat
import subprocess
import sys
import tempfile

import dkim

BIN = os.environ["BIDBROKER"]
TOP = os.environ.get("TOP", os.getcwd())
UNIT = os.path.join(os.environ.get("UNIT_DIR") or os.path.join(TOP, "build", "tests"),
                    "test_mail")
DOMAIN = "digest.example.org"
TITLE = "<script>alert(1)</script>\r\nBcc: victim@example.org"


def keygen(d, selector, *extra, ok=True):
    p = subprocess.run([BIN, "keygen", "--selector", selector, "--domain", DOMAIN,
                        "--dir", d, *extra], capture_output=True, text=True)
    if ok and p.returncode != 0:
        sys.exit(f"keygen {selector} failed: {p.stderr}")
    return p


def record(line, selector):
    """The TXT record text from keygen's zone-file line."""
    m = re.fullmatch(rf'{selector}\._domainkey\.{re.escape(DOMAIN)}\. IN TXT((?: "[^"]*")+)\n',
                     line)
    assert m, f"keygen printed {line!r}"
    return "".join(re.findall(r'"([^"]*)"', m.group(1)))


def write_signed(d, out, keys):
    env = dict(os.environ, MAIL_OUT=out, MAIL_TITLE=TITLE, MAIL_DOMAIN=DOMAIN,
               MAIL_KEY_ED25519=keys["ed"], MAIL_KEY_RSA=keys["rsa"],
               MAIL_SEL_ED25519="ed", MAIL_SEL_RSA="rsa")
    return subprocess.run([UNIT], env=env, capture_output=True, text=True)


def check_shape(raw):
    assert b"\n" not in raw.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in raw.replace(b"\r\n", b""), "a bare CR"
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998, "a line over 998"
    head, _, body = raw.partition(b"\r\n\r\n")
    assert not re.search(rb"(?im)^bcc:", head), "a Bcc header was injected"
    assert b"\xc2" not in head, "raw UTF-8 in a header"
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert "£" in str(msg["Subject"]), msg["Subject"]
    assert re.search(rb"(?m)^Subject: =\?UTF-8\?Q\?", head)
    assert msg.get_content_type() == "multipart/alternative"
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"], parts
    for p in parts:
        assert p["Content-Transfer-Encoding"] == "quoted-printable"
        assert p.get_content_charset() == "utf-8"
    # QP lines in the body: at most 76, no trailing whitespace
    for line in body.split(b"\r\n"):
        assert len(line) <= 76, f"a body line of {len(line)}: {line!r}"
        assert not line.endswith((b" ", b"\t")), f"trailing whitespace: {line!r}"
    html = parts[1].get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, html
    assert "£12,000" in html
    lu = str(msg["List-Unsubscribe"])
    assert re.search(r"<https://[^>]+>", lu) and "mailto:" in lu, lu
    assert str(msg["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"


def signed_fields(raw, i):
    sigs = [v for k, v in email.message_from_bytes(raw).items() if k.lower() == "dkim-signature"]
    tags = dict(t.strip().split("=", 1) for t in re.sub(r"\s+", "", sigs[i]).split(";") if t)
    return tags["a"], tags["h"].lower().split(":")


def main():
    with tempfile.TemporaryDirectory() as d:
        kd = os.path.join(d, "keys")
        ed = keygen(kd, "ed")
        rsa = keygen(kd, "rsa", "--rsa")
        txt = {"ed": record(ed.stdout, "ed"), "rsa": record(rsa.stdout, "rsa")}
        assert txt["ed"].startswith("v=DKIM1; k=ed25519; p=") and len(txt["ed"]) == 22 + 44
        assert txt["rsa"].startswith("v=DKIM1; k=rsa; p=MII")
        keys = {s: os.path.join(kd, s + ".private") for s in ("ed", "rsa")}
        for k in keys.values():
            assert stat.S_IMODE(os.stat(k).st_mode) == 0o600, oct(os.stat(k).st_mode)
        assert open(os.path.join(kd, "ed.txt")).read() == ed.stdout

        # never over an existing key without --force
        before = open(keys["ed"], "rb").read()
        again = keygen(kd, "ed", ok=False)
        assert again.returncode == 1 and "exists" in again.stderr and "--force" in again.stderr, \
            again
        assert open(keys["ed"], "rb").read() == before
        forced = keygen(kd, "ed", "--force")
        assert open(keys["ed"], "rb").read() != before
        txt["ed"] = record(forced.stdout, "ed")
        bad = keygen(kd, "bad;sel", ok=False)
        assert bad.returncode == 2, bad

        out = os.path.join(d, "signed.eml")
        p = write_signed(d, out, keys)
        assert p.returncode == 0, p.stdout + p.stderr
        raw = open(out, "rb").read()

        def dnsfunc(name, timeout=5):
            name = name.decode() if isinstance(name, bytes) else name
            for s, t in txt.items():
                if name.rstrip(".") == f"{s}._domainkey.{DOMAIN}":
                    return t.encode()
            return None

        d_ = dkim.DKIM(raw)
        for i, alg in ((0, "rsa-sha256"), (1, "ed25519-sha256")):
            a, h = signed_fields(raw, i)
            assert a == alg, (i, a)
            assert d_.verify(idx=i, dnsfunc=dnsfunc), f"{alg} signature does not verify"
            for f in ("from", "to", "subject", "date", "message-id", "mime-version",
                      "content-type", "list-id", "list-unsubscribe", "list-unsubscribe-post"):
                assert f in h, (alg, f, h)
        check_shape(raw)

        # a changed body fails both
        bad_raw = raw.replace(b"Value: =C2=A312,000", b"Value: =C2=A319,000", 1)
        assert bad_raw != raw
        for i in (0, 1):
            try:
                ok = dkim.DKIM(bad_raw).verify(idx=i, dnsfunc=dnsfunc)
            except dkim.ValidationError:    # "body hash mismatch"
                ok = False
            assert not ok, f"signature {i} verifies a changed body"

        # the same Ed25519 key as a PKCS#8 PEM (openssl genpkey's form) signs alike
        seed = base64.b64decode(open(keys["ed"]).read())
        der = bytes.fromhex("302e020100300506032b657004220420") + seed
        pem = os.path.join(kd, "ed.pem")
        with open(os.open(pem, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(der).decode() +
                    "\n-----END PRIVATE KEY-----\n")
        out2 = os.path.join(d, "pem.eml")
        p = write_signed(d, out2, dict(keys, ed=pem))
        assert p.returncode == 0, p.stdout + p.stderr
        raw2 = open(out2, "rb").read()
        assert dkim.DKIM(raw2).verify(idx=1, dnsfunc=dnsfunc), "PEM Ed25519 key"

        # a key readable by group is refused
        os.chmod(keys["rsa"], 0o640)
        p = write_signed(d, os.path.join(d, "x.eml"), keys)
        assert p.returncode != 0 and "chmod 600" in p.stdout + p.stderr, p.stdout + p.stderr
        assert not os.path.exists(os.path.join(d, "x.eml"))
    print("test_dkim: ok")


if __name__ == "__main__":
    main()
