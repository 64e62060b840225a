"""The table of every known disagreement between a peer library and arraylosses.

Each :class:`Row` is a **convention** (a documented difference in a default or an argument's
meaning: what each does, which we follow and why), a **peer defect** (a repro of five lines or
fewer, the value we expect derived independently: a float64 computation by definition or a
second peer that agrees, the peer's issue where one exists, and a function of :mod:`.repros`
that ``tests/test_peer_disagreements.py`` runs, a strict xfail that fails when the peer fixes
it) or **ours** (our own defect: open, its repro a strict xfail, or ``fixed``, the date and how,
its repro then a plain regression test). ``match`` says which findings of the sweep
(:mod:`.sweep`) the row explains: a finding no row matches is *unclassified*, and
``python -m conformance.audit`` exits non-zero. This module replaces README's hand-kept table
(issue #36); the docs page and ``conformance/reports/peer-audit.md`` are generated from it.
"""

# ruff: noqa: E501  (a data module: the evidence strings are long)
from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass, field

KINDS = ("convention", "peer defect", "ours")


@dataclass(frozen=True)
class Match:
    """The sweep findings a row explains: the peer column, our function and the hostile kind
    (``fnmatch`` patterns), and optionally a substring of the peer's call or of the finding."""

    column: str
    function: str = "*"
    kinds: tuple[str, ...] = ("*",)
    peer: str = ""
    detail: str = ""

    def matches(self, finding: dict[str, str]) -> bool:
        return (
            fnmatch.fnmatchcase(finding["column"], self.column)
            and fnmatch.fnmatchcase(finding["function"], self.function)
            and any(fnmatch.fnmatchcase(finding["kind"], k) for k in self.kinds)
            and self.peer in finding["peer"]
            and self.detail in finding["detail"]
        )


@dataclass(frozen=True)
class Row:
    id: str
    kind: str  # one of KINDS
    peer: str  # the peer distribution(s), comma-separated (the report adds their versions)
    function: str  # ours
    topic: str
    evidence: str  # what the peer does (and, for a convention, what we follow and why)
    follow: str = ""  # what we do
    repro: str = ""  # a peer defect's repro, five lines at most
    expected: str = ""  # the value we expect and how it is derived independently
    issue: str = ""  # the peer's issue or PR
    test: str = ""  # the function of conformance.audit.repros that runs it
    ours_open: str = ""  # a peer defect whose repro also shows an open defect of ours (its row)
    fixed: str = (
        ""  # a row of ours that is fixed: "date: how" (its repro is then a regression test)
    )
    match: tuple[Match, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind {self.kind!r} not in {KINDS}")
        if self.kind == "peer defect" and not (self.repro and self.expected):
            raise ValueError(f"{self.id}: a peer defect needs a repro and an expected value")
        if len(self.repro.splitlines()) > 5:
            raise ValueError(f"{self.id}: the repro has more than five lines")
        if self.fixed and not (self.kind == "ours" and self.test):
            raise ValueError(f"{self.id}: only a row of ours with a repro can be fixed")


def _c(n: int, topic: str, peer: str, evidence: str, follow: str, *match: Match) -> Row:
    return Row(f"C{n:02d}", "convention", peer, _function(topic), topic, evidence, follow,
               match=match)  # fmt: skip


def _function(topic: str) -> str:
    names = [p for i, p in enumerate(topic.split("`")) if i % 2]
    return ", ".join(names) or "(several)"


CONVENTIONS: tuple[Row, ...] = (
    _c(
        1,
        "elementwise loss reduction",
        "torch, keras, optax",
        "torch averages all elements; Keras averages the last axis first; optax returns per-element values",
        "torch (every element counts once)",
    ),
    _c(
        2,
        "`huber_loss` vs `optax.l2_loss`",
        "optax",
        "optax's `l2_loss` is `½(p-t)²`, `squared_error` is `(p-t)²`",
        "`mse_loss` = `squared_error`",
    ),
    _c(
        3,
        "`gaussian_nll_loss` clamp",
        "torch",
        "torch clamps `var` at `eps` in place under `no_grad`: the value is clamped, the gradient passes straight through",
        "torch, exactly (straight-through via `stop_gradient`)",
    ),
    _c(
        4,
        "`cosine_distance_loss` clamp",
        "optax, torch",
        "optax clamps the squared norm at `epsilon=0`; torch clamps each norm at `1e-8`",
        "torch's `max(‖x‖, 1e-8)` per norm (identical away from zero vectors)",
    ),
    _c(
        5,
        "`r2_score` with < 2 samples",
        "scikit-learn",
        "scikit-learn warns and returns NaN",
        "we raise `ValueError`",
    ),
    _c(
        6,
        "`mean_cosine_similarity`",
        "torchmetrics",
        "torchmetrics' `CosineSimilarity` sums by default and computes in float32",
        "mean, in the input's precision",
    ),
    _c(
        7,
        "`cross_entropy`, every row ignored",
        "torch",
        "torch returns NaN (0/0)",
        "0, with a zero gradient",
    ),
    _c(
        8,
        "`cross_entropy` with `class_weight`",
        "torch, keras",
        "torch: index targets divide the mean by `Σ w_{y_i}`, probability targets by `N`; Keras divides by the count",
        "torch, exactly, label smoothing included (smoothing mass is class-weighted, as torch)",
    ),
    _c(
        9,
        "label smoothing",
        "keras",
        "torch, Keras categorical, optax: `(1-ε)y + ε/C`; Keras binary: `y(1-ε) + ε/2`",
        "`(1-ε)y + ε/C`",
    ),
    _c(
        10,
        "`binary_cross_entropy_with_logits`, confident correct logits",
        "torch, optax, keras",
        "torch computes `(1 - t)·z - log σ(z)`: at `t = 0`, `z = -20` it reads 0 in float32 where the loss is `log1p(e^-20)` = 2.06e-9; optax and Keras (two `log_sigmoid`) are exact at `t = 0` and `t = 1`, their autodiff gradients `(1 - t)·σ(z) - t·σ(-z)` too; torch's gradient is `σ(z) - t`, which reads 0 at `t = 1`, `z = 20` (true: -2.06e-9)",
        "the value `max(z, 0) - t·z + log1p(exp(-abs(z)))`: exact at both with one `log1p` (until 2026-12-06 ours was `softplus(z) - t·z`, which read 0 at `t = 1`); torch's gradient `σ(z) - t` (absolute error ≤ 1 ulp of 1; an exact one needs a second sigmoid pass in the backward)",
    ),
    _c(
        11,
        "`binary_cross_entropy` saturation",
        "torch, keras, scikit-learn",
        "torch clamps each log at -100 (loss ≤ 100); Keras clips `p` to `[1e-7, 1-1e-7]` (≤ 16.1); sklearn's `log_loss` clips at `finfo(dtype).eps`",
        "Keras' clip (`eps=1e-7`) for the loss, with `1 - p` clipped directly (in float32 Keras' `1 - (1 - 1e-7)` rounds: 15.94 for p = 1, t = 0, against 16.12 in float64); sklearn's for `metrics.log_loss`",
    ),
    _c(
        12,
        "`nll_loss` with NaN off the label",
        "torch",
        "torch reads only the label's log-probability: a NaN elsewhere in the row gives a finite loss",
        "NaN for that row (NaN in, NaN out); ignored rows stay excluded",
    ),
    _c(
        13,
        "`roc_auc` with one class present",
        "scikit-learn",
        "scikit-learn 1.9 warns and returns NaN",
        "NaN, without a warning, eager and under `jax.jit`",
    ),
    _c(
        14,
        "`margin_ranking_loss` labels",
        "torch",
        "torch multiplies by the label as given (0 gives `max(0, margin)`)",
        "0/False means -1, as `hinge_loss`; other values than ±1/0 raise (eager)",
    ),
    _c(
        15,
        "focal loss α",
        "torchvision, optax, keras",
        "torchvision: `alpha=0.25` (α<0 disables); optax: `alpha=None`; Keras binary focal ignores α unless balancing is on",
        "`sigmoid_focal_loss(alpha=0.25)`, `alpha=None` disables",
    ),
    _c(
        16,
        "PolyLoss ε",
        "optax",
        "optax `poly_loss_cross_entropy`: 2.0; rax and the paper: 1.0",
        "1.0",
    ),
    _c(
        17,
        "KL divergence",
        "torch",
        'torch `kl_div(reduction="mean")` averages elements (not a KL); `"batchmean"` is the KL',
        "per-row KL, mean over rows (= `batchmean`)",
    ),
    _c(
        18,
        "hinge",
        "keras",
        "Keras averages over the last axis, maps 0/1 labels to -1/1 by inspecting values",
        "every element counts once; 0 is read as -1 elementwise",
    ),
    _c(
        19,
        "Keras precision",
        "keras",
        "Keras 3's `ops.mean` computes float64 input in float32 (seen in `hinge`)",
        "full float64; the peer check allows float32 rounding and says so",
    ),
    _c(
        20,
        "retrieval metrics",
        "torchmetrics, scikit-learn, rax",
        "torchmetrics' MRR/recall/precision/MAP count relevant items scored `<= 0` as irrelevant (its PR #3160); its and sklearn's nDCG average tied scores; rax breaks ties by order",
        "every relevant item counts whatever its score; ties broken by candidate index (stable descending sort)",
    ),
    _c(
        21,
        "`top_k_accuracy` ties",
        "scikit-learn",
        "sklearn sorts stably then reverses: among equal scores the higher class ranks first",
        "the same rule, without a sort",
    ),
    _c(
        22,
        "contrastive (margin) loss",
        "sentence-transformers, pytorch-metric-learning",
        "sentence-transformers: `½[y d² + (1-y) relu(m-d)²]`, cosine distance, margin 0.5, its Euclidean distance adds `1e-6` to the difference; pytorch-metric-learning: unsquared terms with two margins",
        'Hadsell et al. as sentence-transformers, `distance="euclidean"` (exact norm) by default, `margin=1.0`',
    ),
    _c(
        23,
        "triplet margin",
        "torch, optax, sentence-transformers, pytorch-metric-learning",
        "torch adds `eps` to the difference, optax inside the norm (and omits `abs`, so a fractional norm degree gives NaN); sentence-transformers: exact norm, margin 5; pytorch-metric-learning: normalised embeddings, margin 0.05",
        "torch, exactly",
    ),
    _c(
        24,
        "online contrastive thresholds",
        "sentence-transformers",
        "sentence-transformers 6.2 falls back to the mean distance when a batch has no positive (negative)",
        "the same",
    ),
    _c(
        25,
        "NT-Xent temperature",
        "lightly, pytorch-metric-learning, optax",
        "lightly 0.5 (SimCLR's CIFAR-10 recipe; its ImageNet default is 0.1); pytorch-metric-learning and optax 0.07",
        "0.5",
    ),
    _c(
        26,
        "SupCon temperature",
        "pytorch-metric-learning",
        "the authors' PyTorch `SupConLoss` 0.07 (`base_temperature` 0.07); the paper's runs 0.1, their TensorFlow code scaling the loss by τ (`base_temperature` 1); pytorch-metric-learning 0.1",
        "0.07 / 0.07 (the PyTorch code's); the paper's settings in the docstring",
    ),
    _c(
        27,
        "SupCon",
        "pytorch-metric-learning",
        "pytorch-metric-learning has no base temperature; the paper's code divides by zero for anchors without positives",
        "`base_temperature` kept; such anchors are left out of the mean",
    ),
    _c(
        28,
        "`pairwise_euclidean_distance`",
        "torch, scikit-learn",
        "torch `cdist` subtracts coordinates for small inputs, expands for large ones; scikit-learn expands",
        "one matmul expansion, clamped at 0, zero gradient at `d = 0`",
    ),
    _c(
        29,
        "ListNet target",
        "sentence-transformers, rax",
        "sentence-transformers' cross-encoder `ListNetLoss` and the paper: `softmax(relevance)`; rax `softmax_loss`: the labels as they are (`label_fn` identity)",
        "`softmax(relevance)`; rax is checked with `softmax(relevance)` passed as its labels",
    ),
    _c(
        30,
        "logQ correction",
        "tensorflow, keras-rs",
        "TensorFlow `sampled_softmax_loss(subtract_log_q=True)` and Yi et al. 2019 subtract `log Q` from the positive and the negatives; KerasRS adds `1e-6` inside the log",
        "`log_q` (negatives) and `pos_log_q` (positive) subtracted as given, no epsilon; `num_items` is the uniform-sampling estimate of the full partition sum (positive uncorrected)",
    ),
    _c(
        31,
        "BPR with K negatives",
        "rax",
        "RecBole and rax average over all pairs",
        "the mean over K per row, then the reduction (= the mean over all pairs)",
    ),
    _c(
        38,
        "`balanced_accuracy` macro recall",
        "torchmetrics",
        "torchmetrics' macro recall counts classes that are only predicted (absent from the target); scikit-learn averages over the classes present in the target. (Its zero-denominator MCC special cases are defects: D12, D13.)",
        "scikit-learn",
    ),
    _c(
        39,
        "`arcface_loss`, `sub_center_arcface_loss` margin",
        "pytorch-metric-learning",
        "PML's margin is in degrees (default 28.6° = 0.49916 rad). (Its NaN gradient on the proxy is a defect: D14.)",
        "radians, the paper's 0.5",
    ),
    _c(
        42,
        "`proxy_anchor_loss` on an empty batch",
        "pytorch-metric-learning",
        "PML returns 0",
        "NaN, the empty-batch rule",
    ),
    _c(
        44,
        "`barlow_twins_loss` across devices",
        "lightly",
        "lightly standardises each device's batch with its own statistics and averages the correlation matrices (its gradient: issue #1977); the official code: SyncBatchNorm",
        "the official code: pass gathered arrays for the global batch's statistics",
    ),
    _c(
        48,
        "`linear_cross_entropy`, every row ignored",
        "torch",
        "torch returns NaN",
        "0, with a zero gradient, as `cross_entropy`",
    ),
    _c(
        49,
        "`average_precision` with no positive",
        "scikit-learn, torchmetrics",
        "sklearn 0.0 with a warning, torchmetrics −0.0; both raise on an empty batch",
        "NaN, as `roc_auc` with one class",
    ),
    _c(
        50,
        "`dcg_at_k` ties",
        "scikit-learn, rax",
        "sklearn averages the gains of tied items; rax breaks ties by index",
        "rax: stable descending sort",
    ),
    _c(
        51,
        "`vicreg_loss` on one sample",
        "pytorch-metric-learning, lightly",
        "PML returns NaN, lightly asserts",
        "`ValueError` naming `z1`",
    ),
)


def _d(n: int, peer: str, function: str, topic: str, evidence: str, follow: str, *,
       repro: str, expected: str, test: str, issue: str = "", ours_open: str = "",
       match: tuple[Match, ...] = ()) -> Row:  # fmt: skip
    return Row(f"D{n:02d}", "peer defect", peer, function, topic, evidence, follow,
               repro=repro.strip("\n"), expected=expected, issue=issue, test=test,
               ours_open=ours_open, match=match)  # fmt: skip


_TM = "import numpy as np, torch, torchmetrics.functional as F, arraylosses.metrics as M\n"

DEFECTS: tuple[Row, ...] = (
    _d(
        1,
        "torchmetrics",
        "metrics.calibration_error",
        "phantom bin at confidence 1.0",
        "A confidence of exactly 1.0 goes into an extra (n+1)-th bin: l1 .525, l2 .708, max 1.0.",
        "one bin per [j/n, (j+1)/n), the last closed: .475 for all three norms",
        repro=_TM + "p, y = torch.tensor([0.95, 1.0]), torch.tensor([1, 0])\n"
        "F.classification.binary_calibration_error(p, y, n_bins=10)  # 0.525\n"
        "M.calibration_error(p.numpy(), y.numpy(), n_bins=10)  # 0.475",
        expected="|mean p − mean y| = 0.475 (both confidences in one bin, by definition)",
        issue="torchmetrics#3510 (open)",
        test="calibration_phantom_bin",
        match=(Match("torchmetrics", "metrics.calibration_error", ("confidence-1",)),),
    ),
    _d(
        2,
        "torchmetrics",
        "metrics.calibration_error",
        "int64 zero for an l2 error of 0",
        "An l2 calibration error of zero comes back as an int64 tensor(0).",
        "floating result",
        repro=_TM + "p, y = torch.tensor([0.5, 0.5]), torch.tensor([1, 0])\n"
        "F.classification.binary_calibration_error(p, y, norm='l2').dtype  # torch.int64",
        expected="float64 (the input's floating dtype)",
        test="calibration_l2_zero_is_int64",
    ),
    _d(
        3,
        "torchmetrics",
        "metrics.spearman_corrcoef",
        "float64 computed in float32",
        "spearman_corrcoef returns float32 for float64 input.",
        "the input's dtype",
        repro=_TM
        + "x, y = torch.tensor([1.0, 2, 2, 3, 5], dtype=torch.float64), torch.tensor([1.0, 3, 2, 4, 4], dtype=torch.float64)\n"
        "F.spearman_corrcoef(x, y).dtype  # torch.float32",
        expected="float64; the value equals scipy.stats.spearmanr",
        issue="torchmetrics#3465 (open)",
        test="spearman_float32",
        match=(Match("torchmetrics", "metrics.spearman_corrcoef", ("float64",)),),
    ),
    _d(
        4,
        "torchmetrics",
        "metrics.kendall_tau",
        "float64 computed in float32",
        "kendall_rank_corrcoef returns float32 for float64 input.",
        "the input's dtype",
        repro=_TM
        + "x, y = torch.tensor([1.0, 2, 2, 3, 5], dtype=torch.float64), torch.tensor([1.0, 3, 2, 4, 4], dtype=torch.float64)\n"
        "F.kendall_rank_corrcoef(x, y).dtype  # torch.float32",
        expected="float64; the value equals scipy.stats.kendalltau",
        issue="torchmetrics#3465 (open)",
        test="kendall_float32",
        match=(Match("torchmetrics", "metrics.kendall_tau", ("float64",)),),
    ),
    _d(
        5,
        "torchmetrics",
        "metrics.spearman_corrcoef",
        "constant input gives 0.0",
        "The Spearman correlation of a constant input is undefined; torchmetrics returns 0.0.",
        "NaN, as scipy",
        repro=_TM + "F.spearman_corrcoef(torch.ones(4), torch.tensor([1.0, 2, 4, 3]))  # 0.0",
        expected="NaN: scipy.stats.spearmanr (a second peer) and the definition (0/0)",
        test="spearman_constant_input",
        match=(Match("torchmetrics", "metrics.spearman_corrcoef", ("constant",)),),
    ),
    _d(
        6,
        "torchmetrics",
        "metrics.pearson_corrcoef",
        "near-constant guard fires on float32 data",
        "1.9 rescales by the maximum deviation (fixing #3150's small-scale NaN), but its guard "
        "var/maxdev² < sqrt(eps) still returns NaN for float32 data with one outlier.",
        "the value: scale-invariant two-pass",
        repro=_TM + "rng = np.random.default_rng(3); x = rng.normal(size=20_000); x[0] = 1e4\n"
        "y = x + rng.normal(scale=30.0, size=20_000)\n"
        "F.pearson_corrcoef(torch.tensor(x).float(), torch.tensor(y).float())  # nan",
        expected="np.corrcoef(x, y)[0, 1] in float64: 0.9219",
        issue="after torchmetrics#3150 (closed)",
        test="pearson_outlier_float32",
    ),
    _d(
        7,
        "torchmetrics",
        "metrics.concordance_corrcoef",
        "N − 1 mixed with N",
        "Divides the covariance and variances by N − 1 but not the squared mean difference.",
        "Lin (1989) and Keras 3: 1/N throughout",
        repro=_TM
        + "F.concordance_corrcoef(torch.tensor([1.0, 2, 3]), torch.tensor([2.0, 3, 4]))  # 0.667",
        expected="Lin's CCC by definition in float64: 0.571",
        test="concordance_n_minus_1",
        match=(Match("torchmetrics", "metrics.concordance_corrcoef"),),
    ),
    _d(
        8,
        "torchmetrics",
        "metrics.concordance_corrcoef",
        "one constant side gives NaN",
        "NaN when one side is constant, where Lin's formula is finite (0 covariance).",
        "0",
        repro=_TM + "F.concordance_corrcoef(torch.ones(4), torch.tensor([1.0, 2, 4, 3]))  # nan",
        expected="Lin's CCC by definition: 0.0",
        test="concordance_constant_side",
    ),
    _d(
        9,
        "torchmetrics",
        "metrics.symmetric_mean_absolute_percentage_error",
        "denominator clamped at 1.17e-6",
        "SMAPE clamps the denominator at 1.17e-6: 0.017 where the term is 2.",
        "the definition: 2",
        repro=_TM
        + "F.symmetric_mean_absolute_percentage_error(torch.tensor([1e-8]), torch.tensor([0.0]))  # 0.017",
        expected="2|p − t| / (|p| + |t|) = 2 by definition",
        test="smape_clamp",
    ),
    _d(
        10,
        "torchmetrics",
        "metrics.weighted_mean_absolute_percentage_error",
        "denominator clamped at 1.17e-6",
        "WMAPE clamps Σ|t| at 1.17e-6: 854,700.85 where the value is 1/0.",
        "the definition: inf",
        repro=_TM
        + "F.weighted_mean_absolute_percentage_error(torch.tensor([1.0]), torch.tensor([0.0]))  # 854700.85",
        expected="Σ|p − t| / Σ|t| = inf by definition",
        test="wmape_clamp",
    ),
    _d(
        11,
        "torchmetrics",
        "metrics.average_precision",
        "binned AP below the first threshold",
        "With thresholds=, a positive scored below the first threshold is never predicted.",
        "bin 0 is the last step to recall 1",
        repro=_TM + "s, y = torch.tensor([0.1, 0.3, 0.6, 0.9]), torch.tensor([1, 0, 1, 0])\n"
        "F.classification.binary_average_precision(s, y, thresholds=[0.2, 0.5, 0.8])  # 0.25",
        expected="sklearn's average_precision_score of the bins (a second peer): 0.5",
        test="binned_ap_below_first_threshold",
    ),
    _d(
        12,
        "torchmetrics",
        "metrics.matthews_corrcoef",
        "zero denominator, all one class",
        "A zero MCC denominator is special-cased: 1.0 when every label and prediction is 1.",
        "sklearn: 0",
        repro=_TM + "t = torch.tensor([1, 1, 1])\n"
        "F.classification.multiclass_matthews_corrcoef(t, t, num_classes=2)  # 1.0",
        expected="sklearn.metrics.matthews_corrcoef (a second peer): 0.0",
        test="mcc_all_one",
        match=(Match("torchmetrics", "metrics.matthews_corrcoef", ("single-class", "constant")),),
    ),
    _d(
        13,
        "torchmetrics",
        "metrics.matthews_corrcoef",
        "zero denominator, constant target",
        "A constant target gives 0.408 (a special case), where the denominator is 0.",
        "sklearn: 0",
        repro=_TM + "p, t = torch.tensor([0, 1, 1]), torch.tensor([1, 1, 1])\n"
        "F.classification.multiclass_matthews_corrcoef(p, t, num_classes=2)  # 0.408",
        expected="sklearn.metrics.matthews_corrcoef (a second peer): 0.0",
        test="mcc_constant_target",
    ),
    _d(
        14,
        "pytorch-metric-learning",
        "arcface_loss",
        "NaN gradient on the proxy",
        "PML's acos gives NaN gradients for an embedding lying on its proxy.",
        "finite gradients (the subgradient) everywhere",
        repro="import math, torch; from pytorch_metric_learning.losses import ArcFaceLoss\n"
        "x = torch.tensor([[1.0, 0.0], [0.6, 0.8]], dtype=torch.float64, requires_grad=True)\n"
        "pml = ArcFaceLoss(2, 2, margin=math.degrees(0.5), scale=64.0).double()\n"
        "pml.W.data = torch.eye(2, dtype=torch.float64)\n"
        "pml(x, torch.tensor([0, 1])).backward(); x.grad[0]  # [nan, nan]",
        expected="[0, 64·exp(−64·cos 0.5)/2]: the subgradient, by definition",
        test="arcface_parallel_gradient",
    ),
    _d(
        15,
        "pytorch-metric-learning",
        "multi_similarity_loss",
        "0 with one pair of each kind",
        "GenericPairLoss returns 0 when each mined index list has at most one entry.",
        "the loss by definition",
        repro="import torch; from pytorch_metric_learning import losses, miners\n"
        "x = torch.tensor([[1, 0, 0], [0.5, 0.75**0.5, 0], [0.8, -0.4 / 0.75**0.5, 0.3266]]).double()\n"
        "y = torch.tensor([0, 0, 1]); pairs = miners.MultiSimilarityMiner(epsilon=0.1)(x, y)\n"
        "losses.MultiSimilarityLoss()(x, y, pairs)  # 0.0",
        expected="the MS loss of the mined pairs in float64 by definition: 0.2155",
        test="multi_similarity_one_pair_each",
    ),
    _d(
        16,
        "keras",
        "circle_loss",
        "gradient through the weights α",
        "Keras 3 differentiates through the weights α_p, α_n (values agree); the authors' code "
        "and PML stop it.",
        "the authors' code and PML",
        repro="import jax, jax.numpy as jnp, keras  # KERAS_BACKEND=jax\n"
        "x, y = jax.random.normal(jax.random.key(0), (6, 3)), jnp.array([0, 0, 1, 1, 2, 2])\n"
        "f = lambda e: keras.losses.circle(y, e / jnp.linalg.norm(e, axis=1, keepdims=True), remove_diagonal=True).mean()\n"
        "jax.grad(f)(x)[0]  # differs from pytorch_metric_learning's CircleLoss gradient",
        expected="pytorch-metric-learning's CircleLoss(m=0.4, gamma=80) gradient (a second peer)",
        test="circle_keras_gradient",
        match=(Match("keras", "circle_loss", ("*",), detail="part 1"),),
    ),
    _d(
        17,
        "lightly",
        "dcl_loss",
        "−inf for a batch of one",
        "With one sample there is no negative; lightly returns −inf.",
        "ValueError naming the argument",
        repro="import torch; from arraylosses.testing import peer_module\n"
        "dcl = peer_module('lightly.loss.dcl_loss')\n"
        "dcl.DCLLoss()(torch.randn(1, 4), torch.randn(1, 4))  # -inf",
        expected="undefined (no negative): an error, or a finite value; not −inf",
        test="dcl_batch_of_one",
    ),
    _d(
        18,
        "lightly",
        "koleo_loss",
        "a single row is its own neighbour",
        "For N = 1 lightly returns −log(ε√D + ε) = 17.54.",
        "ValueError naming the argument",
        repro="import torch; from arraylosses.testing import peer_module\n"
        "koleo = peer_module('lightly.loss.koleo_loss')\n"
        "koleo.KoLeoLoss()(torch.tensor([[3.0, 4.0]], dtype=torch.float64))  # 17.539",
        expected="undefined (no neighbour): an error",
        test="koleo_single_row",
    ),
    _d(
        19,
        "rax",
        "pairwise_logistic_loss",
        "NaN padding gives NaN gradients",
        "rax computes every pair before masking: a NaN in a padded position makes the gradient NaN.",
        "padding is inert, values and gradients",
        repro="import jax, jax.numpy as jnp, rax\n"
        "s, y = jnp.array([[0.5, 0.0, jnp.nan]]), jnp.array([[1.0, 0.0, 0.0]])\n"
        "w = jnp.array([[True, True, False]])\n"
        "jax.grad(lambda s: rax.pairwise_logistic_loss(s, y, where=w))(s)  # [[nan, nan, nan]]",
        expected="rax's own gradient on the unpadded list: [[−σ(−.5), σ(−.5), 0]]",
        test="rax_nan_padding_gradient",
    ),
    _d(
        20,
        "rax",
        "pairwise_logistic_loss",
        "−inf padding gives a NaN gradient",
        "Likewise for −inf padding: NaN in the padded position's gradient.",
        "padding is inert",
        repro="import jax, jax.numpy as jnp, rax\n"
        "s, y = jnp.array([[0.5, 0.0, -jnp.inf]]), jnp.array([[1.0, 0.0, 0.0]])\n"
        "w = jnp.array([[True, True, False]])\n"
        "jax.grad(lambda s: rax.pairwise_logistic_loss(s, y, where=w))(s)  # [[-.378, .378, nan]]",
        expected="[[−σ(−.5), σ(−.5), 0]] by definition",
        test="rax_neg_inf_padding_gradient",
        match=(Match("rax", "*", ("neg-inf",)),),
    ),
    _d(
        21,
        "pylate",
        "pairwise_maxsim",
        "masks by multiplying by 0",
        "A padded document token is multiplied by 0, so it wins the max over negative "
        "similarities; an empty document scores 0.",
        "sentence-transformers: masked tokens left out",
        repro="import torch; from pylate.scores import colbert_scores\n"
        "q, d = torch.tensor([[[1.0, 0.0]]]), torch.tensor([[[-1.0, 0.0], [5.0, 5.0]]])\n"
        "colbert_scores(q, d, documents_mask=torch.tensor([[1.0, 0.0]]))  # 0.0",
        expected="sentence_transformers.util.maxsim with the mask (a second peer): −1.0",
        test="pylate_mask_by_multiplication",
    ),
    _d(
        22,
        "sentence-transformers",
        "list_mle_loss",
        "scores cast to float32",
        "The cross-encoder ListMLELoss casts scores to float32: scores near 1e4 lose their differences.",
        "the input's dtype",
        repro="# a stand-in cross-encoder scoring (q0, d_j) as s = [1e4 + 2e-4, 1e4 + 4e-4, 1e4]\n"
        "# (conformance/audit/repros.py _st_list), labels [2, 1, 0]:\n"
        "ListMLELoss(model, respect_input_order=False)(...)  # 1.7920: the float32 value",
        expected="the same loss on the scores shifted by −1e4 (float32 holds the differences)",
        test="st_list_mle_float32",
    ),
    _d(
        23,
        "sentence-transformers",
        "lambda_loss",
        "scores cast to float32",
        "The cross-encoder LambdaLoss casts scores to float32, likewise.",
        "the input's dtype",
        repro="# as D22, with LambdaLoss(model):\n"
        "LambdaLoss(model)(...)  # 1.5945: the float32 value",
        expected="the same loss on the scores shifted by −1e4",
        test="st_lambda_loss_float32",
    ),
    _d(
        24,
        "optax",
        "cross_entropy",
        "−inf masked logit gives a NaN value",
        "softmax_cross_entropy multiplies the zero label by log_softmax(−inf) = −inf: NaN. "
        "optax's answer to #896 is a second function, safe_softmax_cross_entropy (PR #898).",
        "the value over the finite logits; finite gradients",
        repro="import jax.numpy as jnp, optax\n"
        "z, y = jnp.array([[1.0, -jnp.inf, 0.5]]), jnp.array([[1.0, 0.0, 0.0]])\n"
        "optax.losses.softmax_cross_entropy(z, y)  # [nan]",
        expected="log(e + e^0.5) − 1 = 0.4741 by definition",
        issue="optax#896 (PR #898)",
        test="optax_neg_inf_value",
        match=(Match("optax", "cross_entropy", ("neg-inf",)),),
    ),
    _d(
        25,
        "optax",
        "cross_entropy",
        "−inf masked logit gives a NaN JVP",
        "safe_softmax_cross_entropy has the right value and VJP, but its JVP is NaN at −inf.",
        "a finite JVP",
        repro="import jax, jax.numpy as jnp, optax\n"
        "z, y = jnp.array([[1.0, -jnp.inf, 0.5]]), jnp.array([[1.0, 0.0, 0.0]])\n"
        "f = lambda z: optax.losses.safe_softmax_cross_entropy(z, y)\n"
        "jax.jvp(f, (z,), (jnp.ones((1, 3)),))[1]  # [nan]",
        expected="0: softmax is shift-invariant, so the derivative along (1, 1, 1) is 0",
        issue="optax PR #1762 (open)",
        test="optax_neg_inf_jvp",
    ),
    _d(
        26,
        "keras",
        "binary_cross_entropy_with_logits",
        "from logits via sigmoid and clip (NumPy backend)",
        "Keras 3's NumPy backend computes BCE from logits as sigmoid, then clip to [1e-7, 1 − 1e-7]: "
        "capped at 16.12 and wrong for confident logits even in float64. Its JAX and torch "
        "backends use log_sigmoid / torch's fused kernel: fixed there.",
        "max(z, 0) − t·z + log1p(exp(−|z|))",
        repro="import numpy as np; from keras.src.backend.numpy import nn\n"
        "nn.binary_crossentropy(np.ones(2), np.array([20.0, -20.0]), from_logits=True)\n"
        "# [1.19e-07, 16.118]",
        expected="−log σ(z) in float64 by definition: [2.06e-09, 20.0]",
        issue="keras-team/keras-core#196",
        test="keras_numpy_bce_logits_float64",
    ),
    _d(
        27,
        "keras",
        "binary_cross_entropy_with_logits",
        "from logits via sigmoid and clip in float16",
        "In float16 the clip's 1 − 1e-7 rounds to 1: log(0)·0 = NaN for a confident correct logit.",
        "finite, as float64 rounded",
        repro="import numpy as np; from keras.src.backend.numpy import nn\n"
        "z = np.array([20.0, -20.0], np.float16)\n"
        "nn.binary_crossentropy(np.ones(2, np.float16), z, from_logits=True)  # [nan, 15.945]",
        expected="−log σ(z) in float64 rounded to float16: [0, 20]",
        issue="keras-team/keras-core#196",
        test="keras_numpy_bce_logits_float16",
    ),
    _d(
        28,
        "lightly",
        "dcl_loss",
        "float16: normalize's eps rounds to 0",
        "F.normalize's eps=1e-12 is 0 in float16: a zero embedding gives 0/0 and a NaN loss.",
        "the float64 value within float16 rounding",
        repro="import torch; from arraylosses.testing import peer_module\n"
        "a, b = torch.randn(4, 3), torch.randn(4, 3); a[0] = 0\n"
        "peer_module('lightly.loss.dcl_loss').DCLLoss()(a.half(), b.half())  # nan",
        expected="lightly's own DCLLoss on the same inputs in float64 (9.857)",
        issue="lightly#1259 (open)",
        test="lightly_dcl_float16_zero_row",
    ),
    _d(
        29,
        "lightly",
        "koleo_loss",
        "float16: eps 1e-8 rounds to 0",
        "KoLeo's eps=1e-8 is 0 in float16: duplicate rows give log(0) and an infinite loss.",
        "the float64 value within float16 rounding",
        repro="import torch; from arraylosses.testing import peer_module\n"
        "x = torch.randn(4, 3); x[1] = x[0]\n"
        "peer_module('lightly.loss.koleo_loss').KoLeoLoss()(x.half())  # inf",
        expected="lightly's own KoLeoLoss on the same inputs in float64 (8.61)",
        issue="lightly#1259 (open)",
        test="lightly_koleo_float16_duplicate",
    ),
    _d(
        30,
        "torch",
        "binary_cross_entropy_with_logits",
        "NaN at a −inf logit",
        "torch computes (1 − t)·z − log σ(z): at z = −inf, t = 1 that is −inf + inf = NaN.",
        "max(z, 0) − t·z + log1p(exp(−|z|)): +inf",
        repro="import math, torch\n"
        "z, t = torch.tensor([-math.inf]), torch.tensor([1.0])\n"
        "torch.nn.functional.binary_cross_entropy_with_logits(z, t)  # nan",
        expected="+inf: −log σ(−inf), and optax's sigmoid_binary_cross_entropy (a second peer)",
        test="torch_bce_logits_neg_inf",
        match=(Match("torch", "binary_cross_entropy_with_logits", ("neg-inf",)),),
    ),
    _d(
        31,
        "optax",
        "sigmoid_focal_loss",
        "NaN at a −inf logit",
        "sigmoid_focal_loss at z = −inf, t = 0 gives NaN (0·inf in its cross entropy), value and gradient.",
        "0, as the definition",
        repro="import jax.numpy as jnp, optax\n"
        "z, t = jnp.array([0.3, -jnp.inf]), jnp.array([1.0, 0.0])\n"
        "optax.losses.sigmoid_focal_loss(z, t, alpha=0.25, gamma=2)  # [0.0251, nan]",
        expected="−(1 − α)·p^γ·log(1 − p) at p = σ(−inf) = 0: 0 by definition",
        test="optax_focal_neg_inf",
        match=(Match("optax", "sigmoid_focal_loss", ("neg-inf",)),),
    ),
    _d(
        32,
        "keras",
        "metrics.concordance_corrcoef",
        "small scale: epsilon in the denominator",
        "keras.metrics.concordance_correlation adds epsilon (1e-7) to the denominator: for data of "
        "scale 1e-5 (variances 1e-10) the value collapses toward 0 (as torchmetrics#3150's Pearson).",
        "the scale-invariant value",
        repro="import numpy as np, keras  # KERAS_BACKEND=jax\n"
        "rng = np.random.default_rng(0); x = rng.normal(size=8); y = x + rng.normal(size=8) * 0.5\n"
        "keras.metrics.concordance_correlation(y * 1e-5, x * 1e-5)  # 0.00075 (unscaled: 0.7045)",
        expected="Lin's CCC of the unscaled data by definition in float64 (scale-invariant): 0.7045",
        test="keras_concordance_small_scale",
        match=(Match("keras", "metrics.concordance_corrcoef", ("scale-small",)),),
    ),
    _d(
        33,
        "pytorch-metric-learning",
        "supcon_loss",
        "0 when every label is the same",
        "SupConLoss returns 0 for a batch with no negative pair, where SupCon's denominator runs "
        "over every other sample and the loss is well defined (as D15: GenericPairLoss's rule).",
        "the loss by definition",
        repro="import numpy as np, torch; from pytorch_metric_learning.losses import SupConLoss\n"
        "e = torch.tensor(np.random.default_rng(0).normal(size=(4, 3)))\n"
        "SupConLoss(temperature=0.1)(e, torch.zeros(4, dtype=torch.long))  # 0.0",
        expected="SupCon by definition in float64 (NumPy): 4.883 (ours × τ_base/τ)",
        test="pml_supcon_single_class",
        match=(Match("pytorch-metric-learning", "supcon_loss", ("single-class",)),),
    ),
    _d(
        34,
        "pytorch-metric-learning",
        "nt_xent_loss",
        "float16 value off by a third",
        "NTXentLoss on float16 embeddings gives 7.22 where the same rounded inputs give 10.57 in "
        "float64 (ours in float16: 10.57).",
        "the float64 value within float16 rounding",
        repro="import numpy as np, torch; from pytorch_metric_learning.losses import NTXentLoss\n"
        "e = torch.tensor(np.random.default_rng(1).normal(size=(6, 4))).half()\n"
        "y = torch.tensor([0, 0, 1, 1, 2, 2])\n"
        "NTXentLoss(temperature=0.07)(e, y), NTXentLoss(temperature=0.07)(e.double(), y)  # 7.22, 10.57",
        expected="PML's own loss on the same rounded inputs in float64: 10.567",
        test="pml_ntxent_float16",
        match=(Match("pytorch-metric-learning", "nt_xent_loss", ("float16",), detail="part 0"),),
    ),
    _d(
        35,
        "rax",
        "list_mle_loss",
        "wrong gradient at tied scores",
        "listmle_loss's autodiff gradient with tied scores differs from its own finite "
        "differences (the loss is smooth there: the permutation comes from the labels).",
        "the gradient",
        repro="import jax, jax.numpy as jnp, rax\n"
        "s, y = jnp.full((1, 4), 0.5), jnp.array([[3.0, 1.0, 2.0, 0.0]])\n"
        "jax.grad(lambda s: rax.listmle_loss(s, y))(s)  # [[-0.656, 0.208, -0.219, 0.667]]",
        expected="central differences of rax's own loss in float64: [[−0.75, 0.0833, −0.4167, 1.0833]]",
        test="rax_listmle_tied_scores_gradient",
        match=(Match("rax", "list_mle_loss", ("ties", "constant")),),
    ),
    _d(
        36,
        "torch",
        "uniformity_loss",
        "the authors' code underflows to −inf",
        "Wang & Isola's reference code (torch, the record's peer) takes log(mean(exp(−t·d²))): for "
        "rows at scale 1e4 every exp underflows and the value is −inf.",
        "a log-mean-exp (logsumexp), exact at any scale",
        repro="import numpy as np, torch\n"
        "x = torch.tensor(np.random.default_rng(0).normal(size=(4, 3))) * 1e4\n"
        "torch.pdist(x, p=2).pow(2).mul(-0.5).exp().mean().log()  # -inf",
        expected="np.logaddexp.reduce(−t·d²) − log(#pairs) in float64: −1.205e7",
        issue="the paper's code (github.com/SsnL/align_uniform), not a library",
        test="uniformity_reference_underflow",
        match=(Match("torch", "uniformity_loss", ("scale-large",)),),
    ),
)

OURS: tuple[Row, ...] = (
    Row(
        "O01",
        "ours",
        "lightly",
        "dcl_loss",
        "float16: non-finite gradient for a zero row",
        "dcl_loss on float16 torch tensors with a zero embedding row has a finite value (9.859, "
        "float64 gives 9.857) but a non-finite gradient: the rule 'finite gradients wherever "
        "the value is finite' fails in float16 (found checking lightly#1259).",
        "fixed 2026-12-07: the clamp gave a zero row the slope 1/eps (1e8), finite in float32 and inf once cast back to float16; _ops.normalize now masks the numerator of an all-zero row (a where), so a zero row passes no gradient, in every function that normalises (and rowwise_cosine's dot)",
        repro="a, b = torch.randn(4, 3), torch.randn(4, 3); a[0] = 0\n"
        "a = a.half().requires_grad_(); al.dcl_loss(a, b.half()).backward()\n"
        "a.grad.isfinite().all()  # False",
        expected="finite gradients (the policy: wherever the value is finite)",
        test="dcl_float16_zero_row_gradient",
        fixed="2026-12-07: _ops.normalize masks an all-zero row's numerator (tests/test_self_supervised.py, tests/test_wave3_contrastive.py: float16 and bfloat16 zero rows on torch and JAX)",
    ),
    Row(
        "O02",
        "ours",
        "lightly",
        "koleo_loss",
        "float16: non-finite gradient for a zero row",
        "koleo_loss on float16 torch tensors with a zero row: finite value (−0.0903, as float64) "
        "but a non-finite gradient (found checking lightly#1259).",
        "fixed 2026-12-07: as O01 (koleo_loss normalises through _ops.normalize)",
        repro="x = torch.randn(4, 3); x[0] = 0; x = x.half().requires_grad_()\n"
        "al.koleo_loss(x).backward(); x.grad.isfinite().all()  # False",
        expected="finite gradients (the policy: wherever the value is finite)",
        test="koleo_float16_zero_row_gradient",
        fixed="2026-12-07: as O01",
    ),
    Row(
        "O03",
        "ours",
        "optax",
        "sigmoid_focal_loss",
        "NaN value at a −inf logit",
        "sigmoid_focal_loss(z=−inf, t=0) returns NaN (with reduction='none'), where the loss is 0 "
        "by definition; the gradient there is 0. Found beside optax's own NaN (D31).",
        "fixed 2026-12-07: the shared sigmoid cross entropy (generic and torch's SigmoidCrossEntropy) reads z = ±inf as |z| times the linear term's coefficient: 0 at the label the logit predicts (z = −inf, t = 0; z = +inf, t = 1) with a zero gradient, else +inf (binary_cross_entropy_with_logits gave NaN there too)",
        repro="z, t = jnp.array([0.3, -jnp.inf]), jnp.array([1.0, 0.0])\n"
        "al.sigmoid_focal_loss(z, t, alpha=0.25, gamma=2, reduction='none')  # [0.0251, nan]",
        expected="0 by definition",
        test="optax_focal_neg_inf",
        fixed="2026-12-07: a double where at infinite logits in _backend.generic_sigmoid_cross_entropy; torch's SigmoidCrossEntropy forward as c·|z| + log1p(e^-|z|), c = 1 - t (z >= 0) or t, 0 where c is 0 (tests/test_classification.py)",
    ),
)


# the conventions the sweep meets that README's table did not list (C52 on); the broad ones
# (every function of a peer, or every peer) are tried after the specific rows (classify)
SWEEP_CONVENTIONS: tuple[Row, ...] = (
    _c(
        52,
        "empty batch",
        "scikit-learn, scipy, torchmetrics, pytorch-metric-learning, rax, sentence-transformers, optax, lightly, keras, torch",
        "On an empty batch the peers return 0 (pytorch-metric-learning, rax, torchmetrics' MCC, WMAPE and ROC, sentence-transformers' BatchAllTripletLoss), raise (scikit-learn and scipy's input validation, optax ntxent, lightly DCL, torchmetrics' AP and Pearson, sentence-transformers' batch-hard losses, ListMLE, LambdaLoss), or keep a per-sample shape (Keras' Circle).",
        "the empty-batch rule (README, Hostile input): NaN for a mean over nothing, 0 for a sum, an empty array for reduction='none', and the documented ValueError where batch statistics need N ≥ 2 (r2_score, barlow_twins_loss, vicreg_loss, uniformity_loss)",
        Match("*", "*", ("empty",)),
    ),
    _c(
        53,
        "NaN input",
        "scikit-learn, torchmetrics, pytrec-eval-terrier, pytorch-metric-learning, sentence-transformers, pylate, rax",
        "scikit-learn raises 'Input contains NaN' (or takes an argmax that skips the NaN); torchmetrics' and trec_eval's ranking metrics, pytorch-metric-learning's miners and reducers, sentence-transformers' batch-hard selection, online contrastive and list losses, PyLate's max sort or compare the NaN away and return a finite value. Where both values are NaN, which gradient entries are NaN differs (rax, CoSENT and AnglE spread the NaN to padded entries; the gradient of a NaN loss is not defined).",
        "NaN in, NaN out (README, Hostile input): the value is NaN, never a finite number",
        Match("*", "*", ("nan",)),
    ),
    _c(
        54,
        "infinite input",
        "scikit-learn",
        "scikit-learn's input validation raises on ±inf (a −inf score of a masked candidate).",
        "an infinite score ranks last (or first), as any other score",
        Match("scikit-learn", "*", ("neg-inf",)),
        Match("sklearn", "*", ("neg-inf",)),
    ),
    _c(
        55,
        "float16 and bfloat16 arithmetic",
        "torch, pytorch-metric-learning, sentence-transformers, optax, lightly",
        "The peers compute in the low dtype end to end (half kernels, bfloat16 matmul accumulations); logits divided by a temperature amplify the rounding, so a few gradient entries differ from the float64 value by more than the tolerance table allows.",
        "float16 and bfloat16 inputs computed in float32 and rounded once on the way out (docs/design.md, Tests): a rounding choice, not a defect. pairwise_dot is a bfloat16 matmul in its gradient on both sides: ours gives the same −0.0255 as torch where float64 gives −0.0151 (terms that cancel), beyond the table's bfloat16 atol of 0.01. Where a peer's low-precision value is wrong beyond rounding it is a defect row (D28, D29, D34)",
        Match("*", "*", ("float16", "bfloat16"), detail="the peer in"),
        Match("torch", "pairwise_dot", ("bfloat16",)),
    ),
    _c(
        56,
        "float32 results for float64 input",
        "torchmetrics, sentence-transformers",
        "torchmetrics' Retrieval* modules and sentence-transformers' util.maxsim / maxsim_pairwise return float32 for float64 input (values agree to float32 rounding).",
        "the input's dtype (float64 stays float64); where the float32 computation loses the value it is a defect row (D03, D04, D22, D23)",
        Match("torchmetrics", "metrics.*", ("float64",)),
        Match("sentence-transformers", "*maxsim*", ("float64",)),
    ),
    _c(
        57,
        "scores outside [0, 1] read as logits",
        "torchmetrics",
        "torchmetrics' binary classification metrics apply a sigmoid (in float32) to scores outside [0, 1]: scores of ±1e4 saturate to 0 and 1 and tie.",
        "scores are ranked as given (any real scores; no sigmoid)",
        Match("torchmetrics", "*", ("scale-large", "scale-small")),
    ),
    _c(
        58,
        "ties in trec_eval",
        "pytrec-eval-terrier",
        "trec_eval breaks tied scores by document id (descending), so with constant or tied scores its ranking differs from ours.",
        "ties broken by candidate index (stable descending sort), as C20",
        Match("pytrec-eval", "metrics.*", ("constant", "ties")),
    ),
    _c(
        59,
        "metrics undefined with one class",
        "scikit-learn, torchmetrics",
        "With one class present: scikit-learn's precision_recall_curve sets recall to 1 (documented), balanced_accuracy_score(adjusted=True) returns −inf, log_loss raises unless labels= is given; torchmetrics' ROC curve returns 0.",
        "NaN for an undefined value, eager and under jax.jit, as roc_auc (C13) and average_precision (C49)",
        Match("sklearn", "*", ("single-class",)),
        Match("torchmetrics", "*", ("single-class",)),
    ),
    _c(
        60,
        "log-error metrics below −1",
        "scikit-learn",
        "mean_squared_log_error and its root raise ValueError for values ≤ −1 (scaled by 1e4, the registry's targets reach them). We refuse them too: the check calls scikit-learn first and stops at its error, so the sweep records it; not a difference in what is accepted.",
        "a ValueError naming the argument, eagerly (values ≤ −1: log1p is undefined)",
        Match("sklearn", "metrics.*squared_log_error", ("scale-large",)),
    ),
    _c(
        61,
        "epsilon in a norm at small scale",
        "torch",
        "cosine_embedding_loss adds EPSILON = 1e-12 to each squared norm: at scale 1e-5 (squared norms ~1e-10) the cosine moves by ~5e-4.",
        "each norm clamped at 1e-8 (as torch's cosine_similarity, C04): exact above it",
        Match("torch", "cosine_embedding_loss", ("scale-small",)),
    ),
    _c(
        62,
        "float64 rounding at extreme scale",
        "sentence-transformers",
        "At scale 1e-5 the scores' float64 rounding reaches a relative 2e-12, above the check's 1e-12: the same formula, summed in another order.",
        "the check's tolerance (nothing differs in the definition)",
        Match("sentence-transformers", "multiple_negatives_ranking_loss", ("scale-small",)),
    ),
)

#: matches for rows above whose text came from README's table, and more for defect rows
_MATCHES: dict[str, tuple[Match, ...]] = {
    "C05": (Match("sklearn", "metrics.r2_score", ("empty",)),),
    "C06": (Match("torchmetrics", "metrics.mean_cosine_similarity", ("float64",)),),
    "C10": (Match("torch", "binary_cross_entropy_with_logits", ("scale-large", "scale-small")),),
    "C11": (Match("torch", "binary_cross_entropy", ("confidence-1",)),),
    "C20": (
        Match("torchmetrics", "metrics.*", ("constant", "ties")),
        Match("sklearn", "metrics.ndcg_at_k", ("constant", "ties")),
    ),
    "C22": (Match("sentence-transformers", "contrastive_loss", ("ties",)),),
    "C49": (
        Match("sklearn", "metrics.average_precision", ("single-class",)),
        Match("torchmetrics", "metrics.average_precision", ("single-class",)),
    ),
    "C50": (Match("sklearn", "metrics.dcg_at_k", ("constant", "ties")),),
    "D22": (
        Match("sentence-transformers", "list_mle_loss", ("float64", "scale-large", "scale-small")),
    ),
    "D23": (
        Match("sentence-transformers", "lambda_loss", ("float64", "scale-large", "scale-small")),
    ),
}


def _with_matches(rows: tuple[Row, ...]) -> tuple[Row, ...]:
    return tuple(
        dataclasses.replace(r, match=r.match + _MATCHES[r.id]) if r.id in _MATCHES else r
        for r in rows
    )


ROWS: tuple[Row, ...] = _with_matches(CONVENTIONS + SWEEP_CONVENTIONS + DEFECTS + OURS)

#: The peer reports issue #36 lists: each reproduced (its rows) or shown fixed in the installed
#: version. ``(issue, verdict, row ids)``.
ISSUES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "optax#896",
        "reproduced in optax 0.2.8: softmax_cross_entropy with a −inf logit and a 0 "
        "label gives a NaN value (its VJP is finite); the fix was a second function, "
        "safe_softmax_cross_entropy (PR #898), which gives the right value",
        ("D24",),
    ),
    (
        "optax PR #1762",
        "reproduced in optax 0.2.8: safe_softmax_cross_entropy's JVP is NaN at a "
        "−inf logit (the PR is open)",
        ("D25",),
    ),
    (
        "torchmetrics#3510",
        "reproduced in torchmetrics 1.9.0 (confidence 1.0 in a phantom bin)",
        ("D01",),
    ),
    (
        "torchmetrics#3465",
        "reproduced in torchmetrics 1.9.0 (Spearman and Kendall return float32 for float64)",
        ("D03", "D04"),
    ),
    (
        "torchmetrics#3150",
        "fixed in torchmetrics 1.9.0 for small scale (rescaling by the maximum "
        "deviation); its near-constant guard still gives NaN for float32 data with an outlier",
        ("D06",),
    ),
    (
        "keras-core#196",
        "fixed in Keras 3.15.1 on the JAX and torch backends (log_sigmoid; "
        "torch's fused kernel: the audit's Keras checks agree); reproduced on Keras 3.15.1's NumPy "
        "backend, which still computes sigmoid then clip: wrong in float64, NaN in float16",
        ("D26", "D27"),
    ),
    (
        "torchmetrics#2449",
        "fixed in torchmetrics 1.9.0: nDCG honours top_k (our ndcg_at_k checks "
        "at k = 1, 3, 8 agree)",
        (),
    ),
    (
        "torchmetrics PR #3160",
        "a convention, in torchmetrics 1.9.0: MRR, recall, precision and "
        "MAP count a relevant item scored <= 0 as irrelevant (its nDCG does not); we count every "
        "relevant item",
        ("C20",),
    ),
    (
        "lightly#1259",
        "reproduced in lightly 1.6.0: DCL's normalize eps (1e-12) and KoLeo's eps "
        "(1e-8) are 0 in float16: NaN and inf; checking it found our own float16 gradients of "
        "dcl_loss and koleo_loss non-finite for a zero row (O01, O02; fixed 2026-12-07)",
        ("D28", "D29", "O01", "O02"),
    ),
)
