"""Integration: ingest, list and show through the real binary.

Ingests every bundled OCDS fixture into a fresh state directory, checks the
per-file report, idempotency (a second run changes nothing, byte for byte),
the list filters and JSON shape, show, and that malformed input is reported
clearly without losing anything already stored.
"""
import glob
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

BIN = os.environ["BIDBROKER"]
FIX = os.environ.get("FIXTURES", "tests/fixtures")
OCDS = sorted(glob.glob(os.path.join(FIX, "ocds", "*.json")))
NOW = "2022-10-24T12:00:00Z"


def run(state, *args, conf=None, check=True):
    cmd = [BIN, "--state", state]
    if conf:
        cmd += ["--config", conf]
    cmd += list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        sys.exit(f"FAIL: {cmd} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def fail(msg):
    sys.exit("FAIL: " + msg)


def dump_rows(state):
    db = sqlite3.connect(os.path.join(state, "bidbroker.db"))
    rows = db.execute("SELECT * FROM opportunity ORDER BY id").fetchall()
    db.close()
    return rows


def list_json(state, *args):
    p = run(state, "--now", NOW, "list", "--json", *args)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def main():
    with tempfile.TemporaryDirectory() as state:
        # --- first ingest: every file reports counts, nothing fails
        p = run(state, "ingest", *OCDS)
        for f in OCDS:
            if not any(line.startswith(f + ":") and " new, " in line
                       for line in p.stdout.splitlines()):
                fail(f"no report line for {f}:\n{p.stdout}")
        if "total:" not in p.stdout:
            fail("no total line")
        rows1 = dump_rows(state)
        if len(rows1) < 250:
            fail(f"expected hundreds of notices, got {len(rows1)}")

        # --- second ingest: all unchanged, store byte-for-byte the same
        p = run(state, "ingest", *OCDS)
        for line in p.stdout.splitlines():
            if line.startswith("total:") or line.startswith("  "):
                continue
            if " 0 new, 0 updated," not in line:
                fail(f"second ingest changed something: {line}")
        if dump_rows(state) != rows1:
            fail("second ingest modified stored rows")

        # --- list --json: required keys on every line
        allrows = list_json(state)
        need = ["id", "source", "notice_id", "ocid", "title", "buyer", "value_max",
                "value_min", "value_stated", "currency", "deadline", "published", "cpv",
                "regions", "postcodes", "url", "status", "amended", "suitable_sme",
                "suitable_vcse"]
        for o in allrows:
            missing = [k for k in need if k not in o]
            if missing:
                fail(f"list --json misses {missing}: {o}")
        if len(allrows) != len(rows1):
            fail(f"list shows {len(allrows)} of {len(rows1)} rows")

        # --- open + low value at NOW
        low = list_json(state, "--open", "--low-value")
        if not low:
            fail("no open low-value opportunities at " + NOW)
        for o in low:
            if o["value_stated"] and o["value_max"] > 25000:
                fail(f"--low-value let through {o['value_max']}: {o['title']}")
            if o["deadline"] and o["deadline"] <= NOW:
                fail(f"--open let through a closed notice: {o}")
            if o["stage"] != "tender":
                fail(f"--open let through stage {o['stage']}")
        titles = {o["title"] for o in low}
        # a £20,000 Regent Theatre tender (tender + amendment folded into one)
        regent = [o for o in low if o["title"].startswith("Regent Theatre Back of House")]
        if len(regent) != 1:
            fail(f"Regent Theatre tender should appear once, got {len(regent)}")
        if regent[0]["value_max"] != 20000 or not regent[0]["amended"]:
            fail(f"Regent Theatre: {regent[0]}")
        # value not stated is kept and flagged, never dropped
        if not any(not o["value_stated"] and o["value_max"] is None for o in low):
            fail("no value-not-stated notice kept by --low-value")
        # notices not yet published at NOW (2025 data) are not open
        if any(o["published"] and o["published"] > NOW for o in low):
            fail("a notice published after --now is listed as open")
        # an above-cap notice is excluded
        allopen = list_json(state, "--open")
        big = [o for o in allopen if o["value_stated"] and o["value_max"] > 25000]
        if not big:
            fail("expected some open notices above £25,000")
        if any(o["title"] in titles and o["value_stated"] and o["value_max"] > 25000
               for o in big if o in low):
            fail("above-cap notice in --low-value")

        # --- region filter: West Midlands = UKG
        wm = list_json(state, "--open", "--region", "UKG")
        if not wm or not any("Ward End Park" in o["title"] for o in wm):
            fail(f"--region UKG misses Ward End Park: {[o['title'] for o in wm]}")
        for o in wm:
            if not (o["anywhere"] or any(r.startswith("UKG") or "UKG".startswith(r)
                                          for r in o["regions"])):
                fail(f"--region UKG let through {o['regions']}")

        # --- cpv prefix
        cat = list_json(state, "--cpv", "555")
        if not any(c.startswith("555") for o in cat for c in o["cpv"]):
            fail("--cpv 555 found no catering notice")
        for o in cat:
            if not any(c.startswith("555") for c in o["cpv"]):
                fail(f"--cpv 555 let through {o['cpv']}")

        # --- FTS UK4 notice, concrete values
        fts = [o for o in allrows if o["notice_id"] == "032703-2026"]
        if len(fts) != 1:
            fail("FTS notice 032703-2026 missing")
        f = fts[0]
        if (f["source"] != "fts" or f["value_max"] != 33721 or f["value_gross"] != 40465.2
                or f["regions"] != ["UKE2"] or sorted(f["cpv"]) != ["09323000", "79314000"]
                or f["above_threshold"] is not False):
            fail(f"FTS UK4 notice wrong: {f}")

        # --- show (text and JSON)
        p = run(state, "show", str(f["id"]))
        if "HARROGATE TOWN DISTRICT HEATING" not in p.stdout or "UKE2" not in p.stdout:
            fail("show text lacks title/region:\n" + p.stdout)
        p = run(state, "show", "--json", str(f["id"]))
        j = json.loads(p.stdout)
        if j["raw"]["id"] != "032703-2026" or "description" not in j:
            fail("show --json lacks raw/description")
        p = run(state, "show", "999999", check=False)
        if p.returncode != 1 or "no opportunity" not in p.stderr:
            fail(f"show of a missing id: rc {p.returncode} {p.stderr}")

        # --- malformed input: clear error, nothing stored is lost
        before = dump_rows(state)
        with tempfile.TemporaryDirectory() as tmp:
            trunc = os.path.join(tmp, "truncated.json")
            with open(OCDS[0], "rb") as src:
                data = src.read()
            with open(trunc, "wb") as out:
                out.write(data[: len(data) // 2])
            p = run(state, "ingest", trunc, check=False)
            if p.returncode != 1 or "truncated.json" not in p.stderr or "line" not in p.stderr:
                fail(f"truncated JSON: rc {p.returncode}, stderr {p.stderr!r}")
            if dump_rows(state) != before:
                fail("truncated file changed the store")

            # one release with a wrong type: rejected with where and why; others kept
            pkg = json.load(open(os.path.join(FIX, "ocds", "cf-search-2022-10-22-page1.json")))
            pkg["releases"][3]["tender"]["title"] = 12345
            pkg["releases"][5]["tender"]["value"] = {"amount": "lots"}
            for r in pkg["releases"]:
                r["id"] = "00000000-0000-0000-0000-" + r["id"][24:36] + "-1"
                r["ocid"] = r["ocid"] + "-copy"
                r["date"] = "2022-10-22T10:00:00Z"
                for d in r["tender"].get("documents", []):
                    d["url"] = ""
            bad = os.path.join(tmp, "badtypes.json")
            json.dump(pkg, open(bad, "w"))
            p = run(state, "ingest", bad, check=False)
            if p.returncode != 0:
                fail(f"a file with two bad releases should still ingest: {p.stderr}")
            if p.stdout.count("rejected: ") < 2 or "release 3" not in p.stdout:
                fail("bad releases not reported with where and why:\n" + p.stdout)

            p = run(state, "ingest", os.path.join(tmp, "missing.json"), check=False)
            if p.returncode != 1 or "missing.json" not in p.stderr:
                fail("a missing file must fail with its name")
        after = dump_rows(state)
        if after[: len(before)] != before:
            fail("rows stored before malformed input were changed")

        # --- every command has --help
        for cmd in ["ingest", "list", "show", "check-config"]:
            p = run(state, cmd, "--help")
            if "usage: bidbroker" not in p.stdout:
                fail(f"{cmd} --help")
        p = run(state, "--version")
        if not p.stdout.startswith("bidbroker "):
            fail("--version")
    print("ingest/list/show: ok")


main()
