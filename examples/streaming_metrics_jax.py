"""Streaming metrics on eight (host) devices with JAX: one ``psum`` of the state.

An evaluation epoch is sharded over 8 devices with ``jax.shard_map``. Every device holds the
same fixed shape (2 batches of 16 rows) but a different number of real rows, from 32 down to
none; the rest is padding, left out with ``mask``. Each device streams its batches into a
fixed-shape state, then :func:`arraylosses.metrics.streaming.distributed.jax_merge` merges
the states across the mesh axis in one collective: a ``jax.lax.psum`` of the state for the
metrics whose states add up, an ``all_gather`` and a fold of ``merge`` for ``r2_score`` and
``explained_variance_score`` (Chan's pairwise update). The whole thing runs under
``jax.jit``.

The script asserts, in float64, that the merged results equal the one-shot metrics on the
real rows in one device, and that the summable metrics' programs hold a ``psum``.

    python examples/streaming_metrics_jax.py
"""

from __future__ import annotations

import os

# eight CPU devices unless XLA_FLAGS already says how many (other flags there are kept)
if "--xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    _flags = os.environ.get("XLA_FLAGS", "")
    os.environ["XLA_FLAGS"] = f"{_flags} --xla_force_host_platform_device_count=8".strip()

import argparse

import jax
import jax.numpy as jnp
import numpy as np
from _eval_data import evaluation_data
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P

from arraylosses import metrics
from arraylosses.metrics import streaming
from arraylosses.metrics.streaming.distributed import jax_merge

DEVICES, BATCHES, BATCH, CLASSES, CANDIDATES, K = 8, 2, 16, 4, 10, 3
REAL_ROWS = (32, 17, 0, 5, 32, 1, 20, 9)  # per device, of BATCHES * BATCH
THRESHOLDS = tuple(np.linspace(-3.0, 3.0, 13))

# name -> (streaming metric, one-shot call on the real rows, which data it reads)
METRICS = {
    "mean_absolute_error": (
        streaming.mean_absolute_error(),
        lambda d: metrics.mean_absolute_error(d["pred"], d["target"]),
        ("pred", "target"),
    ),
    "r2_score": (
        streaming.r2_score(),
        lambda d: metrics.r2_score(d["pred"], d["target"]),
        ("pred", "target"),
    ),
    "explained_variance_score": (
        streaming.explained_variance_score(),
        lambda d: metrics.explained_variance_score(d["pred"], d["target"]),
        ("pred", "target"),
    ),
    "top_k_accuracy": (
        streaming.top_k_accuracy(k=2),
        lambda d: metrics.top_k_accuracy(d["logits"], d["labels"], k=2),
        ("logits", "labels"),
    ),
    "precision_recall_f1 (weighted)": (
        streaming.precision_recall_f1(num_classes=CLASSES, average="weighted"),
        lambda d: metrics.precision_recall_f1(
            d["logits"], d["labels"], num_classes=CLASSES, average="weighted"
        ),
        ("logits", "labels"),
    ),
    "roc_auc (13 thresholds)": (
        streaming.roc_auc(thresholds=THRESHOLDS),
        lambda d: metrics.roc_auc(d["score"], d["binary"], thresholds=THRESHOLDS),
        ("score", "binary"),
    ),
    "map_at_k": (
        streaming.map_at_k(k=K),
        lambda d: metrics.map_at_k(d["ranking"], d["relevance"], k=K),
        ("ranking", "relevance"),
    ),
}


def real_rows_mask() -> np.ndarray:
    per_device = BATCHES * BATCH
    return np.concatenate([np.arange(per_device) < n for n in REAL_ROWS])


def sharded(metric, mesh: Mesh, count: int):
    """``jit(shard_map(...))`` of ``count`` arrays and the mask: each device streams its
    batches, then one collective merges the states; the result is replicated."""

    def per_device(*arrays: jax.Array):
        *data, mask = arrays
        state = metric.init(jnp, dtype=jnp.float64)
        for b in range(BATCHES):
            rows = slice(b * BATCH, (b + 1) * BATCH)
            state = metric.update(state, *(x[rows] for x in data), mask=mask[rows])
        return metric.compute(jax_merge(metric, state, "batch"))

    specs = (P("batch"),) * (count + 1)
    return jax.jit(jax.shard_map(per_device, mesh=mesh, in_specs=specs, out_specs=P()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    jax.config.update("jax_enable_x64", True)  # this script's own process
    if len(jax.devices()) < DEVICES:  # fewer devices would hold more than one shard each
        raise SystemExit(
            f"needs {DEVICES} devices; got {len(jax.devices())} (set XLA_FLAGS="
            f"--xla_force_host_platform_device_count={DEVICES} before JAX starts)"
        )
    mesh = Mesh(np.array(jax.devices()[:DEVICES]), ("batch",))
    rows = DEVICES * BATCHES * BATCH  # padded: each device holds BATCHES * BATCH rows
    data = evaluation_data(rows, 3, classes=CLASSES, candidates=CANDIDATES)
    mask = real_rows_mask()
    real = {name: jnp.asarray(x[mask]) for name, x in data.items()}
    for name, (metric, one_shot, names) in METRICS.items():
        fn = sharded(metric, mesh, len(names))
        args = (*(jnp.asarray(data[n]) for n in names), jnp.asarray(mask))
        got, want = fn(*args), one_shot(real)
        for g, w in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, want)), strict=True):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-12, atol=1e-14)
        program = str(jax.make_jaxpr(fn)(*args))
        collective = "psum" if metric.summable else "all_gather"
        assert collective in program, (name, collective)
    print(
        f"streaming metrics on {DEVICES} devices (shard_map, psum of the state) == single "
        f"device ({len(METRICS)} metrics; real rows per device {REAL_ROWS})"
    )


if __name__ == "__main__":
    main()
