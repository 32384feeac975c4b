"""Score the matching engine's `requires` against the hand labels in
tests/fixtures/labels/*.tsv (issue #8 item 8).

A module (used by test_match_labels.py) and a command:

    BIDBROKER=$PWD/bidbroker TOP=$PWD FIXTURES=$PWD/tests/fixtures \\
        /usr/bin/python3 tests/integration/labelscore.py \\
        [--labels FILE]... [--min-recall R] [--min-precision P] [--json]

It builds a scratch environment with matchutil.Env (the shipped taxonomy, the
golden member register, the CPV 2008 reference), ingests every file of
tests/fixtures/ocds/, runs `bidbroker explain --json ID` for every labelled
notice and compares the capabilities the engine *requires* with the labels.
A `requires` entry counts when its "required" is true, or when it has no
"required" key (engines before #8 item 5 knew no incidental requirements).

It prints precision and recall per capability and overall (micro-averaged over
(notice, capability) pairs), then every false negative (labelled, not
required) and false positive (required, not labelled) with the notice's title
and the engine's reasons.  Exit status: 0, or 1 when --min-recall or
--min-precision is given and the overall figure is below it, or when a
labelled notice is not stored or names an unknown capability.

From a test:

    import labelscore
    s = labelscore.measure()          # raises labelscore.LabelError on bad labels
    print(s.report())                 # per-capability table, FN and FP lists
    if s.recall() < 0.95 or s.precision() < 0.90: fail(s.summary())

or simply `sys.exit(labelscore.main(["--min-recall", "0.95", "--min-precision", "0.90"]))`.

Label file format: see the header of tests/fixtures/labels/fixture-notices.tsv.
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import matchutil  # noqa: E402  (sets BIN, TOP, FIXTURES from the environment)

LABELS_DIR = os.path.join(matchutil.FIXTURES, "labels")
DEFAULT_LABELS = sorted(glob.glob(os.path.join(LABELS_DIR, "*.tsv")))


class LabelError(Exception):
    pass


def load_labels(paths):
    """{notice_id: (frozenset of capabilities, why, "FILE:LINE")} from the TSV files."""
    labels = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                where = "%s:%d" % (path, n)
                cols = line.split("\t")
                if len(cols) != 3:
                    raise LabelError("%s: expected 3 TAB-separated columns, got %d"
                                     % (where, len(cols)))
                nid, caps, why = (c.strip() for c in cols)
                if nid in labels:
                    raise LabelError("%s: notice %s is already labelled at %s"
                                     % (where, nid, labels[nid][2]))
                if caps == "-":
                    cs = frozenset()
                else:
                    parts = caps.split(",")
                    if any(not p for p in parts):
                        raise LabelError("%s: empty capability in %r" % (where, caps))
                    cs = frozenset(parts)
                labels[nid] = (cs, why, where)
    return labels


def taxonomy_ids(path=matchutil.TAXONOMY):
    ids = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("[capability ") and line.endswith("]"):
                ids.add(line[len("[capability "):-1].strip())
    return ids


def required_of(explain):
    """{capability: [reasons]} of the requirements an explain --json document
    counts as required."""
    out = {}
    for r in explain.get("requires", []):
        if r.get("required", True) is True:
            out[r["capability"]] = r.get("reasons", [])
    return out


def _reason_text(reasons):
    parts = []
    for r in reasons or []:
        if isinstance(r, dict):
            t = "%s %s" % (r.get("kind") or "", r.get("rule") or "")
            if r.get("matched"):
                t += " matched %r in %s" % (r["matched"], r.get("field") or "?")
            parts.append(t.strip())
        else:
            parts.append(str(r))
    return "; ".join(parts)


class Score:
    def __init__(self, labels, got, titles):
        self.labels = labels          # {nid: (caps, why, where)}
        self.got = got                # {nid: {cap: reasons}}
        self.titles = titles          # {nid: title}
        self.caps = sorted(set(c for v in labels.values() for c in v[0])
                           | set(c for v in got.values() for c in v))
        self.tp, self.fp, self.fn = {}, {}, {}
        self.misses = []              # (kind, nid, cap)
        for nid, (want, _why, _where) in labels.items():
            have = set(got[nid])
            for c in self.caps:
                if c in want and c in have:
                    self.tp[c] = self.tp.get(c, 0) + 1
                elif c in want:
                    self.fn[c] = self.fn.get(c, 0) + 1
                    self.misses.append(("FN", nid, c))
                elif c in have:
                    self.fp[c] = self.fp.get(c, 0) + 1
                    self.misses.append(("FP", nid, c))

    @staticmethod
    def _ratio(a, b):
        return a / b if b else 1.0

    def precision(self, cap=None):
        tp = self.tp.get(cap, 0) if cap else sum(self.tp.values())
        fp = self.fp.get(cap, 0) if cap else sum(self.fp.values())
        return self._ratio(tp, tp + fp)

    def recall(self, cap=None):
        tp = self.tp.get(cap, 0) if cap else sum(self.tp.values())
        fn = self.fn.get(cap, 0) if cap else sum(self.fn.values())
        return self._ratio(tp, tp + fn)

    def summary(self):
        return "P=%.2f R=%.2f (%d notices, %d labelled requirements, TP %d, FP %d, FN %d)" % (
            self.precision(), self.recall(), len(self.labels),
            sum(len(v[0]) for v in self.labels.values()),
            sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values()))

    def report(self):
        lines = ["%-16s %5s %5s %5s %6s %6s" % ("capability", "TP", "FP", "FN",
                                                 "prec", "recall")]
        for c in self.caps:
            lines.append("%-16s %5d %5d %5d %6.2f %6.2f" % (
                c, self.tp.get(c, 0), self.fp.get(c, 0), self.fn.get(c, 0),
                self.precision(c), self.recall(c)))
        lines.append("%-16s %5d %5d %5d %6.2f %6.2f" % (
            "overall", sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values()),
            self.precision(), self.recall()))
        for kind, head in (("FN", "False negatives (labelled, not required by the engine):"),
                           ("FP", "False positives (required by the engine, not labelled):")):
            rows = sorted((c, nid) for k, nid, c in self.misses if k == kind)
            lines.append("")
            lines.append("%s %d" % (head, len(rows)))
            for c, nid in rows:
                want, why, _where = self.labels[nid]
                lines.append("  %-14s %s  %s" % (c, nid, self.titles.get(nid, "?")))
                lines.append("      label: %s — %s" % (",".join(sorted(want)) or "-", why))
                have = self.got[nid]
                lines.append("      engine: %s" % (",".join(sorted(have)) or "-"))
                if kind == "FP":
                    lines.append("      reasons: %s" % _reason_text(have[c])[:300])
        return "\n".join(lines)

    def as_json(self):
        return {
            "precision": self.precision(), "recall": self.recall(),
            "per_capability": {c: {"tp": self.tp.get(c, 0), "fp": self.fp.get(c, 0),
                                   "fn": self.fn.get(c, 0), "precision": self.precision(c),
                                   "recall": self.recall(c)} for c in self.caps},
            "false_negatives": [{"notice": nid, "capability": c, "title": self.titles.get(nid)}
                                for k, nid, c in self.misses if k == "FN"],
            "false_positives": [{"notice": nid, "capability": c, "title": self.titles.get(nid)}
                                for k, nid, c in self.misses if k == "FP"],
        }


def measure(label_paths=None, env=None):
    """Ingest the fixtures into a scratch environment (or use env), run explain
    on every labelled notice, return a Score.  Raises LabelError on a bad label
    file, a label naming an unknown capability, or a notice that is not stored."""
    label_paths = label_paths or DEFAULT_LABELS
    if not label_paths:
        raise LabelError("no label files in %s" % LABELS_DIR)
    labels = load_labels(label_paths)
    known = taxonomy_ids()
    for nid, (caps, _why, where) in labels.items():
        unknown = caps - known
        if unknown:
            raise LabelError("%s: unknown capability %s (not in %s)"
                             % (where, ", ".join(sorted(unknown)), matchutil.TAXONOMY))
    own = env is None
    if own:
        env = matchutil.Env()
    try:
        if own:
            files = sorted(os.listdir(matchutil.OCDS))
            env.run("ingest", *[os.path.join(matchutil.OCDS, f) for f in files])
        listing = env.json_lines("list", "--json")
        rows = {o["notice_id"]: o for o in listing}
        missing = sorted(n for n in labels if n not in rows)
        if missing:
            raise LabelError("labelled notices not stored: %s (%s)"
                             % (", ".join(missing), labels[missing[0]][2]))
        unlabelled = sorted(o["notice_id"] for o in listing
                            if o["stage"] == "tender" and o["status"] == "active"
                            and o["notice_id"] not in labels)
        if unlabelled:
            print("labelscore: note: %d open tender notices have no label: %s"
                  % (len(unlabelled), ", ".join(unlabelled)), file=sys.stderr)
        got = {}
        for nid in labels:
            out = env.run("explain", "--json", str(rows[nid]["id"])).stdout
            got[nid] = required_of(json.loads(out))
        return Score(labels, got, {n: rows[n]["title"] for n in labels})
    finally:
        if own:
            env.cleanup()


def main(argv=None):
    ap = argparse.ArgumentParser(description="precision and recall of the engine's "
                                 "requires against hand labels")
    ap.add_argument("--labels", action="append",
                    help="a label file (repeatable; default: tests/fixtures/labels/*.tsv)")
    ap.add_argument("--min-recall", type=float, help="exit 1 when overall recall is below")
    ap.add_argument("--min-precision", type=float,
                    help="exit 1 when overall precision is below")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    try:
        s = measure(args.labels)
    except LabelError as e:
        print("labelscore: %s" % e, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(s.as_json(), indent=1))
    else:
        print(s.report())
        print("")
        print(s.summary())
    status = 0
    if args.min_recall is not None and s.recall() < args.min_recall:
        print("labelscore: recall %.3f is below %.3f" % (s.recall(), args.min_recall),
              file=sys.stderr)
        status = 1
    if args.min_precision is not None and s.precision() < args.min_precision:
        print("labelscore: precision %.3f is below %.3f" % (s.precision(), args.min_precision),
              file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
