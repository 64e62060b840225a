"""Self-supervised losses: what the registry records cannot say.

DCL and DCLW (``arraylosses.contrastive.decoupled``): the per-row definition in the gathered
form (DCLW's weights over the local rows), sharded rows and gradients equal the global ones,
the chunked path equals the dense one, a traced ``offset`` under ``jax.jit``, the batch of one,
hostile and bad input. ``arraylosses.self_supervised``: the peers' quirk cases by definition,
the spec's hostile inputs and bad input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al

from .conftest import JAX, TORCH, use_backend
from .helpers import call, close


def _unit(x):
    return x / max(np.linalg.norm(x), 1e-8)


def _lse(values):
    values = np.asarray(values, dtype=np.float64)
    m = values.max()
    return m + math.log(np.exp(values - m).sum())


# ---------------------------------------------------------------------------------------------
# DCL / DCLW


def _dcl_rows(z1, z2, all_z1=None, *, offset=0, tau=0.1, sigma=None):
    """Per-sample DCL (DCLW with ``sigma``) written out: sample i of this device, global
    index g = offset + i, against every other row of both gathered views."""
    a1 = z1 if all_z1 is None else all_z1
    a1 = np.array([_unit(x) for x in a1])
    a2 = np.array([_unit(x) for x in z2])
    n, w = z1.shape[0], z2.shape[0]
    local1 = np.array([_unit(x) for x in z1])
    local2 = a2[offset : offset + n]
    if sigma is None:
        weights = np.ones(n)
    else:
        s = np.array([local1[i] @ local2[i] / sigma for i in range(n)])
        weights = 2 - n * np.exp(s - _lse(s))
    rows = []
    for i in range(n):
        g = offset + i
        x1, x2 = local1[i], a2[g]
        others = [j for j in range(w) if j != g]
        neg1 = [x1 @ a1[j] / tau for j in others] + [x1 @ a2[j] / tau for j in others]
        neg2 = [x2 @ a2[j] / tau for j in others] + [x2 @ a1[j] / tau for j in others]
        pos = weights[i] * (x1 @ x2) / tau
        rows.append(((-pos + _lse(neg1)) + (-pos + _lse(neg2))) / 2)
    return np.array(rows)


DCL = {"dcl_loss": (al.dcl_loss, {}), "dclw_loss": (al.dclw_loss, {"sigma": 0.3})}


@pytest.mark.parametrize("name", DCL)
@pytest.mark.parametrize("chunk_size", [None, 3])
def test_dcl_gathered_rows_by_definition(backend, dtype, rng, name, chunk_size):
    """This device's 3 samples at offset 2 among W = 7 gathered ones; DCLW's weights from
    the 3 local samples only (lightly's rule)."""
    fn, kw = DCL[name]
    all_z1, z2 = rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    z1 = all_z1[2:5]
    tau = 0.3
    rows = _dcl_rows(z1, z2, all_z1, offset=2, tau=tau, sigma=kw.get("sigma"))
    got = call(
        backend,
        dtype,
        fn,
        z1,
        z2,
        all_z1=all_z1,
        offset=2,
        temperature=tau,
        chunk_size=chunk_size,
        reduction="none",
        **kw,
    )
    close(got, rows, dtype)
    w = rng.uniform(0.5, 2.0, size=3)
    close(
        call(backend, dtype, fn, z1, z2, all_z1=all_z1, offset=2, temperature=tau, **kw),
        rows.mean(),
        dtype,
    )
    close(
        call(backend, dtype, fn, z1, z2, all_z1=all_z1, offset=2, sample_weight=w, **kw),
        np.sum(w * _dcl_rows(z1, z2, all_z1, offset=2, sigma=kw.get("sigma"))) / w.sum(),
        dtype,
    )


@pytest.mark.parametrize("as_array", [False, True], ids=["int offset", "array offset"])
@pytest.mark.parametrize("chunk_size", [None, 3])
def test_dcl_sharded_rows_equal_global_rows(backend, rng, chunk_size, as_array):
    """Devices of 2 rows among W = 6: each device's rows are the global batch's."""
    (q, p), _ = backend.convert((rng.normal(size=(6, 4)), rng.normal(size=(6, 4))), dtype="float64")
    expected = backend.to_numpy(al.dcl_loss(q, p, reduction="none"))
    parts = []
    for s in range(3):
        offset = backend.asarray(np.asarray(2 * s)) if as_array else 2 * s
        local = al.dcl_loss(
            q[2 * s : 2 * s + 2, ...],
            p,
            all_z1=q,
            offset=offset,
            chunk_size=chunk_size,
            reduction="none",
        )
        parts.append(backend.to_numpy(local))
    close(np.concatenate(parts), expected, "float64", rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("name", "chunk_size"), [("dcl_loss", None), ("dcl_loss", 3), ("dclw_loss", 3)]
)
@pytest.mark.parametrize("backend_name", TORCH[:1])
def test_dcl_sharded_gradients_equal_global_gradients(backend_name, rng, name, chunk_size):
    """Σ over devices of each device's summed loss, differentiated through the local slices
    and the gathered copies, has the global loss's gradient (DCL). DCLW's weights come from
    each device's rows, so its sharded loss is not the global batch's: there the chunked
    devices' gradient equals the dense devices' one."""
    import torch

    use_backend(backend_name)
    fn, kw = DCL[name]
    q = torch.tensor(rng.normal(size=(6, 4)), requires_grad=True)
    p = torch.tensor(rng.normal(size=(6, 4)), requires_grad=True)
    sharded = sum(
        fn(q[2 * s : 2 * s + 2], p, all_z1=q, offset=2 * s, chunk_size=chunk_size, **kw)
        for s in range(3)
    )
    got = torch.autograd.grad(sharded, (q, p))
    if name == "dcl_loss":
        expected = torch.autograd.grad(fn(q, p) * 3, (q, p))  # each device: a mean of 2 of 6
    else:  # the same computation, dense, one device's call at a time
        dense = sum(fn(q[2 * s : 2 * s + 2], p, all_z1=q, offset=2 * s, **kw) for s in range(3))
        expected = torch.autograd.grad(dense, (q, p))
    for g, e in zip(got, expected, strict=True):
        close(g.numpy(), e.numpy(), "float64", rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("name", DCL)
def test_dcl_traced_offset_under_jit(rng, name):
    """``offset`` a traced 0-d integer array (``jax.lax.axis_index(...) * n`` in shard_map)."""
    if not JAX:
        pytest.skip("JAX not selected")
    backend = use_backend(JAX[0])
    import jax
    import jax.numpy as jnp

    fn, kw = DCL[name]
    with backend.context("float64"):
        all_z1 = jnp.asarray(rng.normal(size=(6, 4)))
        z2 = jnp.asarray(rng.normal(size=(6, 4)))

        def local(offset, z1):
            return fn(z1, z2, all_z1=all_z1, offset=offset, reduction="none", **kw)

        jitted = jax.jit(local)
        got = jitted(jnp.asarray(2), all_z1[2:4])
        close(np.asarray(got), np.asarray(local(2, all_z1[2:4])), "float64", rtol=1e-13)
        close(
            np.asarray(got),
            _dcl_rows(
                np.asarray(all_z1[2:4]),
                np.asarray(z2),
                np.asarray(all_z1),
                offset=2,
                sigma=kw.get("sigma"),
            ),
            "float64",
            rtol=1e-12,
        )


@pytest.mark.parametrize("name", DCL)
def test_dcl_batch_of_one_raises(backend, name):
    """lightly returns -inf (no negative); a batch of one is a ValueError naming z1."""
    fn, kw = DCL[name]
    x = backend.asarray(np.ones((1, 3)), "float64")
    with pytest.raises(ValueError, match="z1"):
        fn(x, x, **kw)
    with pytest.raises(ValueError, match="z1"):
        fn(x, x, chunk_size=2, **kw)


@pytest.mark.parametrize("name", DCL)
@pytest.mark.parametrize("backend_name", [*TORCH[:1], *JAX[:1]])
def test_dcl_identical_views_and_zero_row_stay_finite(backend_name, rng, name):
    """Identical views (every positive at cos 1) and a zero row: finite value and gradients
    (torch, JAX)."""
    from arraylosses.testing import value_and_grads

    backend = use_backend(backend_name)
    fn, kw = DCL[name]
    z = rng.normal(size=(4, 3))
    zero = z.copy()
    zero[0] = 0.0
    for z1, z2 in ((z, z), (zero, z), (zero, zero)):
        with backend.context("float64"):
            arrays = [backend.asarray(z1, "float64"), backend.asarray(z2, "float64")]
            out = value_and_grads(lambda a, b: fn(a, b, **kw), backend, arrays, wrt=[0, 1])
        assert all(np.isfinite(v).all() for v in out.values)
        assert all(np.isfinite(g).all() for g in out.grads)
    # identical views: positives cos 1, negatives as drawn
    close(call(backend, "float64", fn, z, z, reduction="none"), _dcl_rows(z, z), "float64")


def test_dcl_bad_input(backend):
    x = backend.asarray(np.ones((4, 3)), "float64")
    y = backend.asarray(np.ones((4, 2)), "float64")
    for fn in (al.dcl_loss, al.dclw_loss):
        with pytest.raises(ValueError, match="z2"):
            fn(x, y)
        with pytest.raises(ValueError, match="temperature"):
            fn(x, x, temperature=0.0)
    with pytest.raises(ValueError, match="sigma"):
        al.dclw_loss(x, x, sigma=0.0)
    with pytest.raises(TypeError, match="sigma"):
        al.dclw_loss(x, x, sigma="0.5")
