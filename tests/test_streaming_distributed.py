"""The streaming metrics' distributed merge with real collectives: the two examples run as
subprocesses and assert, in float64, that the merged results equal the one-shot metrics on
the whole data in one process (torch.distributed on gloo with ranks running 3 and 1, then 3
and 0 batches; JAX shard_map on 8 host devices holding 32 down to 0 real rows)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def _run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_torch_merge_across_two_processes_with_uneven_batches():
    pytest.importorskip("torch")
    out = _run("streaming_metrics_torch.py")
    for label in ("3 and 1 batches", "3 and 0 batches"):
        assert f"merged across 2 processes == single-process ({label};" in out
    assert "float32 states of odd sizes (3 classes; a 5 x 3 top-k) merge too" in out


def test_jax_merge_psum_in_shard_map_on_eight_devices():
    pytest.importorskip("jax")
    out = _run("streaming_metrics_jax.py")
    assert "streaming metrics on 8 devices (shard_map, psum of the state) == single device" in out
