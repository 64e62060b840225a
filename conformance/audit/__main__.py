"""``python -m conformance.audit``: the sweep, the classification, the reports.

Exits 1 when a finding matches no row of :mod:`conformance.audit.known` (the report lists it
as unclassified). ``--per-function N``: the hostile kinds on the first N checks of each
(function, peer column) (default 1; 0: every check). ``--only COLUMN``: one peer column
(a trial run; the committed report comes from a full run). ``--reclassify``: no peer runs:
the committed report's findings matched again against the table as it is now (after editing
``known.py``), the report rewritten.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.audit")
    parser.add_argument("--per-function", type=int, default=1)
    parser.add_argument("--only", default="")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print, do not write the report")
    parser.add_argument("--reclassify", action="store_true")
    args = parser.parse_args(argv)
    if args.reclassify:
        from . import report

        doc = report.reclassify()
        if not args.no_write:
            report.write(doc)
        return _summary(doc)

    from conformance.matrix import apply_precision_policy

    apply_precision_policy()  # JAX x64 and "highest" matmuls, as the matrix and the tests

    from conformance.peers import ALL

    from . import report
    from .sweep import sweep, versions

    checks = [c for c in ALL if not args.only or c.column == args.only]
    start = time.perf_counter()
    result = sweep(
        checks,
        per_function=args.per_function,
        log=None if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True)),
    )
    result["findings"] = [f.as_dict() for f in result["findings"]]
    result["per_function"] = args.per_function
    result["seconds"] = time.perf_counter() - start
    doc = report.build(result, versions())
    if not args.no_write:
        report.write(doc)
    return _summary(doc)


def _summary(doc: dict) -> int:
    c = doc["counts"]
    print(
        f"{doc['checks']} checks in {doc['seconds']:.0f} s, {doc['findings_total']} findings: "
        f"{c['peer defect']} peer-defect rows, {c['convention']} conventions, {c['ours']} of ours, "
        f"{c['unclassified']} unclassified"
    )
    for f in doc["unclassified"]:
        print(
            f"UNCLASSIFIED {f['column']} {f['function']} ~ {f['peer']} [{f['kind']}]: {f['detail']}"
        )
    return 1 if doc["unclassified"] else 0


if __name__ == "__main__":
    sys.exit(main())
