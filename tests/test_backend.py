"""The array-API core: primitives against by-definition values, dtype and device rules,
stop_gradient, and the reduction helper."""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al
from arraylosses import _backend as B
from arraylosses import _ops as ops
from arraylosses.testing import generic_kernels, value_and_grads

from .helpers import close


def _on(backend, x, dtype="float64"):
    return backend.asarray(np.asarray(x, dtype=float), dtype)


def _lse(row):
    m = max(row)
    return m + math.log(math.fsum(math.exp(v - m) for v in row))


def test_logsumexp_by_definition(backend, dtype, rng):
    x = rng.normal(scale=3.0, size=(4, 5))
    xp = backend.xp
    got = backend.to_numpy(B.logsumexp(xp, _on(backend, x, dtype), axis=-1))
    close(got, [_lse(r) for r in x], dtype)
    got0 = backend.to_numpy(B.logsumexp(xp, _on(backend, x, dtype), axis=0, keepdims=True))
    assert got0.shape == (1, 5)
    close(got0[0], [_lse(c) for c in x.T], dtype)


def test_logsumexp_extremes(backend):
    xp = backend.xp
    x = np.array([[1e4, 1e4 - 1.0], [-1e4, -1e4], [-np.inf, -np.inf], [np.inf, 0.0]])
    with np.errstate(divide="ignore"):  # log(0) = -inf for the all--inf row, as it should
        got = backend.to_numpy(B.logsumexp(xp, _on(backend, x)))
    close(got[:2], [1e4 + math.log1p(math.exp(-1.0)), -1e4 + math.log(2)], "float64")
    assert got[2] == -np.inf and got[3] == np.inf


def test_log_softmax_and_softmax(backend, dtype, rng):
    x = rng.normal(scale=3.0, size=(3, 4))
    xp = backend.xp
    expected = np.array([[v - _lse(r) for v in r] for r in x])
    close(backend.to_numpy(B.log_softmax(xp, _on(backend, x, dtype))), expected, dtype)
    close(backend.to_numpy(B.softmax(xp, _on(backend, x, dtype))), np.exp(expected), dtype)


@pytest.mark.parametrize("value", [-800.0, -50.0, -1.0, 0.0, 2.0, 50.0, 800.0])
def test_sigmoid_family_by_definition(backend, value):
    xp = backend.xp
    x = _on(backend, [value])
    softplus = max(value, 0.0) + math.log1p(math.exp(-abs(value)))
    sigmoid = math.exp(-(max(-value, 0.0) + math.log1p(math.exp(-abs(value)))))
    close(backend.to_numpy(B.softplus(xp, x)), [softplus], "float64")
    close(
        backend.to_numpy(B.log_sigmoid(xp, x)),
        [-(max(-value, 0.0) + math.log1p(math.exp(-abs(value))))],
        "float64",
    )
    # full relative accuracy in the lower tail (σ(-50) ≈ 1.9e-22, not 0)
    close(backend.to_numpy(B.sigmoid(xp, x)), [sigmoid], "float64", atol=0.0)


def test_one_hot(backend):
    labels = backend.asarray(np.array([2, 0, 1]))
    got = backend.to_numpy(B.one_hot(backend.xp, labels, 3, dtype=backend.xp.float32))
    np.testing.assert_array_equal(got, np.eye(3)[[2, 0, 1]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_reduce_loss(backend, reduction):
    xp = backend.xp
    loss = _on(backend, [1.0, 2.0, 6.0])
    w = _on(backend, [1.0, 0.0, 2.0])
    plain = backend.to_numpy(
        ops.reduce_loss(xp, loss, reduction=reduction, sample_weight=None, out_dtype=loss.dtype)
    )
    weighted = backend.to_numpy(
        ops.reduce_loss(xp, loss, reduction=reduction, sample_weight=w, out_dtype=loss.dtype)
    )
    expected = {
        "mean": (3.0, 13.0 / 3.0),
        "sum": (9.0, 13.0),
        "none": ([1.0, 2.0, 6.0], [1.0, 0.0, 12.0]),
    }[reduction]
    close(plain, expected[0], "float64")
    close(weighted, expected[1], "float64")
    assert np.ndim(plain) == (1 if reduction == "none" else 0)


def test_results_are_arrays_of_the_input_namespace(backend):
    out = al.mse_loss(_on(backend, [1.0, 2.0]), _on(backend, [0.0, 0.0]))
    assert type(out).__module__.split(".")[0] != "builtins"
    if backend.name == "numpy":
        assert isinstance(out, np.ndarray) and out.shape == ()  # not a NumPy scalar


@pytest.mark.parametrize("half", ["float16", "bfloat16"])
def test_half_precision_is_computed_in_float32_and_cast_back(backend, half):
    if half not in backend.dtypes:
        pytest.skip(f"{backend.name} has no {half}")
    # 2049 is not a float16 (spacing 2 above 2048); summing 4096 ones in float16 stalls at
    # 2048, in float32 it is exact
    x = backend.asarray(np.ones(4096), half)
    zero = backend.asarray(np.zeros(4096), half)
    out = al.l1_loss(x, zero, reduction="sum")
    assert out.dtype == x.dtype
    assert float(backend.to_numpy(out)) == 4096.0


def test_stop_gradient_cuts_the_gradient(ad_backend):
    xp = ad_backend.xp
    if ad_backend.name.startswith("torch"):
        import torch

        x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(x * B.stop_gradient(xp, x) + x, x)
    else:
        import jax

        g = jax.grad(lambda x: x * B.stop_gradient(xp, x) + x)(3.0)
    assert float(g) == 4.0  # d/dx (x·c + x) with c = 3 held constant


def test_stop_gradient_is_identity_without_autodiff(backend):
    x = _on(backend, [1.0, 2.0])
    assert B.stop_gradient(backend.xp, x) is x or backend.differentiable


def test_is_eager_is_false_under_jit():
    jax = pytest.importorskip("jax")
    seen = []
    jax.jit(lambda x: seen.append(B.is_eager(jax.numpy, x)) or x)(jax.numpy.ones(2))
    assert seen == [False]
    assert B.is_eager(jax.numpy, jax.numpy.ones(2))


def test_jax_eager_value_check_is_skipped_under_jit():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    f = jax.jit(lambda v: al.gaussian_nll_loss(jnp.zeros(2), jnp.ones(2), v))
    assert np.isfinite(float(f(jnp.array([-1.0, 1.0]))))  # not checked (documented)
    with pytest.raises(ValueError, match="var must be non-negative"):
        al.gaussian_nll_loss(jnp.zeros(2), jnp.ones(2), jnp.array([-1.0, 1.0]))


# -- native kernels (torch, JAX) against the generic array-API code they replace


def _routed_and_generic(backend, fn):
    with generic_kernels():
        generic = fn()
    return fn(), generic


def _logits(rng):
    x = rng.normal(size=(5, 7)) * 30
    x[1, 3] = 1e4  # huge, exact only with the shift
    x[2, :] = -np.inf  # a row with nothing in it
    x[2, 4] = 0.5
    x[3, 2] = -np.inf
    return x


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log")  # the all -inf row:
@pytest.mark.filterwarnings("ignore:invalid value encountered in subtract")  # NaN log_softmax
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_native_and_generic_logsumexp_agree(backend, rng, axis):
    x = _logits(rng)
    x[4, :] = -np.inf  # an all -inf row: -inf on both paths
    xp, a = backend.xp, backend.asarray(x, "float64")
    for fn in (lambda: B.logsumexp(xp, a, axis=axis), lambda: B.log_softmax(xp, a, axis=axis)):
        routed, generic = (backend.to_numpy(r) for r in _routed_and_generic(backend, fn))
        # near-zero log-probabilities are differences of ~1e4-sized numbers: absolute 1e-11
        np.testing.assert_allclose(routed, generic, rtol=1e-14, atol=1e-11)
    # and against the definition, on the finite rows (axis 1: rows 0..3 are not all -inf)
    if axis != 0:
        expected = [
            np.log(np.sum(np.exp(row[np.isfinite(row)] - 1e4))) + 1e4
            if i == 1
            else np.log(np.sum(np.exp(row[np.isfinite(row)])))
            for i, row in enumerate(x[:4])
        ]
        np.testing.assert_allclose(
            backend.to_numpy(B.logsumexp(xp, a, axis=axis))[:4], expected, rtol=1e-13
        )


def test_native_and_generic_nll_at_agree(backend, rng):
    x = _logits(rng)
    labels = np.array([0, 3, 4, 6, 1])
    xp, a = backend.xp, backend.asarray(x, "float64")
    i = backend.asarray(labels)

    def both(fn):
        return [backend.to_numpy(r) for r in _routed_and_generic(backend, fn)]

    routed, generic = both(lambda: B.nll_at(xp, a, i, axis=1))
    np.testing.assert_allclose(routed, generic, rtol=1e-14, atol=1e-11)
    full = backend.to_numpy(B.log_softmax(xp, a, axis=1))
    np.testing.assert_allclose(
        routed, -np.take_along_axis(full, labels[:, None], axis=1)[:, 0], rtol=1e-14, atol=1e-11
    )
    routed, generic = both(lambda: B.take_along_axis(xp, a, i[:, None], axis=1))
    np.testing.assert_array_equal(routed, generic)


@pytest.mark.parametrize(
    ("shape", "axis"), [((7,), 0), ((3, 7, 4), 1), ((3, 4, 7), -1), ((7, 3, 2), 0)]
)
def test_nll_at_every_axis_and_rank(backend, rng, shape, axis):
    """Any rank and axis (torch picks with ``nll_loss``, which wants the classes on dim 1):
    routed and generic equal ``-log_softmax`` at the labels (``x``'s shape without
    ``axis``), computed here in NumPy."""
    x = rng.normal(size=shape) * 5
    label_shape = [n for k, n in enumerate(shape) if k != axis % len(shape)]
    labels = rng.integers(0, shape[axis], size=label_shape)
    shifted = x - x.max(axis=axis, keepdims=True)
    full = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    expected = -np.squeeze(
        np.take_along_axis(full, np.expand_dims(labels, axis), axis=axis), axis=axis
    )
    xp, a, i = backend.xp, backend.asarray(x, "float64"), backend.asarray(labels)
    for r in _routed_and_generic(backend, lambda: B.nll_at(xp, a, i, axis=axis)):
        assert tuple(r.shape) == tuple(label_shape)
        np.testing.assert_allclose(backend.to_numpy(r), expected, rtol=1e-14, atol=1e-15)


def test_native_and_generic_gradients_agree(ad_backend, rng):
    """The fused kernels' gradients are the generic code's (float64), for every primitive
    that is routed, including rows with -inf entries."""
    x = _logits(rng)
    x[1, 3] = 50.0
    labels = np.array([0, 3, 4, 6, 1])
    c = rng.uniform(0.5, 1.5, size=(5, 7))

    def grads():
        xp = ad_backend.xp
        out = []
        for f in (
            lambda a: xp.sum(B.logsumexp(xp, a, axis=1) * xp.asarray(c[:, 0])),
            lambda a: xp.sum(
                xp.where(
                    xp.isfinite(B.log_softmax(xp, a, axis=1)), B.log_softmax(xp, a, axis=1), 0.0
                )
                * xp.asarray(c)
            ),
            lambda a: xp.sum(B.nll_at(xp, a, xp.asarray(labels), axis=1)),
        ):
            with ad_backend.context("float64"):
                a = ad_backend.asarray(x, "float64")
                r = value_and_grads(f, ad_backend, [a], wrt=[0], cotangent=[np.ones(())])
            out.append(r.grads[0])
        return out

    routed, generic = _routed_and_generic(ad_backend, grads)
    for r, g in zip(routed, generic, strict=True):
        assert np.all(np.isfinite(r))
        np.testing.assert_allclose(r, g, rtol=1e-12, atol=1e-14)


def test_routing_is_per_namespace():
    assert B.native_kernels(pytest.importorskip("numpy")) is None
    strict = pytest.importorskip("array_api_strict")
    assert B.native_kernels(strict) is None


def test_generic_kernels_is_a_scoped_switch():
    """``generic_kernels()`` turns routing off for its block only: restored on exit, also when
    the block raises (a failing test cannot leave it off), and nested blocks restore the outer
    one's setting."""
    torch = pytest.importorskip("torch")
    xp = pytest.importorskip("array_api_compat.torch")
    assert generic_kernels is B.generic_kernels  # one switch, re-exported by the test kit
    assert B.native_kernels(xp) is not None
    with generic_kernels():
        assert B.native_kernels(xp) is None
        with generic_kernels():
            assert B.native_kernels(xp) is None
        assert B.native_kernels(xp) is None  # the inner block restored "off", not the default
    assert B.native_kernels(xp) is not None
    with pytest.raises(ZeroDivisionError), generic_kernels():
        assert B.native_kernels(xp) is None
        _ = 1 / 0
    assert B.native_kernels(xp) is not None
    assert not hasattr(B, "use_native_kernels")  # no bare setter that outlives a test
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    with generic_kernels():
        generic = B.logsumexp(xp, x, axis=1)
    assert float(generic) == pytest.approx(_lse([1.0, 2.0, 3.0]), rel=1e-15)


def test_jitted_is_jax_jit_on_jax_only(backend):
    """``jitted(xp, fn)``: ``fn`` itself outside JAX; on JAX a ``jax.jit`` wrapper (``fn`` sees
    tracers), one per function and per :func:`generic_kernels` state, with the eager
    result."""
    seen = []

    def double(x):
        seen.append(B.is_eager(backend.xp, x))
        return 2 * x

    step = B.jitted(backend.xp, double)
    x = backend.asarray(np.array([1.0, -2.0]), "float64")
    np.testing.assert_array_equal(backend.to_numpy(step(x)), [2.0, -4.0])
    if not backend.is_jax:
        assert step is double
        assert seen == [True]
        return
    assert step is not double and B.jitted(backend.xp, double) is step
    assert seen == [False]  # traced
    step(x)
    assert seen == [False]  # the same shape: no new trace
    with generic_kernels():
        assert B.jitted(backend.xp, double) is not step  # the trace reads the switch


# -- softplus, log_sigmoid, sigmoid: torch's fused logsigmoid against the generic form


_TAILS = np.array(
    [
        -1e4,
        -800.0,
        -100.0,
        -30.0,
        -1.0,
        -1e-8,
        0.0,
        1e-8,
        1.0,
        30.0,
        100.0,
        800.0,
        1e4,
        np.inf,
        -np.inf,
    ]
)


def _sigma(x):
    """σ(x) in float64 NumPy, exact in both tails: exp(-log(1 + e^-x))."""
    with np.errstate(over="ignore"):
        return np.exp(-np.logaddexp(0.0, -x))


# each primitive with its definition and its derivative, in NumPy (independent of ours)
_SIGMOID_FAMILY = {
    "softplus": (lambda x: np.logaddexp(0.0, x), _sigma),
    "log_sigmoid": (lambda x: -np.logaddexp(0.0, -x), lambda x: _sigma(-x)),
    "sigmoid": (_sigma, lambda x: _sigma(x) * _sigma(-x)),
}


@pytest.mark.parametrize("name", sorted(_SIGMOID_FAMILY))
def test_sigmoid_family_routed_and_generic_agree_with_the_definition(ad_backend, name):
    """Values and gradients of the routed kernels (torch: ``F.logsigmoid``) and of the generic
    code, float64, from -1e4 to 1e4 and ±inf: both equal the definition to relative 1e-14
    (subnormal results included), with finite gradients and no -0.0 from ``softplus``."""
    fn = getattr(B, name)
    value, derivative = _SIGMOID_FAMILY[name]

    def run():
        with ad_backend.context("float64"):
            x = ad_backend.asarray(_TAILS, "float64")
            return value_and_grads(
                lambda a: fn(ad_backend.xp, a), ad_backend, [x], wrt=[0], cotangent=[np.ones(15)]
            )

    routed, generic = _routed_and_generic(ad_backend, run)
    for got in (routed, generic):
        v, g = got.values[0], got.grads[0]
        np.testing.assert_allclose(v, value(_TAILS), rtol=1e-14, atol=0)
        assert np.all(np.isfinite(g)), g
        np.testing.assert_allclose(g, derivative(_TAILS), rtol=1e-14, atol=0)
    np.testing.assert_array_equal(routed.values[0], generic.values[0])
    if name == "softplus":
        assert not np.any(np.signbit(routed.values[0])), routed.values[0]  # never -0.0


@pytest.mark.parametrize("name", sorted(_SIGMOID_FAMILY))
def test_sigmoid_family_nan_in_nan_out(backend, name):
    x = _on(backend, [np.nan, 0.0])
    for routing in (False, True):
        with generic_kernels() if routing else _nullcontext():
            got = backend.to_numpy(getattr(B, name)(backend.xp, x))
        assert np.isnan(got[0]) and np.isfinite(got[1]), got


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


def test_torch_softplus_saves_nothing_new_for_backward():
    """softplus (BCE-with-logits, BPR, SigLIP...) keeps no new full-size array for the backward
    pass on torch: routing it as ``0 - logsigmoid(-x)`` kept ``-x`` and logsigmoid's CPU buffer,
    two arrays of ``x``'s size (BCE's saved memory went from 1.00x to 1.50x ``F.*``'s)."""
    torch = pytest.importorskip("torch")
    x = torch.randn(1000, 100, dtype=torch.float64, requires_grad=True)
    new = {}

    def pack(t):
        if t.data_ptr() != x.data_ptr():
            new[t.data_ptr()] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = B.softplus(torch, x)
    assert sum(new.values()) <= 0.01 * x.numel() * x.element_size(), new
    y.sum().backward()  # and the gradient is σ(x)
    np.testing.assert_allclose(x.grad.numpy(), _sigma(x.detach().numpy()), rtol=1e-14)


# -- sigmoid cross entropy (BCE with logits, sigmoid focal loss): exact in both tails

_LOGITS = _TAILS[np.isfinite(_TAILS)]  # 13 finite logits, ±1e4 included


def _sigmoid_ce_definition(z, t):
    """``t·softplus(-z) + (1 - t)·softplus(z)`` in float64 NumPy (each softplus exact)."""
    return t * np.logaddexp(0.0, -z) + (1 - t) * np.logaddexp(0.0, z)


@pytest.mark.parametrize("label", [0.0, 1.0, 0.25])
def test_sigmoid_cross_entropy_routed_and_generic_agree_with_the_definition(ad_backend, label):
    """Routed (torch: one autograd.Function) and generic, float64, logits from -1e4 to 1e4 at
    ``t`` = 0, 1 and a soft 0.25: the value to relative 1e-14 (the tails' ``log1p(e^-|z|)``
    included), the gradient ``σ(z) - t`` in ``z`` (0.5 - t at 0: the kinks split ties) and
    ``-z`` in ``t``."""
    t = np.full(_LOGITS.shape, label)

    def run():
        with ad_backend.context("float64"):
            z_ = ad_backend.asarray(_LOGITS, "float64")
            t_ = ad_backend.asarray(t, "float64")
            return value_and_grads(
                lambda a, b: B.sigmoid_cross_entropy(ad_backend.xp, a, b),
                ad_backend,
                [z_, t_],
                wrt=[0, 1],
                cotangent=[np.ones(_LOGITS.shape)],
            )

    routed, generic = _routed_and_generic(ad_backend, run)
    for got in (routed, generic):
        np.testing.assert_allclose(
            got.values[0], _sigmoid_ce_definition(_LOGITS, t), rtol=1e-14, atol=0
        )
        np.testing.assert_allclose(got.grads[0], _sigma(_LOGITS) - t, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(got.grads[1], -_LOGITS)


@pytest.mark.parametrize("label", [0.0, 1.0])
def test_confident_correct_logits_lose_their_tail_in_float32(backend, label):
    """A confident correct logit (``t = 1`` with ``z > 0``, ``t = 0`` with ``z < 0``) loses
    ``log1p(e^-|z|)`` (2.06e-9 at 20) in float32, not 0, on the routed and the generic path:
    ``softplus(z) - t·z`` read 0 at ``t = 1``, torch's ``(1 - t)·z - log σ(z)`` reads 0 at
    ``t = 0``. The same for ``pos_weight`` (the two softplus terms) and the sigmoid focal loss
    (α_t (1 - p_t)^γ times that loss, ``1 - p_t = σ(-|z|)``)."""
    import contextlib

    sign = 1.0 if label else -1.0
    z = sign * np.array([20.0, 40.0, 80.0])
    tail = np.log1p(np.exp(-np.abs(z)))  # float64
    alpha_t = 0.25 if label else 0.75
    zf = sign * np.array([10.0, 20.0])
    focal = alpha_t * _sigma(-np.abs(zf)) ** 2 * np.log1p(np.exp(-np.abs(zf)))
    for kernels in (contextlib.nullcontext, generic_kernels):
        with kernels():
            target = _on(backend, np.full(3, label), "float32")
            got = al.binary_cross_entropy_with_logits(
                _on(backend, z, "float32"), target, reduction="none"
            )
            np.testing.assert_allclose(backend.to_numpy(got), tail, rtol=2e-6)
            got = al.binary_cross_entropy_with_logits(
                _on(backend, z, "float32"), target, pos_weight=3.0, reduction="none"
            )
            np.testing.assert_allclose(backend.to_numpy(got), (1 + 2 * label) * tail, rtol=2e-6)
            got = al.sigmoid_focal_loss(
                _on(backend, zf, "float32"),
                _on(backend, np.full(2, label), "float32"),
                reduction="none",
            )
            np.testing.assert_allclose(backend.to_numpy(got), focal, rtol=1e-5)


def test_sigmoid_cross_entropy_nan_in_nan_out(backend):
    z, t = _on(backend, [np.nan, 0.0, 1.0]), _on(backend, [1.0, np.nan, 0.0])
    for routing in (False, True):
        with generic_kernels() if routing else _nullcontext():
            got = backend.to_numpy(B.sigmoid_cross_entropy(backend.xp, z, t))
        assert np.isnan(got[:2]).all() and np.isfinite(got[2]), got


def test_torch_sigmoid_cross_entropy_saves_only_its_inputs():
    """The routed form keeps ``z`` and ``t`` for the backward and nothing new (the same
    operations under autograd keep their intermediates, full-size arrays)."""
    torch = pytest.importorskip("torch")
    z = torch.randn(1000, 100, dtype=torch.float64, requires_grad=True)
    t = torch.rand(1000, 100, dtype=torch.float64)
    new = {}

    def pack(x):
        if x.data_ptr() not in (z.data_ptr(), t.data_ptr()):
            new[x.data_ptr()] = x.numel() * x.element_size()
        return x

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        y = B.sigmoid_cross_entropy(torch, z, t)
    assert not new, new
    y.sum().backward()
    expected = _sigma(z.detach().numpy()) - t.numpy()
    np.testing.assert_allclose(z.grad.numpy(), expected, rtol=1e-12, atol=1e-15)


def test_torch_sigmoid_cross_entropy_under_torch_func_and_double_backward():
    """The routed form under ``torch.func``: ``vmap(grad)`` over rows of ``z``, ``jacrev``
    (a vmap over cotangents) and a ``vmap`` over targets only; and a second derivative by
    ``create_graph=True``: ``σ(z)·σ(-z)``."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    z_np, t_np = rng.normal(size=(4, 3)) * 5, rng.uniform(size=(4, 3))
    z, t = torch.tensor(z_np), torch.tensor(t_np)

    def total(a, b):
        return B.sigmoid_cross_entropy(torch, a, b).sum()

    got = torch.func.vmap(torch.func.grad(total))(z, t)
    np.testing.assert_allclose(got.numpy(), _sigma(z_np) - t_np, rtol=1e-12, atol=1e-15)
    jac = torch.func.jacrev(lambda a: B.sigmoid_cross_entropy(torch, a, t))(z)
    np.testing.assert_allclose(
        jac.reshape(12, 12).numpy(), np.diag((_sigma(z_np) - t_np).ravel()), atol=1e-15
    )
    per_target = torch.func.vmap(lambda b: B.sigmoid_cross_entropy(torch, z[0], b))(t)
    np.testing.assert_allclose(
        per_target.numpy(), _sigmoid_ce_definition(z_np[0], t_np), rtol=1e-14
    )
    x = torch.tensor([-30.0, -1.0, 0.0, 2.0, 30.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(total(x, torch.full_like(x, 0.3)), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    xs = x.detach().numpy()
    np.testing.assert_allclose(h.numpy(), _sigma(xs) * _sigma(-xs), rtol=1e-12)


# -- value checks and namespace decisions (issue #32)


def test_value_check_mode_by_library_and_device():
    """The mechanism's decision: read on the host (NumPy, torch CPU, JAX CPU), a device-side
    assert for torch off the CPU (``meta`` here), skipped under ``jax.jit``."""
    assert B.value_check_mode(np.zeros(2)) == B.READ
    torch = pytest.importorskip("torch")
    assert B.value_check_mode(torch.zeros(2)) == B.READ
    assert B.value_check_mode(torch.zeros(2, device="meta")) == B.ASSERT
    jax = pytest.importorskip("jax")
    assert B.value_check_mode(jax.numpy.zeros(2)) == B.READ  # the CPU here
    seen = []
    jax.jit(lambda x: seen.append(B.value_check_mode(x)) or x)(jax.numpy.ones(2))
    assert seen == [B.SKIP]


def test_namespace_kind_matches_array_api_compat(backend):
    """Our dict lookup names the same library as array_api_compat's (lru_cached) helpers."""
    import array_api_compat as compat

    xp = backend.xp
    for ours, theirs in (
        (B.is_numpy_namespace, compat.is_numpy_namespace),
        (B.is_torch_namespace, compat.is_torch_namespace),
        (B.is_jax_namespace, compat.is_jax_namespace),
        (B.is_array_api_strict_namespace, compat.is_array_api_strict_namespace),
    ):
        assert ours(xp) == theirs(xp), (ours.__name__, xp.__name__)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cross_entropy", "mse_loss", "binary_cross_entropy_with_logits"])
def test_torch_compile_emits_no_lru_cache_warning(name):
    """issue #31: Dynamo warns at every ``functools.lru_cache``-wrapped function it traces
    (array_api_compat's ``is_*_namespace``); the hot path calls none."""
    import warnings

    torch = pytest.importorskip("torch")
    torch._dynamo.reset()
    z = torch.zeros(4, 3, requires_grad=True)
    target = torch.tensor([0, 1, 2, 0]) if name == "cross_entropy" else torch.ones(4, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.compile(getattr(al, name))(z, target).backward()
    lru = [str(w.message)[:160] for w in caught if "lru_cache" in str(w.message)]
    assert lru == []
