"""The GPU run's tooling, on the CPU: ``--require``, merging, the case queue, the precision
policy and the parallel runner (``conformance/matrix.py``, ``conformance/gpu.py``).

No GPU is needed: a backend that cannot load is a fake one that raises, the reports merged are
written out by hand here, and the runner runs the numpy column."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from arraylosses.testing import Backend
from arraylosses.testing.cases import CASES
from conformance import gpu, matrix

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------
# --require


def _no_gpu() -> tuple[Any, Any]:
    raise RuntimeError("no CUDA device")


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> str:
    """A backend named ``fake-gpu`` whose loader fails as a GPU column's does without a GPU."""
    backend = Backend(name="fake-gpu", loader=_no_gpu, dtypes=("float32",), differentiable=False)
    monkeypatch.setitem(matrix.BACKENDS, "fake-gpu", backend)
    # main() would set this process's torch/JAX/CuPy precision: not in the test process
    monkeypatch.setattr(matrix, "apply_precision_policy", lambda: {"stub": True})
    return "fake-gpu"


def test_require_stops_before_any_check_and_names_the_column(
    fake_gpu: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def no_checks(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a check ran although a required backend cannot load")

    monkeypatch.setattr(matrix, "backend_cell", no_checks)
    monkeypatch.setattr(matrix.hostile, "matrix_cell", no_checks)
    status = matrix.main(
        ["--backends", "numpy", "--require", fake_gpu, "--no-peers", "--out", str(tmp_path)]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert "required backend(s) cannot load" in err
    assert "fake-gpu: no CUDA device" in err
    report = json.loads((tmp_path / "conformance-report.json").read_text())
    assert report["rows"] == {}
    assert report["unavailable_backends"] == {"fake-gpu": "fake-gpu: no CUDA device"}


def test_a_required_backend_that_loads_runs(fake_gpu: str, tmp_path: Path, capsys: Any) -> None:
    status = matrix.main(
        [
            *("--backends", "", "--require", "numpy", "--cases", "mse_loss", "--no-peers"),
            *("--out", str(tmp_path)),
        ]
    )
    assert status == 0
    report = json.loads((tmp_path / "conformance-report.json").read_text())
    assert report["complete"] is True
    assert list(report["rows"]) == ["mse_loss"]
    assert report["rows"]["mse_loss"]["numpy"]["status"] == "pass"
    assert report["columns"] == ["numpy", "adversarial"]  # --no-peers: no peer column
    assert report["precision"] == {"stub": True}


def test_jobs_share_the_cases_and_merge_one_report(tmp_path: Path, capsys: Any) -> None:
    """``--jobs 2`` (what ``nox -s conformance`` passes on 2 cores): two processes claim the
    cases from one queue, each case runs once, and the merged report has every case; the
    processes' temporary directory is removed."""
    cases = ["mse_loss", "l1_loss", "huber_loss"]
    status = matrix.main(
        [
            *("--backends", "numpy", "--cases", ",".join(cases), "--no-peers", "--jobs", "2"),
            *("--out", str(tmp_path)),
        ]
    )
    assert status == 0, capsys.readouterr()
    report = json.loads((tmp_path / "conformance-report.json").read_text())
    assert list(report["rows"]) == cases
    assert report["missing"] == []
    assert all(report["rows"][c]["numpy"]["status"] == "pass" for c in cases)
    runs = capsys.readouterr().out
    assert runs.count("exit status 0") == 2
    work = Path(runs.split("logs in ", 1)[1].split()[0])
    assert not work.exists()  # a green run leaves no temporary directory behind


def _missing_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The peer checks are one check of mse_loss against a library that is not installed."""
    from arraylosses.testing import PeerCheck

    def never_run(inputs: Any) -> Any:
        raise AssertionError("a check ran although its library is missing")

    check = PeerCheck("mse_loss", "nolib.mse(a, b)", "arraylosses_no_such_peer", never_run)
    monkeypatch.setattr(matrix, "_peer_checks", lambda: (check,))
    monkeypatch.setattr(matrix, "apply_precision_policy", lambda: {"stub": True})


@pytest.mark.parametrize("required", [False, True])
def test_a_missing_peer_skips_or_fails_where_peers_are_required(
    required: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """A peer library that is not installed skips its cells; with ``--require-peers`` (what
    ``nox -s conformance``, and so CI, passes) it fails them, and the run exits 1."""
    _missing_peer(monkeypatch)
    argv = ["--backends", "numpy", "--cases", "mse_loss", "--out", str(tmp_path)]
    status = matrix.main(argv + ["--require-peers"] * required)
    capsys.readouterr()
    report = json.loads((tmp_path / "conformance-report.json").read_text())
    cell = report["rows"]["mse_loss"]["peer:arraylosses-no-such-peer"]
    assert cell["status"] == ("fail" if required else "skip")
    why = cell["checks"][0]["error" if required else "reason"]
    assert "arraylosses_no_such_peer is not installed" in why
    assert status == (1 if required else 0)
    assert report["peers_required"] is required
    md = (tmp_path / "conformance-report.md").read_text()
    assert ("fails its cells (`--require-peers`)" in md) is required


def test_no_peers_and_require_peers_is_a_usage_error(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exc:
        matrix.main(["--no-peers", "--require-peers"])
    assert exc.value.code == 2
    assert "contradict" in capsys.readouterr().err


def test_require_an_unknown_backend_is_a_usage_error(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exc:
        matrix.main(["--require", "tpu"])
    assert exc.value.code == 2
    assert "unknown backend(s) ['tpu']" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Merging


def _cell(check: str = "values/float32", status: str = "pass") -> dict[str, Any]:
    result: dict[str, Any] = {"check": check, "status": status}
    if status == "pass":
        result |= {"worst_rel_error": 1e-7, "seconds": 0.1}
    else:
        result |= {"error": "AssertionError: differs"}
    text = "ok 1.0e-07" if status == "pass" else f"FAIL: {check}"
    return {"status": status, "text": text, "checks": [result]}


def _adversarial(backend: str, nan: str = "pass") -> dict[str, Any]:
    checks = [
        {"check": "nan", "status": "pass", "tried": "2 NaN placements", "backends": [backend]}
        if nan == "pass"
        else {"check": "nan", "status": "fail", "error": f"{backend}: AssertionError: finite"},
        {"check": "scale", "status": "skip", "reason": "no scaled input declared"},
    ]
    return {"status": nan, "text": "ok nan" if nan == "pass" else "FAIL: nan", "checks": checks}


def _report(
    column: str,
    rows: dict[str, dict[str, Any]],
    planned: list[str] | None = None,
    *,
    complete: bool = True,
    unavailable: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "date": "2026-12-04T00:00:00+00:00",
        "machine": {"gpu": "NVIDIA H200", "processor": "x86_64"},
        "versions": {"numpy": "2.4"},
        "columns": ([column] if not unavailable else []) + ["adversarial"],
        "unavailable_backends": unavailable or {},
        "torch_compile_checked": True,
        "peers_checked": False,
        "precision": {"jax_default_matmul_precision": "highest"},
        "cases_planned": list(rows) if planned is None else planned,
        "complete": complete,
        "rows": rows,
    }


def _row(column: str, status: str = "pass", nan: str = "pass") -> dict[str, Any]:
    return {column: _cell(status=status), "adversarial": _adversarial(column, nan)}


def test_merge_joins_columns_and_adversarial_cells() -> None:
    numpy = _report("numpy", {"mse_loss": _row("numpy"), "l1_loss": _row("numpy")})
    torch = _report("torch-cuda", {"l1_loss": _row("torch-cuda"), "mse_loss": _row("torch-cuda")})
    merged = matrix.merge([torch, numpy], required=["torch-cuda"])
    assert merged["columns"] == ["numpy", "torch-cuda", "adversarial"]
    assert list(merged["rows"]) == ["mse_loss", "l1_loss"]  # registry order
    assert merged["missing"] == [] and merged["complete"] is True
    assert not matrix.failed(merged)
    nan, scale = merged["rows"]["mse_loss"]["adversarial"]["checks"]
    assert nan["status"] == "pass" and sorted(nan["backends"]) == ["numpy", "torch-cuda"]
    assert scale == {"check": "scale", "status": "skip", "reason": "no scaled input declared"}
    assert merged["rows"]["mse_loss"]["adversarial"]["text"] == "ok nan"


def test_merge_keeps_which_parameter_sets_ran_under_the_transforms() -> None:
    """The processes of one ``nox -s conformance`` run each write ``transforms``; the merged
    report (the one CI prints) keeps it, and its text says it."""
    reports = [_report(c, {"mse_loss": _row(c)}) for c in ("numpy", "torch-cuda")]
    for r in reports:
        r["transforms"] = "jax.jit: every parameter set; jax.vmap and torch.compile: the default"
    merged = matrix.merge(reports)
    assert merged["transforms"] == reports[0]["transforms"]
    assert f"({reports[0]['transforms']})" in matrix.markdown(merged)


def test_merge_fails_an_adversarial_kind_that_fails_on_one_column() -> None:
    numpy = _report("numpy", {"mse_loss": _row("numpy")})
    cupy = _report("cupy", {"mse_loss": _row("cupy", nan="fail")})
    merged = matrix.merge([numpy, cupy])
    cell = merged["rows"]["mse_loss"]["adversarial"]
    assert cell["status"] == "fail" and cell["text"] == "FAIL: nan"
    assert "cupy: AssertionError: finite" in cell["checks"][0]["error"]
    assert matrix.failed(merged)


def test_merge_counts_what_did_not_run_as_failures() -> None:
    # a worker killed during its second case: it had planned two and finished one
    stopped = _report("jax-gpu", {"mse_loss": _row("jax-gpu")}, ["mse_loss", "l1_loss"])
    stopped["complete"] = False
    numpy = _report("numpy", {"mse_loss": _row("numpy"), "l1_loss": _row("numpy")})
    cupy = _report("cupy", {}, [], unavailable={"cupy": "cupy: No module named 'cupy'"})
    merged = matrix.merge(
        [numpy, stopped, cupy],
        required=["cupy", "torch-cuda", "jax-gpu"],
        sources=["numpy-1of1", "jax-gpu-1of2", "cupy-1of1"],
    )
    missing = {(m["case"], m["column"]): m["reason"] for m in merged["missing"]}
    assert set(missing) == {
        ("mse_loss", "cupy"),
        ("l1_loss", "cupy"),
        ("mse_loss", "torch-cuda"),
        ("l1_loss", "torch-cuda"),
        ("l1_loss", "jax-gpu"),
    }
    assert missing["l1_loss", "jax-gpu"].startswith("jax-gpu-1of2 planned it but stopped after 1")
    assert missing["mse_loss", "cupy"] == "the backend cannot load: cupy: No module named 'cupy'"
    assert missing["mse_loss", "torch-cuda"].startswith("no report covers this column")
    assert merged["rows"]["l1_loss"]["jax-gpu"]["text"] == "NOT RUN"
    assert merged["complete"] is False and matrix.failed(merged)
    md = matrix.markdown(merged)
    assert "## Not run (counted as failures)" in md
    assert "- `l1_loss` on jax-gpu: jax-gpu-1of2 planned it but stopped" in md
    assert "(INCOMPLETE)" in md


def test_merge_lists_a_planned_case_no_report_planned() -> None:
    numpy = _report("numpy", {"mse_loss": _row("numpy")})
    merged = matrix.merge([numpy], planned=["mse_loss", "huber_loss"])
    assert [(m["case"], m["column"]) for m in merged["missing"]] == [
        ("huber_loss", "numpy"),
        ("huber_loss", "adversarial"),
    ]


def test_merge_refuses_one_cell_from_two_reports() -> None:
    a = _report("numpy", {"mse_loss": _row("numpy")})
    with pytest.raises(ValueError, match="mse_loss on numpy is in two reports"):
        matrix.merge([a, a], sources=["a", "b"])


def test_a_merged_report_with_gaps_merges_with_a_rerun_of_them() -> None:
    first = matrix.merge(
        [_report("numpy", {"mse_loss": _row("numpy")}), _report("cupy", {}, ["mse_loss"])],
        required=["cupy"],
    )
    assert [(m["case"], m["column"]) for m in first["missing"]] == [("mse_loss", "cupy")]
    rerun = _report("cupy", {"mse_loss": _row("cupy")})
    again = matrix.merge([first, rerun], required=["cupy"])
    assert again["missing"] == [] and not matrix.failed(again)
    assert again["rows"]["mse_loss"]["cupy"]["status"] == "pass"
    assert sorted(again["rows"]["mse_loss"]["adversarial"]["checks"][0]["backends"]) == [
        "cupy",
        "numpy",
    ]


def test_merge_from_the_command_line(tmp_path: Path) -> None:
    for name, report in {
        "a": _report("numpy", {"mse_loss": _row("numpy")}),
        "b": _report("torch-cuda", {"mse_loss": _row("torch-cuda", status="fail")}),
    }.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "conformance-report.json").write_text(json.dumps(report))
    out = tmp_path / "merged"
    status = matrix.main(
        ["--merge", str(tmp_path), "--out", str(out), "--report", str(out / "r.md")]
    )
    assert status == 1  # the torch-cuda cell failed
    merged = json.loads((out / "conformance-report.json").read_text())
    assert merged["columns"] == ["numpy", "torch-cuda", "adversarial"]
    assert (out / "r.md").read_text() == (out / "conformance-report.md").read_text()
    assert "| `mse_loss` | ok 1.0e-07 | FAIL: values/float32 |" in (out / "r.md").read_text()


# ---------------------------------------------------------------------------------------------
# Choosing cases: shards and the shared queue


def test_shards_partition_the_cases() -> None:
    every = [c.name for c in CASES]
    shards = [matrix.select_cases(shard=f"{k}/4") for k in range(1, 5)]
    assert sorted(n for s in shards for n in s) == sorted(every)
    assert sum(len(s) for s in shards) == len(every)
    for bad in ("0/4", "5/4", "2", "a/b"):
        with pytest.raises(ValueError, match="--shard"):
            matrix.select_cases(shard=bad)
    with pytest.raises(ValueError, match="unknown case"):
        matrix.select_cases(["no_such_loss"])


def test_each_case_goes_to_the_first_process_to_claim_it(tmp_path: Path) -> None:
    one, two = matrix.claimer(tmp_path / "q"), matrix.claimer(tmp_path / "q")
    assert [one("a"), two("a"), two("b"), one("b"), one("a")] == [True, False, True, False, False]
    assert matrix.claimer(tmp_path / "other")("a")  # another queue: another column


def test_build_runs_only_the_cases_it_claims(tmp_path: Path) -> None:
    claim = matrix.claimer(tmp_path / "q")
    assert claim("l1_loss")  # taken by another worker
    seen: list[list[str]] = []
    report = matrix.build(
        ["numpy"],
        False,
        ["mse_loss", "l1_loss"],
        peers=False,
        claim=claim,
        on_row=lambda r: seen.append(list(r["cases_planned"])),
    )
    assert list(report["rows"]) == ["mse_loss"]
    assert report["cases_planned"] == ["mse_loss"] and report["complete"]
    assert seen[0] == ["mse_loss"]  # planned (and written) before it ran


# ---------------------------------------------------------------------------------------------
# The precision policy, in a fresh interpreter (it sets process-wide flags)

POLICY = """
import importlib.util, json, os
os.environ["CUPY_TF32"] = "1"
has_torch = importlib.util.find_spec("torch") is not None
has_jax = importlib.util.find_spec("jax") is not None
if has_torch:
    import torch
    torch.set_float32_matmul_precision("high")  # TF32 on, as a user might have it
    torch.backends.cudnn.allow_tf32 = True
    assert torch.backends.cuda.matmul.allow_tf32
from conformance.matrix import apply_precision_policy
settings = apply_precision_policy()
seen = {"CUPY_TF32": os.environ["CUPY_TF32"]}
if has_torch:
    seen |= {
        "torch.backends.cuda.matmul.allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "torch.backends.cudnn.allow_tf32": torch.backends.cudnn.allow_tf32,
        "torch.get_float32_matmul_precision()": torch.get_float32_matmul_precision(),
    }
if has_jax:
    import jax
    seen |= {
        "jax_enable_x64": jax.config.jax_enable_x64,
        "jax_default_matmul_precision": jax.config.jax_default_matmul_precision,
    }
print(json.dumps({"settings": settings, "seen": seen}))
"""


def test_the_matrix_process_runs_without_tf32() -> None:
    done = subprocess.run(
        [sys.executable, "-c", POLICY],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    expected = {
        "CUPY_TF32": "0",
        "torch.backends.cuda.matmul.allow_tf32": False,
        "torch.backends.cudnn.allow_tf32": False,
        "torch.get_float32_matmul_precision()": "highest",
        "jax_enable_x64": True,
        "jax_default_matmul_precision": "highest",
    }
    seen = result["seen"]
    assert seen == {k: v for k, v in expected.items() if k in seen}
    # what the report records is what the process has
    assert {k: result["settings"][k] for k in seen} == seen


# ---------------------------------------------------------------------------------------------
# The runner


def _fake_smi(tmp_path: Path, text: str, status: int) -> str:
    script = tmp_path / "nvidia-smi"
    script.write_text(f"#!/bin/sh\necho '{text}'\nexit {status}\n")
    script.chmod(0o755)
    return str(script)


def test_gpu_visible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu.shutil, "which", lambda name: None)
    monkeypatch.setattr(gpu.glob, "glob", lambda pattern: [])
    assert gpu.gpu_visible() == (False, "no nvidia-smi on PATH and no /dev/nvidia* device file")
    monkeypatch.setattr(gpu.glob, "glob", lambda pattern: ["/dev/nvidia0"])
    assert gpu.gpu_visible()[0] is True
    h200 = _fake_smi(tmp_path, "GPU 0: NVIDIA H200 (UUID: GPU-0)", 0)
    monkeypatch.setattr(gpu.shutil, "which", lambda name: h200)
    assert gpu.gpu_visible() == (True, "nvidia-smi -L: GPU 0: NVIDIA H200 (UUID: GPU-0)")
    (tmp_path / "broken").mkdir()
    broken = _fake_smi(tmp_path / "broken", "NVIDIA-SMI has failed: no driver", 9)
    monkeypatch.setattr(gpu.shutil, "which", lambda name: broken)
    assert gpu.gpu_visible() == (False, "nvidia-smi -L: NVIDIA-SMI has failed: no driver")


def test_no_gpu_stops_the_run_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr(gpu, "gpu_visible", lambda: (False, "no nvidia-smi on PATH"))

    def no_process(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a process was started without a GPU")

    monkeypatch.setattr(gpu.subprocess, "Popen", no_process)
    assert gpu.main(["--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no NVIDIA GPU here (no nvidia-smi on PATH)" in err
    assert "cupy, torch-cuda, jax-gpu cannot run" in err
    assert not (tmp_path / "out").exists()


def test_plan_shares_each_columns_queue(tmp_path: Path) -> None:
    cases = [c.name for c in CASES]
    workers = gpu.parse_workers("jax-gpu=3", list(gpu.COLUMNS))
    assert workers == {"numpy": 1, "cupy": 2, "torch-cuda": 6, "jax-gpu": 3}
    jobs = gpu.plan(list(gpu.COLUMNS), list(gpu.GPU_COLUMNS), workers, tmp_path, cases)
    assert [j.column for j in jobs].count("jax-gpu") == 3
    assert len({str(j.out) for j in jobs}) == len(jobs)  # a report directory each
    for job in jobs:
        args = job.command[job.command.index("conformance.matrix") + 1 :]
        opts = {a: args[i + 1] for i, a in enumerate(args[:-1]) if a.startswith("--")}
        assert opts["--backends"] == job.column and "--no-peers" in args
        assert opts["--claim"] == str(tmp_path / f"queue-{job.column}")
        assert ("--require" in args) == (job.column != "numpy")
        assert ("--compile" in args) == (job.column == "torch-cuda")
        order = opts["--cases"].split(",")
        assert sorted(order) == sorted(cases)  # every case, once
        assert order[: len(gpu.SLOW_FIRST)] == [c for c in gpu.SLOW_FIRST if c in cases]
    with pytest.raises(ValueError, match="--workers"):
        gpu.parse_workers("jax-gpu=0", list(gpu.COLUMNS))
    with pytest.raises(ValueError, match="--workers"):
        gpu.parse_workers("tpu=2", list(gpu.COLUMNS))


def _files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


@pytest.mark.slow
def test_the_runner_on_the_numpy_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    cases = "mse_loss,l1_loss,huber_loss"
    status = gpu.main(
        [
            *("--out", str(out), "--columns", "numpy", "--require", "numpy"),
            *("--workers", "numpy=2", "--cases", cases, "--report", str(tmp_path / "gpu.md")),
        ]
    )
    assert status == 0
    assert _files(out) == ["gpu-report.json", "gpu-report.md", "logs.tar.gz", "summary.txt"]
    report = json.loads((out / "gpu-report.json").read_text())
    assert list(report["rows"]) == cases.split(",")
    assert {row["numpy"]["status"] for row in report["rows"].values()} == {"pass"}
    assert sum(r["cases"] for r in report["runs"]) == 3  # the two workers split the three
    assert (tmp_path / "gpu.md").read_text() == (out / "gpu-report.md").read_text()
    with tarfile.open(out / "logs.tar.gz") as tar:
        names = tar.getnames()
    assert "gpu-run/numpy-1of2.log" in names and "gpu-run/numpy-2of2.log" in names


@pytest.mark.slow
def test_a_process_past_its_time_is_killed_and_its_cases_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    # half a second: less than importing torch and JAX takes, so it never gets to a case
    status = gpu.main(
        [
            *("--out", str(out), "--columns", "numpy", "--require", "numpy"),
            *("--timeout", "0.5", "--cases", "mse_loss"),
        ]
    )
    assert status == 1
    report = json.loads((out / "gpu-report.json").read_text())
    assert [(m["case"], m["column"]) for m in report["missing"]] == [
        ("mse_loss", "numpy"),
        ("mse_loss", "adversarial"),
    ]
    summary = (out / "summary.txt").read_text()
    assert "numpy-1of1" in summary and "TIMED OUT" in summary
    assert "--columns numpy --require numpy --cases mse_loss" in summary


def test_fast_cpu_compiler_flags_come_first_and_can_be_turned_off() -> None:
    """conformance/xla.py: the flags go in front of the user's (XLA reads the last of a
    repeated flag, so the user's win), once however often it is called, and not at all with
    ARRAYLOSSES_XLA_FAST=0."""
    from conformance.xla import FAST_CPU_FLAGS, use_fast_cpu_compiler

    env = {"XLA_FLAGS": "--xla_backend_optimization_level=3"}
    assert use_fast_cpu_compiler(env) and use_fast_cpu_compiler(env)
    assert env["XLA_FLAGS"] == FAST_CPU_FLAGS + " --xla_backend_optimization_level=3"
    empty: dict[str, str] = {}
    use_fast_cpu_compiler(empty)
    assert empty == {"XLA_FLAGS": FAST_CPU_FLAGS}
    off = {"ARRAYLOSSES_XLA_FAST": "0"}
    assert not use_fast_cpu_compiler(off) and "XLA_FLAGS" not in off
