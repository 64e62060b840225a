"""Issue #32 item 2, the per-call path: what is remembered between calls never skips a check
that depends on more than the arrays' types, dtypes, shapes and options (devices, values), and
the fused torch cross entropy is ``F.cross_entropy``'s own value."""

from __future__ import annotations

import numpy as np
import pytest

import arraylosses as al
from arraylosses._backend import generic_kernels

torch = pytest.importorskip("torch")
F = torch.nn.functional


def test_remembered_pair_still_compares_devices() -> None:
    z, t = torch.randn(4, 3), torch.rand(4, 3)
    for _ in range(2):  # the second call takes the remembered path
        al.binary_cross_entropy_with_logits(z, t)
        al.mse_loss(z, t)
        al.cross_entropy(z, torch.tensor([0, 2, 1, 1]))
    with pytest.raises(ValueError, match="one device"):
        al.binary_cross_entropy_with_logits(z, t.to("meta"))
    with pytest.raises(ValueError, match="one device"):
        al.mse_loss(z, t.to("meta"))
    with pytest.raises(ValueError, match="one device"):
        al.cross_entropy(z, torch.tensor([0, 2, 1, 1], device="meta"))


def test_remembered_pair_still_checks_options_and_values() -> None:
    z = torch.randn(4, 3)
    y = torch.tensor([0, 2, 1, 1])
    al.cross_entropy(z, y)
    al.cross_entropy(z, y)
    with pytest.raises(ValueError, match=r"outside \[0, 3\); found min 0, max 3"):
        al.cross_entropy(z, torch.tensor([0, 3, 1, 1]))  # same metadata, a value out of range
    with pytest.raises(ValueError, match="label_smoothing"):
        al.cross_entropy(z, y, label_smoothing=2.0)
    with pytest.raises(ValueError, match="reduction"):
        al.cross_entropy(z, y, reduction="avg")
    t = torch.rand(4, 3)
    al.mse_loss(z, t)
    with pytest.raises(ValueError, match="reduction"):
        al.mse_loss(z, t, reduction="avg")
    with pytest.raises(TypeError, match="target"):
        al.binary_cross_entropy_with_logits(z, t.to(torch.complex64))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fused_cross_entropy_is_torchs_value(reduction: str, dtype: torch.dtype) -> None:
    rng = np.random.default_rng(0)
    z = torch.tensor(rng.normal(size=(257, 10)) * 3, dtype=dtype, requires_grad=True)
    y = torch.tensor(rng.integers(0, 10, size=257))
    ours = al.cross_entropy(z, y, reduction=reduction)
    theirs = F.cross_entropy(z, y, reduction=reduction)
    assert torch.equal(ours, theirs)
    (g_ours,) = torch.autograd.grad(ours, z)
    (g_theirs,) = torch.autograd.grad(theirs, z)
    assert torch.equal(g_ours, g_theirs)
    with generic_kernels():  # the generic path: per-row values, then the reduction
        generic = al.cross_entropy(z, y, reduction=reduction)
    torch.testing.assert_close(generic, ours)


def test_mean_without_gradient_is_sum_over_n() -> None:
    # torch.mean where no gradient is recorded; the same value as sum / n
    z, t = torch.randn(300, 7, dtype=torch.float64), torch.randn(300, 7, dtype=torch.float64)
    with torch.no_grad():
        fast = al.mse_loss(z, t)
    assert torch.equal(fast, ((z - t) ** 2).sum() / z.numel())
    zg = z.clone().requires_grad_(True)
    assert torch.equal(al.mse_loss(zg, t).detach(), fast)
