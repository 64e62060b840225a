"""The committed peer audit (conformance/reports/peer-audit.json) against its table
(conformance/audit/known.py): no peer runs here, only the files are read."""

from __future__ import annotations

import json

from conformance.audit import report
from conformance.audit.known import ISSUES, KINDS, ROWS


def _doc() -> dict:
    return json.loads(report.JSON.read_text(encoding="utf-8"))


def test_rows_are_well_formed() -> None:
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)), "duplicate row ids"
    for r in ROWS:
        assert r.kind in KINDS and r.peer and r.function and r.evidence, r.id
        if r.kind == "peer defect":
            assert r.repro and r.expected and r.test, r.id
            assert len(r.repro.splitlines()) <= 5, r.id
        if r.fixed:  # "date: how", its repro a regression test (tests/test_peer_disagreements.py)
            assert r.kind == "ours" and r.test and r.fixed[:4].isdigit() and ": " in r.fixed, r.id
    known = set(ids)
    for issue, verdict, rows in ISSUES:
        assert verdict and set(rows) <= known, issue


def test_report_holds_every_row_of_the_table() -> None:
    doc = _doc()
    committed = {r["id"]: r for r in doc["rows"]}
    assert set(committed) == {r.id for r in ROWS}, "regenerate the report: nox -s audit"
    for r in ROWS:
        c = committed[r.id]
        assert (c["kind"], c["peer"], c["function"], c["evidence"], c["repro"]) == (
            r.kind,
            r.peer,
            r.function,
            r.evidence,
            r.repro,
        ), f"row {r.id} changed since the report: nox -s audit"
    assert doc["counts"] == {
        **{k: sum(r.kind == k for r in ROWS) for k in KINDS},
        "unclassified": len(doc["unclassified"]),
        "ours fixed": sum(r.kind == "ours" and bool(r.fixed) for r in ROWS),
    }
    assert [i["issue"] for i in doc["issues"]] == [i[0] for i in ISSUES]


def test_report_has_nothing_unclassified() -> None:
    doc = _doc()
    assert not doc["unclassified"], doc["unclassified"][:3]
    ids = {r.id for r in ROWS}
    for f in doc["findings"]:
        assert f["row"] in ids, f
        assert report.classify(f) == f["row"], f"the table now classifies {f} otherwise"
    assert doc["versions"] and doc["seconds"] > 0
    assert report.MD.read_text(encoding="utf-8") == report.markdown(doc)
