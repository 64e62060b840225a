"""Integer-label cross entropy, forward + backward, against the native implementations in the
same process: torch eager vs ``torch.nn.functional.cross_entropy``, JAX under ``jit`` vs
``optax.losses.softmax_cross_entropy_with_integer_labels``. Also the per-call overhead on a
tiny batch. Medians of repeated runs; ratios ours/native (lower is better).

    python benchmarks/bench_cross_entropy.py [--repeat 21]
"""

from __future__ import annotations

import argparse
import platform
from collections.abc import Callable

import numpy as np
from _timing import median_seconds

SIZES = [(4096, 1000), (65536, 32)]




def torch_rows(n: int, c: int, repeat: int) -> list[tuple[str, float, float]]:
    import torch
    import torch.nn.functional as F

    import arraylosses as al

    rng = np.random.default_rng(0)
    z = torch.tensor(rng.normal(size=(n, c)), dtype=torch.float32, requires_grad=True)
    y = torch.tensor(rng.integers(0, c, size=n))

    def step(fn: Callable[..., torch.Tensor]) -> Callable[[], None]:
        def run() -> None:
            z.grad = None
            fn(z, y).backward()
        return run

    ours = median_seconds(step(al.cross_entropy), repeat)
    native = median_seconds(step(F.cross_entropy), repeat)
    return [(f"torch eager, {n}x{c}", ours, native)]


def jax_rows(n: int, c: int, repeat: int) -> list[tuple[str, float, float]]:
    import jax
    import jax.numpy as jnp
    import optax

    import arraylosses as al

    rng = np.random.default_rng(0)
    z = jnp.asarray(rng.normal(size=(n, c)), dtype=jnp.float32)
    y = jnp.asarray(rng.integers(0, c, size=n))
    ours_fn = jax.jit(jax.value_and_grad(lambda z: al.cross_entropy(z, y)))
    native_fn = jax.jit(jax.value_and_grad(
        lambda z: optax.losses.softmax_cross_entropy_with_integer_labels(z, y).mean()))
    ours = median_seconds(lambda: jax.block_until_ready(ours_fn(z)), repeat)
    native = median_seconds(lambda: jax.block_until_ready(native_fn(z)), repeat)
    return [(f"JAX jit, {n}x{c}", ours, native)]


def overhead_rows(repeat: int) -> list[tuple[str, float, float]]:
    import torch
    import torch.nn.functional as F

    import arraylosses as al

    z, y = torch.zeros(4, 3), torch.tensor([0, 1, 2, 0])
    n = 200
    ours = median_seconds(lambda: [al.cross_entropy(z, y) for _ in range(n)], repeat) / n
    native = median_seconds(lambda: [F.cross_entropy(z, y) for _ in range(n)], repeat) / n
    return [("torch eager per call, 4x3 forward", ours, native)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    rows = []
    for n, c in SIZES:
        rows += torch_rows(n, c, args.repeat) + jax_rows(n, c, args.repeat)
    rows += overhead_rows(args.repeat)
    print(f"cross entropy, forward+backward, float32; {platform.processor() or platform.machine()}"
          f", {platform.python_version()}")
    print("| case | ours | native | ours/native |")
    print("|---|---|---|---|")
    for name, ours, native in rows:
        unit, scale = ("µs", 1e6) if ours < 1e-3 else ("ms", 1e3)
        print(f"| {name} | {ours * scale:.2f} {unit} | {native * scale:.2f} {unit} | "
              f"{ours / native:.2f} |")


if __name__ == "__main__":
    main()
