"""Peak memory and time of one loss step (forward + backward), dense against chunked.

    python benchmarks/memory.py [--sizes 4096 8192 16384 32768 65536] [--chunk 1024]
                                [--backends torch jax] [--out benchmarks/results]

Each measurement runs in a fresh process (``--worker``), so one run's allocator state and
compiled programs cannot change another's. The step is the loss and its gradient with respect
to both embedding matrices (``(N, D)`` float32, D = 256): ``loss.backward()`` on torch,
``jax.jit(jax.grad(...))`` on JAX (compiled first; the compile time is reported apart).

Peak memory is the process's peak resident set (``VmHWM``, reset through
``/proc/self/clear_refs`` just before the step) minus its resident set at that moment, when
the inputs already exist: the memory the loss step itself needs. The dense path is skipped
where its projected need (16·N² bytes, measured) exceeds ``--dense-limit-gib``; the table then
says "not run" with the projection.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import time
from typing import Any

LOSSES = ("info_nce_symmetric", "clip")


def _rss_kib(field: str) -> int:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    pathlib.Path("/proc/self/clear_refs").write_text("5")


def _loss(name: str, chunk: int | None) -> Any:
    import arraylosses as al

    if name == "info_nce_symmetric":
        return lambda a, b: al.info_nce(a, b, symmetric=True, chunk_size=chunk)
    return lambda a, b: al.clip_loss(a, b, chunk_size=chunk)


def worker(backend: str, loss: str, n: int, d: int, chunk: int | None) -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    a_np = rng.normal(size=(n, d)).astype(np.float32)
    b_np = (a_np + 0.5 * rng.normal(size=(n, d))).astype(np.float32)
    fn = _loss(loss, chunk)
    compile_s = 0.0
    if backend == "torch":
        import torch

        torch.set_num_threads(torch.get_num_threads())
        a = torch.tensor(a_np, requires_grad=True)
        b = torch.tensor(b_np, requires_grad=True)

        def step() -> float:
            a.grad = b.grad = None
            value = fn(a, b)
            value.backward()
            return float(value)

    else:
        import jax
        import jax.numpy as jnp

        a, b = jnp.asarray(a_np), jnp.asarray(b_np)
        grad = jax.jit(jax.value_and_grad(fn, argnums=(0, 1)))
        start = time.perf_counter()
        compiled = grad.lower(a, b).compile()
        compile_s = time.perf_counter() - start

        def step() -> float:
            value, grads = compiled(a, b)
            jax.block_until_ready(grads)
            return float(value)

    before = _rss_kib("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    value = step()
    seconds = time.perf_counter() - start
    peak = _rss_kib("VmHWM")
    return {
        "backend": backend,
        "loss": loss,
        "n": n,
        "d": d,
        "chunk": chunk,
        "value": value,
        "seconds": seconds,
        "compile_s": compile_s,
        "peak_bytes": max(peak - before, 0) * 1024,
    }


def measure(backend: str, loss: str, n: int, d: int, chunk: int | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", backend, loss, str(n), str(d), str(chunk or 0)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"backend": backend, "loss": loss, "n": n, "d": d, "chunk": chunk,
                "error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", nargs=5, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4096, 8192, 16384, 32768, 65536])
    parser.add_argument("--d", type=int, default=256)
    parser.add_argument("--chunk", type=int, default=1024)
    parser.add_argument("--backends", nargs="+", default=["torch", "jax"])
    parser.add_argument("--losses", nargs="+", default=list(LOSSES), choices=LOSSES)
    parser.add_argument("--dense-limit-gib", type=float, default=12.0)
    parser.add_argument("--out", type=pathlib.Path, default=None)
    args = parser.parse_args()
    if args.worker:
        backend, loss, n, d, chunk = args.worker
        result = worker(backend, loss, int(n), int(d), int(chunk) or None)
        print(json.dumps(result))
        return
    rows = []
    for backend in args.backends:
        for loss in args.losses:
            for n in args.sizes:
                for chunk in (None, args.chunk):
                    if chunk is None and 16 * n * n / 2**30 > args.dense_limit_gib:
                        rows.append({"backend": backend, "loss": loss, "n": n, "d": args.d,
                                     "chunk": None, "skipped": 16 * n * n})
                        continue
                    row = measure(backend, loss, n, args.d, chunk)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "memory.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
