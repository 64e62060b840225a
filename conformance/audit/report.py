"""The audit's outputs: each sweep finding matched to its row of :mod:`.known`, and
``conformance/reports/peer-audit.json`` and ``.md`` written from the table and the findings."""

from __future__ import annotations

import datetime
import json
import pathlib
from dataclasses import asdict
from typing import Any

from .known import ISSUES, KINDS, ROWS, Row

REPORTS = pathlib.Path(__file__).resolve().parents[1] / "reports"
JSON = REPORTS / "peer-audit.json"
MD = REPORTS / "peer-audit.md"


def _specificity(row: Row) -> tuple[bool, bool]:
    """Defect rows first, then conventions of named functions, then the broad conventions."""
    return (row.kind == "convention", any(m.function == "*" for m in row.match))


ORDER = tuple(sorted(ROWS, key=_specificity))


def classify(finding: dict[str, str], rows: tuple[Row, ...] = ORDER) -> str | None:
    """The id of the first row (:data:`ORDER`) whose ``match`` covers the finding, or
    ``None``."""
    for row in rows:
        if any(m.matches(finding) for m in row.match):
            return row.id
    return None


def _versions_of(peer: str, versions: dict[str, str]) -> dict[str, str]:
    return {p: versions.get(p, "not installed") for p in (s.strip() for s in peer.split(","))}


def build(result: dict[str, Any], versions: dict[str, str]) -> dict[str, Any]:
    """The report's JSON document from a sweep's result (findings as dicts)."""
    findings = []
    for f in result["findings"]:
        findings.append({**f, "row": classify(f)})
    per_row: dict[str, int] = {}
    for f in findings:
        if f["row"]:
            per_row[f["row"]] = per_row.get(f["row"], 0) + 1
    rows = []
    for row in ROWS:
        d = asdict(row)
        d["match"] = [asdict(m) for m in row.match]
        d["versions"] = _versions_of(row.peer, versions)
        d["findings"] = per_row.get(row.id, 0)
        rows.append(d)
    unclassified = [f for f in findings if f["row"] is None]
    counts = {k: sum(r.kind == k for r in ROWS) for k in KINDS}
    counts["unclassified"] = len(unclassified)
    counts["ours fixed"] = sum(r.kind == "ours" and bool(r.fixed) for r in ROWS)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
        "versions": versions,
        "seconds": round(result["seconds"], 1),
        "checks": result["checks"],
        "per_function": result.get("per_function"),
        "kinds_ran": result["kinds_ran"],
        "counts": counts,
        "findings_total": len(findings),
        "rows": rows,
        "issues": [dict(zip(("issue", "verdict", "rows"), i, strict=True)) for i in ISSUES],
        "unclassified": unclassified,
        "findings": findings,
        "skipped": result["skipped"],
    }


def reclassify() -> dict[str, Any]:
    """The committed report rebuilt against the table as it is now: its findings, run and
    versions kept, no peer run."""
    old = json.loads(JSON.read_text(encoding="utf-8"))
    keys = ("column", "function", "peer", "kind", "detail")
    result = {k: old[k] for k in ("seconds", "checks", "per_function", "kinds_ran", "skipped")}
    result["findings"] = [{k: f[k] for k in keys} for f in old["findings"]]
    doc = build(result, old["versions"])
    doc["date"] = old["date"]
    return doc


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(doc: dict[str, Any]) -> str:
    v = ", ".join(f"{k} {x}" for k, x in doc["versions"].items())
    c = doc["counts"]
    out = [
        "# Peer audit",
        "",
        f"Run {doc['date']} by `nox -s audit` (`python -m conformance.audit`) in "
        f"{doc['seconds']:.0f} s: {doc['checks']} peer checks on the registry's float64 inputs, "
        "the hostile kinds on the first "
        f"{doc['per_function'] or 'all'} check(s) of each function and peer. Versions: {v}.",
        "",
        f"**{c['peer defect']} peer defects, {c['convention']} conventions, {c['ours']} of "
        f"ours ({c.get('ours fixed', 0)} fixed), {c['unclassified']} unclassified** "
        f"({doc['findings_total']} sweep findings; "
        "a convention is not counted as a defect).",
        "",
        "Kinds run (checks): " + ", ".join(f"{k} {n}" for k, n in doc["kinds_ran"].items()) + ".",
        "",
        "## The peer reports checked",
        "",
        "| issue | verdict | rows |",
        "|---|---|---|",
    ]
    out += [
        f"| {_cell(i['issue'])} | {_cell(i['verdict'])} | {', '.join(i['rows'])} |"
        for i in doc["issues"]
    ]
    out += ["", "## Every known disagreement", ""]
    out += ["| id | kind | peer | function | topic | findings |", "|---|---|---|---|---|---|"]
    for r in doc["rows"]:
        peer = ", ".join(f"{p} {x}" for p, x in r["versions"].items())
        out.append(
            f"| {r['id']} | {r['kind']} | {_cell(peer)} | {_cell(r['function'])} | "
            f"{_cell(r['topic'])} | {r['findings']} |"
        )
    for kind in ("peer defect", "ours", "convention"):
        out += ["", f"## {kind.capitalize()}s", ""]
        for r in (r for r in doc["rows"] if r["kind"] == kind):
            out.append(f"**{r['id']}. `{r['function']}`: {r['topic']}** ({r['peer']}).")
            out.append(r["evidence"] + (f" We follow: {r['follow']}." if r["follow"] else ""))
            if r["issue"]:
                out.append(f"Issue: {r['issue']}.")
            if r["expected"]:
                out.append(f"Expected (independent): {r['expected']}.")
            if r["repro"]:
                out += [
                    "",
                    "```python",
                    "# fmt: off",
                    r["repro"],
                    "```",
                ]  # as written, not reflowed
            out.append("")
    out += ["## Unclassified", ""]
    if doc["unclassified"]:
        out += [
            f"- {f['column']} `{f['function']}` ~ {f['peer']}, {f['kind']}: {_cell(f['detail'])}"
            for f in doc["unclassified"]
        ]
    else:
        out.append("None.")
    if doc["skipped"]:
        out += ["", "## Skipped checks", ""] + [f"- {s}" for s in doc["skipped"]]
    return "\n".join(out) + "\n"


def write(doc: dict[str, Any]) -> None:
    REPORTS.mkdir(exist_ok=True)
    JSON.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    MD.write_text(markdown(doc), encoding="utf-8")
