#!/usr/bin/python3
"""The shipped taxonomy's strong rules read the opening of a description (its
first sentence), where buyers restate what they buy.  Procurement boilerplate
that also opens descriptions must not make a capability required there:
"an initial term with an optional extension", "in due course", "IT support
services", "debt recovery", "Microsoft Windows".  And the trade's own words
still do ("replacement windows", "a single storey extension to the school",
"recovery houses", "training courses for staff").

Each case is one synthetic Contracts Finder-shaped release (ingested with
`ingest`) whose title and CPV say nothing (79410000, business consultancy, is
out of scope in conf/cpv-coverage.conf), so only the description decides;
`explain --json` gives the required capabilities.
"""
import json
import os

from matchutil import Env, NOW_2022, fail

NOT = [
    ("a1", "The contract will run for an initial term of two years with an optional "
           "extension of one year.", "building-works"),
    ("a2", "Suppliers will be notified in due course of the outcome.", "training"),
    ("a3", "The Council requires IT support services for its finance system.", "care"),
    ("a4", "The Authority seeks a partner for debt recovery services.", "care"),
    ("a5", "Licences for Microsoft Windows desktops and servers are required.",
     "building-works"),
    ("a6", "The buyer reserves the right to award through a course of negotiation.",
     "training"),
    ("a7", "Services will be delivered over the course of the contract term.", "training"),
]
YES = [
    ("b1", "Supply and installation of replacement windows at three sheltered schemes.",
     "building-works"),
    ("b2", "Construction of a single storey extension to the primary school.",
     "building-works"),
    ("b3", "Provision of recovery houses for people leaving residential treatment.",
     "care"),
    ("b4", "Delivery of training courses for frontline staff.", "training"),
    ("b5", "Minor adaptations to council homes for disabled tenants.", "building-works"),
]


def release(rid, desc):
    return {
        "ocid": "ocds-b5fd17-test-" + rid, "id": "test-" + rid + "-1",
        "date": "2022-10-20T09:00:00+01:00", "tag": ["tender"],
        "initiationType": "tender",
        "tender": {
            "id": "test-" + rid, "title": "Requirement " + rid.upper(),
            "description": desc, "status": "active",
            "classification": {"scheme": "CPV", "id": "79410000",
                               "description": "Business and management consultancy services"},
            "value": {"amount": 10000, "currency": "GBP"},
            "tenderPeriod": {"endDate": "2022-11-30T12:00:00Z"},
            "items": [{"id": "1", "deliveryAddresses": [{"region": "West Midlands"}]}],
        },
        "buyer": {"id": "GB-TEST-1", "name": "Test Council"},
        "parties": [{"id": "GB-TEST-1", "name": "Test Council", "roles": ["buyer"]}],
    }


def main():
    env = Env()
    try:
        path = os.path.join(env.dir, "boilerplate.json")
        with open(path, "w") as f:
            json.dump({"uri": "https://example.invalid/test", "version": "1.1",
                       "publishedDate": "2022-10-20T09:00:00Z",
                       "releases": [release(r, d) for r, d, _ in NOT + YES]}, f)
        env.run("ingest", path, now=NOW_2022)
        rows = {o["title"]: o["id"] for o in env.json_lines("list", "--json")}
        for cases, want in ((NOT, False), (YES, True)):
            for rid, desc, cap in cases:
                title = "Requirement " + rid.upper()
                if title not in rows:
                    fail("%s was not stored" % title)
                j = json.loads(env.run("explain", str(rows[title]), "--json",
                                       now=NOW_2022).stdout)
                req = sorted(r["capability"] for r in j["requires"] if r.get("required", True))
                if (cap in req) != want:
                    fail("%r: %s should %sbe required, requires %r"
                         % (desc, cap, "" if want else "not ", req))
        print("boilerplate: %d openings that name no work, %d that do: as expected"
              % (len(NOT), len(YES)))
    finally:
        env.cleanup()


if __name__ == "__main__":
    main()
