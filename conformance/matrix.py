"""The conformance matrix: every registry case on every installed backend, plus the peers.

Rows are public functions; columns are backends (then peer libraries). A backend cell runs the
values in every dtype the backend has (against NumPy float64), the autodiff gradients against
finite differences (torch, JAX), and ``jax.jit``/``jax.vmap`` (JAX) or, with ``--compile``,
``torch.compile(fullgraph=True)`` (torch); it shows the worst relative error seen, or ``FAIL``.
``jax.vmap`` and ``torch.compile`` run each function's default case (its first parameter set)
unless ``--full`` asks for every parameter set (the GPU run does). ``jax.jit`` runs every set:
the gradient check differentiates each set that has gradients inside one ``jax.jit`` and
compares that jit's value with NumPy float64, and the jit check runs the other sets against
the eager call (``--full``: every set, against the eager call).
A peer cell runs every cross-check of that function against that library; a library that is
not installed skips it, or fails it with ``--require-peers`` (``nox -s conformance``).

    python -m conformance.matrix [--backends numpy,torch] [--require torch] [--compile]
                                 [--full] [--no-peers | --require-peers] [--cases a,b]
                                 [--shard 2/4 | --claim DIR]
                                 [--jobs N] [--out DIR] [--report FILE]
    python -m conformance.matrix --merge DIR_OR_JSON ... [--require cupy,...] [--out DIR]

writes ``conformance-report.json`` and ``conformance-report.md`` to ``DIR`` (default: the
current directory; the JSON is rewritten after every row, so a run that is killed keeps the
rows it finished) and exits 1 if any cell failed. ``--require`` names backends that must load:
if one cannot, the run stops before any check with exit status 2 and the reason for each.
``--shard K/N`` runs every N-th case; ``--claim DIR`` shares the cases with the other processes
given the same DIR (each takes the next case nobody has claimed). ``--jobs N`` runs N such
processes and merges their reports (default 1; ``nox -s conformance`` passes one per CPU
core: the checks are CPU-bound and single-threaded). ``--merge`` joins the JSON
reports of runs over disjoint columns or cases (the GPU run, ``conformance/gpu.py``, runs
several processes per column) into one report; a required column or a case that is missing
from the merged report is a failure.

The process applies the precision policy of docs/gpu.md (no TF32 in torch, CuPy or JAX;
JAX matmul precision "highest", x64 on) to itself before anything runs, and records the
settings it ran under in the report.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from arraylosses.testing import BACKENDS, Backend
from arraylosses.testing.cases import BY_NAME, CASES, Case

from . import checks, hostile
from .gpu import GPU_COLUMNS
from .xla import use_fast_cpu_compiler

REPORT = "conformance-report"  # the JSON and Markdown file names, without suffix


def _peer_checks() -> tuple[Any, ...]:
    """The peer cross-checks (imported on first use: building them imports optax, JAX and
    torch, which a ``--no-peers`` run on one column does not need)."""
    from .peers import ALL

    return ALL


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


def backend_cell(
    case: Case, backend: Backend, compile_torch: bool, full: bool = True
) -> list[dict[str, Any]]:
    """One backend's checks of one case. ``jax.vmap`` and ``torch.compile`` run every
    parameter set when ``full``, else the default case alone; ``jax.jit`` every set either way
    (module docstring)."""
    results = [
        _run(f"values/{d}", lambda d=d: checks.check_values(case, backend, d))
        for d in backend.dtypes
    ]
    if backend.differentiable:
        results.append(_run("gradients/float64", lambda: checks.check_gradients(case, backend)))
    if backend.name.startswith("jax"):
        # every parameter set under jax.jit: the gradient cell jits the sets with gradients
        # (that jit's value against NumPy float64), this one the rest; --full: every set here
        skip_graded = backend.differentiable and not full
        results.append(
            _run(
                "jax.jit",
                lambda: checks.check_jit(case, backend, full=True, skip_graded=skip_graded),
            )
        )
        results.append(_run("jax.vmap", lambda: checks.check_vmap(case, backend, full=full)))
    if backend.name.startswith("torch") and compile_torch:
        results.append(
            _run("torch.compile", lambda: checks.check_torch_compile(case, backend, full=full))
        )
    if checks.is_streaming(case):
        results.append(_run("merge laws", lambda: checks.check_merge_laws(case, backend)))
    return results


def peer_cell(case: Case, library: str, required: bool = False) -> list[dict[str, Any]]:
    """Every cross-check of ``case`` against ``library``. A check whose library (or input
    data) is missing here is a skip, or a failure where peers are ``required``
    (``--require-peers``: CI, which installs them all)."""
    results = []
    for check in _peer_checks():
        if check.function != case.name or check.column != library:
            continue
        reason = check.available()
        if reason is not None:
            if required:
                error = f"required peer missing (--require-peers): {reason}"
                results.append({"check": check.peer, "status": "fail", "error": error})
            else:
                results.append({"check": check.peer, "status": "skip", "reason": reason})
            continue
        result = _run(check.peer, lambda c=check: checks.check_peer(c))
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
        "jax-cuda12-plugin",
        "jax-cuda13-plugin",
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
    """The first CUDA device's name, from torch or else CuPy (``None`` without either)."""
    try:
        import torch

        if torch.cuda.is_available():
            return str(torch.cuda.get_device_name(0))
    except ImportError:
        pass
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
            return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:  # no CuPy, or no driver: no GPU to name
        pass
    return None


# ---------------------------------------------------------------------------------------------
# Precision policy (docs/gpu.md)


def apply_precision_policy() -> dict[str, Any]:
    """docs/gpu.md's precision policy, for this process, and the settings read back.

    No TF32 anywhere: torch's cuBLAS and cuDNN TF32 off and float32 matmul precision
    "highest"; CuPy's ``CUPY_TF32`` at ``"0"`` (CuPy reads it at its first float32 matmul);
    JAX's default matmul precision "highest" and x64 on (as the test suite's conftest).
    The matrix owns its process and calls this from :func:`main` only; the package and its
    test kit never write these (``Backend.context`` scopes JAX's settings to a ``with``
    block). Returns the values read back after setting them, for the report."""
    import importlib.util
    import warnings

    settings: dict[str, Any] = {}
    if os.environ.get("XLA_FLAGS"):  # conformance/xla.py on a CPU-only run
        settings["XLA_FLAGS"] = os.environ["XLA_FLAGS"]
    os.environ["CUPY_TF32"] = "0"
    settings["CUPY_TF32"] = os.environ["CUPY_TF32"]
    if "NVIDIA_TF32_OVERRIDE" in os.environ:  # a global override: recorded, never set here
        settings["NVIDIA_TF32_OVERRIDE"] = os.environ["NVIDIA_TF32_OVERRIDE"]
    if importlib.util.find_spec("jax") is not None:
        import jax

        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_default_matmul_precision", "highest")
        config: Any = jax.config  # its flags are attributes made at run time
        settings["jax_enable_x64"] = bool(config.jax_enable_x64)
        settings["jax_default_matmul_precision"] = str(config.jax_default_matmul_precision)
    if importlib.util.find_spec("torch") is not None:
        import torch

        with warnings.catch_warnings():
            # torch 2.9-2.10 warn that these are the legacy names; they still set both the
            # legacy and the fp32_precision state consistently (aten/src/ATen/Context.cpp)
            warnings.filterwarnings("ignore", message=".*TF32.*", category=UserWarning)
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
            torch.set_float32_matmul_precision("highest")
            reads: dict[str, Callable[[], Any]] = {
                "torch.backends.cuda.matmul.allow_tf32": lambda: (
                    torch.backends.cuda.matmul.allow_tf32
                ),
                "torch.backends.cudnn.allow_tf32": lambda: torch.backends.cudnn.allow_tf32,
                "torch.get_float32_matmul_precision()": torch.get_float32_matmul_precision,
            }
            if hasattr(torch.backends.cuda.matmul, "fp32_precision"):  # torch >= 2.9
                reads["torch.backends.cuda.matmul.fp32_precision"] = lambda: (
                    torch.backends.cuda.matmul.fp32_precision
                )
            for name, read in reads.items():
                try:
                    settings[name] = read()
                except RuntimeError as err:  # torch refuses to read a mixed legacy/new state
                    settings[name] = f"unreadable: {err}"
    return settings


# ---------------------------------------------------------------------------------------------
# One run


def _parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``: the second of four interleaved slices of the case list."""
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard takes K/N (e.g. 2/4), got {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard K/N needs 1 <= K <= N, got {text!r}")
    return k, n


def select_cases(case_names: list[str] | None = None, shard: str | None = None) -> list[str]:
    """The registry cases to run, in registry order: ``case_names`` (default: every case),
    then, with ``shard="K/N"``, every N-th of those starting at the K-th."""
    names = [c.name for c in CASES] if case_names is None else list(case_names)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown case(s) {unknown}; see arraylosses.testing.cases.BY_NAME")
    if shard is not None:
        k, n = _parse_shard(shard)
        names = names[k - 1 :: n]
    return names


def build(
    backend_names: list[str],
    compile_torch: bool,
    case_names: list[str] | None = None,
    *,
    peers: bool = True,
    require_peers: bool = False,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    claim: Callable[[str], bool] | None = None,
    full: bool = True,
) -> dict[str, Any]:
    """The report of one run: ``case_names`` (default: every case) on the backends of
    ``backend_names`` that load here (the others are listed with the reason), plus the
    adversarial column and, with ``peers``, one column per peer library (a missing library
    fails its cells with ``require_peers``, and skips them otherwise). ``on_row`` is called
    with the report so far after every row (the matrix rewrites its JSON there). With
    ``claim``, a case runs only if ``claim(name)`` is true (processes sharing a queue of cases:
    :func:`claimer`); ``cases_planned`` then lists the cases claimed, each listed (and
    ``on_row`` called) before it runs, so a run killed mid-case is seen to have planned it."""
    start = time.perf_counter()
    backends, unavailable = [], {}
    for name in backend_names:
        reason = BACKENDS[name].available()
        if reason is None:
            backends.append(BACKENDS[name])
        else:
            unavailable[name] = reason
    libraries = sorted({c.column for c in _peer_checks()}) if peers else []
    names = select_cases(case_names)
    report: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"gpu": gpu_name(), "processor": platform.processor() or platform.machine()},
        "versions": versions(),
        "columns": [b.name for b in backends]
        + ["adversarial"]
        + [f"peer:{lib}" for lib in libraries],
        "unavailable_backends": unavailable,
        "torch_compile_checked": compile_torch,
        "transforms": "every parameter set"
        if full
        else "jax.jit: every parameter set; jax.vmap and torch.compile: the default case",
        "peers_checked": peers,
        "peers_required": peers and require_peers,
        "cases_planned": names if claim is None else [],
        "complete": False,
        "rows": {},
    }
    rows: dict[str, Any] = report["rows"]
    for name in names:
        if claim is not None:
            if not claim(name):
                continue
            report["cases_planned"].append(name)
            if on_row is not None:
                on_row(report)
        case = BY_NAME[name]
        row: dict[str, Any] = {}
        for backend in backends:
            results = backend_cell(case, backend, compile_torch, full)
            row[backend.name] = {**summarize(results), "checks": results}
        results = hostile.matrix_cell(case, backends)
        row["adversarial"] = {**hostile.summarize(results), "checks": results}
        for library in libraries:
            results = peer_cell(case, library, require_peers)
            row[f"peer:{library}"] = {**summarize(results), "checks": results}
        rows[case.name] = row
        report["seconds"] = round(time.perf_counter() - start, 1)
        print(
            f"  {case.name:<40} " + " ".join(f"{c['text']:>12}" for c in row.values()), flush=True
        )
        if on_row is not None:
            on_row(report)
    report["complete"] = True
    report["seconds"] = round(time.perf_counter() - start, 1)
    return report


def claimer(queue: str | Path) -> Callable[[str], bool]:
    """``claim(case)`` for processes sharing the queue directory ``queue``: true for the first
    process to ask for a case (it creates ``queue/<case>``, atomically), false for the rest.
    Each process works down the same list and takes what is left, so the processes of one
    column finish together however uneven the cases' costs are."""
    directory = Path(queue)
    directory.mkdir(parents=True, exist_ok=True)

    def claim(name: str) -> bool:
        try:
            os.close(os.open(directory / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True

    return claim


# ---------------------------------------------------------------------------------------------
# Merging the reports of runs over disjoint columns or cases


def _merge_adversarial(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """One adversarial cell from those of runs on different backends: per kind, a failure
    anywhere fails it; otherwise it passes on the union of the backends (or is skipped)."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for cell in cells:
        for r in cell["checks"]:
            by_kind.setdefault(r["check"], []).append(r)
    merged: list[dict[str, Any]] = []
    for kind in [k for k in hostile.KINDS if k in by_kind] + [
        k for k in by_kind if k not in hostile.KINDS
    ]:
        results = by_kind[kind]
        fails = [r for r in results if r["status"] == "fail"]
        passed = [r for r in results if r["status"] == "pass"]
        if fails:
            merged.append(
                {"check": kind, "status": "fail", "error": "; ".join(r["error"] for r in fails)}
            )
        elif passed:
            merged.append(
                {
                    "check": kind,
                    "status": "pass",
                    "tried": passed[0].get("tried", ""),
                    "backends": [b for r in passed for b in r.get("backends", [])],
                    "seconds": round(sum(r.get("seconds", 0.0) for r in passed), 3),
                }
            )
        else:
            merged.append(results[0])
    return {**hostile.summarize(merged), "checks": merged}


def _column_order(columns: set[str]) -> list[str]:
    backends = [b for b in BACKENDS if b in columns]
    peers = sorted(c for c in columns if c.startswith("peer:"))
    other = sorted(c for c in columns if c not in BACKENDS and not c.startswith("peer:"))
    return (
        backends
        + [c for c in other if c == "adversarial"]
        + peers
        + [c for c in other if c != "adversarial"]
    )


def merge(
    reports: list[dict[str, Any]],
    required: Sequence[str] = (),
    sources: list[str] | None = None,
    planned: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One report from the reports of runs over disjoint columns or cases (the GPU run's
    processes). Every backend column seen, and every ``required`` one, must have a cell for
    every case any run planned: a cell that is absent (its run stopped early, crashed, or its
    backend could not load) becomes a ``missing`` cell, listed in ``report["missing"]``, and
    counts as a failure (a merged report can be merged again with a run of what it misses).
    ``sources`` names the reports (files) for the listing; ``planned``
    lists cases that must be there even if no report planned them (a process that wrote no
    report at all)."""
    sources = sources or [f"report {i + 1}" for i in range(len(reports))]
    cases = list(planned or ())
    for r in reports:
        cases += [n for n in r.get("cases_planned", r["rows"]) if n not in cases]
    order = {c.name: i for i, c in enumerate(CASES)}
    cases.sort(key=lambda n: order.get(n, len(order)))
    columns: set[str] = set(required) | {"adversarial"}
    for r in reports:
        columns.update(r["columns"])
    cells: dict[str, dict[str, Any]] = {n: {} for n in cases}
    adversarial: dict[str, list[dict[str, Any]]] = {n: [] for n in cases}
    where: dict[tuple[str, str], str] = {}
    for r, source in zip(reports, sources, strict=True):
        for name, row in r["rows"].items():
            for col, cell in row.items():
                if cell["status"] == "missing" or (col == "adversarial" and not cell["checks"]):
                    continue  # a merged report's gap: another report may fill it
                if col == "adversarial":
                    adversarial.setdefault(name, []).append(cell)
                    continue
                if (name, col) in where:
                    raise ValueError(
                        f"{name} on {col} is in two reports ({where[name, col]}, {source})"
                    )
                where[name, col] = source
                cells.setdefault(name, {})[col] = cell
    unavailable: dict[str, str] = {}
    for r in reports:
        unavailable.update(r.get("unavailable_backends", {}))
    incomplete = {
        source: r for r, source in zip(reports, sources, strict=True) if not r.get("complete", True)
    }
    missing: list[dict[str, str]] = []
    ordered = _column_order(columns)
    rows: dict[str, Any] = {}
    for name in cases:
        merged_row: dict[str, Any] = {}
        for col in ordered:
            if col == "adversarial":
                cell = _merge_adversarial(adversarial[name]) if adversarial[name] else None
            else:
                cell = cells[name].get(col)
            if cell is None:
                if col.startswith("peer:"):
                    cell = {"status": "none", "text": "—", "checks": []}
                else:
                    why = _why_missing(name, col, reports, sources, unavailable)
                    missing.append({"case": name, "column": col, "reason": why})
                    cell = {"status": "missing", "text": "NOT RUN", "checks": []}
            merged_row[col] = cell
        rows[name] = merged_row
    first = reports[0] if reports else {}
    precision = [r.get("precision") for r in reports if r.get("precision")]
    transforms = sorted({r["transforms"] for r in reports if r.get("transforms")})
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "gpu": next((r["machine"]["gpu"] for r in reports if r["machine"].get("gpu")), None),
            "processor": first.get("machine", {}).get("processor", platform.machine()),
        },
        "versions": {k: v for r in reports for k, v in r.get("versions", {}).items()},
        "columns": ordered,
        "unavailable_backends": unavailable,
        "torch_compile_checked": any(r.get("torch_compile_checked") for r in reports),
        # the runs' parameter sets under the transforms ("; "-joined where they differed)
        "transforms": "; ".join(transforms),
        "peers_checked": any(r.get("peers_checked", True) for r in reports),
        "peers_required": any(r.get("peers_required", False) for r in reports),
        "precision": precision[0] if precision else {},
        "precision_differs": any(p != precision[0] for p in precision),
        "cases_planned": cases,
        "complete": not missing,
        "missing": missing,
        "runs": [
            {
                "source": source,
                "columns": [c for c in r["columns"] if c != "adversarial"],
                "cases": len(r["rows"]),
                "planned": len(r.get("cases_planned", r["rows"])),
                "complete": r.get("complete", True),
                "seconds": r.get("seconds"),
            }
            for r, source in zip(reports, sources, strict=True)
        ],
        "incomplete_runs": sorted(incomplete),
        "rows": rows,
    }


def _why_missing(
    case: str,
    column: str,
    reports: list[dict[str, Any]],
    sources: list[str],
    unavailable: dict[str, str],
) -> str:
    if column in unavailable:
        return f"the backend cannot load: {unavailable[column]}"
    for r, source in zip(reports, sources, strict=True):
        if case in r.get("cases_planned", ()) and (
            column in r["columns"] or column in r.get("required", ())
        ):
            done = len(r["rows"])
            planned = len(r.get("cases_planned", ()))
            return (
                f"{source} planned it but stopped after {done} of {planned} cases "
                "(timed out or crashed: see its log)"
            )
    covering = [
        source
        for r, source in zip(reports, sources, strict=True)
        if column in r["columns"] or column in r.get("required", ())
    ]
    if covering:
        return f"no run of this column included it (the runs of it: {', '.join(covering)})"
    return "no report covers this column (its processes wrote none: see their logs)"


def failed(report: dict[str, Any]) -> bool:
    """Any failing or missing cell."""
    return bool(report.get("missing")) or any(
        cell["status"] == "fail" for row in report["rows"].values() for cell in row.values()
    )


# ---------------------------------------------------------------------------------------------
# Markdown


def markdown(report: dict[str, Any]) -> str:
    cols = report["columns"]
    precision = report.get("precision") or {}
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
        + (f" ({report['transforms']})" if report.get("transforms") else "")
        + "; the number shown is the worst relative error of the float32 values (every dtype's "
        "figure is in the JSON report). The adversarial cell lists the hostile-input kinds "
        f"run on every backend column (conformance/hostile.py: {', '.join(hostile.KINDS)}); "
        "what each tried, and why a kind was skipped, is listed below. "
        + (
            "Peer cells: every cross-check against that library, "
            "values and gradients in float64; `ok*` marks a documented deviation (listed below)"
            + (
                "; a peer library that is not installed fails its cells (`--require-peers`)."
                if report.get("peers_required")
                else "; a peer library that is not installed skips its cells."
            )
            if report.get("peers_checked", True)
            else "Peer libraries were not checked in this run (`--no-peers`): they run on the "
            "CPU, and the CPU report has them."
        ),
    ]
    if precision:
        lines += [
            "",
            "Precision settings of the run (docs/gpu.md): "
            + ", ".join(f"`{k}` = {v!r}" for k, v in precision.items())
            + (
                " (they differed between the merged runs: see the JSON)"
                if report.get("precision_differs")
                else ""
            )
            + ".",
        ]
    lines += [
        "",
        "| function | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for name, row in report["rows"].items():
        lines.append(f"| `{name}` | " + " | ".join(row[c]["text"] for c in cols) + " |")
    if report["unavailable_backends"]:
        lines += ["", "Not run here: " + "; ".join(report["unavailable_backends"].values()) + "."]
    if report.get("runs"):
        lines += ["", "## Runs merged", ""]
        lines += [
            f"- {r['source']}: {', '.join(r['columns']) or 'no backend'}, "
            f"{r['cases']} of {r['planned']} cases"
            + ("" if r["complete"] else " (INCOMPLETE)")
            + (f", {r['seconds']} s" if r.get("seconds") is not None else "")
            for r in report["runs"]
        ]
    if report.get("missing"):
        lines += ["", "## Not run (counted as failures)", ""]
        lines += [f"- `{m['case']}` on {m['column']}: {m['reason']}" for m in report["missing"]]
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
            f"{r['check']}: "
            + (
                "FAILED"
                if r["status"] == "fail"
                else r.get("tried") or f"skipped ({r.get('reason', r['status'])})"
            )
            for r in row["adversarial"]["checks"]
        )
        lines.append(f"- `{name}`: {tried or 'not run'}")
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


# ---------------------------------------------------------------------------------------------
# Command line


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _write_json(path: Path, report: dict[str, Any]) -> None:
    """Written to a temporary name and renamed: a run killed mid-write leaves the last row's."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=1, default=str))
    tmp.replace(path)


def _write(report: dict[str, Any], out: Path, extra_md: str | None) -> str:
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / f"{REPORT}.json", report)
    md = markdown(report)
    (out / f"{REPORT}.md").write_text(md)
    if extra_md:
        Path(extra_md).parent.mkdir(parents=True, exist_ok=True)
        Path(extra_md).write_text(md)
    return md


def _load(paths: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The JSON reports named (a directory stands for the reports under it)."""
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted(p.rglob(f"{REPORT}.json")) if p.is_dir() else [p]
    return [json.loads(f.read_text()) for f in files], [str(f) for f in files]


def _in_processes(
    args: argparse.Namespace, required: list[str], cases: list[str], out: Path
) -> int:
    """``--jobs N``: N processes of this command share the cases through one ``--claim``
    queue, each writing its own report and log under a temporary directory; their reports are
    merged into ``out`` (a case no process finished is a failure there). The directory is
    removed when everything passed, and kept, with its logs, otherwise."""
    work = Path(tempfile.mkdtemp(prefix="conformance-matrix-"))
    command = [sys.executable, "-m", "conformance.matrix", "--backends", args.backends]
    command += ["--require", args.require, "--cases", ",".join(cases), "--jobs", "1"]
    command += ["--compile"] * args.compile + ["--full"] * args.full
    command += ["--no-peers"] * args.no_peers + ["--require-peers"] * args.require_peers
    command += ["--claim", str(work / "queue")]
    print(f"arraylosses conformance matrix: {args.jobs} processes, logs in {work}", flush=True)
    logs = [(work / f"process-{i}.log").open("wb") for i in range(args.jobs)]
    try:
        processes = [
            subprocess.Popen(
                [*command, "--out", str(work / f"process-{i}")], stdout=log, stderr=log
            )
            for i, log in enumerate(logs)
        ]
        codes = [p.wait() for p in processes]
    finally:
        for log in logs:
            log.close()
    for i, code in enumerate(codes):
        print(f"process {i}: exit status {code} ({work / f'process-{i}.log'})", flush=True)
    reports, sources = _load([str(work / f"process-{i}") for i in range(args.jobs)])
    report = merge(reports, required, sources, cases)
    md = _write(report, out, args.report)
    print()
    print(md)
    if 2 in codes:
        return 2  # a required backend could not load
    if failed(report) or report["missing"]:
        return 1
    if not any(codes):
        shutil.rmtree(work)  # the logs are kept only where something failed
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="comma-separated backend names (default: all that load)",
    )
    parser.add_argument(
        "--require",
        default="",
        help="comma-separated backends that must load (added to --backends): if one cannot, "
        "exit 2 before running anything; with --merge, columns that must be in the report",
    )
    parser.add_argument("--compile", action="store_true", help="also check torch.compile")
    parser.add_argument(
        "--full",
        action="store_true",
        help="run every parameter set under torch.compile and jax.vmap, and every set's "
        "jax.jit against the eager call (default: each function's default case, its first "
        "parameter set, under torch.compile and jax.vmap; jax.jit, the values, gradients, "
        "hostile inputs and peers always run every set)",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="leave out the peer-library columns"
    )
    parser.add_argument(
        "--require-peers",
        action="store_true",
        help="a peer library that is not installed fails its cells instead of skipping them "
        "(nox -s conformance installs them all and passes it)",
    )
    parser.add_argument(
        "--cases",
        default="",
        help="comma-separated registry case names (default: every case)",
    )
    parser.add_argument(
        "--shard", default=None, help="K/N: only every N-th case, starting at the K-th"
    )
    parser.add_argument(
        "--claim",
        default=None,
        metavar="DIR",
        help="share the cases with other processes given the same DIR: each case runs in the "
        "first process to claim it (the GPU run's processes of one column)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes sharing the cases (--claim), their reports merged (default 1; "
        "nox -s conformance passes one per CPU core)",
    )
    parser.add_argument("--out", default=".", help="directory for the JSON and Markdown reports")
    parser.add_argument("--report", default=None, help="also write the Markdown report here")
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="PATH",
        help="merge these JSON reports (a directory: every report under it) instead of running",
    )
    args = parser.parse_args(argv)
    names = _names(args.backends)
    required = _names(args.require)
    unknown = [n for n in names + required if n not in BACKENDS]
    if unknown:
        parser.error(f"unknown backend(s) {unknown}; known: {', '.join(BACKENDS)}")
    names += [n for n in required if n not in names]
    if args.no_peers and args.require_peers:
        parser.error("--no-peers and --require-peers contradict each other")
    try:
        cases = select_cases(_names(args.cases) or None, args.shard)
    except ValueError as err:
        parser.error(str(err))
    out = Path(args.out)

    if args.merge:
        reports, sources = _load(args.merge)
        report = merge(reports, required, sources, cases if args.cases else None)
        md = _write(report, out, args.report)
        print(md)
        if report["missing"]:
            print(f"conformance matrix: {len(report['missing'])} cell(s) not run", file=sys.stderr)
        return 1 if failed(report) else 0

    # conformance/xla.py, inherited by the --jobs processes; not where a GPU column is named
    # (the GPU run names its columns: XLA's optimisation level applies on GPUs too)
    named = required + (names if args.backends != parser.get_default("backends") else [])
    if not any(n in GPU_COLUMNS for n in named):
        use_fast_cpu_compiler()
    if args.jobs > 1 and not args.claim:
        return _in_processes(args, required, cases, out)

    precision = apply_precision_policy()
    print("arraylosses conformance matrix", flush=True)
    not_loading = {n: r for n in required if (r := BACKENDS[n].available()) is not None}
    if not_loading:
        report = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": {"gpu": gpu_name(), "processor": platform.processor() or platform.machine()},
            "versions": versions(),
            "columns": ["adversarial"],
            "unavailable_backends": not_loading,
            "required": required,
            "torch_compile_checked": args.compile,
            "peers_checked": False,
            "precision": precision,
            "cases_planned": cases,
            "complete": False,
            "rows": {},
        }
        out.mkdir(parents=True, exist_ok=True)
        _write_json(out / f"{REPORT}.json", report)
        print(
            "conformance matrix: required backend(s) cannot load here, nothing was run: "
            + "; ".join(not_loading.values()),
            file=sys.stderr,
        )
        return 2

    out.mkdir(parents=True, exist_ok=True)

    def save(partial: dict[str, Any]) -> None:
        _write_json(
            out / f"{REPORT}.json", {**partial, "precision": precision, "required": required}
        )

    report = build(
        names,
        args.compile,
        cases,
        peers=not args.no_peers,
        require_peers=args.require_peers,
        on_row=save,
        claim=claimer(args.claim) if args.claim else None,
        full=args.full,
    )
    report.update(precision=precision, required=required)
    md = _write(report, out, args.report)
    print()
    print(md)
    return 1 if failed(report) else 0


if __name__ == "__main__":
    sys.exit(main())
