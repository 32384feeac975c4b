#!/usr/bin/python3
"""Write a large Contracts Finder-shaped OCDS search page for measuring
`bidbroker ingest` memory: the releases of the bundled fixture page repeated
with fresh ids until the file reaches the size asked for (default 60 MB).

    /usr/bin/python3 tests/bench/big_ocds.py /tmp/big.json 60
    /usr/bin/time -v ./bidbroker --state-dir /tmp/bigstate ingest /tmp/big.json
"""
import json
import os
import sys
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(TOP, "tests", "fixtures", "ocds", "cf-search-2025-01-20to23-page1.json")


def main():
    out = sys.argv[1]
    mb = float(sys.argv[2]) if len(sys.argv) > 2 else 60
    with open(FIXTURE, "rb") as f:
        page = json.load(f)
    base = page["releases"]
    want = int(mb * 1000 * 1000)
    with open(out, "w") as f:
        f.write('{"uri": "https://www.contractsfinder.service.gov.uk/big", "releases": [\n')
        size, n = 0, 0
        while size < want:
            r = json.loads(json.dumps(base[n % len(base)]))
            guid = str(uuid.UUID(int=n + 1))
            r["id"] = "%s-%d" % (guid, 100000 + n)
            r["ocid"] = "ocds-b5fd17-" + guid
            s = (",\n" if n else "") + json.dumps(r, ensure_ascii=False)
            f.write(s)
            size += len(s.encode())
            n += 1
        f.write('\n], "links": {"next": null}}\n')
    print("%s: %d releases, %d bytes" % (out, n, os.path.getsize(out)))


if __name__ == "__main__":
    main()
