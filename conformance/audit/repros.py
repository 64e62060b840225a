"""The peer defects' repros, each a function returning a :class:`Result`: the peer's value,
ours, a value derived independently (a float64 computation by definition, or a second peer that
agrees) and the peer's current (wrong) value, pinned. The rows of :mod:`.known` name them;
``tests/test_peer_disagreements.py`` runs them: ours must match the independent value and the
peer its pinned one, and a strict xfail asserts the peer right, so the suite fails when a peer
fixes its bug (then update the row). Moved here from that test file (issue #36)."""

from __future__ import annotations

import importlib
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import arraylosses as al
from arraylosses import metrics as M


class PeerMissing(Exception):
    """A peer the repro needs does not import (the test skips, or fails under
    ``ARRAYLOSSES_REQUIRE_PEERS=1``)."""


# Keras reads its backend once, at its first import: JAX here, as conformance/peers does
os.environ.setdefault("KERAS_BACKEND", "jax")


def _need(*names: str) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise PeerMissing(f"peer {name} not importable: {exc!r}") from exc


def _lightly(name: str) -> Any:
    _need("torch")
    from arraylosses.testing import peer_module

    try:
        return peer_module(f"lightly.loss.{name}")
    except Exception as exc:
        raise PeerMissing(f"peer lightly.loss.{name} not loadable: {exc!r}") from exc


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
        raise PeerMissing(
            f"Keras was imported on {keras.backend.backend()}: its gradient needs JAX"
        )
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
    _need("torch")
    import torch

    dcl = _lightly("dcl_loss")
    z1, z2 = torch.randn(2, 1, 4, dtype=torch.float64, generator=torch.manual_seed(0))
    peer = dcl.DCLLoss()(z1, z2).item()
    # no negative: the loss is undefined; a finite value or an error is right, -inf is not
    peer_ok = "finite" if math.isfinite(peer) else peer
    return Result(peer_ok, _raises(lambda: al.dcl_loss(z1, z2)), "ValueError", -math.inf)


def koleo_single_row() -> Result:
    _need("torch")
    import torch

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


# ------------------------------------------------------------------------------------------
# the peer reports of issue #36 (optax, Keras, lightly)


def optax_neg_inf_value() -> Result:  # optax#896 (PR #898 added safe_softmax_cross_entropy)
    _need("jax", "optax")
    import jax.numpy as jnp
    import optax

    z, y = jnp.array([[1.0, -jnp.inf, 0.5]]), jnp.array([[1.0, 0.0, 0.0]])
    peer = float(optax.losses.softmax_cross_entropy(z, y)[0])
    ours = float(al.cross_entropy(z, jnp.array([0])))
    return Result(peer, ours, math.log(math.e + math.exp(0.5)) - 1.0, math.nan)


def optax_neg_inf_jvp() -> Result:  # optax PR #1762 (open)
    _need("jax", "optax")
    import jax
    import jax.numpy as jnp
    import optax

    z, y, dz = jnp.array([[1.0, -jnp.inf, 0.5]]), jnp.array([[1.0, 0.0, 0.0]]), jnp.ones((1, 3))
    peer = jax.jvp(lambda z: optax.losses.safe_softmax_cross_entropy(z, y), (z,), (dz,))[1]
    ours = jax.jvp(lambda z: al.cross_entropy(z, jnp.array([0])), (z,), (dz,))[1]
    # softmax is shift-invariant: the derivative along (1, 1, 1) is 0
    return Result(float(peer[0]), float(ours), 0.0, math.nan)


def _keras_numpy_bce(dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    _need("keras")
    import keras.src.backend as active

    # importing Keras' NumPy backend rebinds ``keras.src.backend.numpy``, the active backend's
    # ops module (JAX's here): put it back, or keras.ops breaks for the rest of the process
    saved = active.numpy
    try:
        from keras.src.backend.numpy import nn as keras_numpy
    finally:
        active.numpy = saved

    z, t = np.array([20.0, -20.0], dtype), np.array([1.0, 1.0], dtype)
    return _quiet(lambda: keras_numpy.binary_crossentropy(t, z, from_logits=True)), z


def keras_numpy_bce_logits_float64() -> Result:  # keras-core#196, Keras 3's NumPy backend
    peer, z = _keras_numpy_bce(np.float64)
    ours = np.asarray(al.binary_cross_entropy_with_logits(z, np.ones(2), reduction="none"))
    exact = np.logaddexp(0.0, -z)  # -log σ(z), by definition
    return Result(
        peer, ours, exact, np.array([1.1920930376163597e-07, 16.11809565095832]), rtol=1e-7
    )


def keras_numpy_bce_logits_float16() -> Result:  # keras-core#196 in float16
    peer, z = _keras_numpy_bce(np.float16)
    ours = np.asarray(al.binary_cross_entropy_with_logits(z, np.ones(2, z.dtype), reduction="none"))
    exact = np.logaddexp(0.0, -z.astype(np.float64)).astype(np.float16)
    return Result(peer, ours, exact, np.array([np.nan, 15.945]), rtol=1e-3)


def lightly_dcl_float16_zero_row() -> Result:  # lightly#1259: normalize's eps 1e-12 is 0
    _need("torch")
    import torch

    dcl = _lightly("dcl_loss")
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
    a[0] = 0
    peer = dcl.DCLLoss()(a.half(), b.half()).item()
    ours = al.dcl_loss(a.half(), b.half()).item()
    exact = dcl.DCLLoss()(a.double(), b.double()).item()  # the same inputs in float64
    return Result(peer, ours, exact, math.nan, rtol=2e-3)


def lightly_koleo_float16_duplicate() -> Result:  # lightly#1259: KoLeo's eps 1e-8 is 0
    _need("torch")
    import torch

    koleo = _lightly("koleo_loss")
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    x[1] = x[0]
    peer = koleo.KoLeoLoss()(x.half()).item()
    ours = al.koleo_loss(x.half()).item()
    exact = koleo.KoLeoLoss()(x.double()).item()  # float64: eps 1e-8 is kept
    return Result(peer, ours, exact, math.inf, rtol=2e-3)


# ------------------------------------------------------------------------------------------
# found by the sweep (conformance/audit/sweep.py)


def torch_bce_logits_neg_inf() -> Result:
    _need("torch", "jax", "optax")
    import jax.numpy as jnp
    import optax
    import torch

    z, t = torch.tensor([-math.inf], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)
    peer = torch.nn.functional.binary_cross_entropy_with_logits(z, t).item()
    ours = float(al.binary_cross_entropy_with_logits(z, t))
    second = float(
        optax.losses.sigmoid_binary_cross_entropy(jnp.array([-jnp.inf]), jnp.array([1.0]))[0]
    )
    return Result(peer, ours, second, math.nan)


def optax_focal_neg_inf() -> Result:
    _need("jax", "optax")
    import jax.numpy as jnp
    import optax

    z, t = jnp.array([0.3, -jnp.inf]), jnp.array([1.0, 0.0])
    peer = float(optax.losses.sigmoid_focal_loss(z, t, alpha=0.25, gamma=2)[1])
    ours = float(al.sigmoid_focal_loss(z, t, alpha=0.25, gamma=2, reduction="none")[1])
    # t = 0, p = σ(−inf) = 0: −(1 − α)·p^γ·log(1 − p) = 0 by definition
    return Result(peer, ours, 0.0, math.nan)


def keras_concordance_small_scale() -> Result:
    _need("keras", "jax")
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=8)
    y = x + rng.normal(size=8) * 0.5
    peer = _quiet(lambda: float(keras.metrics.concordance_correlation(y * 1e-5, x * 1e-5)))
    ours = float(M.concordance_corrcoef(x * 1e-5, y * 1e-5))
    # Lin's CCC is scale-invariant: the unscaled inputs' value, by definition in float64
    return Result(peer, ours, _lin(x, y), 0.0007464904338121414, rtol=1e-6)


def pml_supcon_single_class() -> Result:
    _need("torch", "pytorch_metric_learning")
    import torch
    from pytorch_metric_learning.losses import SupConLoss

    e = torch.tensor(np.random.default_rng(0).normal(size=(4, 3)))
    peer = SupConLoss(temperature=0.1)(e, torch.zeros(4, dtype=torch.long)).item()
    ours = al.supcon_loss(e, torch.zeros(4, dtype=torch.long), temperature=0.1).item()
    u = (e / e.norm(dim=1, keepdim=True)).numpy()
    s = u @ u.T / 0.1
    off = ~np.eye(4, dtype=bool)
    log_den = np.log(np.where(off, np.exp(s), 0).sum(1))
    by_definition = float(np.mean([np.mean(log_den[i] - s[i][off[i]]) for i in range(4)]))
    # ours keeps the authors' base temperature (0.07): the loss is scaled by τ/τ_base
    return Result(peer, ours * 0.07 / 0.1, by_definition, 0.0)


def pml_ntxent_float16() -> Result:
    _need("torch", "pytorch_metric_learning")
    import torch
    from pytorch_metric_learning.losses import NTXentLoss

    e = torch.tensor(np.random.default_rng(1).normal(size=(6, 4))).half().double()
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    peer = NTXentLoss(temperature=0.07)(e.half(), y).item()
    exact = NTXentLoss(temperature=0.07)(e, y).item()  # the same (rounded) inputs in float64
    ours_half = al.nt_xent_loss(e[0::2].half(), e[1::2].half(), temperature=0.07).item()
    ours_exact = al.nt_xent_loss(e[0::2], e[1::2], temperature=0.07).item()
    # PML pairs every same-label row; ours the (z1, z2) views: ours is checked against ours
    return Result(peer, ours_half / ours_exact * exact, exact, 7.22265625, rtol=1e-2)


def rax_listmle_tied_scores_gradient() -> Result:
    _need("jax", "rax")
    import jax
    import jax.numpy as jnp
    import rax

    s, y = jnp.full((1, 4), 0.5), jnp.array([[3.0, 1.0, 2.0, 0.0]])
    peer = np.asarray(jax.grad(lambda s: rax.listmle_loss(s, y))(s))
    ours = np.asarray(jax.grad(lambda s: al.list_mle_loss(s, y))(s))
    h, e = 1e-6, np.eye(4)[None]
    fd = [(rax.listmle_loss(s + h * e[:, i], y) - rax.listmle_loss(s - h * e[:, i], y)) / (2 * h)
          for i in range(4)]  # fmt: skip
    return Result(
        peer,
        ours,
        np.array([fd]),
        np.array([[-0.65625, 0.20833333333333334, -0.21875, 0.6666666666666666]]),
        rtol=1e-7,
    )


def uniformity_reference_underflow() -> Result:
    _need("torch")
    import torch

    x = torch.tensor(np.random.default_rng(0).normal(size=(4, 3))) * 1e4
    peer = torch.pdist(x, p=2).pow(2).mul(-0.5).exp().mean().log().item()  # Wang & Isola's code
    ours = al.uniformity_loss(x, t=0.5, normalize=False).item()
    d2 = torch.pdist(x, p=2).pow(2).numpy()
    exact = float(np.logaddexp.reduce(-0.5 * d2) - np.log(d2.size))  # log-mean-exp in float64
    return Result(peer, ours, exact, -math.inf, rtol=1e-9)


# ------------------------------------------------------------------------------------------
# our own open defects (rows of kind "ours"): ``ours`` is what we give, ``independent`` what
# we should; the test is a strict xfail until the fix lands


def _zero_row_gradient_finite(fn: Callable[..., Any], *arrays: Any) -> bool:
    import torch

    x = arrays[0].half().detach().requires_grad_()
    fn(x, *(a.half() for a in arrays[1:])).backward()
    return bool(torch.isfinite(x.grad).all())


def dcl_float16_zero_row_gradient() -> Result:
    _need("torch")
    import torch

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
    a[0] = 0
    return Result(None, _zero_row_gradient_finite(al.dcl_loss, a, b), True, None)


def koleo_float16_zero_row_gradient() -> Result:
    _need("torch")
    import torch

    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    x[0] = 0
    return Result(None, _zero_row_gradient_finite(al.koleo_loss, x), True, None)
