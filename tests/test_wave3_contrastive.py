"""Wave 3, late interaction and mining: maxsim / pairwise_maxsim, the batch triplet losses,
gist_embed_loss and maxsim_ranking_loss. What the registry records cannot say: the peers'
quirks, the empty-document sentinel, masks, ``offset`` rows against one device's rows and
``chunk_size`` against the dense path (values and gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import arraylosses as al

torch = pytest.importorskip("torch")


def _t(x, grad=False):
    return torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=grad)


def _maxsim_definition(q, d, q_mask, d_mask, length_normalize=False):
    """Σ_{valid i} max_{valid j} q_i·d_j, -1e9 for an empty document, in float64 loops."""
    out = np.zeros((len(q), len(d)))
    for a in range(len(q)):
        for b in range(len(d)):
            valid = [j for j in range(d.shape[1]) if d_mask[b, j]]
            if not valid:
                out[a, b] = -1e9
            else:
                out[a, b] = sum(
                    max(float(q[a, i] @ d[b, j]) for j in valid)
                    for i in range(q.shape[1])
                    if q_mask[a, i]
                )
            if length_normalize:
                out[a, b] /= max(int(q_mask[a].sum()), 1)
    return out


# --- maxsim, pairwise_maxsim ---------------------------------------------------------------


@pytest.mark.parametrize("length_normalize", [False, True])
def test_maxsim_empty_document_sentinel_finite_gradient(length_normalize):
    rng = np.random.default_rng(0)
    q, d = rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 2, 4))
    q_mask = np.array([[True, True, False], [True, True, True]])
    d_mask = np.array([[True, False], [False, False], [True, True]])
    qt, dt = _t(q, True), _t(d, True)
    out = al.pairwise_maxsim(
        qt,
        dt,
        query_mask=torch.tensor(q_mask),
        document_mask=torch.tensor(d_mask),
        length_normalize=length_normalize,
    )
    expected = _maxsim_definition(q, d, q_mask, d_mask, length_normalize)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    out.sum().backward()
    assert torch.isfinite(qt.grad).all() and torch.isfinite(dt.grad).all()
    assert (dt.grad[1] == 0).all()  # the empty document gets no gradient
    assert (dt.grad[0, 1] == 0).all() and (qt.grad[0, 2] == 0).all()  # masked tokens neither
    # a document of zero tokens: every score is the sentinel
    empty = al.pairwise_maxsim(q, np.zeros((2, 0, 4)))
    np.testing.assert_array_equal(empty, np.full((2, 2), -1e9))


def test_maxsim_zero_rows_are_padding_not_pylate_product():
    """Every real similarity negative: ST's rule (padding leaves the max) against PyLate's
    product with 0, which lets the padding token win with 0."""
    pylate_scores = pytest.importorskip("pylate.scores")
    q = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    d = np.array([[[-1.0, -2.0], [0.0, 0.0]]])  # second token: zero padding
    ours = al.pairwise_maxsim(q, d)
    np.testing.assert_allclose(ours, [[-3.0]])
    mask = torch.tensor([[1.0, 0.0]])
    theirs = pylate_scores.colbert_scores(_t(q), _t(d), documents_mask=mask)
    assert float(theirs[0, 0]) == 0.0  # PyLate: the padding token's 0 wins the max
    explicit = al.pairwise_maxsim(q, d, document_mask=np.array([[True, False]]))
    np.testing.assert_allclose(explicit, [[-3.0]])


def test_maxsim_st_random_masks():
    util = pytest.importorskip("sentence_transformers.util")
    rng = np.random.default_rng(3)
    q, d = rng.normal(size=(4, 5, 3)), rng.normal(size=(6, 4, 3))
    q_mask, d_mask = rng.uniform(size=(4, 5)) > 0.3, rng.uniform(size=(6, 4)) > 0.4
    d_mask[2] = False
    for ln in (False, True):
        ours = al.pairwise_maxsim(
            q, d, query_mask=q_mask, document_mask=d_mask, length_normalize=ln
        )
        st = util.maxsim(
            _t(q), _t(d), torch.tensor(q_mask), torch.tensor(d_mask), length_normalize=ln
        )
        np.testing.assert_allclose(ours, st.double().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            ours, _maxsim_definition(q, d, q_mask, d_mask, ln), rtol=1e-12, atol=1e-12
        )
        rows = al.maxsim(q, d[:4], query_mask=q_mask, document_mask=d_mask[:4], length_normalize=ln)
        np.testing.assert_allclose(rows, np.diagonal(ours[:, :4]), rtol=1e-12)


def test_maxsim_jit():
    jax = pytest.importorskip("jax")
    rng = np.random.default_rng(1)
    q, d = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 1, 3, 4))
    eager = al.maxsim(q[:, None], d)
    jitted = jax.jit(lambda a, b: al.maxsim(a[:, None], b))(q, d)
    np.testing.assert_allclose(np.asarray(jitted), eager, rtol=1e-5)


def test_maxsim_errors():
    q, d = np.ones((2, 3, 4)), np.ones((2, 2, 5))
    with pytest.raises(ValueError, match="embedding width"):
        al.pairwise_maxsim(q, d)
    with pytest.raises(ValueError, match="query_mask"):
        al.pairwise_maxsim(q, np.ones((2, 2, 4)), query_mask=np.ones((2, 4), dtype=bool))
    with pytest.raises(TypeError, match="document_mask"):
        al.pairwise_maxsim(q, np.ones((2, 2, 4)), document_mask=np.ones((2, 2)))
    with pytest.raises(ValueError, match="queries"):
        al.pairwise_maxsim(np.ones((3, 4)), np.ones((2, 2, 4)))
    with pytest.raises(ValueError, match="broadcast"):
        al.maxsim(np.ones((3, 2, 4)), np.ones((2, 2, 4)))


# --- batch triplet mining --------------------------------------------------------------------

MINING = (
    al.batch_hard_triplet_loss,
    al.batch_hard_soft_margin_triplet_loss,
    al.batch_all_triplet_loss,
    al.batch_semi_hard_triplet_loss,
)


@pytest.mark.parametrize("fn", MINING, ids=lambda f: f.__name__)
@pytest.mark.parametrize("distance", ["euclidean", "squared_euclidean", "cosine"])
def test_mining_duplicates_one_class_singletons(fn, distance):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 3))
    x[1] = x[0]  # duplicate within a class
    x[4] = x[2]  # duplicate across classes
    for labels in ([0, 0, 1, 1, 2, 2], [0] * 6, list(range(6))):
        xt = _t(x, True)
        out = fn(xt, torch.tensor(labels), distance=distance)
        out.backward()
        assert torch.isfinite(out) and torch.isfinite(xt.grad).all(), labels
    # reductions and weights by definition (the registry's reference, on other data)
    from . import reference

    labels = np.array([0, 0, 1, 1, 2, 2])
    w = rng.uniform(0.5, 2.0, size=6)
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(
            fn(x, labels, distance=distance, sample_weight=w, reduction=reduction),
            getattr(reference, fn.__name__)(
                x, labels, distance=distance, sample_weight=w, reduction=reduction
            ),
            rtol=1e-10,
            atol=1e-12,
        )


def test_mining_mean_without_units_is_zero_and_errors():
    x = np.random.default_rng(2).normal(size=(4, 3))
    singletons = np.arange(4)
    assert float(al.batch_semi_hard_triplet_loss(x, singletons)) == 0.0
    assert float(al.batch_all_triplet_loss(x, np.zeros(4, dtype=np.int64))) == 0.0
    assert np.isnan(float(al.batch_hard_triplet_loss(np.zeros((0, 3)), np.zeros(0, np.int64))))
    with pytest.raises(ValueError, match="labels"):
        al.batch_hard_triplet_loss(x, np.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match="labels"):
        al.batch_all_triplet_loss(x, np.zeros(4))
    with pytest.raises(ValueError, match="distance"):
        al.batch_semi_hard_triplet_loss(x, singletons, distance="manhattan")


def test_mining_jit():
    jax = pytest.importorskip("jax")
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(6, 3)), np.array([0, 0, 1, 1, 2, 3])
    for fn in MINING:
        eager = fn(x, labels)
        np.testing.assert_allclose(np.asarray(jax.jit(fn)(x, labels)), eager, rtol=1e-5)


# --- gist_embed_loss -------------------------------------------------------------------------


def _gist_data(seed=0):
    from arraylosses.testing.cases import BY_NAME

    return BY_NAME["gist_embed_loss"].inputs(np.random.default_rng(seed))


def test_gist_guide_really_masks_and_everything_masked():
    x = _gist_data()
    ga = x["ga"] / np.linalg.norm(x["ga"], axis=1, keepdims=True)
    gp = x["gp"] / np.linalg.norm(x["gp"], axis=1, keepdims=True)
    theta = np.sum(ga * gp, axis=1)
    removed = (ga @ gp.T > theta[:, None]) & ~np.eye(6, dtype=bool)
    assert removed.any() and (theta < 0).any()  # the data exercises the filter
    kw = dict(guide_anchors=x["ga"], guide_positives=x["gp"], temperature=0.05)
    unguided = al.multiple_negatives_ranking_loss(
        x["a"], x["p"], scale=20.0, directions=("query_to_doc", "query_to_query", "doc_to_doc")
    )
    assert float(al.gist_embed_loss(x["a"], x["p"], **kw)) != pytest.approx(float(unguided))
    for chunk in (None, 2):
        a, p = _t(x["a"], True), _t(x["p"], True)
        out = al.gist_embed_loss(
            a,
            p,
            guide_anchors=_t(x["ga"]),
            guide_positives=_t(x["gp"]),
            margin=10.0,
            chunk_size=chunk,
        )
        out.backward()
        assert float(out) == 0.0
        assert torch.isfinite(a.grad).all() and (a.grad == 0).all() and (p.grad == 0).all()


def test_gist_chunk_equals_dense_with_learnable_temperature():
    x = _gist_data(1)
    results = []
    for chunk in (None, 1, 4):
        arrays = [_t(x[k], True) for k in ("a", "p", "n_k")]
        temperature = _t(0.2, True)
        out = al.gist_embed_loss(
            *arrays,
            guide_anchors=_t(x["ga"]),
            guide_positives=_t(x["gp"]),
            guide_negatives=_t(x["gn_k"]),
            margin_strategy="relative",
            margin=0.2,
            temperature=temperature,
            chunk_size=chunk,
            reduction="none",
        )
        out.sum().backward()
        results.append([out.detach(), *(t.grad for t in arrays), temperature.grad])
    for other in results[1:]:
        for got, want in zip(other, results[0]):
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_gist_offset_rows_equal_one_device_rows():
    x = _gist_data(2)
    kw = dict(guide_positives=x["gp"], guide_negatives=x["gn_1"], contrast_anchors=False)
    full = al.gist_embed_loss(
        x["a"], x["p"], x["n_1"], guide_anchors=x["ga"], reduction="none", **kw
    )
    for chunk in (None, 2):
        rows = al.gist_embed_loss(
            x["a_local"],
            x["p"],
            x["n_1"],
            guide_anchors=x["ga_local"],
            offset=2,
            chunk_size=chunk,
            reduction="none",
            **kw,
        )
        np.testing.assert_allclose(rows, full[2:5], rtol=1e-12, atol=1e-14)


def test_gist_jit_and_errors():
    jax = pytest.importorskip("jax")
    x = _gist_data()

    def f(a, p, ga, gp):
        return al.gist_embed_loss(a, p, guide_anchors=ga, guide_positives=gp, chunk_size=4)

    eager = f(x["a"], x["p"], x["ga"], x["gp"])
    np.testing.assert_allclose(
        np.asarray(jax.jit(f)(x["a"], x["p"], x["ga"], x["gp"])), eager, rtol=1e-4
    )
    with pytest.raises(ValueError, match="guide_positives"):
        al.gist_embed_loss(x["a"], x["p"], guide_anchors=x["ga"], guide_positives=x["gp"][:4])
    with pytest.raises(ValueError, match="margin_strategy"):
        al.gist_embed_loss(
            x["a"], x["p"], guide_anchors=x["ga"], guide_positives=x["gp"], margin_strategy="x"
        )
    with pytest.raises(ValueError, match="guide_negatives"):
        al.gist_embed_loss(x["a"], x["p"], x["n_1"], guide_anchors=x["ga"], guide_positives=x["gp"])


# --- maxsim_ranking_loss ---------------------------------------------------------------------


def _st_multivector_mnrl(q, d, n, q_mask, d_mask, n_mask, *, scale, length_normalize):
    """sentence-transformers' MultiVectorMultipleNegativesRankingLoss on a stand-in model that
    returns the given token embeddings and masks (``__init__`` bypassed)."""
    from functools import partial
    from unittest import mock

    from sentence_transformers import util
    from sentence_transformers.multi_vector_encoder.losses import multiple_negatives_ranking as mod

    class Model:
        similarity = staticmethod(partial(util.maxsim, length_normalize=length_normalize))

        def __call__(self, features, task=None):
            return {"token_embeddings": q, "attention_mask": q_mask}

    loss = mod.MultiVectorMultipleNegativesRankingLoss.__new__(
        mod.MultiVectorMultipleNegativesRankingLoss
    )
    torch.nn.Module.__init__(loss)
    loss.model, loss.scale, loss.similarity_fct = Model(), scale, None
    loss.mini_batch_size = loss.score_mini_batch_size = None
    loss.gather_across_devices = False
    with mock.patch.object(mod, "embed_columns_padded", lambda *a, **k: ([d, n], [d_mask, n_mask])):
        return loss.forward([{}, {}, {}])


@pytest.mark.parametrize("length_normalize", [False, True])
def test_maxsim_ranking_st_masks(length_normalize):
    pytest.importorskip("sentence_transformers")
    rng = np.random.default_rng(4)
    q, d, n = rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 3, 3)), rng.normal(size=(4, 2, 3))
    q_mask, d_mask = rng.uniform(size=(4, 5)) > 0.3, rng.uniform(size=(4, 3)) > 0.3
    n_mask = rng.uniform(size=(4, 2)) > 0.3
    q_mask[:, 0] = d_mask[:, 0] = n_mask[:, 0] = True
    tensors = [_t(x, True) for x in (q, d, n)]
    masks = [torch.tensor(m) for m in (q_mask, d_mask, n_mask)]
    theirs = _st_multivector_mnrl(*tensors, *masks, scale=3.0, length_normalize=length_normalize)
    theirs.backward()
    for chunk in (None, 3):
        ours_t = [_t(x, True) for x in (q, d, n)]
        ours = al.maxsim_ranking_loss(
            *ours_t,
            query_mask=masks[0],
            document_mask=masks[1],
            negative_mask=masks[2],
            scale=3.0,
            length_normalize=length_normalize,
            chunk_size=chunk,
        )
        ours.backward()
        np.testing.assert_allclose(float(ours), float(theirs), rtol=2e-5, atol=2e-6)
        for a, b in zip(ours_t, tensors):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_maxsim_ranking_chunk_offset_empty_positive():
    rng = np.random.default_rng(6)
    q, d, n = rng.normal(size=(5, 3, 4)), rng.normal(size=(5, 3, 4)), rng.normal(size=(5, 2, 2, 4))
    d_mask = rng.uniform(size=(5, 3)) > 0.3
    d_mask[2] = False  # query 2's own document has no token: loss ~1e9·scale, finite
    n_mask = rng.uniform(size=(5, 2, 2)) > 0.3
    full = None
    for chunk in (None, 1, 2, 5):
        arrays = [_t(x, True) for x in (q, d, n)]
        scale = _t(0.5, True)
        out = al.maxsim_ranking_loss(
            *arrays,
            document_mask=torch.tensor(d_mask),
            negative_mask=torch.tensor(n_mask),
            scale=scale,
            chunk_size=chunk,
            reduction="none",
        )
        out.sum().backward()
        got = [out.detach(), *(a.grad for a in arrays), scale.grad]
        assert all(torch.isfinite(x).all() for x in got)
        assert 4e8 < float(out[2]) < 6e8
        if full is None:
            full = got
        for a, b in zip(got, full):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-10)
    # this device's queries 1..3 against every device's documents: the one-device rows
    kw = dict(document_mask=d_mask, negative_mask=n_mask, reduction="none")
    one = al.maxsim_ranking_loss(q, d, n, **kw)
    for chunk in (None, 2):
        rows = al.maxsim_ranking_loss(q[1:4], d, n, offset=1, chunk_size=chunk, **kw)
        np.testing.assert_allclose(rows, one[1:4], rtol=1e-12)


def test_maxsim_ranking_jit_and_errors():
    jax = pytest.importorskip("jax")
    rng = np.random.default_rng(7)
    q, d = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 2, 4))

    def f(q, d, offset):
        return al.maxsim_ranking_loss(q, d, offset=offset, chunk_size=3)

    eager = f(q, d, 2)
    np.testing.assert_allclose(np.asarray(jax.jit(f)(q, d, jax.numpy.asarray(2))), eager, rtol=1e-4)
    with pytest.raises(ValueError, match="offset"):
        al.maxsim_ranking_loss(q, d, offset=3)
    with pytest.raises(ValueError, match="documents"):
        al.maxsim_ranking_loss(q, d[:1])
    with pytest.raises(ValueError, match="negative_mask"):
        al.maxsim_ranking_loss(q, d, negative_mask=np.ones((4, 2), dtype=bool))
