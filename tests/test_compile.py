"""torch.compile smoke test: a few cases compile with fullgraph=True (no graph break) and give
the eager result. The conformance matrix (--compile) runs every case's default parameter set
with Inductor; here every parameter set of a few functions compiles with ``aot_eager`` (Dynamo's
graph and AOTAutograd, where graph breaks and tracing failures show, without Inductor's C++
code generation: 16 s against 55 s on 2 cores, cold caches), and the chunked losses compile
with gradients (the matrix compiles without), two with Inductor and two with ``aot_eager``."""

from __future__ import annotations

import numpy as np
import pytest

import arraylosses as al
from arraylosses import _backend
from arraylosses.testing import assert_close
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
    checks.check_torch_compile(BY_NAME[name], use_backend(backend_name), compiler="aot_eager")


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


# the chunked in-batch losses (the tile walker of arraylosses/_tiled.py) with learnable
# hyperparameters, an offset and a short last block (chunk 3 divides neither 5 rows nor 7
# keys); few tiles, since Inductor compiles each unrolled tile of the forward and backward.
# Each loss with the compiler it runs under: Inductor (what users get) for one loss of each
# walk, the softmax one (info_nce, symmetric) and the sigmoid one (siglip); aot_eager
# (Dynamo's graph and AOTAutograd's backward, where graph breaks and an unbound backward show,
# without Inductor's C++ code generation: about 15 s a loss on 2 cores) for the other two
CHUNKED = {
    "info_nce symmetric, learnable temperature": (
        lambda q, p, h, **k: al.info_nce(q, p, symmetric=True, temperature=h, **k),
        "inductor",
    ),
    "info_nce, offset 2 into 7 keys": (
        lambda q, p, h, **k: al.info_nce(q, _two_keys_before(p), offset=2, temperature=h, **k),
        "aot_eager",
    ),
    "clip_loss, learnable scale": (
        lambda q, p, h, **k: al.clip_loss(q, p, logit_scale=h, **k),
        "aot_eager",
    ),
    "siglip_loss, learnable scale and bias": (
        lambda q, p, h, **k: al.siglip_loss(q, p, logit_scale=h, logit_bias=-h, **k),
        "inductor",
    ),
}


def _two_keys_before(p):
    """``p`` with two rows before it and none after (this device's 5 keys of 7): the rows
    ``offset = 2`` onwards are the positives."""
    import torch

    return torch.cat([torch.flip(p[:2], dims=(0,)) * 0.5, p])


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*lru_cache.*:UserWarning")  # array-api-compat's helpers
@pytest.mark.parametrize("backend_name", TORCH)
@pytest.mark.parametrize("name", list(CHUNKED))
def test_chunked_compiles_with_gradients(name, backend_name) -> None:
    """``torch.compile(fullgraph=True)`` of the chunked path, value and gradients (embeddings
    and hyperparameter), against the eager dense path (``chunk_size=None``: the whole
    matrix, its own code), with the loss's compiler (``CHUNKED``). The conformance matrix
    compiles without gradients."""
    import torch

    backend = use_backend(backend_name)
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), np.asarray(1.7)]
    fn, compiler = CHUNKED[name]

    def leaves():
        return [backend.asarray(a, "float64").requires_grad_(True) for a in arrays]

    dense_in = leaves()
    dense = fn(*dense_in, chunk_size=None)
    dense_grads = torch.autograd.grad(dense, dense_in)
    torch._dynamo.reset()
    compiled = torch.compile(
        lambda q, p, h: fn(q, p, h, chunk_size=3), fullgraph=True, dynamic=False, backend=compiler
    )
    chunked_in = leaves()
    value = compiled(*chunked_in)
    grads = torch.autograd.grad(value, chunked_in)
    assert_close(value, dense, rtol=1e-12, atol=0)
    for got, want in zip(grads, dense_grads, strict=True):
        assert_close(got, want, rtol=1e-10, atol=1e-13)
