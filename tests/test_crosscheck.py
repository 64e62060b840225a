"""arraylosses.testing.crosscheck passes correct user implementations and catches a planted
1e-3 bug, naming the input where it appears."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

from arraylosses.testing import crosscheck


def _example():
    """The hand-written losses of examples/crosscheck_user_losses.py (one copy of them)."""
    path = pathlib.Path(__file__).parent.parent / "examples" / "crosscheck_user_losses.py"
    spec = importlib.util.spec_from_file_location("crosscheck_user_losses", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def torch_info_nce(bug: float = 0.0):
    return _example().torch_info_nce(bug)


def jax_focal(bug: float = 0.0):
    return _example().jax_focal(bug)


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
