#!/usr/bin/env python3
"""test_layers.py - includes point only downward.

The source folders are floors (docs/ARCHITECTURE.md).  A file may include
headers of its own floor or of a lower one, never of a higher one, and the
sibling folders mail/ and http/ never include each other.  A header in
include/bidbroker/ belongs to the folder that holds the .c of the same name
(or the folder named in OWNER for the few without one); a private header
sits beside its .c.  Also fails when a header in include/bidbroker/ is used
by one folder only and no test (it should sit beside its .c), or a folder is unknown.
Prints every offending line as FILE:LINE: message.
"""
import os
import re
import sys

TOP = os.environ.get("TOP") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))

# floor of each folder: a file may include from floors <= its own
FLOORS = {
    "daemon/base": 0,
    "daemon/model": 1,
    "daemon/event": 2,
    "matchers/register": 2,
    "matchers/engine": 3,
    "daemon/store": 3,
    "daemon/ingest": 4,
    "daemon/mail": 4,
    "daemon/http": 4,
    "daemon": 5,
    "daemon/cli": 6,
}
# folders on one floor that must not include each other
SIBLINGS = [("daemon/mail", "daemon/http"), ("daemon/mail", "daemon/ingest"),
            ("daemon/http", "daemon/ingest")]
# headers that have no .c of their own name
OWNER = {"cli.h": "daemon/cli", "http.h": "daemon/http",
         "source.h": "daemon/ingest", "store.h": "daemon/store"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def sources():
    for root in ("daemon", "matchers"):
        for dirpath, _, files in os.walk(os.path.join(TOP, root)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), TOP)


def main():
    errors = []
    owner = dict(OWNER)
    files = list(sources())
    for f in files:
        if f.endswith(".c"):
            owner.setdefault(os.path.basename(f)[:-2] + ".h", os.path.dirname(f))
    headers = sorted("include/bidbroker/" + h
                     for h in os.listdir(os.path.join(TOP, "include", "bidbroker")))
    users = {}
    for f in files + headers:
        # a public header sits on the floor of the folder that owns it
        folder = owner.get(os.path.basename(f), "?") if f.startswith("include/") \
            else os.path.dirname(f)
        if folder not in FLOORS:
            errors.append(f"{f}:1: folder {folder} has no floor in tests/static/test_layers.py")
            continue
        with open(os.path.join(TOP, f), encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                if not inc.startswith("bidbroker/"):
                    if not os.path.exists(os.path.join(TOP, os.path.dirname(f), inc)):
                        errors.append(f"{f}:{n}: private header {inc} is not beside it")
                    continue
                h = inc[len("bidbroker/"):]
                if not os.path.exists(os.path.join(TOP, "include", inc)):
                    errors.append(f"{f}:{n}: no header include/{inc}")
                    continue
                dest = owner.get(h)
                if dest is None:
                    errors.append(f"{f}:{n}: header {inc} has no owning folder")
                    continue
                if not f.startswith("include/"):
                    users.setdefault(h, set()).add(folder)
                if FLOORS[dest] > FLOORS[folder]:
                    errors.append(f"{f}:{n}: {folder} (floor {FLOORS[folder]}) includes "
                                  f"{inc} from {dest} (floor {FLOORS[dest]}): upward")
                for a, b in SIBLINGS:
                    if {folder, dest} == {a, b}:
                        errors.append(f"{f}:{n}: {folder} includes {inc} from sibling {dest}")
    for dirpath, _, tfiles in os.walk(os.path.join(TOP, "tests")):
        for f in tfiles:
            if f.endswith((".c", ".h")):
                with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                    for line in fh:
                        m = INCLUDE.match(line)
                        if m and m.group(1).startswith("bidbroker/"):
                            users.setdefault(m.group(1)[len("bidbroker/"):], set()).add("tests")
    for h in sorted(os.listdir(os.path.join(TOP, "include", "bidbroker"))):
        used = users.get(h, set()) | {owner.get(h)}
        if len(used) == 1 and h not in OWNER:
            errors.append(f"include/bidbroker/{h}:1: used only in {owner.get(h)}: "
                          "a private header sits beside its .c")
    for e in errors:
        print(e)
    print(f"layers: {len(files) + len(headers)} files, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
