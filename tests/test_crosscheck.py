"""arraylosses.testing.crosscheck passes correct user implementations and catches a planted
1e-3 bug, naming the input where it appears."""

from __future__ import annotations

import numpy as np
import pytest

from arraylosses.testing import crosscheck


def torch_info_nce(bug: float = 0.0):
    """A hand-written InfoNCE with in-batch negatives, as a user would write it in torch."""
    import torch
    import torch.nn.functional as F

    def info_nce(query, positive, temperature=0.1):
        q, p = F.normalize(query, dim=-1), F.normalize(positive, dim=-1)
        logits = q @ p.T / temperature
        loss = F.cross_entropy(logits, torch.arange(len(q)))
        return loss * (1 + bug)

    return info_nce


def jax_focal(bug: float = 0.0):
    """A hand-written sigmoid focal loss in JAX (RetinaNet's formula)."""
    import jax
    import jax.numpy as jnp

    def focal(logits, target, alpha=0.25, gamma=2.0):
        p = jax.nn.sigmoid(logits)
        ce = jnp.logaddexp(0.0, logits) - target * logits
        pt = p * target + (1 - p) * (1 - target)
        at = alpha * target + (1 - alpha) * (1 - target)
        loss = at * (1 - pt) ** gamma * ce
        return jnp.mean(loss * (1 + bug * (target > 0.5)))

    return focal


def test_correct_torch_info_nce_passes():
    pytest.importorskip("torch")
    report = crosscheck(torch_info_nce(), "info_nce")
    ran = {(b, d) for b, d, label in report if label != "not run"}
    assert ("torch", "float64") in ran and ("torch", "float32") in ran
    assert all(cell["value"][1] < 1e-5 for cell in report.values() if cell)
    assert ("numpy", "float64", "not run") in report  # a torch-only loss is skipped on NumPy


def test_planted_bug_in_torch_info_nce_is_caught():
    pytest.importorskip("torch")
    with pytest.raises(AssertionError, match=r"candidate differs from arraylosses.info_nce on "
                                             r"registry inputs, seed 0, torch/float64, value"):
        crosscheck(torch_info_nce(bug=1e-3), "info_nce")


def test_correct_jax_focal_passes_and_a_bug_is_caught():
    pytest.importorskip("jax")
    rng = np.random.default_rng(0)
    inputs = [((rng.normal(scale=2.0, size=(6, 3)), rng.integers(0, 2, (6, 3)) * 1.0), {})
              for _ in range(2)]
    report = crosscheck(jax_focal(), "sigmoid_focal_loss", inputs=inputs, backends=["jax"])
    assert {label for _, _, label in report} == {"inputs[0]", "inputs[1]"}
    assert all("d/d args[0]" in cell for cell in report.values())  # gradients were compared
    with pytest.raises(AssertionError, match=r"on inputs\[0\], jax/float64, value: max abs "
                                             r"error"):
        crosscheck(jax_focal(bug=1e-3), "sigmoid_focal_loss", inputs=inputs, backends=["jax"])


def test_a_gradient_only_bug_is_caught():
    torch = pytest.importorskip("torch")

    def detached_mse(p, t):  # right value, wrong gradient: detaches half the batch
        d = p - t
        return torch.cat([d[:1], d[1:].detach()]).pow(2).mean()

    x, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[0.0, 2.5], [1.0, 1.0]])
    with pytest.raises(AssertionError, match=r"torch/float64, d/d args\[0\]"):
        crosscheck(detached_mse, "mse_loss", inputs=[((x, y), {})], backends=["torch"])


def test_reference_by_name_errors():
    with pytest.raises(ValueError, match="is not a public function"):
        crosscheck(lambda x: x, "no_such_loss", inputs=[((np.ones(2),), {})])
