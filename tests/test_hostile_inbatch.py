"""Hostile input for the in-batch losses (info_nce in every mode, clip, siglip, nt_xent, supcon,
entropy-adaptive InfoNCE), MNRL and Matryoshka (issue #12): what the registry's hostile sweep
(``tests/test_hostile.py``: NaN in, the empty batch, zero rows, constant scores, extreme
parameters, on every backend and, on JAX, under ``jax.jit``) cannot say.

- finite values and gradients on degenerate embeddings (all zero, zero prefixes, identical
  rows) and at the records' extreme hyperparameters passed as arrays: swept over every
  in-batch record and every parameter set that is a code path of its own;
- which rows a NaN reaches (by hand, on NumPy; the backends agree with NumPy's NaN positions
  in the registry's sweep);
- ``offset``, ignored and invalid arguments; exact ties at large logits, dot logits of 1e4,
  SigLIP's extreme bias; ``generic_kernels()`` and ``jax.jit`` on tied inputs.

Expected values come from the policy (NaN, 0, finite) or by hand: exact ties at large logits
(``log k``), exactly representable dot products, by-definition NumPy loops.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

import arraylosses as al
from arraylosses.contrastive.matryoshka import _SliceSimilarities
from arraylosses.testing import BACKENDS, value_and_grads
from arraylosses.testing.cases import ALL_DIRECTIONS
from arraylosses.testing.cases import CASES as REGISTRY
from conformance.hostile import distinct_params

from . import reference as ref
from .helpers import call, close

INBATCH = [c for c in REGISTRY if c.kind == "in_batch"]


def _mnrl_matryoshka(*args, **kwargs):
    return al.matryoshka(al.multiple_negatives_ranking_loss, dims=(4, 2))(*args, **kwargs)


class _slices:
    """The per-slice fallback of Matryoshka's similarities: dims whose gcd gives more blocks
    than ``MAX_BLOCKS`` (a context manager)."""

    def __enter__(self):
        self.previous = _SliceSimilarities.MAX_BLOCKS
        _SliceSimilarities.MAX_BLOCKS = 0

    def __exit__(self, *exc):
        _SliceSimilarities.MAX_BLOCKS = self.previous


def _mnrl_matryoshka_slices(*args, **kwargs):
    with _slices():
        return _mnrl_matryoshka(*args, **kwargs)


def _info_nce_matryoshka(*args, **kwargs):
    return al.matryoshka(al.info_nce, dims=(4, 2))(*args, **kwargs)


# --- empty batch (the registry's sweep runs every record's code paths; these are the
# weighted mean, the returned temperature, the graph and the candidates) -------------------


def test_empty_batch_weighted_and_temperature(backend):
    e = backend.asarray(np.zeros((0, 3)), "float64")
    w = backend.asarray(np.zeros((0,)), "float64")
    assert np.isnan(backend.to_numpy(al.info_nce(e, e, sample_weight=w)))
    assert np.isnan(backend.to_numpy(al.multiple_negatives_ranking_loss(e, e, sample_weight=w)))
    loss, tau = al.entropy_adaptive_info_nce(e, e, return_temperature=True)
    assert np.isnan(backend.to_numpy(loss)) and np.isnan(backend.to_numpy(tau))


def test_empty_batch_gradient_of_learnable_temperature(ad_backend):
    """An empty batch's mean is NaN but stays connected to the graph: the temperature's
    gradient exists (0: nothing depends on it)."""
    e = np.zeros((0, 3))
    value, grads = _value_and_grads(
        ad_backend, lambda q, p, t: al.info_nce(q, p, temperature=t), [e, e, np.asarray(0.1)]
    )
    assert np.isnan(value)
    assert grads[2] == 0


def test_empty_candidates_with_queries(backend):
    """In-batch modes need a positive per query: a clear ValueError naming the argument. With
    explicit negatives, none (M = 0 or K = 0) leaves the positive alone: the loss is 0."""
    q = backend.asarray(np.ones((3, 4)), "float64")
    none = backend.asarray(np.zeros((0, 4)), "float64")
    with pytest.raises(ValueError, match=r"positives must have at least query's 3 rows"):
        al.info_nce(q, none)
    with pytest.raises(ValueError, match=r"positives must have at least anchors' 3 rows"):
        al.multiple_negatives_ranking_loss(q, none)
    with pytest.raises(ValueError, match=r"text_emb must have at least image_emb's 3 rows"):
        al.clip_loss(q, none)
    assert float(backend.to_numpy(al.info_nce(q, q, none, reduction="sum"))) == 0.0
    k0 = backend.asarray(np.zeros((3, 0, 4)), "float64")
    assert (
        float(backend.to_numpy(al.info_nce(q, q, k0, negative_mode="paired", reduction="sum")))
        == 0.0
    )


# --- offset: NumPy integers, 0-d arrays, rejected types ------------------------------------


def _info_nce_gathered_reference(q, p, offset, tau):
    return [
        -ref.log_softmax_row([ref.cosine(q[i], p[j]) / tau for j in range(len(p))])[offset + i]
        for i in range(len(q))
    ]


@pytest.mark.parametrize("make", [np.int64, np.int32, np.uint8, "0-d array"])
def test_offset_numpy_integers_and_0d_arrays(backend, rng, make):
    q, p = rng.normal(size=(2, 4)), rng.normal(size=(5, 4))
    offset = backend.asarray(np.asarray(2, dtype=np.int64)) if make == "0-d array" else make(2)
    expected = _info_nce_gathered_reference(q, p, 2, 0.1)
    close(
        call(backend, "float64", al.info_nce, q, p, offset=offset, reduction="none"),
        expected,
        "float64",
    )
    mnrl = call(
        backend,
        "float64",
        al.multiple_negatives_ranking_loss,
        q,
        p,
        scale=10.0,
        offset=offset,
        reduction="none",
    )
    close(mnrl, expected, "float64")
    sig = call(backend, "float64", al.siglip_loss, q, p, offset=offset, reduction="none")
    sig_expected = [
        -sum(
            math.log(
                ref.sigmoid((1 if j == 2 + i else -1) * (10.0 * ref.cosine(q[i], p[j]) - 10.0))
            )
            for j in range(5)
        )
        for i in range(2)
    ]
    close(sig, sig_expected, "float64")


@pytest.mark.parametrize("bad", [True, np.bool_(True), 1.0, np.float64(1.0), "1", None])
def test_offset_bad_python_types(backend, bad):
    x = backend.asarray(np.ones((2, 3)), "float64")
    y = backend.asarray(np.ones((4, 3)), "float64")
    for call_ in (
        lambda: al.info_nce(x, y, offset=bad),
        lambda: al.multiple_negatives_ranking_loss(x, y, offset=bad),
        lambda: al.siglip_loss(x, y, offset=bad),
        lambda: al.clip_loss(x, y, offset=bad, all_image_emb=y),
        lambda: al.nt_xent_loss(x, y, offset=bad, all_z1=y),
    ):
        # (np.bool_ passes _validate.is_array under NumPy 2, whose type is named "bool": it is
        # then refused as an array of another library or of dtype bool, still a TypeError)
        with pytest.raises(TypeError, match="offset"):
            call_()


def test_offset_bad_arrays(backend):
    x = backend.asarray(np.ones((2, 3)), "float64")
    y = backend.asarray(np.ones((4, 3)), "float64")
    for bad in (
        backend.asarray(np.asarray(1.0), "float64"),
        backend.asarray(np.asarray(True)),
        backend.asarray(np.asarray([1], dtype=np.int64)),
    ):
        with pytest.raises(TypeError, match="offset must be an int or a 0-d integer array"):
            al.info_nce(x, y, offset=bad)
        with pytest.raises(TypeError, match="offset must be an int or a 0-d integer array"):
            al.multiple_negatives_ranking_loss(x, y, offset=bad)
    with pytest.raises(ValueError, match=r"offset must be in \[0, 2\]"):
        al.info_nce(x, y, offset=np.int64(3))


def test_offset_array_from_another_library():
    torch = pytest.importorskip("torch")
    x, y = torch.ones((2, 3), dtype=torch.float64), torch.ones((4, 3), dtype=torch.float64)
    with pytest.raises(TypeError, match="offset is numpy.ndarray"):
        al.info_nce(x, y, offset=np.asarray(1))
    assert torch.isfinite(al.info_nce(x, y, offset=np.int64(1)))


def test_offset_traced_under_jit(ad_backend, rng):
    if not ad_backend.name.startswith("jax"):
        pytest.skip("jax.jit")
    import jax

    jnp = ad_backend.xp
    q, p = rng.normal(size=(2, 4)), rng.normal(size=(5, 4))
    f = jax.jit(lambda q, p, o: al.info_nce(q, p, offset=o, reduction="none"))
    out = f(jnp.asarray(q), jnp.asarray(p), jnp.asarray(3, dtype=jnp.int32))
    close(np.asarray(out), _info_nce_gathered_reference(q, p, 3, 0.1), "float64")
    g = jax.jit(
        lambda q, p: al.multiple_negatives_ranking_loss(
            q, p, scale=10.0, offset=np.int64(3), reduction="none"
        )
    )
    close(
        np.asarray(g(jnp.asarray(q), jnp.asarray(p))),
        _info_nce_gathered_reference(q, p, 3, 0.1),
        "float64",
    )


# --- arguments a mode ignores ---------------------------------------------------------------


def test_arguments_a_mode_ignores_are_rejected(backend):
    x = backend.asarray(np.eye(3), "float64")
    with pytest.raises(
        ValueError, match="offset(=1|=2)? has no effect here: it is used with in-batch negatives"
    ):
        al.info_nce(x, x, x, offset=1)
    with pytest.raises(
        ValueError, match="offset(=1|=2)? has no effect here: it is used with in-batch negatives"
    ):
        al.info_nce(x, x, x, offset=np.int64(2))
    with pytest.raises(
        ValueError, match="offset(=1|=2)? has no effect here: it is used with in-batch negatives"
    ):
        al.info_nce(x, x, x, offset=backend.asarray(np.asarray(0, dtype=np.int64)))
    with pytest.raises(TypeError, match="offset must be an int"):
        al.info_nce(x, x, x, offset=1.5)
    with pytest.raises(
        ValueError,
        match="negative_mode='paired' has no effect here: it is used with explicit negatives",
    ):
        al.info_nce(x, x, negative_mode="paired")
    with pytest.raises(
        ValueError,
        match="hardness_strength=2.0 has no effect here: it is used with a hardness_mode",
    ):
        al.multiple_negatives_ranking_loss(x, x, hardness_strength=2.0)
    with pytest.raises(
        ValueError,
        match="all_anchors has no effect here: it is used by the query_to_query and "
        "doc_to_query directions only",
    ):
        al.multiple_negatives_ranking_loss(x, x, all_anchors=x)
    with pytest.raises(ValueError, match="all_anchors has no effect here: it is used by"):
        x4 = backend.asarray(np.eye(4), "float64")
        _mnrl_matryoshka(x4, x4, all_anchors=x4)
    # the defaults and the arguments each mode uses still pass
    for value in (
        al.info_nce(x, x, x, offset=0),
        al.info_nce(x, x, x, offset=np.int64(0)),
        al.multiple_negatives_ranking_loss(x, x, hardness_strength=0.0),
        al.multiple_negatives_ranking_loss(x, x, directions=ALL_DIRECTIONS, all_anchors=x),
    ):
        assert np.isfinite(backend.to_numpy(value))


def test_python_hyperparameters_validated(backend):
    x = backend.asarray(np.eye(3), "float64")
    with pytest.raises(TypeError, match="symmetric must be a bool"):
        al.info_nce(x, x, symmetric=1)
    with pytest.raises(TypeError, match="return_temperature must be a bool"):
        al.entropy_adaptive_info_nce(x, x, return_temperature="yes")
    with pytest.raises(TypeError, match="min_temperature must be a real number"):
        al.entropy_adaptive_info_nce(x, x, min_temperature=True)
    with pytest.raises(ValueError, match="max_temperature must not be NaN"):
        al.entropy_adaptive_info_nce(x, x, max_temperature=float("nan"))
    with pytest.raises(ValueError, match=r"min_temperature must be in \(0.0, inf\)"):
        al.entropy_adaptive_info_nce(x, x, min_temperature=0.0)
    with pytest.raises(TypeError, match="hardness_strength must be a real number"):
        al.multiple_negatives_ranking_loss(
            x, x, hardness_mode="all_negatives", hardness_strength="5"
        )
    with pytest.raises(ValueError, match="hardness_strength must not be NaN"):
        al.multiple_negatives_ranking_loss(
            x, x, hardness_mode="all_negatives", hardness_strength=float("nan")
        )
    with pytest.raises(TypeError, match="dims must be positive ints"):
        al.matryoshka(al.info_nce, dims=(3.0, 2))
    with pytest.raises(TypeError, match="dims must be positive ints"):
        al.matryoshka(al.info_nce, dims=(True, 2))
    with pytest.raises(ValueError, match="weights entry must not be NaN"):
        al.matryoshka(al.info_nce, dims=(3, 2), dim_weights=(1.0, float("nan")))
    with pytest.raises(ValueError, match=r"weights entry must be in \[0.0, inf\)"):
        al.matryoshka(al.info_nce, dims=(3, 2), dim_weights=(1.0, -1.0))
    # NumPy scalars are the numbers they stand for
    _, tau = al.entropy_adaptive_info_nce(
        x,
        x,
        min_temperature=np.float32(0.25),
        max_temperature=np.float64(0.25),
        return_temperature=True,
    )
    assert float(backend.to_numpy(tau)) == 0.25
    value = al.matryoshka(al.info_nce, dims=np.array([3, 2]), dim_weights=[np.float32(1.0), 1])(
        x, x
    )
    assert np.isfinite(backend.to_numpy(value))


# --- NaN propagation: which rows see it (by hand, NumPy; the registry's sweep checks that every
# backend puts NaN where NumPy does, on every record's code paths) ---------------------------

# (record, the parameter set's keywords (a subset), input, its row, the rows whose loss is NaN
# ("all": every row)); the builders' batches hold 6 rows (5 for matryoshka, D = 6, smallest
# dim 2: "q0_tail" is column 5 of row 0, seen at the largest dim only)
MNRL = "multiple_negatives_ranking_loss"
NAN_ROWS = [
    ("info_nce", {}, "q", 0, [0]),
    ("info_nce", {}, "p", 1, "all"),
    ("info_nce", {"symmetric": True}, "q", 0, "all"),
    ("info_nce", {"similarity": "dot"}, "q", 0, [0]),
    ("info_nce", {"similarity": "dot"}, "p", 1, "all"),
    ("info_nce", {"args": ("q", "p", "negatives")}, "q", 0, [0]),
    ("info_nce", {"args": ("q", "p", "negatives")}, "p", 1, [1]),
    ("info_nce", {"args": ("q", "p", "negatives")}, "negatives", 2, "all"),
    ("info_nce", {"negative_mode": "paired"}, "paired_negatives", 2, [2]),
    ("info_nce", {"negative_mode": "paired"}, "p", 1, [1]),
    ("clip_loss", {}, "q", 0, "all"),
    ("siglip_loss", {}, "q", 0, [0]),
    ("siglip_loss", {}, "p", 1, "all"),
    ("nt_xent_loss", {}, "q", 0, "all"),
    ("supcon_loss", {}, "q", 0, "all"),  # the anchor without a positive too
    ("supcon_loss", {"args": ("views", "labels")}, "views", 1, "all"),
    ("entropy_adaptive_info_nce", {}, "q", 0, "all"),
    (MNRL, {}, "q", 0, [0]),
    (MNRL, {}, "p", 1, "all"),
    (
        "multiple_negatives_ranking_loss",
        {"args": ("q", "p", "negatives_k")},
        "negatives_k",
        2,
        "all",
    ),
    (MNRL, {"directions": ALL_DIRECTIONS}, "q", 0, "all"),
    (
        "multiple_negatives_ranking_loss",
        {"hardness_mode": "all_negatives"},
        "negatives_k",
        2,
        "all",
    ),
    ("multiple_negatives_symmetric_ranking_loss", {}, "q", 0, "all"),
    ("matryoshka", {}, "q", 0, [0]),
    ("matryoshka", {}, "p", 1, "all"),
    ("matryoshka", {}, "q0_tail", 0, [0]),
    ("matryoshka", {"inner": "info_nce"}, "q0_tail", 0, [0]),
]


def _params(name, keywords):
    """The record ``name`` and its first parameter set holding ``keywords``."""
    case = next(c for c in REGISTRY if c.name == name)
    for params in case.params:
        have = {"args": params.args, **params.kwargs}
        if all(have.get(k) == v for k, v in keywords.items()):
            return case, params
    raise LookupError(f"{name} has no parameter set with {keywords}")


def test_nan_reaches_the_rows_that_see_it():
    """A NaN in one row of one input: NaN in exactly the rows whose scores see it (a query's
    own row in the one-directional losses, every row once a direction scores it), NaN means and
    sums; Matryoshka's block and per-slice paths alike."""
    numpy = BACKENDS["numpy"]
    for name, keywords, where, row, rows in NAN_ROWS:
        case, params = _params(name, keywords)
        arrays = case.inputs(np.random.default_rng(0))
        target = "q" if where == "q0_tail" else where
        poisoned = arrays[target].copy()
        poisoned[(row, -1) if where == "q0_tail" else (row,)] = np.nan
        arrays[target] = poisoned
        paths = (None, _slices) if name == "matryoshka" and "inner" not in keywords else (None,)
        for path in paths:
            for reduction in ("none", "mean", "sum"):
                args, kwargs = case.arguments(params.with_(reduction=reduction), arrays)
                if path is None:
                    got = call(numpy, "float64", case.fn, *args, **kwargs)
                else:
                    with path():
                        got = call(numpy, "float64", case.fn, *args, **kwargs)
                what = f"{name}({params.label}), NaN in {where}[{row}], {reduction}"
                if reduction != "none":
                    assert np.isnan(got), what
                    continue
                n = got.shape[0]
                expected = np.ones(n, bool) if rows == "all" else np.isin(np.arange(n), rows)
                np.testing.assert_array_equal(np.isnan(got), expected, err_msg=what)


def test_matryoshka_slices_empty_batch(backend):
    """The per-slice fallback (not a record's parameter set: it is chosen by the dims'
    gcd) on the empty batch: NaN mean, 0 sum, an empty "none"."""
    e, n = np.zeros((0, 4)), np.zeros((0, 2, 4))
    with _slices():
        assert np.isnan(call(backend, "float64", _mnrl_matryoshka, e, e, n))
        assert call(backend, "float64", _mnrl_matryoshka, e, e, n, reduction="sum") == 0
        none = call(backend, "float64", _mnrl_matryoshka, e, e, n, reduction="none")
        assert none.shape == (0,)


def test_nan_hyperparameter_arrays(backend, rng):
    x = rng.normal(size=(3, 4))
    nan = backend.asarray(np.asarray(np.nan), "float64")
    for fn, kw in (
        (al.info_nce, {"temperature": nan}),
        (al.clip_loss, {"logit_scale": nan}),
        (al.siglip_loss, {"logit_bias": nan}),
        (al.nt_xent_loss, {"temperature": nan}),
        (al.multiple_negatives_ranking_loss, {"scale": nan}),
    ):
        assert np.all(np.isnan(call(backend, "float64", fn, x, x, reduction="none", **kw)))


def test_supcon_nan_when_no_anchor_has_a_positive(backend):
    """Every anchor lacks a positive: the mean is 0 (nothing to average), unless a score is
    NaN; then NaN."""
    f = np.eye(3)
    labels = np.array([0, 1, 2])
    assert call(backend, "float64", al.supcon_loss, f, labels) == 0
    f[1, 1] = np.nan
    assert np.isnan(call(backend, "float64", al.supcon_loss, f, labels))


# --- large logits, small temperatures: exact ties ------------------------------------------

U, V, W = [1.0, 1.0, 1.0, 1.0], [1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]
LOG2, LOG3 = math.log(2.0), math.log(3.0)


def _half(backend):
    return [d for d in ("float16", "bfloat16") if d in backend.dtypes][:1]


@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_exact_ties_at_large_logits(backend, scale):
    """Rows [u, u, v, w] (u, v, w orthogonal, cosines exactly 0 or 1): at logits of scale
    1e3..1e4, a row tied with k candidates loses log k, a row alone 0. ``logsumexp(x) - x⁺``
    would cancel two numbers of size 1e4 (ulp 1e-3 in float32)."""
    x = np.array([U, U, V, W])
    # the last query's positive (v) scores 0 against two candidates at the scale: loss ~ scale
    x2, y2 = np.array([U, U, V, U]), np.array([U, U, V, V])
    tau = 1 / scale
    cases = [
        (al.info_nce, (x, x), {"temperature": tau}, [LOG2, LOG2, 0, 0]),
        (al.info_nce, (x, x), {"temperature": tau, "symmetric": True}, [LOG2, LOG2, 0, 0]),
        (al.info_nce, (x, x, np.array([U, V])), {"temperature": tau}, [LOG2, LOG2, LOG2, 0]),
        (
            al.info_nce,
            (x, x, np.array([[U], [V], [U], [V]])),
            {"temperature": tau, "negative_mode": "paired"},
            [LOG2, 0, 0, 0],
        ),
        (al.info_nce, (x2, y2), {"temperature": tau}, [LOG2, LOG2, LOG2, scale + LOG2]),
        (al.clip_loss, (x, x), {"logit_scale": scale}, [LOG2, LOG2, 0, 0]),
        (al.nt_xent_loss, (x, x), {"temperature": tau}, [LOG3, LOG3, 0, 0]),
        (
            al.supcon_loss,
            (np.array([U, U, U, V]), np.array([0, 0, 1, 2])),
            {"temperature": tau, "base_temperature": tau},
            [LOG2, LOG2, 0, 0],
        ),
        (al.multiple_negatives_ranking_loss, (x, x), {"scale": scale}, [LOG2, LOG2, 0, 0]),
        (
            al.multiple_negatives_ranking_loss,
            (x, x),
            {
                "scale": scale,
                "directions": ("query_to_doc", "doc_to_query"),
                "partition_mode": "per_direction",
            },
            [LOG2, LOG2, 0, 0],
        ),
        (
            al.multiple_negatives_symmetric_ranking_loss,
            (x2, y2),
            {"scale": scale},
            [(LOG2 + LOG3) / 2, (LOG2 + LOG3) / 2, LOG2 / 2, scale + LOG2 / 2],
        ),
        # at dim 2 w's prefix (1, 1) ties with u's
        (_mnrl_matryoshka, (x, x), {"scale": scale}, [LOG2 + LOG3, LOG2 + LOG3, 0, LOG3]),
        (_mnrl_matryoshka_slices, (x, x), {"scale": scale}, [LOG2 + LOG3, LOG2 + LOG3, 0, LOG3]),
    ]
    for dtype in ["float64", "float32", *_half(backend)]:
        for fn, arrays, kw, expected in cases:
            close(call(backend, dtype, fn, *arrays, reduction="none", **kw), expected, dtype)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_dot_logits_of_1e4(backend, sign):
    """Dot products ``±(1e4 + a_i b_j)``, exact in float32: every form matches the float64
    definition within the float32 tolerance."""
    a, b = np.array([1.0, 0.5, -1.0, 2.0]), np.array([1.5, -0.5, 0.25, 1.0])
    q = sign * np.stack([np.full(4, 100.0), a], axis=1)
    p = np.stack([np.full(4, 100.0), b], axis=1)
    logits = q @ p.T

    def nll(row, target):
        return math.log(sum(math.exp(v - row[target]) for v in row))

    forward = [nll(logits[i], i) for i in range(4)]
    backward = [nll(logits[:, i], i) for i in range(4)]
    for dtype in ["float64", "float32"]:
        close(
            call(
                backend,
                dtype,
                al.info_nce,
                q,
                p,
                similarity="dot",
                temperature=1.0,
                reduction="none",
            ),
            forward,
            dtype,
        )
        close(
            call(
                backend,
                dtype,
                al.info_nce,
                q,
                p,
                similarity="dot",
                temperature=1.0,
                symmetric=True,
                reduction="none",
            ),
            (np.array(forward) + backward) / 2,
            dtype,
        )
        close(
            call(
                backend,
                dtype,
                al.multiple_negatives_ranking_loss,
                q,
                p,
                similarity="dot",
                scale=1.0,
                reduction="none",
            ),
            forward,
            dtype,
        )
        close(
            call(
                backend,
                dtype,
                al.multiple_negatives_symmetric_ranking_loss,
                q,
                p,
                similarity="dot",
                scale=1.0,
                reduction="none",
            ),
            (np.array(forward) + backward) / 2,
            dtype,
        )
        # explicit negatives: the other rows' positives, as (N, K, D) and as (M, D)
        others = np.stack([np.delete(p, i, axis=0) for i in range(4)])
        close(
            call(
                backend,
                dtype,
                al.info_nce,
                q,
                p,
                others,
                negative_mode="paired",
                similarity="dot",
                temperature=1.0,
                reduction="none",
            ),
            forward,
            dtype,
        )


@pytest.mark.parametrize("bias", [1e4, -1e4])
def test_siglip_extreme_bias(backend, bias):
    x = np.array([U, U, V, W])
    expected = [
        sum(
            ref.softplus(-(1 if i == j else -1) * (10.0 * ref.cosine(x[i], x[j]) + bias))
            for j in range(4)
        )
        for i in range(4)
    ]
    for dtype in ["float64", "float32"]:
        close(
            call(
                backend,
                dtype,
                al.siglip_loss,
                x,
                x,
                logit_scale=10.0,
                logit_bias=bias,
                reduction="none",
            ),
            expected,
            dtype,
        )


# --- gradients ------------------------------------------------------------------------------


def _value_and_grads(backend, fn, arrays, dtype="float64"):
    """``fn(*arrays)`` summed, and its gradient with respect to every array, as NumPy (JAX:
    under ``jax.jit``)."""
    if backend.name.startswith("torch"):
        ts = [t.requires_grad_(True) for t in backend.convert(arrays, dtype=dtype)[0]]
        out = fn(*ts).sum()
        out.backward()
        return float(out.detach()), [
            np.zeros(t.shape)
            if t.grad is None
            else np.asarray(backend.to_numpy(t.grad), dtype=np.float64)
            for t in ts
        ]
    import jax

    js, _ = backend.convert(arrays, dtype=dtype)
    grad = jax.value_and_grad(lambda *xs: fn(*xs).sum(), argnums=tuple(range(len(js))))
    value, grads = jax.jit(grad)(*js)
    return float(value), [np.asarray(backend.to_numpy(g), dtype=np.float64) for g in grads]


def _sets(case):
    """The record's parameter sets that are code paths of their own (the hostile sweep's)."""
    return distinct_params(case)


def _finite_value_and_grads(backend, dtype, case, params, arrays, what):
    """``case.fn`` on ``arrays`` under ``params``: a finite value, and finite gradients with
    respect to every floating input the record differentiates (0-d hyperparameters too)."""
    args, kwargs = case.arguments(params, arrays)
    wrt = [i for i, n in enumerate(case.positional(params)) if n in case.grad]
    wrt += [k for k, n in params.refs().items() if n in case.grad]
    wrt = [w for w in wrt if (args[w] if isinstance(w, int) else kwargs[w]).dtype.kind == "f"]
    a, kw = backend.convert(args, kwargs, dtype)
    result = value_and_grads(case.fn, backend, a, kw, wrt=wrt, jit=True)
    for v in result.values:
        assert np.all(np.isfinite(v)), f"{what}: value {v}"
    for w, g in zip(wrt, result.grads, strict=True):
        assert g is None or np.all(np.isfinite(g)), f"{what}: gradient w.r.t. {w}"
    return result


def _degenerate(arrays, names, how):
    """The embeddings ``names`` all zero, with a zero first half in their first row ("zero
    prefix": Matryoshka's small dims), or every row equal to the row of its index of the first
    input of its width (identical rows: every score ties)."""
    out = dict(arrays)
    first = {}  # per width D, the (N, D) rows of the first input of that width
    for n in names:
        x = arrays[n]
        first.setdefault(x.shape[-1], x.reshape(x.shape[0], -1, x.shape[-1])[:, 0, :])
    for n in names:
        x = arrays[n].copy()
        if how == "zeros":
            x[...] = 0.0
        elif how == "zero_prefix":
            x[0, ..., : x.shape[-1] // 2] = 0.0
        else:
            own = first[x.shape[-1]]
            rows = own[np.arange(x.shape[0]) % own.shape[0]]
            x[...] = rows.reshape(x.shape[0], *(1,) * (x.ndim - 2), x.shape[-1])
        out[n] = x
    return out


@pytest.mark.parametrize("case", INBATCH, ids=lambda c: c.name)
def test_finite_gradients(ad_backend, dtype, case):
    """Every in-batch record, every parameter set that is a code path of its own: all-zero
    embeddings (constant scores), zero prefixes of a row, identical rows give finite values and
    gradients (float32: the first set, whose kernels the others share). Constant scores give
    InfoNCE and CLIP log N exactly. JAX differentiates under ``jax.jit``, as a training step
    does (one compilation a call, where eager autodiff compiled each primitive and its
    transpose at each shape: 3 times the time), on the first set in both dtypes; the modes
    are array-API code that torch runs."""
    sets = _sets(case)
    if ad_backend.name.startswith("jax") or dtype != "float64":
        sets = sets[:1]
    arrays = case.inputs(np.random.default_rng(zlib.crc32(case.name.encode())))
    for params in sets:
        used = [*case.positional(params), *params.refs().values()]
        names = [n for n in used if arrays[n].dtype.kind == "f" and arrays[n].ndim >= 2]
        for how in ("zeros", "zero_prefix", "identical"):
            what = f"{case.name}({params.label}), {how}, {ad_backend.name}/{dtype}"
            result = _finite_value_and_grads(
                ad_backend, dtype, case, params, _degenerate(arrays, names, how), what
            )
            plain = params.args is None and set(params.kwargs) <= {"symmetric"}
            if how == "zeros" and plain and case.name in ("info_nce", "clip_loss"):
                n = arrays[case.args[0]].shape[0]
                assert abs(float(result.values[0]) - math.log(n)) < 1e-5, what


@pytest.mark.parametrize("case", INBATCH, ids=lambda c: c.name)
def test_extreme_hyperparameter_arrays_finite_gradients(ad_backend, dtype, case):
    """The record's extreme hyperparameters (temperatures of 1e-3, scales of 1e3: its
    ``hostile.extreme``) passed as the 0-d arrays its parameter sets differentiate: finite
    values, and finite gradients w.r.t. the embeddings and the hyperparameter. JAX (under
    ``jax.jit``, a compilation a call): the first such set that is not chunked, float32
    (where an extreme overflows first); torch runs every set in both dtypes."""
    on_jax = ad_backend.name.startswith("jax")
    if on_jax and dtype != "float32":
        pytest.skip("JAX: float32 only (a compilation a call; torch runs both)")
    arrays = case.inputs(np.random.default_rng(zlib.crc32(case.name.encode())))
    tried = 0
    for params in case.params:
        if on_jax and (tried or "chunk_size" in params.kwargs):
            continue
        for extreme in case.hostile.extreme:
            refs = {k: n for k, n in params.refs().items() if k in extreme and arrays[n].ndim == 0}
            if not refs:
                continue
            edge = {**arrays, **{n: np.asarray(float(extreme[k])) for k, n in refs.items()}}
            static = {k: v for k, v in extreme.items() if k not in refs and case.accepts(k)}
            what = f"{case.name}({params.label}), {extreme}, {ad_backend.name}/{dtype}"
            _finite_value_and_grads(ad_backend, dtype, case, params.with_(**static), edge, what)
            tried += 1
    if not tried:
        pytest.skip(f"{case.name}: no parameter set passes an extreme hyperparameter as an array")


def test_supcon_finite_gradients(ad_backend, dtype):
    f = np.zeros((4, 3))
    f[1] = [1.0, 2.0, 0.0]
    labels = np.array([0, 0, 1, 2])  # rows 2 and 3 without positives
    for features in (f, np.zeros((4, 3)), np.ones((1, 3))):
        lab = labels[: features.shape[0]]

        def fn(x, t, lab=lab):
            return al.supcon_loss(x, ad_backend.asarray(lab), temperature=t)

        value, grads = _value_and_grads(ad_backend, fn, [features, np.asarray(1e-3)], dtype)
        assert np.isfinite(value)
        assert all(np.all(np.isfinite(g)) for g in grads)


def test_matryoshka_zero_prefix_matches_plain_mnrl_semantics(ad_backend, rng):
    """The issue's case: a row whose first d_min dims are 0 has a finite gradient on both
    Matryoshka paths (plain MNRL was already finite), and the value counts the zero prefix as
    cosine 0 at the small dim (normalize(0) = 0)."""
    q, p = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    q[0, :2] = 0.0
    unit = lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True)  # noqa: E731
    expected = 0.0
    for d in (4, 2):
        qd, pd = q[:, :d], unit(p[:, :d])
        norms = np.linalg.norm(qd, axis=-1, keepdims=True)
        qd = qd / np.maximum(norms, 1e-12)
        logits = 20.0 * qd @ pd.T
        expected += sum(-ref.log_softmax_row(logits[i])[i] for i in range(3)) / 3
    for fn in (_mnrl_matryoshka, _mnrl_matryoshka_slices):
        value, grads = _value_and_grads(ad_backend, fn, [q, p], "float64")
        assert abs(value - expected) < 1e-10
        assert all(np.all(np.isfinite(g)) for g in grads)


# --- the generic kernels (torch and JAX without their fused logsumexp) and jax.jit ----------


def _tie_inputs():
    x = np.array([U, U, V, W])
    return x, x, np.stack([x[[1, 0, 3, 2]], x[[2, 3, 0, 1]]], axis=1)


# rows [u, u, v, w] at scale 1e4: (loss, which of (q, p, n) it takes, its keywords, the values)
# (negatives: row i's are rows (1, 0, 3, 2)[i] and (2, 3, 0, 1)[i]; supcon's labels [0, 0, 1, 2])
TIES = {
    "info_nce": (al.info_nce, "qp", {"temperature": 1e-4}, [LOG2, LOG2, 0, 0]),
    "info_nce_paired": (
        al.info_nce,
        "qpn",
        {"temperature": 1e-4, "negative_mode": "paired"},
        [LOG2, LOG2, 0, 0],
    ),
    "nt_xent": (al.nt_xent_loss, "qp", {"temperature": 1e-4}, [LOG3, LOG3, 0, 0]),
    # the positive of u is u, against [u, v, w]: log(1) = 0
    "supcon": (al.supcon_loss, "q", {"temperature": 1e-4, "base_temperature": 1e-4}, [0] * 4),
    # documents [u, u, v, w | u, u, w, v | v, w, u, u]: u 6 times, v and w 3 times each;
    # document -> query: u against [u, u, v, w] twice, v and w once
    "mnrl_symmetric": (
        al.multiple_negatives_symmetric_ranking_loss,
        "qpn",
        {"scale": 1e4},
        [math.log(12) / 2, math.log(12) / 2, LOG3 / 2, LOG3 / 2],
    ),
    # at dim 2, w's prefix is u's: 9 documents of that prefix, 3 of v's
    "matryoshka_mnrl_blocks": (
        _mnrl_matryoshka,
        "qpn",
        {"scale": 1e4},
        [math.log(6 * 9), math.log(6 * 9), 2 * LOG3, LOG3 + math.log(9)],
    ),
}


def _tie_call(name, q, p, n):
    fn, which, kwargs, _ = TIES[name]
    arrays = {"q": q, "p": p, "n": n}
    if which == "q":
        return fn, (q, np.array([0, 0, 1, 2])[: q.shape[0]]), kwargs
    return fn, tuple(arrays[k] for k in which), kwargs


@pytest.mark.parametrize("name", TIES)
def test_generic_kernels(ad_backend, name):
    """``generic_kernels()``: torch and JAX run the array-API logsumexp/log_softmax,
    which must handle the empty batch (no ``amax`` of an empty axis) and large logits too."""
    from arraylosses.testing import generic_kernels

    with generic_kernels():
        e = np.zeros((0, 4))
        fn, arrays, kwargs = _tie_call(name, e, e, np.zeros((0, 2, 4)))
        assert np.isnan(call(ad_backend, "float32", fn, *arrays, **kwargs))
        fn, arrays, kwargs = _tie_call(name, *_tie_inputs())
        close(
            call(ad_backend, "float32", fn, *arrays, reduction="none", **kwargs),
            TIES[name][3],
            "float32",
        )


@pytest.mark.parametrize("name", TIES)
def test_ties_under_jax_jit(ad_backend, name):
    """The tied rows under ``jax.jit`` (the empty batch and NaN under ``jax.jit`` are the
    registry's sweep)."""
    if not ad_backend.name.startswith("jax"):
        pytest.skip("jax.jit")
    import jax

    from conformance.xla import XLA_DEFAULTS

    fn, arrays, kwargs = _tie_call(name, *_tie_inputs())
    # float32 at logits of 1e8: XLA's own optimisation (FMA), as in a user's program, not the
    # suite's -O0 (conformance/xla.py: matryoshka_mnrl_blocks moved by 1e-4 relative there)
    jitted = jax.jit(lambda *xs: fn(*xs, reduction="none", **kwargs), compiler_options=XLA_DEFAULTS)
    got = jitted(*ad_backend.convert(arrays, dtype="float32")[0])
    close(np.asarray(got), TIES[name][3], "float32")
