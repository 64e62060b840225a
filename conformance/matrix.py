"""The conformance matrix: every registry case on every installed backend, plus the peers.

Rows are public functions; columns are backends (then peer libraries). A backend cell runs the
values in every dtype the backend has (against NumPy float64), the autodiff gradients against
finite differences (torch, JAX), and ``jax.jit``/``jax.vmap`` (JAX) or, with ``--compile``,
``torch.compile(fullgraph=True)`` (torch); it shows the worst relative error seen, or ``FAIL``.
A peer cell runs every cross-check of that function against that library.

    python -m conformance.matrix [--backends numpy,torch] [--compile] [--out DIR]

writes ``conformance-report.json`` and ``conformance-report.md`` to ``DIR`` (default: the
current directory) and exits 1 if any cell failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arraylosses.testing import BACKENDS, Backend, max_errors
from arraylosses.testing.cases import BY_NAME, CASES, Case

from . import checks, hostile
from .peers import ALL as PEER_CHECKS


def _run(label: str, fn: Callable[[], float]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        worst = fn()
    except Exception as err:  # a failing check is a cell, not a crash
        return {
            "check": label,
            "status": "fail",
            "error": f"{type(err).__name__}: {err}",
            "trace": traceback.format_exc(limit=3),
        }
    return {
        "check": label,
        "status": "pass",
        "worst_rel_error": worst,
        "seconds": round(time.perf_counter() - start, 3),
    }


def backend_cell(case: Case, backend: Backend, compile_torch: bool) -> list[dict[str, Any]]:
    results = [
        _run(f"values/{d}", lambda d=d: checks.check_values(case, backend, d))
        for d in backend.dtypes
    ]
    if backend.differentiable:
        results.append(_run("gradients/float64", lambda: checks.check_gradients(case, backend)))
    if backend.name.startswith("jax"):
        results.append(_run("jax.jit", lambda: checks.check_jit(case, backend)))
        results.append(_run("jax.vmap", lambda: checks.check_vmap(case, backend)))
    if backend.name.startswith("torch") and compile_torch:
        results.append(_run("torch.compile", lambda: checks.check_torch_compile(case, backend)))
    return results


def peer_cell(case: Case, library: str) -> list[dict[str, Any]]:
    import numpy as np

    def run_one(check: Any) -> float:
        ours, theirs = check.run(check.inputs())
        worst = 0.0
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(a, b, rtol=check.rtol, atol=check.atol)
            worst = max(worst, max_errors(a, b)[1])
        return worst

    results = []
    for check in PEER_CHECKS:
        if check.function != case.name or check.column != library:
            continue
        reason = check.available()
        if reason is not None:
            results.append({"check": check.peer, "status": "skip", "reason": reason})
            continue
        result = _run(check.peer, lambda c=check: run_one(c))
        if check.deviation:
            result["deviation"] = check.deviation
        results.append(result)
    return results


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    if not results:
        return {"status": "none", "text": "—"}
    failed = [r for r in results if r["status"] == "fail"]
    if failed:
        return {"status": "fail", "text": "FAIL: " + ", ".join(r["check"] for r in failed)}
    passed = [r for r in results if r["status"] == "pass"]
    if not passed:
        return {"status": "skip", "text": "skip"}
    # the float32 values are the headline number (half precision is looser by design and
    # listed in the JSON); peer cells have float64 checks only
    headline = [r for r in passed if r["check"] == "values/float32"] or passed
    worst = max(r["worst_rel_error"] for r in headline)
    mark = "ok*" if any("deviation" in r for r in passed) else "ok"
    return {"status": "pass", "worst_rel_error": worst, "text": f"{mark} {worst:.1e}"}


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for dist in (
        "numpy",
        "array-api-compat",
        "array-api-strict",
        "array-api-extra",
        "torch",
        "jax",
        "jaxlib",
        "cupy-cuda12x",
        "cupy-cuda13x",
        "optax",
        "scikit-learn",
        "torchmetrics",
    ):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return out


def gpu_name() -> str | None:
    try:
        import torch

        if torch.cuda.is_available():
            return str(torch.cuda.get_device_name(0))
    except ImportError:
        pass
    return None


def build(
    backend_names: list[str], compile_torch: bool, case_names: list[str] | None = None
) -> dict[str, Any]:
    backends, unavailable = [], {}
    for name in backend_names:
        reason = BACKENDS[name].available()
        if reason is None:
            backends.append(BACKENDS[name])
        else:
            unavailable[name] = reason
    libraries = sorted({c.column for c in PEER_CHECKS})
    rows: dict[str, Any] = {}
    cases = CASES if case_names is None else [BY_NAME[n] for n in case_names]
    for case in cases:
        row: dict[str, Any] = {}
        for backend in backends:
            results = backend_cell(case, backend, compile_torch)
            row[backend.name] = {**summarize(results), "checks": results}
        results = hostile.matrix_cell(case, backends)
        row["adversarial"] = {**hostile.summarize(results), "checks": results}
        for library in libraries:
            results = peer_cell(case, library)
            row[f"peer:{library}"] = {**summarize(results), "checks": results}
        rows[case.name] = row
        print(
            f"  {case.name:<40} " + " ".join(f"{c['text']:>12}" for c in row.values()), flush=True
        )
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"gpu": gpu_name(), "processor": platform.processor() or platform.machine()},
        "versions": versions(),
        "columns": [b.name for b in backends]
        + ["adversarial"]
        + [f"peer:{lib}" for lib in libraries],
        "unavailable_backends": unavailable,
        "torch_compile_checked": compile_torch,
        "rows": rows,
    }


def markdown(report: dict[str, Any]) -> str:
    cols = report["columns"]
    lines = [
        "# arraylosses conformance matrix",
        "",
        f"Run {report['date']} on {report['machine']['gpu'] or 'CPU only'} "
        f"({report['machine']['processor']}); "
        + ", ".join(f"{k} {v}" for k, v in report["versions"].items() if k != "platform")
        + ".",
        "",
        "Each backend cell passes only if all its checks pass: values in every dtype the backend "
        "has (float16/bfloat16 where it has them) against NumPy float64, gradients against "
        "finite differences in float64 (torch, JAX), jax.jit and jax.vmap (JAX)"
        + (", torch.compile (torch)" if report["torch_compile_checked"] else "")
        + "; the number shown is the worst relative error of the float32 values (every dtype's "
        "figure is in the JSON report). The adversarial cell lists the hostile-input kinds "
        f"run on every backend column (conformance/hostile.py: {', '.join(hostile.KINDS)}); "
        "what each tried, and why a kind was skipped, is listed below. "
        "Peer cells: every cross-check against that library, "
        "values and gradients in float64; `ok*` marks a documented deviation (listed below).",
        "",
        "| function | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for name, row in report["rows"].items():
        lines.append(f"| `{name}` | " + " | ".join(row[c]["text"] for c in cols) + " |")
    if report["unavailable_backends"]:
        lines += ["", "Not run here: " + "; ".join(report["unavailable_backends"].values()) + "."]
    deviations = sorted(
        {
            (name, r["check"], r["deviation"])
            for name, row in report["rows"].items()
            for cell in row.values()
            for r in cell["checks"]
            if "deviation" in r
        }
    )
    if deviations:
        lines += ["", "## Documented deviations from peers", ""]
        lines += [f"- `{n}` vs `{p}`: {d}" for n, p, d in deviations]
    lines += ["", "## Adversarial inputs tried", ""]
    for name, row in report["rows"].items():
        tried = "; ".join(
            f"{r['check']}: " + (r.get("tried") or f"skipped ({r.get('reason', r['status'])})")
            for r in row["adversarial"]["checks"]
        )
        lines.append(f"- `{name}`: {tried}")
    failures = [
        (name, c, r)
        for name, row in report["rows"].items()
        for c, cell in row.items()
        for r in cell["checks"]
        if r["status"] == "fail"
    ]
    if failures:
        lines += ["", "## Failures", ""]
        lines += [f"- `{n}` on {c}, {r['check']}: {r['error'][:500]}" for n, c, r in failures]
    return "\n".join(lines) + "\n"


def _configure_jax() -> None:
    """This process's JAX: x64 on, matmul precision "highest" (no TF32 on GPUs), as the test
    suite's conftest does. The matrix owns its process; the package never does this."""
    import importlib.util

    if importlib.util.find_spec("jax") is not None:
        import jax

        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_default_matmul_precision", "highest")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="comma-separated backend names (default: all that load)",
    )
    parser.add_argument("--compile", action="store_true", help="also check torch.compile")
    parser.add_argument(
        "--cases",
        default="",
        help="comma-separated registry case names (default: every case)",
    )
    parser.add_argument("--out", default=".", help="directory for the JSON and Markdown reports")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    unknown = [n for n in names if n not in BACKENDS]
    if unknown:
        parser.error(f"unknown backend(s) {unknown}; known: {', '.join(BACKENDS)}")
    cases = [n.strip() for n in args.cases.split(",") if n.strip()] or None
    unknown = [n for n in cases or () if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; see arraylosses.testing.cases.BY_NAME")
    _configure_jax()
    print("arraylosses conformance matrix", flush=True)
    report = build(names, args.compile, cases)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "conformance-report.json").write_text(json.dumps(report, indent=1, default=str))
    md = markdown(report)
    (out / "conformance-report.md").write_text(md)
    print()
    print(md)
    failed = any(
        cell["status"] == "fail" for row in report["rows"].values() for cell in row.values()
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
