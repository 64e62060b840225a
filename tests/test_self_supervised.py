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


# ---------------------------------------------------------------------------------------------
# arraylosses.self_supervised


def _grads(backend_name, fn, *arrays):
    """Value and gradients (torch or JAX, float64) of ``fn`` at the NumPy ``arrays``."""
    from arraylosses.testing import value_and_grads

    backend = use_backend(backend_name)
    with backend.context("float64"):
        converted = [backend.asarray(a, "float64") for a in arrays]
        out = value_and_grads(fn, backend, converted, wrt=list(range(len(arrays))))
    return [np.asarray(v) for v in out.values], [np.asarray(g) for g in out.grads]


AD = [*TORCH[:1], *JAX[:1]]


def _vicreg_terms(z1, z2, lam=25.0, mu=25.0, nu=1.0, eps=1e-4):
    d = z1.shape[1]

    def v(z):
        return np.mean(np.maximum(1 - np.sqrt(z.var(axis=0, ddof=1) + eps), 0))

    def c(z):
        cov = np.cov(z, rowvar=False)
        return (np.sum(cov**2) - np.sum(np.diag(cov) ** 2)) / d

    return lam * np.mean((z1 - z2) ** 2), mu * (v(z1) + v(z2)) / 2, nu * (c(z1) + c(z2))


def _barlow_terms(z1, z2, lam=5e-3, eps=1e-5):
    def standardise(z):
        return (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + eps)

    c = standardise(z1).T @ standardise(z2) / z1.shape[0]
    on = np.sum((1 - np.diag(c)) ** 2)
    return on, lam * (np.sum(c**2) - np.sum(np.diag(c) ** 2))


def test_vicreg_and_barlow_terms_by_definition(backend, dtype, rng):
    z1 = rng.normal(size=(7, 4)) * [0.3, 2.0, 0.5, 1.5]
    z2 = z1 + 0.4 * rng.normal(size=(7, 4))
    for fn, terms, kw in (
        (
            al.vicreg_loss,
            _vicreg_terms(z1, z2, 10.0, 5.0, 2.0),
            {
                "invariance_weight": 10.0,
                "variance_weight": 5.0,
                "covariance_weight": 2.0,
            },
        ),
        (al.barlow_twins_loss, _barlow_terms(z1, z2, 0.1), {"redundancy_weight": 0.1}),
    ):
        args, kwargs = backend.convert((z1, z2), kw, dtype)
        got = fn(*args, return_terms=True, **kwargs)
        assert len(got) == len(terms)
        for g, e in zip(got, terms, strict=True):
            close(backend.to_numpy(g), e, dtype)
        close(call(backend, dtype, fn, z1, z2, **kw), sum(terms), dtype)


def test_barlow_gathered_is_the_global_batch_not_lightlys_per_device_average(rng):
    """Passing every device's rows gives the official code's loss (SyncBatchNorm: global
    statistics, C over the global batch); lightly's gather_distributed standardises each
    device with its own statistics and averages the per-device C (lightly#1977): another
    number."""
    z1 = rng.normal(size=(8, 3)) + np.array([0.0, 1.0, -1.0])
    z2 = z1 + 0.5 * rng.normal(size=(8, 3))
    z1[4:] += 2.0  # the second device's rows sit elsewhere: per-device statistics differ
    ours = float(al.barlow_twins_loss(z1, z2))
    close(ours, sum(_barlow_terms(z1, z2)), "float64", rtol=1e-12)

    def standardise(z):
        return (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-5)

    c = sum(standardise(z1[s]).T @ standardise(z2[s]) / 4 for s in (slice(0, 4), slice(4, 8))) / 2
    lightly = np.sum((1 - np.diag(c)) ** 2) + 5e-3 * (np.sum(c**2) - np.sum(np.diag(c) ** 2))
    assert abs(ours - lightly) > 1e-2


@pytest.mark.parametrize(
    "fn", [al.vicreg_loss, al.barlow_twins_loss, lambda a, b: al.uniformity_loss(a)]
)
def test_batch_level_losses_need_two_rows(backend, fn):
    """lightly asserts (VICReg) or raises in batch_norm (Barlow Twins), PML gives NaN: N < 2
    is a ValueError naming the first argument, N = 0 included."""
    for n in (0, 1):
        x = backend.asarray(np.ones((n, 3)), "float64")
        with pytest.raises(ValueError, match="z1|embeddings"):
            fn(x, x)


@pytest.mark.parametrize("backend_name", AD)
def test_constant_columns_and_duplicate_rows_stay_finite(backend_name, rng):
    """VICReg and Barlow Twins on constant columns (variance 0), uniformity and KoLeo with a
    duplicate row, alignment with identical views: finite values and gradients."""
    z = rng.normal(size=(6, 4))
    const = z.copy()
    const[:, 1] = 3.0
    dup = z.copy()
    dup[3] = dup[1]
    for fn, arrays in (
        (al.vicreg_loss, (const, const + 0.1 * z)),
        (al.barlow_twins_loss, (const, const)),
        (al.vicreg_loss, (np.zeros((6, 4)), np.zeros((6, 4)))),
        (al.barlow_twins_loss, (np.zeros((6, 4)), np.zeros((6, 4)))),
        (al.uniformity_loss, (dup,)),
        (lambda x: al.uniformity_loss(x, normalize=False), (dup,)),
        (al.koleo_loss, (dup,)),
        (al.alignment_loss, (z, z)),
    ):
        values, grads = _grads(backend_name, fn, *arrays)
        assert all(np.isfinite(v).all() for v in values), fn
        assert all(np.isfinite(g).all() for g in grads), fn


def _koleo_rows(x, eps=1e-8):
    unit = np.array([r / max(np.linalg.norm(r), eps) for r in x])
    rows = []
    for i in range(len(x)):
        sims = [unit[i] @ unit[j] if j != i else -np.inf for j in range(len(x))]
        j = int(np.argmax(sims))
        rows.append(-math.log(np.linalg.norm(unit[i] - unit[j] + eps) + eps))
    return np.array(rows)


def test_koleo_rows_by_definition(backend, dtype, rng):
    x = rng.normal(size=(7, 3))
    w = rng.uniform(0.5, 2.0, size=7)
    rows = _koleo_rows(x)
    close(call(backend, dtype, al.koleo_loss, x, reduction="none"), rows, dtype)
    close(
        call(backend, dtype, al.koleo_loss, x, sample_weight=w), np.sum(w * rows) / w.sum(), dtype
    )


def test_koleo_quirk_cases_by_definition(backend):
    """The row itself is never its neighbour (DINOv2 picks it when every other cosine is
    exactly -1: two antipodal rows); a duplicate direction gives d = eps·sqrt(D); N = 1 is a
    ValueError (lightly: -log(eps·sqrt(D) + eps), the row its own neighbour); N = 0 follows
    the empty-batch rule."""
    eps = 1e-8
    antipodal = np.array([[1.0, 0.0], [-1.0, 0.0]])
    # x̂_0 - x̂_1 + eps = (2 + eps, eps); x̂_1 - x̂_0 + eps = (-2 + eps, eps)
    expected = [
        -math.log(math.hypot(2 + eps, eps) + eps),
        -math.log(math.hypot(2 - eps, eps) + eps),
    ]
    close(call(backend, "float64", al.koleo_loss, antipodal, reduction="none"), expected, "float64")
    x = np.array([[0.6, 0.8, 0.0], [1.2, 1.6, 0.0], [0.0, 0.0, 1.0]])  # row 1 = 2 · row 0
    rows = call(backend, "float64", al.koleo_loss, x, reduction="none")
    close(rows[:2], -math.log(eps * math.sqrt(3) + eps), "float64", rtol=1e-9)
    one = backend.asarray(np.ones((1, 6)), "float64")
    with pytest.raises(ValueError, match="embeddings"):
        al.koleo_loss(one)
    empty = backend.asarray(np.ones((0, 6)), "float64")
    assert math.isnan(float(backend.to_numpy(al.koleo_loss(empty))))
    assert float(backend.to_numpy(al.koleo_loss(empty, reduction="sum"))) == 0.0
    assert backend.to_numpy(al.koleo_loss(empty, reduction="none")).shape == (0,)


@pytest.mark.parametrize("backend_name", AD)
@pytest.mark.parametrize("alpha", [2.0, 1.0, 0.5])
@pytest.mark.parametrize("normalize", [True, False])
def test_alignment_of_identical_pairs_is_exactly_zero(backend_name, rng, alpha, normalize):
    z = rng.normal(size=(5, 3))
    values, grads = _grads(
        backend_name, lambda a, b: al.alignment_loss(a, b, alpha=alpha, normalize=normalize), z, z
    )
    assert float(values[0]) == 0.0
    for g in grads:
        assert np.all(g == 0.0)


def test_uniformity_by_definition(backend, dtype, rng):
    x = rng.normal(size=(6, 3))
    for t, normalize in ((2.0, True), (0.5, False)):
        y = np.array([_unit(r) for r in x]) if normalize else x
        pairs = [np.sum((y[i] - y[j]) ** 2) for i in range(6) for j in range(i + 1, 6)]
        expected = math.log(np.mean(np.exp(-t * np.array(pairs))))
        close(
            call(backend, dtype, al.uniformity_loss, x, t=t, normalize=normalize), expected, dtype
        )


def test_self_supervised_bad_input(backend):
    x = backend.asarray(np.ones((4, 3)), "float64")
    y = backend.asarray(np.ones((4, 2)), "float64")
    flat = backend.asarray(np.ones(4), "float64")
    ints = backend.asarray(np.ones((4, 3), dtype=np.int64))
    for fn in (al.vicreg_loss, al.barlow_twins_loss, al.alignment_loss):
        with pytest.raises(ValueError, match="z2"):
            fn(x, y)
    with pytest.raises(ValueError, match="variance_weight"):
        al.vicreg_loss(x, x, variance_weight=-1.0)
    with pytest.raises(ValueError, match="eps"):
        al.vicreg_loss(x, x, eps=0.0)
    with pytest.raises(ValueError, match="redundancy_weight"):
        al.barlow_twins_loss(x, x, redundancy_weight=-0.1)
    with pytest.raises(ValueError, match="embeddings"):
        al.koleo_loss(flat)
    with pytest.raises(TypeError, match="embeddings"):
        al.koleo_loss(ints)
    with pytest.raises(ValueError, match="alpha"):
        al.alignment_loss(x, x, alpha=0.0)
    with pytest.raises(ValueError, match="t must"):
        al.uniformity_loss(x, t=0.0)
    for fn in (al.vicreg_loss, al.barlow_twins_loss):
        with pytest.raises(TypeError):
            fn(x, x, reduction="mean")
        with pytest.raises(TypeError):
            fn(x, x, sample_weight=flat)
    with pytest.raises(TypeError):
        al.uniformity_loss(x, reduction="none")


# ---------------------------------------------------------------------------------------------
# Zero rows in float16 / bfloat16 (audit rows O01, O02): the normalisation's clamp gave a zero
# row the slope 1/eps (1e8), inf once cast back to float16; _ops.normalize masks it instead.

_NORMALISING = {
    "dcl_loss": (lambda a, b: al.dcl_loss(a, b), 2),
    "dclw_loss": (lambda a, b: al.dclw_loss(a, b), 2),
    "nt_xent_loss": (lambda a, b: al.nt_xent_loss(a, b), 2),
    "info_nce": (lambda a, b: al.info_nce(a, b), 2),
    "clip_loss": (lambda a, b: al.clip_loss(a, b), 2),
    "siglip_loss": (lambda a, b: al.siglip_loss(a, b), 2),
    "multiple_negatives_ranking_loss": (lambda a, b: al.multiple_negatives_ranking_loss(a, b), 2),
    "koleo_loss": (lambda a: al.koleo_loss(a), 1),
    "alignment_loss": (lambda a, b: al.alignment_loss(a, b), 2),
    "uniformity_loss": (lambda a: al.uniformity_loss(a), 1),
    "cosine_similarity": (lambda a, b: al.cosine_similarity(a, b), 2),
    "l2_normalize": (lambda a: al.l2_normalize(a), 1),
    "pairwise_cosine_similarity": (lambda a, b: al.pairwise_cosine_similarity(a, b), 2),
}


def _zero_first_row(rng, k):
    arrays = [rng.normal(size=(4, 3)) for _ in range(k)]
    for a in arrays:
        a[0] = 0.0
    return arrays


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", list(_NORMALISING))
def test_zero_row_low_precision_gradient_is_finite_torch(rng, name, dtype):
    torch = pytest.importorskip("torch")
    fn, k = _NORMALISING[name]
    ts = [
        torch.tensor(a).to(getattr(torch, dtype)).requires_grad_() for a in _zero_first_row(rng, k)
    ]
    value = fn(*ts)
    value.sum().backward()
    assert torch.isfinite(value).all(), name
    for t in ts:
        assert torch.isfinite(t.grad).all(), (name, t.grad)
        assert (t.grad[0] == 0).all(), (name, t.grad[0])  # a zero row passes no gradient


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", list(_NORMALISING))
def test_zero_row_low_precision_gradient_is_finite_jax(rng, name, dtype):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    fn, k = _NORMALISING[name]
    xs = [jnp.asarray(a, dtype=dtype) for a in _zero_first_row(rng, k)]
    value = fn(*xs)
    grads = jax.grad(lambda *a: jnp.sum(fn(*a)).astype(jnp.float32), argnums=tuple(range(k)))(*xs)
    assert np.isfinite(np.asarray(value, np.float32)).all(), name
    for g in grads:
        assert np.isfinite(np.asarray(g, np.float32)).all(), (name, g)
