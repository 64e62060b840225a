"""The timing rule of the benchmarks: warm up, then interleave the candidates run by run and
take each one's median, so that a slow stretch of a shared machine hits all of them alike."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], repeat: int, warmup: int = 3) -> float:
    return interleaved({"fn": fn}, repeat, warmup)["fn"]


def interleaved(
    fns: dict[str, Callable[[], object]], repeat: int, warmup: int = 3
) -> dict[str, float]:
    """Median seconds of each function, measured in rounds (one call of each per round)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def blocks(
    fns: dict[str, Callable[[], object]], runs: int, repeat: int, warmup: int = 3
) -> list[dict[str, float]]:
    """``runs`` independent blocks of :func:`interleaved` (``repeat`` rounds each), one after
    another: each block's medians, so that a ratio can be reported as a range over blocks
    (min-median-max) rather than one number from one stretch of a shared machine."""
    out = []
    for k in range(runs):
        out.append(interleaved(fns, repeat, warmup if k == 0 else 1))
    return out
