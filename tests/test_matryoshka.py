"""matryoshka: the partial-dot-product path equals truncating and calling the loss per dim."""

from __future__ import annotations

import numpy as np
import pytest

import arraylosses as al

from . import reference as ref
from .helpers import call, close

DIMS = (8, 5, 2)


def _per_dim_reference(loss, q, p, n, dims, weights, **kw):
    """Truncate, normalise (as sentence-transformers' shrink) and call, per dim: by definition."""
    total = 0.0
    for d, w in zip(dims, weights):
        cut = [x[..., :d] / np.linalg.norm(x[..., :d], axis=-1, keepdims=True) for x in (q, p, n)]
        total = total + w * np.asarray(loss(*cut, **kw))
    return total


@pytest.mark.parametrize(
    "directions",
    [("query_to_doc",), ("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc")],
)
def test_fast_path_equals_per_dim_calls(backend, dtype, rng, directions):
    q, p, n = rng.normal(size=(6, 8)), rng.normal(size=(6, 8)), rng.normal(size=(6, 2, 8))
    weights = (1.0, 0.5, 0.3)
    expected = _per_dim_reference(
        al.multiple_negatives_ranking_loss,
        q,
        p,
        n,
        DIMS,
        weights,
        directions=directions,
        reduction="none",
    )
    fn = al.matryoshka(
        al.multiple_negatives_ranking_loss, dims=[2, 8, 5], dim_weights=[0.3, 1.0, 0.5]
    )
    close(
        call(backend, dtype, fn, q, p, n, directions=directions, reduction="none"), expected, dtype
    )


@pytest.mark.parametrize("max_blocks", [64, 0], ids=["blocks of gcd(dims)", "slices"])
@pytest.mark.parametrize("dims", [(8, 5, 2), (8, 4), (6, 4, 2)])
def test_both_fast_paths_equal_per_dim_calls(backend, rng, monkeypatch, max_blocks, dims):
    """The block path (reshape to gcd(dims)-wide blocks, below the largest dim when it is not
    the full width D = 10) and the slice fallback give the per-dim losses."""
    from arraylosses.contrastive.matryoshka import _SliceSimilarities

    monkeypatch.setattr(_SliceSimilarities, "MAX_BLOCKS", max_blocks)
    q, p, n = rng.normal(size=(5, 10)), rng.normal(size=(5, 10)), rng.normal(size=(5, 2, 10))
    expected = _per_dim_reference(
        al.multiple_negatives_ranking_loss,
        q,
        p,
        n,
        dims,
        [1.0] * len(dims),
        directions=("query_to_doc", "doc_to_doc"),
        reduction="none",
    )
    fn = al.matryoshka(al.multiple_negatives_ranking_loss, dims=dims)
    close(
        call(
            backend,
            "float64",
            fn,
            q,
            p,
            n,
            directions=("query_to_doc", "doc_to_doc"),
            reduction="none",
        ),
        expected,
        "float64",
    )


def test_generic_path_by_definition(backend, dtype, rng):
    a, b = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    fn = al.matryoshka(al.cosine_distance_loss, dims=(6, 3))
    expected = sum(1 - ref.rows(ref.cosine, a[:, :d], b[:, :d]) for d in (6, 3))
    close(call(backend, dtype, fn, a, b, reduction="none"), expected, dtype)


def test_symmetric_preset_fast_path(backend, rng):
    q, p = rng.normal(size=(5, 8)), rng.normal(size=(5, 8))
    fn = al.matryoshka(al.multiple_negatives_symmetric_ranking_loss, dims=DIMS)
    n = rng.normal(size=(5, 1, 8))
    expected = _per_dim_reference(
        al.multiple_negatives_symmetric_ranking_loss, q, p, n, DIMS, (1.0, 1.0, 1.0)
    )
    close(call(backend, "float64", fn, q, p, n), expected, "float64")


def test_errors():
    x = np.ones((3, 4))
    with pytest.raises(
        ValueError, match="Matryoshka dims must not exceed the embedding width D=4; got 8"
    ):
        al.matryoshka(al.info_nce, dims=(8, 2))(x, x)
    with pytest.raises(ValueError, match=r"weights must be a sequence of 2 floats"):
        al.matryoshka(al.info_nce, dims=(4, 2), dim_weights=(1.0,))
    with pytest.raises(ValueError, match="dims must be positive ints"):
        al.matryoshka(al.info_nce, dims=(4, 0))
    with pytest.raises(ValueError, match="dims must not repeat"):
        al.matryoshka(al.info_nce, dims=(4, 4))
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        al.matryoshka("mnrl", dims=(4,))


def test_symmetric_preset_is_read_from_mnrl(rng, monkeypatch):
    """The symmetric loss and Matryoshka's fast path read its options from one place,
    ``mnrl.SYMMETRIC``: change it, and both follow (a copy in either would not)."""
    from arraylosses.contrastive import mnrl

    q, p, n = rng.normal(size=(5, 8)), rng.normal(size=(5, 8)), rng.normal(size=(5, 1, 8))
    sym = al.multiple_negatives_symmetric_ranking_loss
    # the preset as documented
    np.testing.assert_allclose(
        sym(q, p, n, reduction="none"),
        al.multiple_negatives_ranking_loss(
            q,
            p,
            n,
            directions=("query_to_doc", "doc_to_query"),
            partition_mode="per_direction",
            reduction="none",
        ),
        rtol=1e-12,
    )
    changed = {"directions": ("query_to_doc", "query_to_query"), "partition_mode": "joint"}
    monkeypatch.setattr(mnrl, "SYMMETRIC", mnrl.Preset(**changed))
    direct = al.multiple_negatives_ranking_loss(q, p, n, reduction="none", **changed)
    assert not np.allclose(direct, mnrl.multiple_negatives_ranking_loss(q, p, n, reduction="none"))
    np.testing.assert_allclose(sym(q, p, n, reduction="none"), direct, rtol=1e-12)
    expected = _per_dim_reference(
        al.multiple_negatives_ranking_loss,
        q,
        p,
        n,
        DIMS,
        (1.0, 1.0, 1.0),
        reduction="none",
        **changed,
    )
    fast = al.matryoshka(sym, dims=DIMS)(q, p, n, reduction="none")
    np.testing.assert_allclose(fast, expected, rtol=1e-10)


def test_symmetric_fast_path_follows_mnrl_defaults(rng, monkeypatch):
    """The options the symmetric preset leaves to MNRL's defaults (the hardness) come from
    MNRL's signature in the fast path too: change a default, and the fast path follows."""
    q, p, n = rng.normal(size=(5, 8)), rng.normal(size=(5, 8)), rng.normal(size=(5, 1, 8))
    sym = al.multiple_negatives_symmetric_ranking_loss
    before = _per_dim_reference(sym, q, p, n, DIMS, (1.0, 1.0, 1.0), reduction="none")
    defaults = al.multiple_negatives_ranking_loss.__wrapped__.__kwdefaults__
    monkeypatch.setitem(defaults, "hardness_mode", "all_negatives")
    monkeypatch.setitem(defaults, "hardness_strength", 0.5)
    expected = _per_dim_reference(
        al.multiple_negatives_ranking_loss,
        q,
        p,
        n,
        DIMS,
        (1.0, 1.0, 1.0),
        directions=("query_to_doc", "doc_to_query"),
        partition_mode="per_direction",
        hardness_mode="all_negatives",
        hardness_strength=0.5,
        reduction="none",
    )
    assert not np.allclose(expected, before)
    fast = al.matryoshka(sym, dims=DIMS)(q, p, n, reduction="none")
    np.testing.assert_allclose(fast, expected, rtol=1e-10)


def test_sequence_arguments_wrong_type():
    with pytest.raises(TypeError, match="dim_weights must be a sequence of 2 floats"):
        al.matryoshka(al.info_nce, dims=(4, 2), dim_weights=1.0)
    with pytest.raises(TypeError, match="dims must be a sequence of positive ints; got str"):
        al.matryoshka(al.info_nce, dims="42")
    with pytest.raises(ValueError, match="dims must be a non-empty sequence"):
        al.matryoshka(al.info_nce, dims=[])


def test_per_dim_loop_on_numpy_returns_a_0d_array_not_a_numpy_scalar():
    """The per-dim loop's weighted sum of 0-d NumPy arrays is a ``numpy.float64`` (issue #36);
    the result is a 0-d ``ndarray``, as the MNRL fast path and every loss return."""
    rng = np.random.default_rng(0)
    q, d = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    for inner in (al.info_nce, al.multiple_negatives_ranking_loss):
        out = al.matryoshka(inner, (6, 3))(q, d)
        assert type(out) is np.ndarray and out.shape == (), (inner.__name__, type(out))
    rows = al.matryoshka(al.info_nce, (6, 3))(q, d, reduction="none")
    assert type(rows) is np.ndarray and rows.shape == (4,)
