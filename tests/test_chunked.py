"""``chunk_size`` (issue #15): the in-batch losses walked in tiles equal the dense path.

The reference is always the dense path (``chunk_size=None``), which builds the whole
similarity matrix with its own code (``scores``, ``nll_at``, masks): an independent
implementation of every loss. Nothing here compares a chunked result with another chunked one.

Swept over every record that takes ``chunk_size`` (the registry, so a new chunked function is
swept without a test of its own), on every parameter set whose mode is tiled:

- float64: the values and, on torch, the gradients of ``Σ c·out`` w.r.t. every floating input
  (the 0-d temperatures and scales too) equal the dense path's, 1e-12 relative, at chunk size
  3 on NumPy and torch, and 1 on torch for the record's own chunked sets; float32 within the
  tolerance table;
- hostile input: a NaN row gives dense's NaN pattern (and, on torch, dense's gradient of the
  finite rows); the empty batch gives NaN, 0 and an empty array at a chunk size;
- ``chunk_size`` itself: wrong types, values below 1, NumPy integers.

JAX's ``lax.scan`` and array_api_strict's devices run the records' chunked sets in the
conformance matrix too (against NumPy float64, gradients against finite differences, under
``jax.jit`` and ``jax.vmap``). What the records cannot say keeps inputs of its own (N = 7 rows,
3 views, 2 negatives per row; chunk sizes 1, 4 (divides none of 7, 14, 21) and 32 (one padded
tile)): float32 at scale 1e4 on near-tied inputs, NaN patterns by hand; JAX: the loop is a
``lax.scan`` whose jaxpr does not grow with N/chunk, ``jax.vmap``; torch: the bytes saved for
backward are O(N·D), not O(N²).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import arraylosses as al
from arraylosses import _backend
from arraylosses.testing import BACKENDS, TOLERANCES, assert_close, parts, value_and_grads
from arraylosses.testing.cases import ALL_DIRECTIONS, Params
from arraylosses.testing.cases import CASES as REGISTRY

from .conftest import JAX, SELECTED, TORCH, use_backend
from .helpers import call

N, D = 7, 5
CHUNKS = (1, 4, 32)
RTOL64 = 1e-12
MNRL = al.multiple_negatives_ranking_loss
MNRL_SYMMETRIC = al.multiple_negatives_symmetric_ranking_loss


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The tiles are many small ops. On a shared CPU, torch's OpenMP threads spin-waiting for
    each other at every op dominate (seconds for what one thread does in milliseconds): one
    intra-op thread for these tests, restored after."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --- inputs of any batch size, for the numerics the records' fixed-size inputs cannot give ---


def _labels(n: int) -> np.ndarray:
    """Labels 2 and 3 occur once in 7: in (N, D) those anchors have no positive."""
    return np.resize(np.array([0, 1, 0, 2, 1, 0, 3]), n)


def _pair(rng, n):
    return (rng.normal(size=(n, D)), rng.normal(size=(n, D)))


def _with_negative(rng, n):  # negatives (W, D)
    return (*_pair(rng, n), rng.normal(size=(n, D)))


def _with_negatives(rng, n):  # negatives (W, K, D), K = 2
    return (*_pair(rng, n), rng.normal(size=(n, 2, D)))


def _features(rng, n):
    return (rng.normal(size=(n, D)), _labels(n))


def _views(rng, n):
    return (rng.normal(size=(n, 3, D)), _labels(n))


# name -> (loss, inputs(rng, n) -> NumPy arrays (floating ones are differentiated), kwargs)
NUMERICS: dict[str, tuple[Callable[..., Any], Callable[..., tuple[np.ndarray, ...]], dict]] = {
    "info_nce": (al.info_nce, _pair, {"temperature": 0.3}),
    "info_nce symmetric": (al.info_nce, _pair, {"symmetric": True}),
    "clip_loss": (al.clip_loss, _pair, {"logit_scale": 3.0}),
    "siglip_loss": (al.siglip_loss, _pair, {}),
    "nt_xent_loss": (al.nt_xent_loss, _pair, {}),
    "supcon_loss (N,D)": (al.supcon_loss, _features, {"temperature": 0.2}),
    "supcon_loss (N,V,D)": (al.supcon_loss, _views, {"temperature": 0.2}),
    "mnrl every direction (W,K,D)": (MNRL, _with_negatives, {"directions": ALL_DIRECTIONS}),
    "mnrl in_batch_negatives per_direction (W,D)": (
        MNRL,
        _with_negative,
        {
            "hardness_mode": "in_batch_negatives",
            "hardness_strength": 1.0,
            "directions": ("query_to_doc", "doc_to_query"),
            "partition_mode": "per_direction",
        },
    ),
    "mnrl symmetric (W,D)": (MNRL_SYMMETRIC, _with_negative, {}),
}


def _inputs(name: str, n: int = N) -> tuple[np.ndarray, ...]:
    return NUMERICS[name][1](np.random.default_rng(zlib.crc32(name.encode())), n)


def _cotangent(n: int) -> np.ndarray:
    return np.random.default_rng(n).uniform(0.5, 1.5, size=n)


# --- evaluation: values and gradients on one backend -----------------------------------------


def _evaluate(
    backend,
    fn: Callable[..., Any],
    arrays: tuple[np.ndarray, ...],
    kwargs: dict[str, Any],
    *,
    dtype: str = "float64",
    hyper: dict[str, float] | None = None,
    grads: bool = True,
    cotangent: np.ndarray | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """``fn(*arrays, **kwargs, **hyper, reduction="none")`` on ``backend`` in ``dtype``: the
    values and (``grads``) the gradients of ``Σ c·loss`` w.r.t. every floating array, then
    every ``hyper`` entry (passed as 0-d arrays); ``c`` is ``cotangent`` or fixed random.
    JAX runs it under ``jax.jit``, every array (the integer labels too) a traced argument."""
    hyper = hyper or {}
    names = list(hyper)
    with backend.context(dtype):
        conv, _ = backend.convert([*arrays, *map(np.asarray, hyper.values())], dtype=dtype)
        diff = [i for i, x in enumerate(conv) if backend.xp.isdtype(x.dtype, "real floating")]
        if cotangent is None:
            cotangent = _cotangent(arrays[0].shape[0])
        cot = backend.asarray(cotangent, dtype)

        def loss(*xs):
            k = len(xs) - len(names)
            return fn(*xs[:k], **kwargs, **dict(zip(names, xs[k:])), reduction="none")

        if backend.is_torch:
            import torch

            leaves = [
                x.detach().clone().requires_grad_(grads) if i in diff else x
                for i, x in enumerate(conv)
            ]
            values = loss(*leaves)
            if not grads:
                return backend.to_numpy(values), []
            wrt = [leaves[i] for i in diff]
            g = torch.autograd.grad(values, wrt, grad_outputs=cot, allow_unused=True)
            out = [
                np.zeros(x.shape) if gi is None else backend.to_numpy(gi) for x, gi in zip(wrt, g)
            ]
            return backend.to_numpy(values.detach()), out
        if not backend.is_jax:
            assert not grads, backend.name
            return backend.to_numpy(loss(*conv)), []
        import jax
        import jax.numpy as jnp

        def weighted(*xs):
            values = loss(*xs)
            return jnp.sum(cot * values), values

        if not grads:
            return backend.to_numpy(jax.jit(loss)(*conv)), []
        run = jax.jit(jax.value_and_grad(weighted, argnums=tuple(diff), has_aux=True))
        (_, values), g = run(*conv)
        return backend.to_numpy(values), [backend.to_numpy(x) for x in g]


@functools.cache
def _reference_backend():
    """Where the dense reference gradients come from: torch (eager, cheap), else JAX."""
    for name in ("torch", "jax"):
        if BACKENDS[name].available() is None:
            return BACKENDS[name]
    pytest.fail("no differentiable backend for the dense reference")


def _close64(actual, expected, what: str = "") -> None:
    """Within 1e-12 relative, elementwise, plus 1e-12 of the array's scale (gradient entries
    far below the others say nothing relative)."""
    expected = np.asarray(expected, dtype=np.float64)
    finite = np.abs(expected[np.isfinite(expected)])
    scale = float(finite.max()) if finite.size else 0.0
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64),
        expected,
        rtol=RTOL64,
        atol=RTOL64 * scale,
        equal_nan=True,
        err_msg=what,
    )


def _chunked(kwargs: dict, chunk: Any) -> dict:
    return {**kwargs, "chunk_size": chunk}


# --- 1. float64: chunked == dense, over the registry -----------------------------------------


def _tiles(case: Any, params: Any) -> bool:
    """Whether the set's mode is tiled: a mode that is not (explicit negatives) refuses
    ``chunk_size`` with a ValueError naming it (tested below with the argument errors)."""
    args, kwargs = case.arguments(params, case.inputs(np.random.default_rng(0)))
    try:
        case.fn(*args, **kwargs, chunk_size=2)
    except ValueError as err:
        if "chunk_size" in str(err):
            return False
        raise
    return True


def _dense_sets(case: Any) -> list[Any]:
    """The record's parameter sets without ``chunk_size`` whose mode is tiled, each code path
    once (a set that differs only in its chunk size is the same dense path)."""
    out, seen = [], set()
    for params in case.params:
        dense = Params(
            args=params.args, **{k: v for k, v in params.kwargs.items() if k != "chunk_size"}
        )
        if dense.label not in seen and _tiles(case, dense):
            seen.add(dense.label)
            out.append(dense)
    return out


CHUNKED = [case for case in REGISTRY if case.accepts("chunk_size")]


def _chunk_sets(case: Any) -> list[Any]:
    """The record's own chunked sets (those that pass ``chunk_size``: the tiled code paths its
    author chose), without their chunk size; its first tiled set where it has none."""
    sets = [
        Params(args=p.args, **{k: v for k, v in p.kwargs.items() if k != "chunk_size"})
        for p in case.params
        if "chunk_size" in p.kwargs
    ]
    return sets or _dense_sets(case)[:1]


SWEEP = [
    pytest.param(case, params, id=f"{case.name}({params.label})")
    for case in CHUNKED
    for params in _dense_sets(case)
]


def _wrt(case: Any, params: Any, backend: Any) -> list[Any]:
    """The floating inputs of ``params`` to differentiate (positions and keywords; the 0-d
    temperatures and scales the record passes as arrays too), none on a backend without
    autodiff."""
    if not backend.differentiable:
        return []
    arrays = case.inputs(np.random.default_rng(0))
    wrt: list[Any] = [
        i for i, n in enumerate(case.positional(params)) if arrays[n].dtype.kind == "f"
    ]
    wrt += [k for k, n in params.refs().items() if arrays[n].dtype.kind == "f"]
    return wrt


def _dense_and_chunked(
    backend: Any,
    case: Any,
    params: Any,
    chunk: int,
    dtype: str = "float64",
    *,
    arrays: dict[str, np.ndarray] | None = None,
    grads: bool | None = None,
    cotangent: Any = 7,
) -> tuple[Any, Any]:
    """``value_and_grads`` of the record's set on ``backend`` without and with ``chunk_size``
    (gradients w.r.t. :func:`_wrt`'s inputs unless ``grads`` is False; by default on the
    eager autodiff backends)."""
    if arrays is None:
        arrays = case.inputs(np.random.default_rng(zlib.crc32(case.name.encode())))
    args, kwargs = case.arguments(params, arrays)
    if grads is None:
        grads = backend.differentiable
    wrt = _wrt(case, params, backend) if grads else []
    results = []
    with backend.context(dtype):
        for extra in ({}, {"chunk_size": chunk}):
            a, kw = backend.convert(args, kwargs, dtype)
            results.append(
                value_and_grads(case.fn, backend, a, {**kw, **extra}, wrt=wrt, cotangent=cotangent)
            )
    return results[0], results[1]


# every tiled set at the size that divides no batch, on torch (values and gradients) and
# NumPy (the same array-API walk on its own native kernels); one row a tile on torch, on the
# record's own chunked sets
SWEEP_RUNS = [
    pytest.param(b, 3, case, params, id=f"{b}-chunk=3-{case.name}({params.label})")
    for b in ("numpy", "torch")
    if b in SELECTED
    for case in CHUNKED
    for params in _dense_sets(case)
] + [
    pytest.param("torch", 1, case, params, id=f"torch-chunk=1-{case.name}({params.label})")
    for case in CHUNKED
    if "torch" in SELECTED
    for params in _chunk_sets(case)
]


@pytest.mark.parametrize(("backend_name", "chunk", "case", "params"), SWEEP_RUNS)
def test_chunked_equals_dense_for_every_record(backend_name, chunk, case, params):
    """Every function that takes ``chunk_size``, on every parameter set of its record (each
    mode, gathered batch, weighting): the tiled values, and on torch the gradients of
    ``Σ c·out`` w.r.t. every floating input (the 0-d hyperparameters too), equal the dense
    path's (float64, 1e-12 relative). A new chunked function is swept from its record."""
    backend = use_backend(backend_name)
    dense, chunked = _dense_and_chunked(backend, case, params, chunk, grads=True)
    for k, (c, d) in enumerate(zip(chunked.values, dense.values, strict=True)):
        _close64(c, d, f"{case.name}({params.label}), chunk={chunk}: value part {k}")
    for w, c, d in zip(_wrt(case, params, backend), chunked.grads, dense.grads, strict=True):
        if d is None:
            assert c is None, w
            continue
        _close64(c, d, f"{case.name}({params.label}), chunk={chunk}: gradient w.r.t. {w}")


def test_the_sweep_holds_every_chunked_function():
    names = {p.values[0].name for p in SWEEP}
    assert names >= {
        "info_nce",
        "clip_loss",
        "siglip_loss",
        "nt_xent_loss",
        "supcon_loss",
        "multiple_negatives_ranking_loss",
        "matryoshka",
    }, names
    assert len(SWEEP) >= 40


# --- 2. float32, over the registry ------------------------------------------------------------


FLOAT32_JAX = ("info_nce", "multiple_negatives_symmetric_ranking_loss")  # a compile per set


@pytest.mark.parametrize("case", CHUNKED, ids=lambda c: c.name)
@pytest.mark.parametrize("backend_name", SELECTED)
def test_float32_matches_dense(backend_name, case):
    """float32, chunk 3, the record's chunked sets (JAX: two records' first set):
    values and (torch, JAX) gradients within the tolerance table."""
    if backend_name in JAX and case.name not in FLOAT32_JAX:
        pytest.skip("JAX: two records (a compile each); the matrix runs the rest")
    backend = use_backend(backend_name)
    sets = _chunk_sets(case)[: 1 if backend_name in JAX else None]
    for params in sets:
        what = f"{case.name}({params.label}), {backend.name}/float32"
        dense, chunked = _dense_and_chunked(backend, case, params, 3, "float32")
        for c, d in zip(chunked.values, dense.values, strict=True):
            assert c.dtype == np.float32, what
            _close32(c, d, f"{what}: values")
        for w, c, d in zip(_wrt(case, params, backend), chunked.grads, dense.grads, strict=True):
            if d is not None:
                _close32(c, d, f"{what}: gradient w.r.t. {w}")


# --- 3. hostile input, over the registry ------------------------------------------------------


def _none(case: Any, params: Any) -> Any:
    return params.with_(reduction="none") if case.accepts("reduction") else params


# known gaps of the chunked backward under a NaN row, each with what differs (to fix in the
# function, then drop here)
NAN_GRADIENT_GAPS: dict[str, str] = {}


def _check_nan_rows(backend: Any, case: Any, params: Any) -> int:
    """NaN in row 2 of each floating positional input (chunk 4: row 2 in the first tile, the
    padding in the last): NaN in exactly dense's rows, dense's values elsewhere; on torch, for
    the first input's NaN row, the gradient of the finite rows' weighted sum has dense's NaN
    entries (0·NaN from the NaN
    rows' softmax) and dense's values elsewhere."""
    params = _none(case, params)
    arrays = case.inputs(np.random.default_rng(zlib.crc32(case.name.encode())))
    tried = 0
    for name in case.positional(params):
        if arrays[name].dtype.kind != "f" or arrays[name].ndim < 2 or arrays[name].shape[0] < 3:
            continue
        poisoned = arrays[name].copy()
        poisoned[2, ...] = np.nan
        what = f"{case.name}({params.label}), NaN in row 2 of {name}, {backend.name}"
        nan_arrays = {**arrays, name: poisoned}
        dense, chunked = _dense_and_chunked(backend, case, params, 4, arrays=nan_arrays)
        cot = None
        for c, d in zip(chunked.values, dense.values, strict=True):
            # the premise, for the in-batch losses (an ignored label's row, a search's -inf
            # scores are the function's documented answers to a NaN)
            assert case.kind != "in_batch" or np.any(np.isnan(d)), f"{what}: dense sees no NaN"
            np.testing.assert_array_equal(np.isnan(c), np.isnan(d), err_msg=what)
            _close64(c, d, what)
            cot = [np.where(np.isnan(d), 0.0, 1.0 + 0.1 * np.arange(d.size).reshape(d.shape))]
        # (the gradient for the first input's NaN row: the backward is one walk whatever input
        # holds the NaN; linear_cross_entropy's ignored NaN row gets no gradient on either path)
        first = tried == 0 and case.name not in NAN_GRADIENT_GAPS
        if first and backend.is_torch and dense.values[0].ndim == 1:
            dense, chunked = _dense_and_chunked(
                backend, case, params, 4, arrays=nan_arrays, cotangent=cot, grads=True
            )
            for w, c, d in zip(_wrt(case, params, backend), chunked.grads, dense.grads):
                if d is None:
                    continue
                np.testing.assert_array_equal(np.isnan(c), np.isnan(d), err_msg=f"{what}, {w}")
                _close64(c, d, f"{what}: gradient w.r.t. {w}")
        tried += 1
    return tried


def _check_empty(backend: Any, case: Any, params: Any) -> None:
    """The batch axis cut to 0 (every input as long as the first): NaN mean, 0 sum and an
    empty "none", chunked as dense."""
    arrays = case.inputs(np.random.default_rng(0))
    args, _ = case.arguments(params, arrays)
    n = args[0].shape[0]
    used = [*case.positional(params), *params.refs().values()]
    empty = {k: arrays[k][:0] for k in used if arrays[k].ndim and arrays[k].shape[0] == n}
    for reduction, ok in (
        ("mean", np.isnan),
        ("sum", lambda v: v == 0),
        ("none", lambda v: v.shape == (0,)),
    ):
        a, kw = case.arguments(params.with_(reduction=reduction), {**arrays, **empty})
        for chunk in (None, 3):
            got = call(backend, "float64", case.fn, *a, **kw, chunk_size=chunk)
            assert ok(got), (case.name, params.label, reduction, chunk, got)


# JAX (a compile per call): the first set of three records
HOSTILE_JAX = ("info_nce", "supcon_loss", "multiple_negatives_ranking_loss")


@pytest.mark.parametrize("case", CHUNKED, ids=lambda c: c.name)
@pytest.mark.parametrize("backend_name", SELECTED)
def test_hostile_input_as_dense(backend_name, case):
    """Every record with ``chunk_size``, on its chunked sets: a NaN row gives dense's NaN
    pattern, values and (torch) gradients; the empty batch gives the
    loss rule at a chunk size."""
    if backend_name in JAX and case.name not in HOSTILE_JAX:
        pytest.skip("JAX: three records (a compile each); the matrix runs the rest")
    backend = use_backend(backend_name)
    sets = _chunk_sets(case)[: 1 if backend_name in JAX else None]
    tried = 0
    with backend.context("float64"):
        for params in sets:
            tried += _check_nan_rows(backend, case, params)
            if case.accepts("reduction") and case.hostile.empty == "auto":
                _check_empty(backend, case, params)
                tried += 1
    assert tried, case.name


def _close32(actual, expected, what: str = "") -> None:
    """The float32 row of the tolerance table, its atol taken relative to the array's scale
    (gradients of a scale-20 loss are of size 20, and so are their rounding errors)."""
    rtol, atol = TOLERANCES["float32"]
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    assert_close(np.asarray(actual), expected, rtol=rtol, atol=atol * scale, err_msg=what)


# --- 5. NaN patterns by hand (the loss's semantics, not only "as dense") -----------------


def test_nan_row_patterns_by_hand():
    """The patterns themselves (not only "as dense"): a NaN query row is seen by its own row
    in the one-directional losses, by every row once the other direction scores it."""
    backend = use_backend("numpy")
    q, p = _inputs("info_nce")
    q = q.copy()
    q[2, 0] = np.nan
    only_row_2 = np.arange(N) == 2
    for fn, kw in (
        (al.info_nce, {}),
        (al.siglip_loss, {}),
        (MNRL, {}),
        (al.info_nce, {"symmetric": True}),
        (al.clip_loss, {}),
        (MNRL, {"directions": ALL_DIRECTIONS}),
    ):
        got = call(backend, "float64", fn, q, p, chunk_size=3, reduction="none", **kw)
        one_way = fn is al.siglip_loss or (not kw and fn is not al.clip_loss)
        expected = only_row_2 if one_way else np.ones(N, dtype=bool)
        np.testing.assert_array_equal(np.isnan(got), expected, err_msg=f"{fn.__name__} {kw}")


# name -> (loss, inputs, kwargs at a huge scale)
LARGE_SCALE = {
    "info_nce temperature=1e-4": ("info_nce", {"temperature": 1e-4}),
    "info_nce symmetric temperature=1e-4": ("info_nce symmetric", {"temperature": 1e-4}),
    "clip_loss logit_scale=1e4": ("clip_loss", {"logit_scale": 1e4}),
    "siglip_loss logit_scale=1e4": ("siglip_loss", {"logit_scale": 1e4, "logit_bias": -1e4}),
    "nt_xent_loss temperature=1e-4": ("nt_xent_loss", {"temperature": 1e-4}),
    "supcon_loss temperature=1e-4": (
        "supcon_loss (N,V,D)",
        {"temperature": 1e-4, "base_temperature": 1e-4},
    ),
    "mnrl scale=1e4 every direction": ("mnrl every direction (W,K,D)", {"scale": 1e4}),
    "mnrl scale=1e4 per_direction": (
        "mnrl in_batch_negatives per_direction (W,D)",
        {"scale": 1e4},
    ),
    "mnrl symmetric scale=1e4": ("mnrl symmetric (W,D)", {"scale": 1e4}),
}


def _near_ties(name: str) -> tuple[np.ndarray, ...]:
    """The case's inputs with every positive a small perturbation of its anchor (and row 1's
    positive row 0's): at scale 1e4 the losses are then O(1)-O(100) differences of logits
    of size 1e4, where float32 rounding of the logits themselves shows."""
    arrays = [a.copy() for a in _inputs(name)]
    rng = np.random.default_rng(7)
    if arrays[1].dtype.kind == "f":
        arrays[1] = arrays[0] + 1e-3 * rng.normal(size=arrays[0].shape)
        arrays[1][1] = arrays[0][0]
    else:  # supcon: views of one sample nearly equal
        arrays[0] = arrays[0][:, :1, :] + 1e-3 * rng.normal(size=arrays[0].shape)
    return tuple(arrays)


def _large_scale_params() -> list[Any]:
    """Every case on the eager backends; three on JAX (each a jit compile)."""
    on_jax = ("mnrl scale=1e4 every direction",)
    return [
        pytest.param(b, name, id=f"{b}-{name}")
        for b in SELECTED
        for name in LARGE_SCALE
        if b not in JAX or name in on_jax
    ]


@pytest.mark.parametrize(("backend_name", "name"), _large_scale_params())
def test_large_scale_float32_as_accurate_as_dense(backend_name, name):
    """At scale 1e4 in float32 the logits carry rounding errors of ulp(1e4) ~ 1e-3, and so
    does dense's loss. Chunked stays of that size: no row further from the float64 truth (the
    dense path in float64 on the same float32-rounded inputs) than 3 times dense float32's
    largest error (or the float32 tolerance); gradients are finite where the value is."""
    backend = use_backend(backend_name)
    case, hyper = LARGE_SCALE[name]
    fn, _, kwargs = NUMERICS[case]
    kwargs = {**kwargs, **hyper}
    arrays = tuple(a.astype(np.float32) if a.dtype.kind == "f" else a for a in _near_ties(case))
    truth, _ = _dense64_numpy(case, name)
    ad = backend.differentiable
    dense, _ = _evaluate(backend, fn, arrays, kwargs, dtype="float32", grads=False)
    chunked, grads = _evaluate(backend, fn, arrays, _chunked(kwargs, 4), dtype="float32", grads=ad)
    assert np.all(np.isfinite(dense)) and np.all(np.isfinite(chunked))
    rtol, atol = TOLERANCES["float32"]
    dense_error = float(np.max(np.abs(dense - truth)))
    allowed = np.maximum(3 * dense_error, atol + rtol * np.abs(truth))
    assert np.all(np.abs(chunked - truth) <= allowed), (chunked - truth, dense - truth)
    for g in grads:
        assert np.all(np.isfinite(g))


@pytest.mark.parametrize("name", LARGE_SCALE)
@pytest.mark.parametrize(
    "backend_name", [b for b in SELECTED if b not in JAX and not b.endswith("device1")]
)
def test_large_scale_float32_losses_are_not_negative(backend_name, name):
    """Every one of these losses is >= 0 (a cross entropy, a sum of softplus terms); the dense
    path keeps that in float32 at scale 1e4 (a saturated row is 0). The chunked path must too:
    a row whose positive dominates may not come out as -ulp(1e4)."""
    backend = use_backend(backend_name)
    case, hyper = LARGE_SCALE[name]
    fn, _, kwargs = NUMERICS[case]
    kwargs = {**kwargs, **hyper}
    arrays = tuple(a.astype(np.float32) if a.dtype.kind == "f" else a for a in _near_ties(case))
    dense, _ = _evaluate(backend, fn, arrays, kwargs, dtype="float32", grads=False)
    assert np.all(dense >= 0), dense  # the premise
    for chunk in CHUNKS:
        chunked, _ = _evaluate(
            backend, fn, arrays, _chunked(kwargs, chunk), dtype="float32", grads=False
        )
        assert np.all(chunked >= 0), (chunk, chunked, dense)


@functools.cache
def _dense64_numpy(case: str, name: str):
    fn, _, kwargs = NUMERICS[case]
    _, hyper = LARGE_SCALE[name]
    arrays = tuple(
        a.astype(np.float32).astype(np.float64) if a.dtype.kind == "f" else a
        for a in _near_ties(case)
    )
    return _evaluate(BACKENDS["numpy"], fn, arrays, {**kwargs, **hyper}, grads=False)


# --- 4. argument errors, over the registry ---------------------------------------------------


@pytest.mark.parametrize("case", CHUNKED, ids=lambda c: c.name)
def test_chunk_size_argument(case):
    """On the record's first tiled set: a ``chunk_size`` of the wrong type is a TypeError
    naming it, one below 1 a ValueError naming it, and NumPy integers are the ints they
    stand for."""
    params = _none(case, _dense_sets(case)[0])
    args, kwargs = case.arguments(params, case.inputs(np.random.default_rng(0)))
    for bad in (True, False, np.True_, 2.0, np.float64(4.0), "4", [4]):
        with pytest.raises(TypeError, match="chunk_size"):
            case.fn(*args, **kwargs, chunk_size=bad)
    for bad in (0, -1, np.int64(0)):
        with pytest.raises(ValueError, match="chunk_size"):
            case.fn(*args, **kwargs, chunk_size=bad)
    expected = parts(case.fn(*args, **kwargs, chunk_size=3))
    for chunk in (np.int64(3), np.int32(3), np.uint8(3)):
        got = parts(case.fn(*args, **kwargs, chunk_size=chunk))
        for g, e in zip(got, expected, strict=True):
            _close64(g, e, repr(chunk))


def test_chunk_size_with_explicit_negatives_is_an_error():
    q, p, n = _with_negatives(np.random.default_rng(0), N)
    with pytest.raises(
        ValueError, match="chunk_size=4 has no effect here: it is used with in-batch negatives"
    ):
        al.info_nce(q, p, n[:, 0, :], chunk_size=4)
    with pytest.raises(
        ValueError, match="chunk_size=4 has no effect here: it is used with in-batch negatives"
    ):
        al.info_nce(q, p, n, negative_mode="paired", chunk_size=4)
    al.info_nce(q, p, n[:, 0, :], chunk_size=None)  # None: the default, accepted


# --- 7. JAX: a lax.scan, not an unrolled loop; vmap ------------------------------------------


def _count_equations(jaxpr) -> int:
    """Equations of a jaxpr and of every jaxpr nested in its equations' parameters."""
    total = 0
    for eqn in jaxpr.eqns:
        total += 1
        for value in eqn.params.values():
            for sub in value if isinstance(value, (tuple, list)) else (value,):
                inner = getattr(sub, "jaxpr", sub)  # ClosedJaxpr -> Jaxpr
                if hasattr(inner, "eqns"):
                    total += _count_equations(inner)
    return total


JAXPR_CASES = [
    "info_nce symmetric",
    "siglip_loss",
    "supcon_loss (N,D)",
    "mnrl every direction (W,K,D)",
]


@pytest.mark.parametrize("name", JAXPR_CASES)
@pytest.mark.parametrize("backend_name", JAX)
def test_jit_traces_a_scan_whose_size_does_not_grow_with_the_tiles(backend_name, name):
    """The jaxpr of the jitted loss and gradient holds a ``scan``; at N/chunk = 4 and 32 it
    has the same number of equations and nearly the same text (only the shapes differ). An
    unrolled Python loop would grow 8-fold."""
    backend = use_backend(backend_name)
    import jax
    import jax.numpy as jnp

    fn, _, kwargs = NUMERICS[name]
    chunk = 2
    sizes = {}
    for tiles in (4, 32):
        n = tiles * chunk
        arrays = _inputs(name, n)
        with backend.context("float64"):
            conv, _ = backend.convert(arrays, dtype="float64")

            def step(x, conv=conv):
                return jnp.sum(fn(x, *conv[1:], **_chunked(kwargs, chunk)))

            jaxpr = jax.make_jaxpr(jax.jit(jax.value_and_grad(step)))(conv[0])
        text = str(jaxpr)
        assert "scan" in text
        sizes[tiles] = (_count_equations(jaxpr.jaxpr), len(text))
    (eqns_4, text_4), (eqns_32, text_32) = sizes[4], sizes[32]
    # the same program up to a constant or two (shapes change how XLA's front end folds a
    # pad or a slice); an unrolled loop would have 8 times the tile work
    assert abs(eqns_32 - eqns_4) <= 0.05 * eqns_4, sizes
    assert text_32 < 1.1 * text_4, sizes


@pytest.mark.parametrize("backend_name", JAX)
def test_vmap_over_independent_problems(backend_name):
    """``jax.vmap`` of the jitted chunked loss and gradient over a leading axis of 3
    problems (embeddings and the temperature batched) equals each problem's dense loss and
    gradient."""
    backend = use_backend(backend_name)
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(3)
    q, p = rng.normal(size=(3, N, D)), rng.normal(size=(3, N, D))
    temperatures = np.array([0.1, 0.5, 2.0])
    cot = _cotangent(N)
    with backend.context("float64"):

        def weighted(q, p, t):
            values = al.info_nce(
                q, p, symmetric=True, temperature=t, chunk_size=3, reduction="none"
            )
            return jnp.sum(jnp.asarray(cot) * values), values

        run = jax.jit(jax.vmap(jax.value_and_grad(weighted, argnums=(0, 1, 2), has_aux=True)))
        (_, values), grads = run(*backend.convert((q, p, temperatures), dtype="float64")[0])
    reference = _reference_backend()
    for k in range(3):
        expected_values, expected_grads = _evaluate(
            reference,
            al.info_nce,
            (q[k], p[k]),
            {"symmetric": True},
            hyper={"temperature": temperatures[k]},
        )
        _close64(np.asarray(values[k]), expected_values, f"problem {k}")
        for g, e in zip(grads, expected_grads, strict=True):
            _close64(np.asarray(g[k]), e, f"problem {k}")


# --- 8. torch: memory saved for backward -----------------------------------------------------


def _saved_bytes(fn: Callable[[], Any]) -> int:
    """Bytes of the tensors autograd saves for backward while ``fn()`` runs (each storage
    once), as benchmarks/run.py measures them."""
    import torch

    seen: dict[int, int] = {}

    def pack(t):
        storage = t.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    out.backward()
    return sum(seen.values())


MEMORY_CASES = {
    "info_nce symmetric": lambda q, p, n, **kw: al.info_nce(q, p, symmetric=True, **kw),
    "clip_loss": lambda q, p, n, **kw: al.clip_loss(q, p, **kw),
    "siglip_loss": lambda q, p, n, **kw: al.siglip_loss(q, p, **kw),
    "nt_xent_loss": lambda q, p, n, **kw: al.nt_xent_loss(q, p, **kw),
    "supcon_loss (N,V,D)": lambda q, p, n, **kw: al.supcon_loss(
        _torch().stack([q, p], dim=1),
        _torch().as_tensor(_labels(q.shape[0]), device=q.device),
        **kw,
    ),
    "mnrl every direction (W,K,D)": lambda q, p, n, **kw: MNRL(
        q,
        p,
        n,
        directions=ALL_DIRECTIONS,
        hardness_mode="all_negatives",
        hardness_strength=1.0,
        **kw,
    ),
}


def _torch():
    import torch

    return torch


@pytest.mark.parametrize(
    ("name", "n", "d", "chunk"),
    [pytest.param("info_nce symmetric", 1024, 32, 128, id="info_nce symmetric N=1024 D=32")]
    + [pytest.param(name, 256, 8, 64, id=f"{name} N=256 D=8") for name in MEMORY_CASES],
)
@pytest.mark.parametrize("backend_name", TORCH)
def test_memory_saved_for_backward_is_linear(backend_name, name, n, d, chunk):
    """What autograd keeps for backward: dense >= N² elements (the matrix); chunked only the
    inputs, their normalised copies and per-row statistics, O((N + M)·D): below 8·(N·D + N)
    elements per (N, D) input, and below dense / 8. A custom gradient that saved its tiles
    would keep N² elements again and fail both."""
    backend = use_backend(backend_name)
    rng = np.random.default_rng(0)
    q, p, neg = (
        backend.asarray(rng.normal(size=s), "float64").requires_grad_(True)
        for s in ((n, d), (n, d), (n, 1, d))
    )
    fn = MEMORY_CASES[name]
    dense = _saved_bytes(lambda: fn(q, p, neg))
    chunked = _saved_bytes(lambda: fn(q, p, neg, chunk_size=chunk))
    inputs = 3 if name.startswith("mnrl") else 2
    assert dense >= n * n * 8, (dense, n * n * 8)
    assert chunked < inputs * 8 * (n * d + n) * 8, (chunked, n)
    assert chunked < dense / 8, (chunked, dense)


@pytest.mark.parametrize("backend_name", TORCH)
def test_saved_bytes_sees_what_the_custom_gradient_saves(backend_name):
    """The measurement above can fail: a custom gradient (``_backend.custom_gradient``, as
    the tiles use) whose residuals hold an N×N array is counted in full."""
    backend = use_backend(backend_name)
    xp = backend.xp
    n = 256
    x = backend.asarray(np.ones((n, 4)), "float64").requires_grad_(True)

    def forward(a):
        big = a @ xp.matrix_transpose(a)  # an N×N intermediate, wrongly kept for backward
        return (xp.sum(a, axis=1),), (a, big)

    def backward(res, cots):
        return (xp.ones_like(res[0]) * cots[0][:, None],)

    f = _backend.custom_gradient(xp, forward, backward)
    saved = _saved_bytes(lambda: xp.sum(f(x)[0]))
    assert saved >= n * n * 8 + n * 4 * 8


# --- 9. torch.func: grad, vmap and jacrev through the custom gradient ----------------------

FUNC_LOSSES = {
    "info_nce": lambda q, p, n, **kw: al.info_nce(q, p, symmetric=True, **kw),
    "clip_loss": lambda q, p, n, **kw: al.clip_loss(q, p, **kw),
    "siglip_loss": lambda q, p, n, **kw: al.siglip_loss(q, p, **kw),
    "mnrl": lambda q, p, n, **kw: MNRL(q, p, n, directions=ALL_DIRECTIONS, **kw),
}


@pytest.mark.parametrize("backend_name", TORCH)
def test_torch_func_grad_vmap_and_jacrev(backend_name):
    """``torch.func.grad`` of the chunked losses equals ``torch.autograd``'s gradient of the
    dense loss; ``torch.func.vmap`` over 2 independent problems, of the loss and of its
    ``grad``, equals each problem's; ``torch.func.jacrev`` of InfoNCE's ``reduction="none"``
    equals dense's Jacobian (the custom gradient in the ``setup_context`` form)."""
    backend = use_backend(backend_name)
    import torch

    rng = np.random.default_rng(5)
    q, p, n = (
        backend.asarray(rng.normal(size=s), "float64") for s in ((2, N, D), (2, N, D), (2, N, 2, D))
    )
    for name, fn in FUNC_LOSSES.items():

        def chunked(q, p, n, fn=fn, **kw):
            return fn(q, p, n, chunk_size=3, **kw)

        leaves = [x[0].detach().clone().requires_grad_(True) for x in (q, p, n)]
        dense_grads = torch.autograd.grad(fn(*leaves), leaves, allow_unused=True)
        grads = torch.func.grad(chunked, argnums=(0, 1, 2))(q[0], p[0], n[0])
        for k, (g, e) in enumerate(zip(grads, dense_grads, strict=True)):
            e = torch.zeros_like(g) if e is None else e
            _close64(g.numpy(), e.numpy(), f"{name}: torch.func.grad w.r.t. input {k}")
        values = torch.func.vmap(chunked)(q, p, n)
        batched = torch.func.vmap(torch.func.grad(chunked, argnums=(0, 1)))(q, p, n)
        for i in range(2):
            _close64(values[i].numpy(), fn(q[i], p[i], n[i]).numpy(), f"{name}: vmap {i}")
            expected = torch.func.grad(fn, argnums=(0, 1))(q[i], p[i], n[i])
            for g, e in zip(batched, expected, strict=True):
                _close64(g[i].numpy(), e.numpy(), f"{name}: vmap of grad, problem {i}")
        if name == "info_nce":  # one Jacobian: a vmap of the backward over its N rows
            jac = torch.func.jacrev(functools.partial(chunked, reduction="none"))(q[0], p[0], n[0])
            dense_jac = torch.func.jacrev(functools.partial(fn, reduction="none"))(q[0], p[0], n[0])
            _close64(jac.numpy(), dense_jac.numpy(), f"{name}: jacrev")
