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
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


CROSSCHECK = """
import jax, jax.numpy as jnp, numpy as np
import arraylosses as al
from arraylosses.testing import assert_backends_agree, crosscheck

def settings():
    return jax.config.jax_enable_x64, jax.config.jax_default_matmul_precision

seen = []
def focal(logits, target):  # records what it was called with
    seen.append(str(logits.dtype))
    return al.sigmoid_focal_loss(logits, target)

rng = np.random.default_rng(0)
inputs = [((rng.normal(size=(4, 3)), rng.integers(0, 2, (4, 3)) * 1.0), {})]
for x64 in (True, False):  # the caller turned x64 on, then off again
    jax.config.update("jax_enable_x64", x64)
    before, seen[:] = settings(), []
    report = crosscheck(focal, "sigmoid_focal_loss", inputs=inputs, backends=["jax"])
    assert_backends_agree(al.mse_loss, np.ones(3), np.zeros(3), backends=["jax"])
    crosscheck(focal, "sigmoid_focal_loss", backends=["jax"])  # registry inputs
    assert settings() == before, (settings(), before)
    float64_rows = [r for r in report if r.dtype == "float64"]
    assert float64_rows and "float64" in seen and "float32" in seen, seen
    assert jnp.ones(1).dtype == (jnp.float64 if x64 else jnp.float32)
print("ok")
"""


def test_crosscheck_leaves_jax_settings_alone_and_float64_is_float64():
    """In a fresh interpreter (x64 off, precision unset, as a user's): crosscheck and
    assert_backends_agree change neither setting, with x64 turned on or back off by the
    caller, and their float64 rows run on float64 arrays either way."""
    pytest.importorskip("jax")
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", CROSSCHECK],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
