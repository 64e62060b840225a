"""Hostile input for the in-batch losses (info_nce in every mode, clip, siglip, nt_xent, supcon,
entropy-adaptive InfoNCE), MNRL and Matryoshka (issue #12).

Expected values come from the policy (NaN, 0, finite) or by hand: exact ties at large logits
(``log k``), exactly representable dot products, by-definition NumPy loops.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import arraylosses as al
from arraylosses.contrastive.matryoshka import _SliceSimilarities

from . import reference as ref
from .helpers import call, close

ALL_DIRECTIONS = ("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc")


def _mnrl_matryoshka(*args, **kwargs):
    return al.matryoshka(al.multiple_negatives_ranking_loss, dims=(4, 2))(*args, **kwargs)


def _mnrl_matryoshka_slices(*args, **kwargs):
    """The per-slice fallback: dims whose gcd gives more blocks than MAX_BLOCKS."""
    previous = _SliceSimilarities.MAX_BLOCKS
    _SliceSimilarities.MAX_BLOCKS = 0
    try:
        return _mnrl_matryoshka(*args, **kwargs)
    finally:
        _SliceSimilarities.MAX_BLOCKS = previous


def _info_nce_matryoshka(*args, **kwargs):
    return al.matryoshka(al.info_nce, dims=(4, 2))(*args, **kwargs)


def _supcon(q, p, n, **kw):
    labels = np.array([0, 0, 1, 2, 1, 3, 4, 4])[: q.shape[0]]
    return al.supcon_loss, (q, labels), kw


def _supcon_views(q, p, n, **kw):
    labels = np.array([0, 0, 1, 2, 1, 3, 4, 4])[: q.shape[0]]
    return al.supcon_loss, (np.stack([q, p], axis=1), labels), kw


# name -> (q, p, n, **kw) -> (fn, arrays, kwargs); n is (N, 2, D)
CASES = {
    "info_nce": lambda q, p, n, **kw: (al.info_nce, (q, p), kw),
    "info_nce_symmetric": lambda q, p, n, **kw: (al.info_nce, (q, p), {"symmetric": True, **kw}),
    "info_nce_dot": lambda q, p, n, **kw: (al.info_nce, (q, p), {"similarity": "dot", **kw}),
    "info_nce_unpaired": lambda q, p, n, **kw: (al.info_nce, (q, p, n[:, 0, :]), kw),
    "info_nce_paired": lambda q, p, n, **kw: (
        al.info_nce,
        (q, p, n),
        {"negative_mode": "paired", **kw},
    ),
    "clip": lambda q, p, n, **kw: (al.clip_loss, (q, p), kw),
    "siglip": lambda q, p, n, **kw: (al.siglip_loss, (q, p), kw),
    "nt_xent": lambda q, p, n, **kw: (al.nt_xent_loss, (q, p), kw),
    "supcon": _supcon,
    "supcon_views": _supcon_views,
    "entropy_adaptive": lambda q, p, n, **kw: (al.entropy_adaptive_info_nce, (q, p), kw),
    "mnrl": lambda q, p, n, **kw: (al.multiple_negatives_ranking_loss, (q, p, n), kw),
    "mnrl_all_directions": lambda q, p, n, **kw: (
        al.multiple_negatives_ranking_loss,
        (q, p, n),
        {"directions": ALL_DIRECTIONS, **kw},
    ),
    "mnrl_hardness": lambda q, p, n, **kw: (
        al.multiple_negatives_ranking_loss,
        (q, p, n),
        {"hardness_mode": "all_negatives", "hardness_strength": 5.0, **kw},
    ),
    "mnrl_symmetric": lambda q, p, n, **kw: (
        al.multiple_negatives_symmetric_ranking_loss,
        (q, p, n),
        kw,
    ),
    "matryoshka_mnrl_blocks": lambda q, p, n, **kw: (_mnrl_matryoshka, (q, p, n), kw),
    "matryoshka_mnrl_slices": lambda q, p, n, **kw: (_mnrl_matryoshka_slices, (q, p, n), kw),
    "matryoshka_info_nce": lambda q, p, n, **kw: (_info_nce_matryoshka, (q, p), kw),
}


def _run(backend, dtype, name, q, p, n, **kw):
    fn, arrays, kwargs = CASES[name](q, p, n, **kw)
    return call(backend, dtype, fn, *arrays, **kwargs)


# --- empty batch ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_empty_batch(backend, dtype, name):
    e = np.zeros((0, 4))
    n = np.zeros((0, 2, 4))
    assert np.isnan(_run(backend, dtype, name, e, e, n, reduction="mean"))
    assert _run(backend, dtype, name, e, e, n, reduction="sum") == 0
    none = _run(backend, dtype, name, e, e, n, reduction="none")
    assert none.shape == (0,)


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


# --- NaN propagation ------------------------------------------------------------------------

N = 4
# (case, where the NaN goes, the rows whose loss must be NaN); supcon's labels are [0, 0, 1, 2]
# (rows 2 and 3 have no positive, and still see every score of their row)
NAN_CASES = [
    ("info_nce", "q0", [0]),
    ("info_nce", "p1", "all"),
    ("info_nce_symmetric", "q0", "all"),
    ("info_nce_dot", "q0", [0]),
    ("info_nce_dot", "p1", "all"),
    ("info_nce_unpaired", "q0", [0]),
    ("info_nce_unpaired", "p1", [1]),
    ("info_nce_unpaired", "n2", "all"),
    ("info_nce_paired", "n2", [2]),
    ("info_nce_paired", "p1", [1]),
    ("clip", "q0", "all"),
    ("siglip", "q0", [0]),
    ("siglip", "p1", "all"),
    ("nt_xent", "q0", "all"),
    ("supcon", "q0", "all"),
    ("supcon_views", "p1", "all"),
    ("entropy_adaptive", "q0", "all"),
    ("mnrl", "q0", [0]),
    ("mnrl", "p1", "all"),
    ("mnrl", "n2", "all"),
    ("mnrl_all_directions", "q0", "all"),
    ("mnrl_hardness", "n2", "all"),
    ("mnrl_symmetric", "q0", "all"),
    ("matryoshka_mnrl_blocks", "q0", [0]),
    ("matryoshka_mnrl_blocks", "p1", "all"),
    ("matryoshka_mnrl_slices", "q0_tail", [0]),
    ("matryoshka_mnrl_slices", "p1", "all"),
    ("matryoshka_info_nce", "q0_tail", [0]),
]


@pytest.mark.parametrize(
    ("name", "where", "rows"), NAN_CASES, ids=[f"{c}-{w}" for c, w, _ in NAN_CASES]
)
def test_nan_propagates_to_the_rows_that_see_it(backend, rng, name, where, rows):
    q, p, n = rng.normal(size=(N, 4)), rng.normal(size=(N, 4)), rng.normal(size=(N, 2, 4))
    if where == "q0":
        q[0, 1] = np.nan
    elif where == "q0_tail":  # beyond the smallest Matryoshka dim: seen at dim 4 only
        q[0, 3] = np.nan
    elif where == "p1":
        p[1, 0] = np.nan
    else:
        n[2, 0, 1] = np.nan
    expected = np.ones(N, bool) if rows == "all" else np.isin(np.arange(N), rows)
    np.testing.assert_array_equal(
        np.isnan(_run(backend, "float64", name, q, p, n, reduction="none")), expected
    )
    assert np.isnan(_run(backend, "float64", name, q, p, n, reduction="mean"))
    assert np.isnan(_run(backend, "float64", name, q, p, n, reduction="sum"))


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
    """``fn(*arrays)`` summed, and its gradient with respect to every array, as NumPy."""
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
    value, grads = jax.value_and_grad(lambda *xs: fn(*xs).sum(), argnums=tuple(range(len(js))))(*js)
    return float(value), [np.asarray(backend.to_numpy(g), dtype=np.float64) for g in grads]


GRAD_CASES = [c for c in CASES if not c.startswith("supcon")]  # labels: see below


@pytest.mark.parametrize("name", GRAD_CASES)
@pytest.mark.parametrize("inputs", ["zeros", "zero_prefix", "identical"])
def test_finite_gradients(ad_backend, dtype, name, inputs, rng):
    """All-zero embeddings (constant scores), zero Matryoshka prefixes (the first 2 dims of a
    row), identical rows: finite values and gradients."""
    q, p, n = rng.normal(size=(N, 4)), rng.normal(size=(N, 4)), rng.normal(size=(N, 2, 4))
    if inputs == "zeros":
        q, p, n = np.zeros_like(q), np.zeros_like(p), np.zeros_like(n)
    elif inputs == "zero_prefix":
        q[0, :2] = 0
        p[1, :2] = 0
        n[2, 0, :2] = 0
    else:
        p, n = q.copy(), np.repeat(q[:, None, :], 2, axis=1)

    def fn(q, p, n):
        f, arrays, kw = CASES[name](q, p, n)
        return f(*arrays, **kw)

    value, grads = _value_and_grads(ad_backend, fn, [q, p, n], dtype)
    assert np.isfinite(value)
    for g in grads:
        assert np.all(np.isfinite(g))
    if inputs == "zeros" and name in ("info_nce", "info_nce_symmetric", "clip"):
        assert abs(value - math.log(N)) < 1e-5  # constant logits: log N


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


def test_learnable_hyperparameters_finite_gradients(ad_backend, dtype, rng):
    """0-d temperature / scale / bias arrays at the edge of their range: 1e-3, 1e4, ±1e4."""
    x, y, n = rng.normal(size=(4, 5)), rng.normal(size=(4, 5)), rng.normal(size=(4, 2, 5))
    cases = [
        (lambda q, p, n, t: al.info_nce(q, p, temperature=t), 1e-3),
        (lambda q, p, n, t: al.info_nce(q, p, n, negative_mode="paired", temperature=t), 1e-3),
        (lambda q, p, n, t: al.nt_xent_loss(q, p, temperature=t), 1e-3),
        (lambda q, p, n, t: al.supcon_loss(q, labels(q), temperature=t), 1e-3),
        (lambda q, p, n, t: al.entropy_adaptive_info_nce(q, p, min_temperature=1e-3) * t, 1.0),
        (lambda q, p, n, t: al.clip_loss(q, p, logit_scale=t), 1e4),
        (lambda q, p, n, t: al.siglip_loss(q, p, logit_scale=t, logit_bias=-t), 1e4),
        (lambda q, p, n, t: al.siglip_loss(q, p, logit_bias=t), 1e4),
        (lambda q, p, n, t: al.multiple_negatives_ranking_loss(q, p, n, scale=t), 1e4),
        (lambda q, p, n, t: al.multiple_negatives_symmetric_ranking_loss(q, p, n, scale=t), 1e4),
        (lambda q, p, n, t: _mnrl_matryoshka(q, p, n, scale=t), 1e4),
    ]

    def labels(q):
        return ad_backend.asarray(np.array([0, 0, 1, 2]))

    for fn, h in cases:
        value, grads = _value_and_grads(ad_backend, fn, [x, y, n, np.asarray(h)], dtype)
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

JIT_CASES = [
    "info_nce",
    "info_nce_paired",
    "nt_xent",
    "supcon",
    "mnrl_symmetric",
    "matryoshka_mnrl_blocks",
]


def _tie_inputs():
    x = np.array([U, U, V, W])
    return x, x, np.stack([x[[1, 0, 3, 2]], x[[2, 3, 0, 1]]], axis=1)


# rows [u, u, v, w] at scale 1e4, per case (negatives: row i's are rows (1, 0, 3, 2)[i] and
# (2, 3, 0, 1)[i]; supcon's labels [0, 0, 1, 2])
TIE_EXPECTED = {
    "info_nce": [LOG2, LOG2, 0, 0],
    "info_nce_paired": [LOG2, LOG2, 0, 0],
    "nt_xent": [LOG3, LOG3, 0, 0],
    "supcon": [0, 0, 0, 0],  # the positive of u is u, against [u, v, w]: log(1) = 0
    # documents [u, u, v, w | u, u, w, v | v, w, u, u]: u 6 times, v and w 3 times each;
    # document -> query: u against [u, u, v, w] twice, v and w once
    "mnrl_symmetric": [math.log(12) / 2, math.log(12) / 2, LOG3 / 2, LOG3 / 2],
    # at dim 2, w's prefix is u's: 9 documents of that prefix, 3 of v's
    "matryoshka_mnrl_blocks": [math.log(6 * 9), math.log(6 * 9), 2 * LOG3, LOG3 + math.log(9)],
}
TIE_KWARGS = {
    "info_nce": {"temperature": 1e-4},
    "info_nce_paired": {"temperature": 1e-4},
    "nt_xent": {"temperature": 1e-4},
    "supcon": {"temperature": 1e-4, "base_temperature": 1e-4},
    "mnrl_symmetric": {"scale": 1e4},
    "matryoshka_mnrl_blocks": {"scale": 1e4},
}


@pytest.mark.parametrize("name", JIT_CASES)
def test_generic_kernels(ad_backend, name):
    """``generic_kernels()``: torch and JAX run the array-API logsumexp/log_softmax,
    which must handle the empty batch (no ``amax`` of an empty axis) and large logits too."""
    from arraylosses.testing import generic_kernels

    with generic_kernels():
        e = np.zeros((0, 4))
        assert np.isnan(_run(ad_backend, "float32", name, e, e, np.zeros((0, 2, 4))))
        q, p, n = _tie_inputs()
        close(
            _run(ad_backend, "float32", name, q, p, n, reduction="none", **TIE_KWARGS[name]),
            TIE_EXPECTED[name],
            "float32",
        )


@pytest.mark.parametrize("name", JIT_CASES)
def test_under_jax_jit(ad_backend, name):
    if not ad_backend.name.startswith("jax"):
        pytest.skip("jax.jit")
    import jax

    def jitted(q, p, n, **kw):
        fn, arrays, kwargs = CASES[name](q, p, n, **kw)
        return jax.jit(lambda *xs: fn(*xs, **kwargs))(
            *ad_backend.convert(arrays, dtype="float32")[0]
        )

    e = np.zeros((0, 4))
    for reduction, check in (
        ("mean", np.isnan),
        ("sum", lambda v: v == 0),
        ("none", lambda v: v.shape == (0,)),
    ):
        assert check(np.asarray(jitted(e, e, np.zeros((0, 2, 4)), reduction=reduction)))
    q, p, n = _tie_inputs()
    close(
        np.asarray(jitted(q, p, n, reduction="none", **TIE_KWARGS[name])),
        TIE_EXPECTED[name],
        "float32",
    )
    q = q.copy()
    q[0, 0] = np.nan
    assert np.isnan(np.asarray(jitted(q, p, n, reduction="mean", **TIE_KWARGS[name])))
