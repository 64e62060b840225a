"""Where the test suite's time goes: a pytest plugin that logs each test's wall and CPU time and
its XLA compilations, and a summary by file (issue #30).

    ARRAYLOSSES_PROFILE_DIR=/tmp/prof PYTHONPATH=tools pytest -p suite_profile ...
    python tools/suite_profile.py /tmp/prof

Each pytest process (every xdist worker) appends ``nodeid, phase, cpu s, wall s, compilations,
compile s, lowering s`` to ``DIR/profile-<pid>.tsv``, for the setup and call phases. The
compilations are JAX's monitoring events (``backend_compile_duration`` and
``jaxpr_to_mlir_module_duration``), counted only where JAX is installed. The summary sums
the wall seconds per test file, and the part of them in test ids that name a JAX backend.
"""

from __future__ import annotations

import collections
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

_EVENTS: collections.defaultdict[str, float] = collections.defaultdict(float)
_OUT: list[TextIO] = []


def _listen() -> None:
    try:
        from jax._src import monitoring
    except ImportError:  # no JAX: times only
        return

    def record(event: str, duration_secs: float, **_: str | int) -> None:
        name = event.rsplit("/", 1)[-1]
        _EVENTS[name] += duration_secs
        _EVENTS[name + "#"] += 1

    monitoring.register_event_duration_secs_listener(record)


def pytest_configure(config: pytest.Config) -> None:
    _listen()


def _write(item: pytest.Item, phase: str, cpu: float, wall: float) -> None:
    if not _OUT:
        folder = Path(os.environ.get("ARRAYLOSSES_PROFILE_DIR", "."))
        folder.mkdir(parents=True, exist_ok=True)
        _OUT.append(open(folder / f"profile-{os.getpid()}.tsv", "a"))  # kept open for the session
    fields = [
        item.nodeid,
        phase,
        f"{cpu:.4f}",
        f"{wall:.4f}",
        str(int(_EVENTS["backend_compile_duration#"])),
        f"{_EVENTS['backend_compile_duration']:.4f}",
        f"{_EVENTS['jaxpr_to_mlir_module_duration']:.4f}",
    ]
    _OUT[0].write("\t".join(fields) + "\n")
    _OUT[0].flush()


def _timed(item: pytest.Item, phase: str) -> Iterator[None]:
    _EVENTS.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    _write(item, phase, time.process_time() - cpu, time.perf_counter() - wall)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    yield from _timed(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield from _timed(item, "call")


def summarize(folder: Path, top: int = 30) -> str:
    wall: collections.defaultdict[str, float] = collections.defaultdict(float)
    jax: collections.defaultdict[str, float] = collections.defaultdict(float)
    compiles: collections.defaultdict[str, int] = collections.defaultdict(int)
    for path in sorted(folder.glob("profile-*.tsv")):
        for line in path.read_text().splitlines():
            nodeid, _, _, seconds, count, *_ = line.split("\t")
            where, _, rest = nodeid.partition("::")
            wall[where] += float(seconds)
            compiles[where] += int(count)
            if "jax" in rest:
                jax[where] += float(seconds)
    lines = [
        f"{sum(wall.values()):.0f} worker-seconds, {sum(jax.values()):.0f} in JAX test ids, "
        f"{sum(compiles.values())} XLA compilations",
        f"{'file':50s} {'wall s':>8s} {'JAX s':>8s} {'compiles':>9s}",
    ]
    for where, total in sorted(wall.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"{where:50s} {total:8.1f} {jax[where]:8.1f} {compiles[where]:9d}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
