"""The peer defects of README.md's "Where peers disagree, and what we follow", each run as its
repro there. Every case returns the peer's value, ours and a value derived independently (a
float64 computation by definition, or a second peer that agrees), and pins the peer's current
value: ``test_peer_still_differs`` checks ours against the independent value and the peer
against its pinned (wrong) value; ``test_peer_is_right`` asserts the peer agrees with the
independent value and is a strict xfail, so the suite fails when a peer fixes its bug (then
update the README row and drop the case). A missing peer skips, or fails under
``ARRAYLOSSES_REQUIRE_PEERS=1``."""

from __future__ import annotations

import functools
import importlib
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import arraylosses as al
from arraylosses import metrics as M

REQUIRE = os.environ.get("ARRAYLOSSES_REQUIRE_PEERS", "") == "1"
# Keras reads its backend once, at its first import: JAX here, as conformance/peers does
os.environ.setdefault("KERAS_BACKEND", "jax")


def _need(*names: str) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:
            reason = f"peer {name} not importable: {exc!r}"
            if REQUIRE:
                pytest.fail(reason)
            pytest.skip(reason)


def _lightly(name: str) -> Any:
    _need("torch")
    from arraylosses.testing import peer_module

    try:
        return peer_module(f"lightly.loss.{name}")
    except Exception as exc:
        reason = f"peer lightly.loss.{name} not loadable: {exc!r}"
        if REQUIRE:
            pytest.fail(reason)
        pytest.skip(reason)


def _quiet(fn: Callable[[], Any]) -> Any:
    """A peer call whose warnings (torchmetrics' near-constant notice, sklearn's single label)
    are part of the repro, not a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def _raises(fn: Callable[[], Any]) -> str:
    try:
        fn()
    except ValueError:
        return "ValueError"
    return "no error"


@dataclass(frozen=True)
class Result:
    peer: Any  # what the peer returns today
    ours: Any
    independent: Any  # by definition, or a second peer
    pinned: Any  # the peer's current (wrong) value, as printed in README.md
    rtol: float = 1e-12


# ------------------------------------------------------------------------------------------
# torchmetrics


def calibration_phantom_bin() -> Result:  # torchmetrics#3510
    _need("torch", "torchmetrics")
    import torch
    from torchmetrics.functional.classification import binary_calibration_error

    p, y = np.array([0.95, 1.0]), np.array([1, 0])
    peer = binary_calibration_error(torch.tensor(p), torch.tensor(y), n_bins=10).item()
    ours = float(M.calibration_error(p, y, n_bins=10))
    return Result(peer, ours, abs(p.mean() - y.mean()), 0.525)  # one bin (.9, 1]


def calibration_l2_zero_is_int64() -> Result:
    _need("torch", "torchmetrics")
    import torch
    from torchmetrics.functional.classification import binary_calibration_error

    p, y = np.array([0.5, 0.5]), np.array([1, 0])
    peer = binary_calibration_error(torch.tensor(p), torch.tensor(y), n_bins=10, norm="l2")
    ours = M.calibration_error(p, y, n_bins=10, norm="l2")
    return Result(str(peer.dtype), str(ours.dtype), "float64", "torch.int64")


def _spearman_kendall(fn_name: str, ours_fn: Callable[..., Any]) -> Result:  # torchmetrics#3465
    _need("torch", "torchmetrics")
    import torch
    import torchmetrics.functional as F

    x, y = np.array([1.0, 2, 2, 3, 5]), np.array([1.0, 3, 2, 4, 4])
    peer = getattr(F, fn_name)(torch.tensor(x), torch.tensor(y))
    return Result(str(peer.dtype), str(ours_fn(x, y).dtype), "float64", "torch.float32")


def spearman_float32() -> Result:
    return _spearman_kendall("spearman_corrcoef", M.spearman_corrcoef)


def kendall_float32() -> Result:
    return _spearman_kendall("kendall_rank_corrcoef", M.kendall_tau)


def spearman_constant_input() -> Result:
    _need("torch", "torchmetrics", "scipy")
    import scipy.stats
    import torch
    from torchmetrics.functional import spearman_corrcoef

    x, y = np.ones(4), np.array([1.0, 2, 4, 3])
    peer = _quiet(lambda: spearman_corrcoef(torch.tensor(x), torch.tensor(y)).item())
    scipy_value = _quiet(lambda: scipy.stats.spearmanr(x, y).statistic)
    return Result(peer, float(M.spearman_corrcoef(x, y)), scipy_value, 0.0)


def pearson_outlier_float32() -> Result:  # after torchmetrics#3150
    _need("torch", "torchmetrics")
    import torch
    from torchmetrics.functional import pearson_corrcoef

    rng = np.random.default_rng(3)
    x = rng.normal(size=20_000)
    x[0] = 1e4
    y = x + rng.normal(scale=30.0, size=20_000)
    x32, y32 = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    peer = _quiet(lambda: pearson_corrcoef(x32, y32).item())
    ours = float(M.pearson_corrcoef(x.astype(np.float32), y.astype(np.float32)))
    return Result(peer, ours, np.corrcoef(x, y)[0, 1], math.nan, rtol=1e-4)


def _lin(x: np.ndarray, y: np.ndarray) -> float:
    return 2 * np.cov(x, y, bias=True)[0, 1] / (x.var() + y.var() + (x.mean() - y.mean()) ** 2)


def concordance_n_minus_1() -> Result:
    _need("torch", "torchmetrics")
    import torch
    from torchmetrics.functional import concordance_corrcoef

    x, y = np.array([1.0, 2, 3]), np.array([2.0, 3, 4])
    peer = concordance_corrcoef(torch.tensor(x), torch.tensor(y)).item()
    return Result(peer, float(M.concordance_corrcoef(x, y)), _lin(x, y), 2 / 3)


def concordance_constant_side() -> Result:
    _need("torch", "torchmetrics")
    import torch
    from torchmetrics.functional import concordance_corrcoef

    x, y = np.ones(4), np.array([1.0, 2, 4, 3])
    peer = _quiet(lambda: concordance_corrcoef(torch.tensor(x), torch.tensor(y)).item())
    return Result(peer, float(M.concordance_corrcoef(x, y)), _lin(x, y), math.nan)


def smape_clamp() -> Result:
    _need("torch", "torchmetrics")
    import torch
    from torchmetrics.functional import symmetric_mean_absolute_percentage_error as smape

    p, t = np.array([1e-8]), np.array([0.0])
    peer = smape(torch.tensor(p), torch.tensor(t)).item()
    ours = float(M.symmetric_mean_absolute_percentage_error(p, t))
    return Result(peer, ours, float(2 * abs(p - t)[0] / (abs(p) + abs(t))[0]), 0.017094017094017096)


def wmape_clamp() -> Result:
    _need("torch", "torchmetrics")
    import torch
    from torchmetrics.functional import weighted_mean_absolute_percentage_error as wmape

    p, t = np.array([1.0]), np.array([0.0])
    peer = wmape(torch.tensor(p), torch.tensor(t)).item()
    ours = float(M.weighted_mean_absolute_percentage_error(p, t))
    with np.errstate(divide="ignore"):
        independent = float(np.abs(p - t).sum() / np.abs(t).sum())
    return Result(peer, ours, independent, 854700.8547008546)


def binned_ap_below_first_threshold() -> Result:
    _need("torch", "torchmetrics", "sklearn")
    import torch
    from sklearn.metrics import average_precision_score
    from torchmetrics.functional.classification import binary_average_precision

    s, y, th = np.array([0.1, 0.3, 0.6, 0.9]), np.array([1, 0, 1, 0]), [0.2, 0.5, 0.8]
    peer = binary_average_precision(torch.tensor(s), torch.tensor(y), thresholds=th).item()
    ours = float(M.average_precision(s, y, thresholds=th))
    bins = np.searchsorted(th, s, side="right")  # the exact AP of the bins
    return Result(peer, ours, average_precision_score(y, bins), 0.25)


def _mcc(p: list[int], t: list[int], pinned: float) -> Result:
    _need("torch", "torchmetrics", "sklearn")
    import torch
    from sklearn.metrics import matthews_corrcoef
    from torchmetrics.functional.classification import multiclass_matthews_corrcoef

    pa, ta = np.array(p), np.array(t)
    peer = float(multiclass_matthews_corrcoef(torch.tensor(pa), torch.tensor(ta), num_classes=2))
    ours = float(M.matthews_corrcoef(pa, ta, num_classes=2))
    return Result(peer, ours, _quiet(lambda: matthews_corrcoef(ta, pa)), pinned, rtol=1e-7)


def mcc_all_one() -> Result:
    return _mcc([1, 1, 1], [1, 1, 1], 1.0)


def mcc_constant_target() -> Result:
    return _mcc([0, 1, 1], [1, 1, 1], 0.4082482755184174)


# ------------------------------------------------------------------------------------------
# pytorch-metric-learning, Keras


def arcface_parallel_gradient() -> Result:
    _need("torch", "pytorch_metric_learning")
    import torch
    from pytorch_metric_learning.losses import ArcFaceLoss

    x = torch.tensor([[1.0, 0.0], [0.6, 0.8]], dtype=torch.float64, requires_grad=True)
    w, y = torch.eye(2, dtype=torch.float64), torch.tensor([0, 1])
    pml = ArcFaceLoss(2, 2, margin=math.degrees(0.5), scale=64.0).double()
    (peer,) = torch.autograd.grad(torch.func.functional_call(pml, {"W": w.T}, (x, y)), x)
    (ours,) = torch.autograd.grad(al.arcface_loss(x, y, w), x)
    # row 0 sits on its proxy: the loss has a kink there and we give the subgradient 0 in the
    # kinked direction, plus the negative logit's term s·softmax_01 (mean over 2 rows), finite.
    independent = np.array([0.0, 64 * math.exp(-64 * math.cos(0.5)) / 2])
    return Result(peer[0].numpy(), ours[0].numpy(), independent, np.array([np.nan, np.nan]))


def multi_similarity_one_pair_each() -> Result:
    _need("torch", "pytorch_metric_learning")
    import torch
    from pytorch_metric_learning import losses, miners

    r = 0.75**0.5
    x = torch.tensor(
        [[1, 0, 0], [0.5, r, 0], [0.8, -0.4 / r, (1 - 0.64 - 0.16 / 0.75) ** 0.5]],
        dtype=torch.float64,
    )
    y = torch.tensor([0, 0, 1])
    pairs = miners.MultiSimilarityMiner(epsilon=0.1)(x, y)
    assert [p.tolist() for p in pairs] == [[0], [1], [0], [2]]
    peer = losses.MultiSimilarityLoss()(x, y, pairs).item()
    ours = al.multi_similarity_loss(x, y, mining_margin=0.1).item()
    pos = math.log1p(math.exp(-2 * (0.5 - 0.5))) / 2
    neg = math.log1p(math.exp(50 * (0.8 - 0.5))) / 50
    return Result(peer, ours, (pos + neg) / 3, 0.0)


def circle_keras_gradient() -> Result:
    _need("keras", "jax", "torch", "pytorch_metric_learning")
    import keras

    if keras.backend.backend() != "jax":
        reason = f"Keras was imported on {keras.backend.backend()}: its gradient needs JAX"
        if REQUIRE:
            pytest.fail(reason)
        pytest.skip(reason)
    import jax
    import jax.numpy as jnp
    import torch
    from pytorch_metric_learning.losses import CircleLoss

    x = np.random.default_rng(0).normal(size=(6, 3))
    y = np.array([0, 0, 1, 1, 2, 2])
    t = torch.tensor(x, requires_grad=True)
    CircleLoss(m=0.4, gamma=80)(t, torch.tensor(y)).backward()

    def keras_loss(e):
        unit = e / jnp.linalg.norm(e, axis=1, keepdims=True)
        return keras.losses.circle(jnp.asarray(y), unit, remove_diagonal=True).mean()

    peer = np.asarray(jax.grad(keras_loss)(jnp.asarray(x)))[0]
    ours = np.asarray(jax.grad(lambda e: al.circle_loss(e, jnp.asarray(y)))(jnp.asarray(x)))[0]
    pinned = np.array([-0.20504375, -0.09886908, 0.01986049])
    return Result(peer, ours, t.grad.numpy()[0], pinned, rtol=1e-6)


# ------------------------------------------------------------------------------------------
# lightly


def dcl_batch_of_one() -> Result:
    torch = pytest.importorskip("torch")
    dcl = _lightly("dcl_loss")
    z1, z2 = torch.randn(2, 1, 4, dtype=torch.float64, generator=torch.manual_seed(0))
    peer = dcl.DCLLoss()(z1, z2).item()
    # no negative: the loss is undefined; a finite value or an error is right, -inf is not
    peer_ok = "finite" if math.isfinite(peer) else peer
    return Result(peer_ok, _raises(lambda: al.dcl_loss(z1, z2)), "ValueError", -math.inf)


def koleo_single_row() -> Result:
    torch = pytest.importorskip("torch")
    koleo = _lightly("koleo_loss")
    x = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
    peer = koleo.KoLeoLoss()(x).item()
    # a row has no nearest neighbour but itself: lightly gives -log(eps·sqrt(D) + eps)
    return Result(peer, _raises(lambda: al.koleo_loss(x)), "ValueError", 17.53930715693282)


# ------------------------------------------------------------------------------------------
# rax, PyLate, sentence-transformers


def rax_nan_padding_gradient() -> Result:
    _need("jax", "rax")
    import jax
    import jax.numpy as jnp
    import rax

    s = jnp.array([[0.5, 0.0, jnp.nan]])
    y, w = jnp.array([[1.0, 0.0, 0.0]]), jnp.array([[True, True, False]])
    peer = jax.grad(lambda s: rax.pairwise_logistic_loss(s, y, where=w))(s)
    ours = jax.grad(lambda s: al.pairwise_logistic_loss(s, y, where=w))(s)
    unpadded = jax.grad(lambda s: rax.pairwise_logistic_loss(s[:, :2], y[:, :2]))(s)
    sig = 1 / (1 + math.exp(0.5))  # σ(-0.5), by definition
    assert np.allclose(unpadded, [[-sig, sig, 0.0]], rtol=1e-12)
    return Result(np.asarray(peer), np.asarray(ours), np.asarray(unpadded), np.full((1, 3), np.nan))


def rax_neg_inf_padding_gradient() -> Result:
    _need("jax", "rax")
    import jax
    import jax.numpy as jnp
    import rax

    s = jnp.array([[0.5, 0.0, -jnp.inf]])
    y, w = jnp.array([[1.0, 0.0, 0.0]]), jnp.array([[True, True, False]])
    peer = jax.grad(lambda s: rax.pairwise_logistic_loss(s, y, where=w))(s)
    ours = jax.grad(lambda s: al.pairwise_logistic_loss(s, y, where=w))(s)
    sig = 1 / (1 + math.exp(0.5))
    return Result(
        np.asarray(peer),
        np.asarray(ours),
        np.array([[-sig, sig, 0.0]]),
        np.array([[-sig, sig, np.nan]]),
    )


def pylate_mask_by_multiplication() -> Result:
    _need("torch", "pylate.scores", "sentence_transformers")
    import torch
    from pylate.scores import colbert_scores
    from sentence_transformers import util

    q = torch.tensor([[[1.0, 0.0]]], dtype=torch.float64)
    d = torch.tensor([[[-1.0, 0.0], [5.0, 5.0]]], dtype=torch.float64)
    dm = torch.tensor([[True, False]])
    peer = colbert_scores(q, d, documents_mask=dm.double()).item()
    ours = al.pairwise_maxsim(q, d, document_mask=dm).item()
    return Result(peer, ours, util.maxsim(q, d, b_mask=dm).item(), 0.0)


def _st_list(loss_name: str, ours_fn: Callable[..., Any], pinned: float) -> Result:
    _need("torch", "sentence_transformers")
    import torch
    from sentence_transformers.cross_encoder import losses

    s = torch.tensor([[10000.0002, 10000.0004, 10000.0]], dtype=torch.float64)
    y = torch.tensor([[2.0, 1.0, 0.0]], dtype=torch.float64)
    box = {"s": s}

    class Lookup:  # a stand-in cross-encoder: the score of (query 0, doc j) is s[0, j]
        device, num_labels = torch.device("cpu"), 1

        def preprocess(self, pairs, **_):
            return {"p": pairs}

        def __call__(self, tokens):
            return {"scores": torch.stack([box["s"][int(q), int(d)] for q, d in tokens["p"]])}

    options = {"respect_input_order": False} if loss_name == "ListMLELoss" else {}

    def st() -> float:
        loss = getattr(losses, loss_name)(Lookup(), **options)
        return loss([["0"], [["0", "1", "2"]]], list(y)).item()

    peer, ours = st(), ours_fn(s, y).item()
    box["s"] = s - 10000  # the same lists shifted to 0: float32 holds the differences
    return Result(peer, ours, st(), pinned, rtol=1e-6)


def st_list_mle_float32() -> Result:
    return _st_list("ListMLELoss", al.list_mle_loss, 1.7919921875)


def st_lambda_loss_float32() -> Result:
    return _st_list("LambdaLoss", al.lambda_loss, 1.5945473909378052)


CASES: dict[str, Callable[[], Result]] = {
    f.__name__: f
    for f in (
        calibration_phantom_bin,
        calibration_l2_zero_is_int64,
        spearman_float32,
        kendall_float32,
        spearman_constant_input,
        pearson_outlier_float32,
        concordance_n_minus_1,
        concordance_constant_side,
        smape_clamp,
        wmape_clamp,
        binned_ap_below_first_threshold,
        mcc_all_one,
        mcc_constant_target,
        arcface_parallel_gradient,
        multi_similarity_one_pair_each,
        circle_keras_gradient,
        dcl_batch_of_one,
        koleo_single_row,
        rax_nan_padding_gradient,
        rax_neg_inf_padding_gradient,
        pylate_mask_by_multiplication,
        st_list_mle_float32,
        st_lambda_loss_float32,
    )
}


@functools.cache
def _run(name: str) -> Result:
    return CASES[name]()


def _same(a: Any, b: Any, rtol: float) -> bool:
    if isinstance(a, str | bool) or isinstance(b, str | bool):
        return a == b
    return bool(
        np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=0, equal_nan=True)
    )


@pytest.mark.parametrize("name", list(CASES))
def test_peer_still_differs(name: str) -> None:
    r = _run(name)
    assert _same(r.ours, r.independent, r.rtol), f"ours {r.ours!r} != independent {r.independent!r}"
    assert _same(r.peer, r.pinned, r.rtol), (
        f"the peer now gives {r.peer!r} (pinned {r.pinned!r}): update README.md's row"
    )


@pytest.mark.xfail(
    reason="the peer's defect (README.md, 'Where peers disagree')",
    raises=AssertionError,
    strict=True,
)
@pytest.mark.parametrize("name", list(CASES))
def test_peer_is_right(name: str) -> None:
    r = _run(name)
    assert _same(r.peer, r.independent, r.rtol)
