"""JAX with its default configuration (x64 off): no warnings, float32 results, jit works.

The test process enables x64 for the float64 checks, so this runs in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import jax, jax.numpy as jnp
import arraylosses as al
assert not jax.config.jax_enable_x64
z, y = jnp.ones((4, 3)), jnp.array([0, 2, 1, 0])
outs = [al.cross_entropy(z, y), al.cross_entropy(z, y, ignore_index=-100, label_smoothing=0.1),
        al.nll_loss(z, y), al.softmax_focal_loss(z, y), al.poly1_cross_entropy(z, y),
        al.metrics.top_k_accuracy(z, y, k=2), al.metrics.accuracy(z, y), al.metrics.log_loss(
            jnp.full((4, 3), 1 / 3), y), *al.metrics.precision_recall_f1(z, y, num_classes=3),
        al.mse_loss(z, z), al.metrics.r2_score(z, z + 1), al.metrics.roc_auc(
            jnp.arange(4.0), jnp.array([0, 1, 0, 1]))]
assert all(o.dtype == jnp.float32 for o in outs), [o.dtype for o in outs]
jax.jit(lambda z: al.cross_entropy(z, y))(z)
jax.grad(lambda z: al.cross_entropy(z, y))(z)
print("ok")
"""


def test_jax_default_config_is_warning_free():
    pytest.importorskip("jax")
    done = subprocess.run([sys.executable, "-W", "error", "-c", SCRIPT], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
