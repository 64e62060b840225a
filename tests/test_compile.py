"""torch.compile smoke test: a few cases compile with fullgraph=True (no graph break) and give
the eager result. The conformance matrix (--compile) runs every case."""

from __future__ import annotations

import numpy as np
import pytest

from arraylosses import _backend
from arraylosses.testing.cases import BY_NAME
from conformance import checks

from .conftest import TORCH, use_backend

# siglip_loss: its chunked path is a custom gradient of two arrays, the arity at which Dynamo
# (torch 2.13) once called its backward as its forward when no input required grad
SMOKE = [
    "huber_loss",
    "cosine_distance_loss",
    "metrics.r2_score",
    "siglip_loss",
    "binary_cross_entropy_with_logits",  # one autograd.Function on torch
]


@pytest.mark.slow
@pytest.mark.parametrize("backend_name", TORCH)
@pytest.mark.parametrize("name", SMOKE)
def test_torch_compile_fullgraph(name, backend_name) -> None:
    checks.check_torch_compile(BY_NAME[name], use_backend(backend_name))


@pytest.mark.slow
@pytest.mark.parametrize("backend_name", TORCH)
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("n_arrays", [1, 2, 3, 4])
def test_custom_gradient_compiles_at_every_arity(n_arrays, requires_grad, backend_name) -> None:
    """``custom_gradient`` (the tiled losses' backward) under ``torch.compile(fullgraph=True)``
    with any number of arrays, with and without grad: the value is ``Σ_k (k+1)·Σ x_k`` and the
    gradient of ``x_k`` is ``k+1`` everywhere (written here, not taken from eager)."""
    import torch

    backend = use_backend(backend_name)
    xp = backend.xp
    arrays = [
        backend.asarray(np.full((3,), float(k + 1)), "float64").requires_grad_(requires_grad)
        for k in range(n_arrays)
    ]

    def forward(*a):
        return (sum((k + 1) * xp.sum(x) for k, x in enumerate(a)),), a

    def backward(res, cots):
        return tuple((k + 1) * cots[0] * xp.ones_like(x) for k, x in enumerate(res))

    f = _backend.custom_gradient(xp, forward, backward)
    torch._dynamo.reset()
    compiled = torch.compile(lambda *a: f(*a)[0], fullgraph=True, dynamic=False)
    value = compiled(*arrays)
    expected = sum((k + 1) * 3 * (k + 1) for k in range(n_arrays))
    assert float(value) == expected
    if requires_grad:
        value.backward()
        for k, x in enumerate(arrays):
            np.testing.assert_array_equal(backend.to_numpy(x.grad), np.full((3,), k + 1.0))
