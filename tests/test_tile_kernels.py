"""Kernels per tile of the chunked path on torch (issue #32, item 3).

Eager torch walks the tiles in a Python loop, so every operation of a tile body is one kernel
launch per tile: on a GPU the chunked path was launch-bound (5.1x dense at N = 65,536 on an
H200). ``benchmarks/memory.py``'s :func:`kernels_per_tile` counts them with the torch
profiler on CPU, as the difference between two sizes with the same short last block over the
difference in tiles (what a call does once cancels). The limits below are the counts after the
one-walker rewrite of ``arraylosses/_tiled.py`` (no padding, no clipped indices, no scale or
count gradient unless asked): a change that adds a kernel to a tile body fails here. Before it
(8169f18) the counts were about twice these (``benchmarks/results/memory-kernels-cpu.jsonl``).

The counts are torch's: a torch release that decomposes an operator differently
(``logsumexp`` is 9 kernels in 2.13) moves them, and the limits are then re-measured.
"""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

from .conftest import TORCH, use_backend

# (loss, pass) -> the kernels per tile measured on torch 2.13 CPU (chunk 4, D = 4), rounded up
# to 0.01 (a kernel per row block spreads over the tiles of the row)
LIMITS = {
    ("info_nce", "forward"): 17.0,
    ("info_nce", "forward+backward"): 29.12,
    ("info_nce_symmetric", "forward"): 27.12,
    ("info_nce_symmetric", "forward+backward"): 43.23,
    ("siglip", "forward"): 9.0,
    ("siglip", "forward+backward"): 25.12,
    ("supcon", "forward"): 32.0,
    ("supcon", "forward+backward"): 56.12,
    ("nt_xent", "forward"): 41.0,
    ("nt_xent", "forward+backward"): 77.06,
}


def _memory_benchmark():
    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "memory.py"
    spec = importlib.util.spec_from_file_location("_memory_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def memory():
    use_backend(TORCH[0])
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield _memory_benchmark()
    finally:
        torch.set_num_threads(before)


def test_the_counter_counts_kernels(memory):
    """Written by hand: ``a @ b`` is one kernel (``mm``; ``matmul`` and the views around it
    none), ``exp(2.0 * a)`` two (the copy of the wrapped 2.0 none), ``logsumexp`` over a
    matrix its nine (amax, abs, eq, masked_fill, sub, exp, sum, log, add)."""
    import torch

    a = torch.ones(3, 3)
    assert memory.count_kernels(lambda: a @ a.T).total() == 1
    assert memory.count_kernels(lambda: torch.exp(2.0 * a)).total() == 2
    assert memory.count_kernels(lambda: torch.logsumexp(a, dim=1)).total() == 9


@pytest.mark.parametrize(("loss", "pass_"), list(LIMITS))
def test_kernels_per_tile_do_not_grow(memory, loss, pass_):
    per_tile = memory.kernels_per_tile(loss, backward=pass_ == "forward+backward")
    assert per_tile <= LIMITS[loss, pass_], (
        f"{loss} {pass_}: {per_tile:.2f} kernels per tile, limit {LIMITS[loss, pass_]}"
    )
