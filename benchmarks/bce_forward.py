"""The torch forward of ``binary_cross_entropy_with_logits`` (issue #32): its kernel variants
against ``F.binary_cross_entropy_with_logits``, in one interleaved run.

    OMP_NUM_THREADS=1 python benchmarks/bce_forward.py [--blocks 7] [--calls 2000]

Rows, per input size (4x3 and 256x10, no gradient, ``"mean"``): ``F.*``; the whole call with
today's forward (9 kernels); the whole call with the 11-kernel forward it replaced (the tail as
``neg, exp, log1p``, ``1 - t`` through ``Tensor.__rsub__``); and the exact form's floor: ``F.*``
itself on ``(|z|, flipped t)``, which needs ``abs``, ``ge``, ``rsub`` and ``where`` before it and
no argument check at all (and which rounds a soft label ``t`` through ``1 - (1 - t)``, so it is
not what the package computes). Prints µs per call (median of the blocks) and the ratio to
``F.*``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

import arraylosses as al
from arraylosses import _torch_gradient


def eleven_kernels(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The forward before (590ba0e)."""
    a = torch.abs(z)
    tail = a.neg().exp_().log1p_()
    c = torch.where(z >= 0, 1 - t, t)
    return torch.where(c == 0, 0.0, c * a).add_(tail)


def floor(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``F.*`` on ``(|z|, t')``, ``t' = t`` where ``z >= 0`` else ``1 - t``."""
    flipped = torch.where(z >= 0, t, torch.rsub(t, 1))
    return F.binary_cross_entropy_with_logits(torch.abs(z), flipped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    today = _torch_gradient.SigmoidCrossEntropy.forward
    rng = np.random.default_rng(0)
    for n, c in ((4, 3), (256, 10)):
        z = torch.tensor(rng.normal(size=(n, c)), dtype=torch.float32)
        t = torch.tensor(rng.uniform(size=(n, c)), dtype=torch.float32)

        def ours(forward, z=z, t=t):
            def run() -> None:
                _torch_gradient.SigmoidCrossEntropy.forward = staticmethod(forward)
                for _ in range(args.calls):
                    al.binary_cross_entropy_with_logits(z, t)

            return run

        def plain(fn, z=z, t=t):
            def run() -> None:
                for _ in range(args.calls):
                    fn(z, t)

            return run

        candidates = {
            "F.binary_cross_entropy_with_logits": plain(F.binary_cross_entropy_with_logits),
            "ours, 9-kernel forward (today)": ours(today),
            "ours, 11-kernel forward (before)": ours(eleven_kernels),
            "floor: F.* on (|z|, flipped t)": plain(floor),
        }
        times: dict[str, list[float]] = {k: [] for k in candidates}
        for _ in range(args.blocks):
            for name, bench in candidates.items():
                start = time.perf_counter()
                bench()
                times[name].append((time.perf_counter() - start) / args.calls * 1e6)
        _torch_gradient.SigmoidCrossEntropy.forward = staticmethod(today)
        native = float(np.median(times["F.binary_cross_entropy_with_logits"]))
        print(f"{n}x{c}:")
        for name, ts in times.items():
            us = float(np.median(ts))
            print(f"  {name:40s} {us:7.1f} µs  {us / native:5.2f}x")


if __name__ == "__main__":
    main()
