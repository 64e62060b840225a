"""The GPU conformance run: the matrix on the GPU columns, one process per column and shard,
in parallel, merged into one report.

    python -m conformance.gpu --out DIR [--columns numpy,cupy,torch-cuda,jax-gpu]
                              [--require cupy,torch-cuda,jax-gpu] [--workers jax-gpu=8,...]
                              [--timeout 330] [--no-compile] [--cases a,b] [--report FILE]

Each column gets N worker processes (``--workers``), each ``python -m conformance.matrix
--backends COL --require COL --no-peers --compile --claim QUEUE``: the workers of a column
share its queue of cases, each taking the next case no other has taken (the slowest cases are
listed first), so they finish together. Every registry case runs on every column. Each
process has a wall-clock limit (``--timeout``): its process group is killed there, and the rows
it finished are kept (the matrix rewrites its JSON after every row). The peer libraries run on
the CPU and are in the CPU report, so they are left out here. The reports are merged
(``conformance.matrix.merge``): a required column or a case that did not run is a failure,
named in the report.

Writes to DIR only: ``gpu-report.md`` and ``gpu-report.json`` (the merged matrix),
``summary.txt`` (each process's exit status and time, ``nvidia-smi`` output) and
``logs.tar.gz`` (each process's log and JSON report). Before starting anything it checks that
an NVIDIA GPU is visible when a GPU column is required, and stops with exit status 2 if not.
Exit status: 0 when every cell of the merged report passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

GPU_COLUMNS = ("cupy", "torch-cuda", "jax-gpu")
COLUMNS = ("numpy", *GPU_COLUMNS)  # numpy: the reference column, on the same machine
# processes per column: JAX's eager ops compile one XLA program per primitive, shape and
# dtype (the JAX column is the slowest on the CPU), and the torch column compiles every case
# with torch.compile; numpy and CuPy are cheap
WORKERS = {"numpy": 1, "cupy": 2, "torch-cuda": 6, "jax-gpu": 7}
# taken first from each column's queue, so that no worker starts one of these near the end:
# the slowest cases on the CPU under JAX eager and torch.compile (2026-12-04: from about 100 s
# for matryoshka down to 20 s). The order only balances the load; every case runs either way
SLOW_FIRST = (
    "matryoshka",
    "multiple_negatives_ranking_loss",
    "entropy_adaptive_info_nce",
    "nt_xent_loss",
    "supcon_loss",
    "clip_loss",
    "info_nce",
    "siglip_loss",
    "multiple_negatives_symmetric_ranking_loss",
    "metrics.ndcg_at_k",
    "cosent_loss",
    "huber_loss",
    "softmax_focal_loss",
    "sigmoid_focal_loss",
    "metrics.recall_at_k",
    "normalized_sampled_softmax_loss",
    "metrics.mrr",
)
TIMEOUT_S = 330
# what each matrix process gets: unbuffered logs; JAX allocates GPU memory as it needs it
# (by default each process would take 75% of it); CuPy without TF32 (the matrix sets it too)
ENV = {"PYTHONUNBUFFERED": "1", "XLA_PYTHON_CLIENT_PREALLOCATE": "false", "CUPY_TF32": "0"}


def gpu_visible() -> tuple[bool, str]:
    """Whether an NVIDIA GPU is visible here, and what says so (``nvidia-smi -L``, else the
    ``/dev/nvidia*`` device files)."""
    smi = shutil.which("nvidia-smi")
    if smi is not None:
        try:
            done = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            return False, f"nvidia-smi -L failed: {err}"
        text = (done.stdout + done.stderr).strip()
        return done.returncode == 0 and "GPU" in done.stdout, f"nvidia-smi -L: {text}"
    devices = sorted(glob.glob("/dev/nvidia[0-9]*"))
    if devices:
        return True, f"no nvidia-smi; device files {', '.join(devices)}"
    return False, "no nvidia-smi on PATH and no /dev/nvidia* device file"


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def parse_workers(text: str, columns: list[str]) -> dict[str, int]:
    """``"jax-gpu=8,torch-cuda=4"`` over the defaults of :data:`WORKERS` (1 for others)."""
    workers = {c: WORKERS.get(c, 1) for c in columns}
    for item in _names(text):
        name, _, count = item.partition("=")
        if name not in workers or not count.isdigit() or int(count) < 1:
            raise ValueError(f"--workers takes COLUMN=N for the columns run (N >= 1), got {item!r}")
        workers[name] = int(count)
    return workers


def slow_first(cases: list[str]) -> list[str]:
    """``cases`` with those of :data:`SLOW_FIRST` moved to the front."""
    return [c for c in SLOW_FIRST if c in cases] + [c for c in cases if c not in SLOW_FIRST]


@dataclass
class Job:
    """One matrix process: a column, its number among the column's workers, its command, log
    and report directory."""

    column: str
    worker: int
    workers: int
    command: list[str]
    out: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    seconds: float = 0.0
    returncode: int | None = None
    timed_out: bool = False
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"{self.column}-{self.worker}of{self.workers}"


def plan(
    columns: list[str],
    required: list[str],
    workers: dict[str, int],
    work: Path,
    cases: list[str],
    *,
    compile_torch: bool = True,
    python: str = sys.executable,
) -> list[Job]:
    """The matrix processes: ``workers[column]`` per column, sharing the column's queue of
    ``cases`` (slowest first)."""
    jobs = []
    ordered = ",".join(slow_first(cases))
    for column in columns:
        n = workers[column]
        for k in range(1, n + 1):
            name = f"{column}-{k}of{n}"
            # --full: every parameter set under torch.compile and jax.jit/vmap on the GPU (the
            # chunked forms are not the default case, and they are what compiles differently)
            command = [python, "-m", "conformance.matrix", "--backends", column, "--no-peers"]
            command.append("--full")
            if column in required:
                command += ["--require", column]
            if compile_torch and column.startswith("torch"):
                command.append("--compile")
            command += ["--cases", ordered, "--claim", str(work / f"queue-{column}")]
            command += ["--out", str(work / name)]
            jobs.append(Job(column, k, n, command, work / name, work / f"{name}.log"))
    return jobs


def _kill(job: Job) -> None:
    """SIGTERM to the job's process group (torch.compile's workers included), SIGKILL 10 s
    later if it is still there."""
    assert job.process is not None
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(job.process.pid, sig)
        except ProcessLookupError:
            return
        try:
            job.process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run(jobs: list[Job], timeout: float, env: dict[str, str]) -> None:
    """Every job at once, each in its own process group, each stopped at ``timeout`` s."""
    for job in jobs:
        job.log.parent.mkdir(parents=True, exist_ok=True)
        job._log = job.log.open("wb")
        job.started = time.monotonic()
        job.process = subprocess.Popen(
            job.command, stdout=job._log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        print(f"started {job.name}: pid {job.process.pid}", flush=True)
    pending = list(jobs)
    while pending:
        time.sleep(0.5)
        for job in list(pending):
            assert job.process is not None
            elapsed = time.monotonic() - job.started
            if job.process.poll() is None and elapsed > timeout:
                job.timed_out = True
                _kill(job)
            if job.process.poll() is not None:
                job.returncode = job.process.returncode
                job.seconds = round(time.monotonic() - job.started, 1)
                assert job._log is not None
                job._log.close()
                pending.remove(job)
                state = "TIMED OUT" if job.timed_out else f"exit {job.returncode}"
                print(f"finished {job.name}: {state} after {job.seconds} s", flush=True)


def _summary(jobs: list[Job], gpu: str, report: dict[str, Any], wall: float) -> str:
    lines = [f"GPU: {gpu}", f"wall: {wall:.1f} s", ""]
    for job in jobs:
        state = "TIMED OUT" if job.timed_out else f"exit {job.returncode}"
        command = list(job.command)
        if "--cases" in command:  # the whole list, once per job, would bury the rest
            i = command.index("--cases") + 1
            command[i] = f"<{len(command[i].split(','))} cases>"
        lines.append(f"{job.name:<20} {state:<10} {job.seconds:7.1f} s  {' '.join(command)}")
    cells = [c for row in report["rows"].values() for c in row.values()]
    count = {s: sum(c["status"] == s for c in cells) for s in ("pass", "fail", "missing", "skip")}
    lines += ["", "cells: " + ", ".join(f"{v} {k}" for k, v in count.items())]
    if report["missing"]:
        by_column: dict[str, list[str]] = {}
        for m in report["missing"]:
            if m["column"] != "adversarial":  # runs with the backend columns
                by_column.setdefault(m["column"], []).append(m["case"])
        lines += ["", "not run (to run them alone, then merge with this run's gpu-report.json):"]
        lines += [
            f"  python -m conformance.gpu --out DIR --columns {c} --require {c} "
            f"--cases {','.join(cases)}"
            for c, cases in by_column.items()
        ]
        lines += ["  python -m conformance.matrix --merge gpu-report.json DIR/gpu-report.json"]
    for job in jobs:
        if job.returncode not in (0, 1) or job.timed_out:
            tail = job.log.read_text(errors="replace").splitlines()[-15:]
            lines += ["", f"--- last lines of {job.log.name}", *tail]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from . import matrix  # the runner itself imports no backend

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="directory for the merged report and logs")
    parser.add_argument("--columns", default=",".join(COLUMNS), help="backend columns to run")
    parser.add_argument(
        "--require",
        default=",".join(GPU_COLUMNS),
        help="columns that must load and be complete (default: the GPU columns)",
    )
    parser.add_argument("--workers", default="", help="COLUMN=N,...: processes per column")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds per process")
    parser.add_argument("--no-compile", action="store_true", help="leave out torch.compile")
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--report", default=None, help="also write the Markdown report here")
    parser.add_argument("--work", default=None, help="directory for the per-process reports")
    args = parser.parse_args(argv)
    columns, required = _names(args.columns), _names(args.require)
    unknown = [c for c in columns + required if c not in matrix.BACKENDS]
    if unknown:
        parser.error(f"unknown column(s) {unknown}; known: {', '.join(matrix.BACKENDS)}")
    columns += [c for c in required if c not in columns]
    try:
        workers = parse_workers(args.workers, columns)
        cases = matrix.select_cases(_names(args.cases) or None)
    except ValueError as err:
        parser.error(str(err))

    seen, gpu = gpu_visible()
    print(gpu, flush=True)
    needs_gpu = [c for c in required if c in GPU_COLUMNS]
    if needs_gpu and not seen:
        print(
            f"conformance-gpu: no NVIDIA GPU here ({gpu}); the required GPU columns "
            f"{', '.join(needs_gpu)} cannot run. Nothing was started.",
            file=sys.stderr,
        )
        return 2

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(args.work or tempfile.mkdtemp(prefix="arraylosses-gpu-"))
    jobs = plan(columns, required, workers, work, cases, compile_torch=not args.no_compile)
    env = {**os.environ, **ENV}
    if "TORCHINDUCTOR_COMPILE_THREADS" not in os.environ:
        # torch.compile's pool of compile workers: with a process per core already, none
        env["TORCHINDUCTOR_COMPILE_THREADS"] = str(max(1, (os.cpu_count() or 1) // len(jobs)))
    start = time.monotonic()
    run(jobs, args.timeout, env)

    reports, sources = [], []
    for job in jobs:
        path = job.out / f"{matrix.REPORT}.json"
        if path.exists():
            reports.append(json.loads(path.read_text()))
            sources.append(job.name)
    report = matrix.merge(reports, required, sources, cases)
    md = matrix.markdown(report)
    (out / "gpu-report.json").write_text(json.dumps(report, indent=1, default=str))
    (out / "gpu-report.md").write_text(md)
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(md)
    (out / "summary.txt").write_text(_summary(jobs, gpu, report, time.monotonic() - start))
    with tarfile.open(out / "logs.tar.gz", "w:gz") as tar:
        tar.add(work, arcname="gpu-run")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    print(md)
    print((out / "summary.txt").read_text())
    return 1 if matrix.failed(report) else 0


if __name__ == "__main__":
    sys.exit(main())
