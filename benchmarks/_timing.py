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
