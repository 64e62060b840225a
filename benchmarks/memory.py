"""Peak memory and time of one loss step (forward + backward), dense against chunked.

    python benchmarks/memory.py [--sizes 4096 8192 16384 32768 65536] [--chunk 1024]
                                [--compare-chunks 2048] [--compare-max-n 16384]
                                [--backends torch jax] [--losses info_nce_symmetric clip]
                                [--device cpu|cuda] [--repeat 3] [--out benchmarks/results]
    python benchmarks/memory.py --kernels [--out benchmarks/results]

(``python benchmarks/run.py --only memory`` runs the defaults.) The step is the loss and its
gradient with respect to both embedding matrices (``(N, D)`` float32, D = 256):
``loss.backward()`` on torch, ``jax.jit(jax.value_and_grad(...))`` on JAX (compiled first; the
compile time is reported apart). Dense is ``chunk_size=None``, chunked ``chunk_size=k``:
``--chunk`` at every N, and each of ``--compare-chunks`` at N <= ``--compare-max-n``.

Each measurement runs in a fresh process (``--worker``), so one run's allocator state and
compiled programs cannot change another's. The dense and chunked processes of one N run one
after the other, and their time ratio is taken from this run.

* Memory, CPU: the process's peak resident set (``VmHWM``, reset through
  ``/proc/self/clear_refs`` just before the first step) minus its resident set at that
  moment, when the inputs already exist: the memory the loss step itself needs.
* Memory, ``--device cuda``: torch, ``torch.cuda.max_memory_allocated`` (reset before the
  step) minus the bytes allocated before it; JAX, the device's ``peak_bytes_in_use`` minus
  its ``bytes_in_use`` before the step (JAX cannot reset the peak, so compilation is included:
  an upper bound). JAX rows also record XLA's own count of the step's temporary buffers
  (``memory_analysis().temp_size_in_bytes``).
* Time: the first step, which the memory is read on, is a warm-up; the time is the median of
  the ``--repeat`` - 1 steps after it (the first step alone when ``--repeat 1`` or when
  further steps would exceed ``--budget-s`` seconds, as at N = 65,536 on a small CPU). The
  process's CPU time (all its threads) is recorded too; the targets are judged on the wall
  time. On a machine that others share, ``--threads 1`` keeps torch's thread pool from
  waiting on descheduled threads, which the chunked path's many small operations suffer most.

``--kernels`` counts instead the kernels each tile of the chunked path launches on torch
(CPU, the torch profiler; :func:`kernels_per_tile`): eager torch walks the tiles in a Python
loop, one launch per operation of the tile body, so on a GPU this count, not the arithmetic,
sets the chunked path's time at small tiles. ``tests/test_tile_kernels.py`` holds the
counts to their present values.

The dense path is not run where its projected need exceeds ``--dense-limit-gib``: the
largest dense peak measured in this run for that backend and loss, scaled by N²
(16·N² bytes before any is measured: torch's, from issue #15). The table then says
"not run" with the projection.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

LOSSES = ("info_nce_symmetric", "clip", "siglip")
LABELS = {
    "info_nce_symmetric": "info_nce (symmetric)",
    "clip": "clip_loss",
    "siglip": "siglip_loss",
}
SIZES = (4096, 8192, 16384, 32768, 65536)
GIB = 2**30

# the targets of issue #15 (CPU)
TARGET_PEAK_N, TARGET_PEAK_GIB = 65536, 1.5  # peak of the loss step at N = 65,536
TARGET_TIME_N, TARGET_TIME_RATIO = 16384, 1.2  # chunked / dense time at N = 16,384
TARGET_COMPILE_TILES, TARGET_COMPILE_S = 64, 30.0  # JAX compile at N / chunk = 64
TARGET_LOSSES = ("info_nce_symmetric", "clip")


# ---------------------------------------------------------------------------------------------
# the worker: one measurement in this process


def _status_kib(field: str) -> int:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _loss(name: str, chunk: int | None) -> Callable[[Any, Any], Any]:
    import arraylosses as al

    if name == "info_nce_symmetric":
        return lambda a, b: al.info_nce(a, b, symmetric=True, chunk_size=chunk)
    if name == "clip":
        return lambda a, b: al.clip_loss(a, b, chunk_size=chunk)
    if name == "siglip":
        return lambda a, b: al.siglip_loss(a, b, chunk_size=chunk)
    raise ValueError(f"unknown loss {name!r}")


def _peak_meter(
    backend: str, device: str, jax_device: Any = None
) -> Callable[[], Callable[[], int]]:
    """``start()`` resets the peak and returns ``read()``: the bytes above the level at
    ``start()`` that the step reached."""
    if device == "cpu":

        def start() -> Callable[[], int]:
            before = _status_kib("VmRSS")
            pathlib.Path("/proc/self/clear_refs").write_text("5")
            return lambda: max(_status_kib("VmHWM") - before, 0) * 1024

    elif backend == "torch":
        import torch

        def start() -> Callable[[], int]:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            before = torch.cuda.memory_allocated()
            return lambda: torch.cuda.max_memory_allocated() - before

    else:

        def start() -> Callable[[], int]:
            before = jax_device.memory_stats()["bytes_in_use"]
            return lambda: jax_device.memory_stats()["peak_bytes_in_use"] - before

    return start


def worker(job: dict[str, Any]) -> dict[str, Any]:
    """One measurement in this process. ``job``: backend, loss, n, d, chunk (None: dense),
    device, repeat, budget_s, threads (None: the libraries' default), and for JAX optionally
    compile_only (compile for ``(n, d)`` inputs, run nothing)."""
    backend, loss, n, d, chunk = (job[k] for k in ("backend", "loss", "n", "d", "chunk"))
    device, threads = job["device"], job["threads"]
    if threads is not None:  # before torch or jax starts its thread pools
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:threads])
    import numpy as np

    fn = _loss(loss, chunk)
    if not job.get("compile_only"):
        rng = np.random.default_rng(0)
        a_np = rng.normal(size=(n, d)).astype(np.float32)
        b_np = (a_np + 0.5 * rng.normal(size=(n, d))).astype(np.float32)
    extra: dict[str, Any] = {}
    if backend == "torch":
        import torch

        if threads is not None:
            torch.set_num_threads(threads)
        a = torch.tensor(a_np, device=device, requires_grad=True)
        b = torch.tensor(b_np, device=device, requires_grad=True)
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
        meter = _peak_meter(backend, device)

        def step() -> float:
            a.grad = b.grad = None
            value = fn(a, b)
            value.backward()
            sync()
            return float(value.detach())

    else:
        import jax

        target = jax.devices("gpu" if device == "cuda" else "cpu")[0]
        if job.get("compile_only"):
            a = b = jax.ShapeDtypeStruct(
                (n, d), np.float32, sharding=jax.sharding.SingleDeviceSharding(target)
            )
        else:
            a, b = jax.device_put(a_np, target), jax.device_put(b_np, target)
        start = time.perf_counter()
        compiled = jax.jit(jax.value_and_grad(fn, argnums=(0, 1))).lower(a, b).compile()
        extra["compile_s"] = time.perf_counter() - start
        analysis = compiled.memory_analysis()
        extra["xla_temp_bytes"] = getattr(analysis, "temp_size_in_bytes", None)
        if job.get("compile_only"):
            return job | extra
        meter = _peak_meter(backend, device, target)

        def step() -> float:
            value, grads = compiled(a, b)
            jax.block_until_ready(grads)
            return float(value)

    read_peak = meter()
    start, cpu = time.perf_counter(), time.process_time()
    value = step()
    times, cpu_times = [time.perf_counter() - start], [time.process_time() - cpu]
    peak = read_peak()
    while len(times) < job["repeat"] and sum(times) + times[-1] <= job["budget_s"]:
        start, cpu = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
    return job | {
        "value": value,
        "seconds": statistics.median(times[1:] or times),
        "cpu_seconds": statistics.median(cpu_times[1:] or cpu_times),
        "steps": len(times),
        "peak_bytes": peak,
        **extra,
    }


# ---------------------------------------------------------------------------------------------
# kernels per tile (torch, CPU): what the chunked path launches for each tile it walks

#: aten operators that launch no kernel of their own: views, allocations, metadata
NO_KERNEL = frozenset(
    "aten::" + name
    for name in (
        "empty empty_strided empty_like as_strided view reshape _reshape_alias _unsafe_view "
        "resolve_conj resolve_neg real to lift_fresh alias t transpose expand unsqueeze squeeze "
        "slice select detach detach_ permute numpy_T matrix_H mT swapaxes unbind split "
        "result_type contiguous"
    ).split()
)


def _kernel_losses() -> dict[str, tuple[Callable[..., Any], Callable[[int, int], int]]]:
    import arraylosses as al

    def square(n: int, chunk: int) -> int:
        return (-(-n // chunk)) ** 2

    def doubled(n: int, chunk: int) -> int:  # NT-Xent: 2N rows, 2N columns
        return (-(-2 * n // chunk)) ** 2

    def labels(a: Any) -> Any:
        import torch

        return torch.arange(a.shape[0]) % 3

    return {
        "info_nce": (lambda a, b, k: al.info_nce(a, b, chunk_size=k), square),
        "info_nce_symmetric": (
            lambda a, b, k: al.info_nce(a, b, symmetric=True, chunk_size=k),
            square,
        ),
        "siglip": (lambda a, b, k: al.siglip_loss(a, b, chunk_size=k), square),
        "supcon": (lambda a, b, k: al.supcon_loss(a, labels(a), chunk_size=k), square),
        "nt_xent": (lambda a, b, k: al.nt_xent_loss(a, b, chunk_size=k), doubled),
    }


def count_kernels(fn: Callable[[], Any]) -> collections.Counter[str]:
    """The kernels ``fn()`` launches on torch's CPU, by operator: the aten operators the
    profiler records that launch one and that call no such operator themselves (a composite such as
    ``logsumexp`` counts as the kernels it calls). Views, allocations and metadata
    (:data:`NO_KERNEL`) launch none, nor does an operator on 0-d arrays only: the copy of a
    Python number that torch wraps into a tensor (``scale * dot``), which a GPU kernel takes
    as an argument."""
    import torch

    with torch.profiler.profile(
        activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True
    ) as prof:
        fn()

    def launches(event: Any) -> bool:
        if not event.name.startswith("aten::") or event.name in NO_KERNEL:
            return False
        shapes = [s for s in event.input_shapes if isinstance(s, list)]
        return not shapes or any(len(s) > 0 for s in shapes)

    def calls_one(event: Any) -> bool:
        return any(launches(c) or calls_one(c) for c in event.cpu_children)

    return collections.Counter(e.name for e in prof.events() if launches(e) and not calls_one(e))


def kernels_per_tile(loss: str, *, chunk: int = 4, d: int = 4, backward: bool) -> float:
    """Kernels per tile of one chunked step of ``loss`` (:func:`_kernel_losses`), forward only
    or forward and backward (with respect to both embeddings): the difference between the
    counts at N = 6·chunk - 1 and N = 3·chunk - 1 (the same short last block) over the
    difference in tiles, so what every call does once cancels."""
    import torch

    fn, tiles = _kernel_losses()[loss]

    def step(n: int) -> Callable[[], Any]:
        g = torch.Generator().manual_seed(0)
        a = torch.randn(n, d, generator=g, requires_grad=backward)
        b = torch.randn(n, d, generator=g, requires_grad=backward)

        def run() -> None:
            value = fn(a, b, chunk)
            if backward:
                value.backward()

        return run

    small, large = 3 * chunk - 1, 6 * chunk - 1
    counts = [count_kernels(step(n)).total() for n in (small, large)]
    return (counts[1] - counts[0]) / (tiles(large, chunk) - tiles(small, chunk))


def kernel_rows() -> list[dict[str, Any]]:
    """:func:`kernels_per_tile` of every loss in :func:`_kernel_losses`, forward and both."""
    import torch

    import arraylosses

    where = pathlib.Path(arraylosses.__file__).parent
    git = ["git", "-C", str(where), "describe", "--always", "--dirty"]
    out = subprocess.run(git, capture_output=True, text=True, check=False)
    commit = out.stdout.strip() or "unknown"
    rows = []
    for loss in _kernel_losses():
        for backward in (False, True):
            rows.append(
                {
                    "loss": loss,
                    "pass": "forward+backward" if backward else "forward",
                    "kernels_per_tile": round(kernels_per_tile(loss, backward=backward), 3),
                    "torch": torch.__version__,
                    "commit": commit,
                }
            )
    return rows


# ---------------------------------------------------------------------------------------------
# the sweep: one process per measurement


def measure(job: dict[str, Any]) -> dict[str, Any]:
    """:func:`worker` in a fresh process; a failure (an exception, the process killed) is a
    row with ``error``."""
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--worker", json.dumps(job)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-1:] or [f"exit status {out.returncode}"]
        return job | {"error": tail[0]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine_name(device: str) -> str:
    name = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    for module in ("torch", "jax"):
        try:
            lib = __import__(module)
        except ImportError:
            continue
        name += f", {module} {lib.__version__}"
    if device == "cuda":
        import torch

        name += f", {torch.cuda.get_device_name()}"
    return name


def sweep(
    *,
    backends: list[str],
    losses: list[str],
    sizes: list[int],
    chunk: int,
    compare_chunks: Sequence[int] = (),
    compare_max_n: int = 16384,
    d: int = 256,
    device: str = "cpu",
    dense_limit_gib: float = 12.0,
    repeat: int = 3,
    budget_s: float = 120.0,
    threads: int | None = None,
    command: str = "",
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    load_before = os.getloadavg()
    for backend in backends:
        for loss in losses:
            fit = (1, 16.0)  # (N, bytes at N): the dense need is fit[1]·(n/fit[0])²
            for n in sizes:
                job: dict[str, Any] = {"backend": backend, "loss": loss, "n": n, "d": d}
                job |= {"device": device, "repeat": repeat, "budget_s": budget_s}
                job |= {"threads": threads}
                projected = fit[1] * (n / fit[0]) ** 2
                if projected > dense_limit_gib * GIB:
                    row = job | {"chunk": None, "projected_bytes": projected}
                else:
                    row = measure(job | {"chunk": None})
                    if "peak_bytes" in row:
                        fit = (n, float(row["peak_bytes"]))
                rows.append(row)
                log(json.dumps(row))
                others = [k for k in compare_chunks if n <= compare_max_n and k != chunk]
                for k in [chunk, *others]:
                    row = measure(job | {"chunk": k})
                    rows.append(row)
                    log(json.dumps(row))
            if backend == "jax":  # the compile time at N / chunk = 64 tiles a side
                for k in dict.fromkeys([chunk, *compare_chunks]):
                    n = TARGET_COMPILE_TILES * k
                    if n not in sizes:
                        job = {"backend": backend, "loss": loss, "n": n, "d": d, "chunk": k}
                        job |= {"device": device, "threads": threads, "compile_only": True}
                        rows.append(measure(job))
                        log(json.dumps(rows[-1]))
    return {
        "machine": machine_name(device),
        "device": device,
        "d": d,
        "repeat": repeat,
        "budget_s": budget_s,
        "dense_limit_gib": dense_limit_gib,
        "chunk": chunk,
        "threads": threads,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "wall_s": time.perf_counter() - started,
        "command": command,
        "rows": rows,
    }


# ---------------------------------------------------------------------------------------------
# report


def _gib(x: float) -> str:
    return f"{x / GIB:.3f} GiB" if x < GIB else f"{x / GIB:.2f} GiB"


def _seconds(s: float) -> str:
    return f"{s * 1e3:.0f} ms" if s < 1 else f"{s:.2f} s"


def _dense_for(result: dict[str, Any], row: dict[str, Any]) -> dict[str, Any] | None:
    for other in result["rows"]:
        if other["chunk"] is None and all(other[k] == row[k] for k in ("backend", "loss", "n")):
            return other
    return None


def _chunked(result: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    return [
        (r, _dense_for(result, r))
        for r in result["rows"]
        if r["chunk"] is not None and not r.get("compile_only")
    ]


def targets(result: dict[str, Any]) -> list[str]:
    """One line per target of issue #15 that this run measured, with ✓ or ✗."""
    lines = []
    for row, dense in _chunked(result):
        if row["loss"] not in TARGET_LOSSES or "error" in row:
            continue
        name = f"{row['backend']} {LABELS[row['loss']]}, chunk {row['chunk']}"
        if row["n"] == TARGET_PEAK_N:
            ok = row["peak_bytes"] <= TARGET_PEAK_GIB * GIB
            lines.append(
                f"peak ≤ {TARGET_PEAK_GIB} GiB at N = {TARGET_PEAK_N:,}, {name}: "
                f"{_gib(row['peak_bytes'])} {'✓' if ok else '✗'}"
            )
        if row["n"] == TARGET_TIME_N and dense and "seconds" in dense:
            ratio = row["seconds"] / dense["seconds"]
            cpu = row["cpu_seconds"] / dense["cpu_seconds"]
            ok = ratio <= TARGET_TIME_RATIO
            lines.append(
                f"time ≤ {TARGET_TIME_RATIO}× dense at N = {TARGET_TIME_N:,}, {name}: "
                f"{ratio:.2f}× {'✓' if ok else '✗'} (CPU time {cpu:.2f}×)"
            )
    for row in result["rows"]:
        if row["loss"] not in TARGET_LOSSES or "compile_s" not in row or row["chunk"] is None:
            continue
        if row["n"] == TARGET_COMPILE_TILES * row["chunk"]:
            name = f"{row['backend']} {LABELS[row['loss']]}, chunk {row['chunk']}"
            ok = row["compile_s"] <= TARGET_COMPILE_S
            lines.append(
                f"JAX compile ≤ {TARGET_COMPILE_S:.0f} s at N/chunk = {TARGET_COMPILE_TILES} "
                f"(N = {row['n']:,}), {name}: {row['compile_s']:.1f} s {'✓' if ok else '✗'}"
            )
    return lines


def _threads(result: dict[str, Any]) -> str:
    count = result.get("threads")
    return "every CPU" if count is None else f"{count} CPU{'s' * (count > 1)} per measurement"


def markdown(result: dict[str, Any]) -> str:
    load = "/".join(f"{x:.1f}" for x in result["load_average_before"])
    threads = _threads(result)
    lines = [
        f"Machine: {result['machine']}; device {result['device']}; D = {result['d']}, float32; "
        f"{threads}; load average before the run {load}.",
        "",
        "Forward + backward with respect to both embedding matrices. Peak: the memory the loss "
        "step needs above its inputs (CPU: peak resident set; CUDA: peak allocated). "
        "chunked/dense: times of the same run.",
        "",
        "| backend | loss | N | chunk | peak dense | peak chunked | time dense | time chunked "
        "| chunked/dense | (CPU time) | JAX compile (chunked) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row, dense in _chunked(result):
        ratio = cpu = "–"
        if dense is None:
            peak_d = time_d = "–"
        elif "projected_bytes" in dense:
            peak_d = f"not run (needs ~{dense['projected_bytes'] / GIB:.0f} GiB)"
            time_d = "–"
        elif "error" in dense:
            peak_d, time_d = f"failed: {dense['error']}", "–"
        else:
            peak_d, time_d = _gib(dense["peak_bytes"]), _seconds(dense["seconds"])
            if "error" not in row:
                ratio = f"{row['seconds'] / dense['seconds']:.2f}"
                cpu = f"{row['cpu_seconds'] / dense['cpu_seconds']:.2f}"
        if "error" in row:
            peak_c, time_c, compile_c = f"failed: {row['error']}", "–", "–"
        else:
            peak_c, time_c = _gib(row["peak_bytes"]), _seconds(row["seconds"])
            compile_c = f"{row['compile_s']:.1f} s" if "compile_s" in row else "–"
        lines.append(
            f"| {row['backend']} | {LABELS[row['loss']]} | {row['n']:,} | {row['chunk']} | "
            f"{peak_d} | {peak_c} | {time_d} | {time_c} | {ratio} | {cpu} | {compile_c} |"
        )
    compiled = [r for r in result["rows"] if r.get("compile_only")]
    if compiled:
        lines += ["", "JAX, compiled only (not run), N = 64 × chunk:", ""]
        for r in compiled:
            what = (
                f"failed: {r['error']}"
                if "error" in r
                else f"compile {r['compile_s']:.1f} s; XLA's temporary buffers "
                f"{_gib(r['xla_temp_bytes'] or 0)}"
            )
            lines.append(f"- {LABELS[r['loss']]}, N = {r['n']:,}, chunk {r['chunk']}: {what}")
    found = targets(result)
    if found:
        lines += ["", "Targets (issue #15):", ""] + [f"- {line}" for line in found]
    lines += ["", f"Command: `{result['command']}` ({result['wall_s'] / 60:.0f} min)."]
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    losses = list(dict.fromkeys(r["loss"] for r in rows))
    backends = list(dict.fromkeys(r["backend"] for r in rows))
    colors = dict(zip(backends, ("tab:red", "tab:blue", "tab:green"), strict=False))
    fig, axes = plt.subplots(1, len(losses), figsize=(4.2 * len(losses), 4), sharey=True)
    axes = [axes] if len(losses) == 1 else list(axes)
    for ax, loss in zip(axes, losses, strict=True):
        for backend in backends:
            mine = [r for r in rows if r["loss"] == loss and r["backend"] == backend]
            dense = [r for r in mine if r["chunk"] is None and "peak_bytes" in r]
            ax.plot(
                [r["n"] for r in dense],
                [r["peak_bytes"] / GIB for r in dense],
                "o-",
                color=colors[backend],
                label=f"{backend} dense",
            )
            projected = [r for r in mine if "projected_bytes" in r]
            if dense and projected:
                xs = [dense[-1]["n"]] + [r["n"] for r in projected]
                ys = [dense[-1]["peak_bytes"] / GIB] + [
                    r["projected_bytes"] / GIB for r in projected
                ]
                ax.plot(
                    xs,
                    ys,
                    "o:",
                    color=colors[backend],
                    mfc="none",
                    label=f"{backend} dense, projected",
                )
            for chunk, marker in zip(
                sorted({r["chunk"] for r in mine if r["chunk"] is not None}), "s^vD", strict=False
            ):
                ok = [r for r in mine if r["chunk"] == chunk and "peak_bytes" in r]
                ax.plot(
                    [r["n"] for r in ok],
                    [r["peak_bytes"] / GIB for r in ok],
                    marker + "--",
                    color=colors[backend],
                    label=f"{backend} chunk {chunk}",
                )
        ax.axhline(
            TARGET_PEAK_GIB, color="gray", lw=1, ls="-.", label=f"{TARGET_PEAK_GIB} GiB target"
        )
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        sizes = sorted({r["n"] for r in rows if "peak_bytes" in r or "projected_bytes" in r})
        ax.set_xticks(sizes, [f"{n:,}" for n in sizes], fontsize=7)
        ax.minorticks_off()
        ax.set_title(LABELS[loss], fontsize=9)
        ax.set_xlabel("batch N")
        ax.grid(True, which="both", lw=0.3)
    axes[0].set_ylabel("peak memory of the loss step (GiB)")
    axes[-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.suptitle(
        f"Forward + backward, D = {result['d']}, float32, {result['device']}: dense vs chunked "
        f"(dotted: projected, not run)\n{result['machine']}; {_threads(result)}",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(result: dict[str, Any], out: pathlib.Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / "memory.md").write_text(markdown(result))
    plot(result, out / "memory.png")


def main(argv: list[str] | None = None, command: str = "") -> None:
    """``command``: how the run is to be repeated, as the report states it (default: this
    script with ``argv``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--d", type=int, default=256)
    parser.add_argument("--chunk", type=int, default=1024, help="chunk_size at every N")
    parser.add_argument(
        "--compare-chunks", type=int, nargs="*", default=[2048], help="also, at small N"
    )
    parser.add_argument("--compare-max-n", type=int, default=16384)
    parser.add_argument("--backends", nargs="+", default=["torch", "jax"], choices=["torch", "jax"])
    parser.add_argument("--losses", nargs="+", default=list(TARGET_LOSSES), choices=LOSSES)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument(
        "--dense-limit-gib",
        type=float,
        default=None,
        help="skip dense runs projected above this (default: 12 on CPU, 80%% of the GPU)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="steps per process (1 warm-up)")
    parser.add_argument("--budget-s", type=float, default=120.0, help="time for the extra steps")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPUs per measurement (affinity + torch threads; default: all)",
    )
    parser.add_argument(
        "--kernels",
        action="store_true",
        help="only count the kernels per tile (torch, CPU) and append them to "
        "OUT/memory-kernels-cpu.jsonl",
    )
    parser.add_argument("--out", type=pathlib.Path, default=None)
    parser.add_argument(
        "--report", type=pathlib.Path, default=None, help="only redo memory.md/png from a json"
    )
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    if args.kernels:
        import torch

        torch.set_num_threads(1)
        lines = [json.dumps(row) for row in kernel_rows()]
        print("\n".join(lines))
        if args.out is not None:
            with (args.out / "memory-kernels-cpu.jsonl").open("a") as f:
                f.write("".join(line + "\n" for line in lines))
        return
    if args.report:
        result = json.loads(args.report.read_text())
        write(result, args.out or args.report.parent)
        print(markdown(result))
        return
    limit = args.dense_limit_gib
    if limit is None:
        limit = 12.0
        if args.device == "cuda":
            import torch

            limit = 0.8 * torch.cuda.mem_get_info()[1] / GIB
    result = sweep(
        backends=args.backends,
        losses=args.losses,
        sizes=args.sizes,
        chunk=args.chunk,
        compare_chunks=args.compare_chunks,
        compare_max_n=args.compare_max_n,
        d=args.d,
        device=args.device,
        dense_limit_gib=limit,
        repeat=args.repeat,
        budget_s=args.budget_s,
        threads=args.threads,
        command=command
        or "python benchmarks/memory.py " + " ".join(sys.argv[1:] if argv is None else argv),
    )
    print(markdown(result))
    if args.out is not None:
        write(result, args.out)


if __name__ == "__main__":
    main()
