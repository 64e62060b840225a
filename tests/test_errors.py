"""Every bad-input rule of docs/spec.md raises at once, naming the argument, what was expected and
what was found."""

from __future__ import annotations

import numpy as np
import pytest

import arraylosses as al
from arraylosses import metrics
from arraylosses.testing import inputs, to_numpy
from arraylosses.testing.cases import CASES, Case

from .conftest import use_backend

# the lists come from the registry, so a new case inherits the rules of its kind
# losses of (pred, target) of one shape
LOSSES = [c.fn for c in CASES if c.args == ("pred", "target") and not c.name.startswith("metrics.")]
# regression metrics of (pred, target), (N,) or (N, K)
# the one-shot metrics (their streaming forms' errors: tests/test_streaming.py)
REGRESSION_METRICS = [
    c for c in CASES if c.inputs is inputs.metric and not c.name.startswith("metrics.streaming.")
]
METRICS = [c.fn for c in REGRESSION_METRICS]
# the metrics that also weight outputs by their variance
VARIANCE_WEIGHTED = [
    c.fn
    for c in REGRESSION_METRICS
    if any(p.kwargs.get("multioutput") == "variance_weighted" for p in c.params)
]
REDUCED = [c for c in CASES if c.accepts("reduction")]


def test_the_lists_are_not_empty():
    assert len(LOSSES) >= 8 and len(METRICS) >= 6 and 0 < len(VARIANCE_WEIGHTED) < len(METRICS)
    assert len(REDUCED) >= 40


def _a(backend, x, dtype="float64"):
    return backend.asarray(np.asarray(x), dtype)


@pytest.mark.parametrize("fn", LOSSES + METRICS, ids=lambda f: f.__name__)
def test_no_silent_broadcasting(backend, fn):
    with pytest.raises(
        ValueError,
        match=r"target must have the same shape as pred \(4,\); "
        r"got \(4, 1\)",
    ):
        fn(_a(backend, np.ones(4)), _a(backend, np.ones((4, 1))))


@pytest.mark.parametrize("fn", LOSSES + METRICS, ids=lambda f: f.__name__)
def test_integer_predictions_raise(backend, fn):
    with pytest.raises(TypeError, match="pred must be a real floating array; got dtype .*int"):
        fn(backend.asarray(np.ones((4, 2), dtype=np.int64)), _a(backend, np.ones((4, 2))))


@pytest.mark.parametrize("fn", LOSSES, ids=lambda f: f.__name__)
def test_unknown_reduction_lists_the_reductions(backend, fn):
    with pytest.raises(
        ValueError,
        match=r"reduction must be one of 'mean', 'sum', 'none'; "
        r"got 'avg'",
    ):
        fn(_a(backend, np.ones((2, 2))), _a(backend, np.ones((2, 2))), reduction="avg")


@pytest.mark.parametrize("case", REDUCED, ids=lambda c: c.name)
@pytest.mark.parametrize("value", ["avg", "Mean"])
def test_unknown_reduction(case: Case, value: str):
    """Every function with a ``reduction`` rejects an unknown one, on its registry inputs."""
    args, kwargs = case.arguments(
        case.params[0].with_(reduction=value), case.inputs(np.random.default_rng(0))
    )
    with pytest.raises(ValueError, match=rf"reduction must be one of .*; got '{value}'"):
        case.fn(*args, **kwargs)


def _public_with_reduction() -> dict[str, object]:
    """Every public function (top level, metrics, streaming metrics) whose signature has
    ``reduction``."""
    import inspect

    from arraylosses.metrics import streaming

    found = {}
    for prefix, module in (("", al), ("metrics.", metrics), ("metrics.streaming.", streaming)):
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj) or isinstance(obj, type):
                continue
            try:
                parameters = inspect.signature(obj).parameters
            except (TypeError, ValueError):
                continue
            if "reduction" in parameters:
                found[prefix + name] = obj
    return found


def test_every_public_reduction_is_swept():
    """The sweep below runs on the registry: every public function with ``reduction`` is in
    it (``REDUCED``), so none escapes the ``reduction=None`` rule."""
    swept = {c.name for c in REDUCED} | {getattr(c.public or c.fn, "__name__", "") for c in REDUCED}
    missing = [name for name in _public_with_reduction() if name not in swept]
    assert not missing, missing
    assert len(_public_with_reduction()) >= 40


@pytest.mark.parametrize("case", REDUCED, ids=lambda c: c.name)
def test_reduction_none_is_an_error_not_a_mean(case: Case):
    """``reduction=None`` is Keras 3's "no reduction" and an error in torch: never a silent
    ``"mean"``. The error names ``reduction``, the valid values and Keras's meaning."""
    args, kwargs = case.arguments(
        case.params[0].with_(reduction=None), case.inputs(np.random.default_rng(0))
    )
    with pytest.raises(
        ValueError,
        match=r"reduction must be one of 'mean', .*'none'; got None "
        r"\(Keras's reduction=None, no reduction, is reduction='none' here\)",
    ):
        case.fn(*args, **kwargs)


@pytest.mark.parametrize("fn", LOSSES + METRICS, ids=lambda f: f.__name__)
def test_non_arrays_are_rejected(fn):
    with pytest.raises(TypeError, match="pred must be an array; got list"):
        fn([1.0, 2.0], np.ones(2))


def test_two_libraries_are_rejected():
    torch = pytest.importorskip("torch")
    with pytest.raises(
        TypeError,
        match=r"one array library; pred is numpy\.ndarray, "
        r"target is torch\.Tensor",
    ):
        al.mse_loss(np.ones(3), torch.ones(3))


def test_two_devices_are_rejected():
    strict = use_backend("array_api_strict").xp
    a = strict.ones(3, device=strict.Device("CPU_DEVICE"))
    b = strict.ones(3, device=strict.Device("device1"))
    with pytest.raises(
        ValueError, match="one device; pred is on .*CPU_DEVICE.*target is on .*device1"
    ):
        al.mse_loss(a, b)
    with pytest.raises(ValueError, match="one device; pred is on .*weight is on .*device1"):
        al.mse_loss(a, a, sample_weight=b)


def test_integer_targets_are_fine_but_booleans_are_not(backend):
    x = _a(backend, np.ones(3))
    al.mse_loss(x, backend.asarray(np.array([1, 0, 2])))
    with pytest.raises(TypeError, match="target must be a real .*; got dtype .*bool"):
        al.mse_loss(x, backend.asarray(np.array([True, False, True])))


@pytest.mark.parametrize(
    ("fn", "name", "value", "expected"),
    [
        (al.huber_loss, "delta", 0.0, r"\(0.0, inf\)"),
        (al.huber_loss, "delta", -1.0, r"\(0.0, inf\)"),
        (al.smooth_l1_loss, "beta", -0.5, r"\[0.0, inf\)"),
        (al.quantile_loss, "quantile", 1.5, r"\[0.0, 1.0\]"),
        (al.quantile_loss, "quantile", -0.1, r"\[0.0, 1.0\]"),
        (al.huber_loss, "delta", float("nan"), None),
    ],
)
def test_hyperparameter_ranges(backend, fn, name, value, expected):
    x = _a(backend, np.ones(3))
    message = (
        f"{name} must not be NaN"
        if expected is None
        else f"{name} must be in {expected}; got {value}"
    )
    with pytest.raises(ValueError, match=message):
        fn(x, x, **{name: value})


def test_hyperparameter_arrays_must_be_0d(backend):
    x = _a(backend, np.ones(3))
    with pytest.raises(ValueError, match=r"delta must be a float or a 0-d array; got shape \(3,\)"):
        al.huber_loss(x, x, delta=x)
    with pytest.raises(TypeError, match="delta must be a float or a 0-d array; got bool"):
        al.huber_loss(x, x, delta=True)
    with pytest.raises(TypeError, match="delta must be a float or a 0-d array; got str"):
        al.huber_loss(x, x, delta="1")


@pytest.mark.parametrize(
    ("fn", "kw"),
    [
        (al.poisson_nll_loss, {"eps": 0.0}),
        (al.gaussian_nll_loss, {"eps": -1.0}),
        (al.cosine_distance_loss, {"eps": 0.0}),
        (al.cosine_similarity, {"eps": 0.0}),
        (al.l2_normalize, {"eps": -1e-12}),
    ],
)
def test_eps_must_be_positive(backend, fn, kw):
    x = _a(backend, np.ones((2, 3)))
    args = (x,) if fn is al.l2_normalize else (x, x, x) if fn is al.gaussian_nll_loss else (x, x)
    with pytest.raises(ValueError, match="eps must be a positive finite float; got "):
        fn(*args, **kw)


def test_weight_shape(backend):
    x = _a(backend, np.ones((4, 3)))
    with pytest.raises(
        ValueError,
        match=r"weight must be broadcastable to the per-sample loss "
        r"shape \(4, 3\) without changing it; got shape \(4,\)",
    ):
        al.mse_loss(x, x, sample_weight=_a(backend, np.ones(4)))
    with pytest.raises(ValueError, match=r"per-sample loss shape \(4,\) .* got shape \(4, 3\)"):
        al.cosine_distance_loss(x, x, sample_weight=x)


def test_gaussian_variance_rules(backend):
    x = _a(backend, np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"var must have pred's shape \(4, 3\).*got \(3,\)"):
        al.gaussian_nll_loss(x, x, _a(backend, np.ones(3)))
    with pytest.raises(ValueError, match="var must be non-negative"):
        al.gaussian_nll_loss(x, x, _a(backend, -np.ones((4, 3))))


def test_axis_out_of_range(backend):
    x = _a(backend, np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 2\) .*; got 2"):
        al.cosine_distance_loss(x, x, axis=2)
    with pytest.raises(TypeError, match="axis must be an int; got float"):
        al.cosine_similarity(x, x, axis=1.0)


def test_pairwise_shapes(backend):
    a = _a(backend, np.ones((4, 3)))
    with pytest.raises(
        ValueError,
        match=r"b must have the embedding width D=3 of a; got shape "
        r"\(5, 2\)",
    ):
        al.pairwise_dot(a, _a(backend, np.ones((5, 2))))
    with pytest.raises(
        ValueError,
        match=r"a must have 2 dimension\(s\) \(\(N, D\)\); got shape "
        r"\(3,\)",
    ):
        al.pairwise_cosine_similarity(_a(backend, np.ones(3)), a)


def test_flags_must_be_bools(backend):
    x = _a(backend, np.ones(3))
    with pytest.raises(TypeError, match="full must be a bool; got int"):
        al.poisson_nll_loss(x, x, full=1)
    with pytest.raises(TypeError, match="squared must be a bool; got str"):
        al.pairwise_euclidean_distance(x[None, :], x[None, :], squared="yes")


@pytest.mark.parametrize("fn", METRICS, ids=lambda f: f.__name__)
def test_metric_rules(backend, fn):
    x = _a(backend, np.arange(6.0).reshape(3, 2) + 1)
    with pytest.raises(ValueError, match="multioutput must be one of .*; got 'mean'"):
        fn(x, x, multioutput="mean")
    with pytest.raises(ValueError, match=r"multioutput weights must have shape \(2,\); got \(3,\)"):
        fn(x, x, multioutput=_a(backend, np.ones(3)))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\); got \(3, 1\)"):
        fn(x, x, sample_weight=_a(backend, np.ones((3, 1))))
    with pytest.raises(
        ValueError, match=r"pred must have shape \(N,\) or \(N, K\); got \(1, 3, 2\)"
    ):
        fn(x[None, ...], x[None, ...])
    if fn is metrics.r2_score:  # the others give NaN on an empty batch
        with pytest.raises(ValueError, match="r2_score needs at least 2 samples"):
            fn(x[:0, ...], x[:0, ...])


@pytest.mark.parametrize(
    "fn", [f for f in METRICS if f not in VARIANCE_WEIGHTED], ids=lambda f: f.__name__
)
def test_variance_weighting_only_where_defined(backend, fn):
    x = _a(backend, np.ones((3, 2)))
    with pytest.raises(
        ValueError,
        match="multioutput must be one of 'uniform_average', 'raw_values'; got 'variance_weighted'",
    ):
        fn(x, x, multioutput="variance_weighted")


def test_r2_needs_two_samples(backend):
    x = _a(backend, np.ones(1))
    with pytest.raises(
        ValueError,
        match=r"r2_score needs at least 2 samples; pred has shape "
        r"\(1,\)",
    ):
        metrics.r2_score(x, x)


# -- classification


def test_class_indices_out_of_range(backend):
    z = _a(backend, np.zeros((3, 4)))
    with pytest.raises(
        ValueError,
        match=r"target holds class indices outside \[0, 4\); found "
        r"min 0, max 4",
    ):
        al.cross_entropy(z, backend.asarray(np.array([0, 4, 1])))
    with pytest.raises(ValueError, match="outside .* that are not ignore_index=-100; found min -1"):
        al.cross_entropy(z, backend.asarray(np.array([0, -1, 1])), ignore_index=-100)
    with pytest.raises(ValueError, match=r"outside \[0, 4\)"):
        al.metrics.top_k_accuracy(z, backend.asarray(np.array([0, 9, 1])), k=1)


def test_probability_target_shape(backend):
    z = _a(backend, np.zeros((3, 4)))
    with pytest.raises(
        ValueError,
        match=r"target of probabilities must have logits's shape "
        r"\(3, 4\); got \(3, 3\)",
    ):
        al.cross_entropy(z, _a(backend, np.ones((3, 3))))
    with pytest.raises(
        ValueError,
        match=r"target of class indices must have logits's shape "
        r"without the class axis \(3,\); got \(3, 1\)",
    ):
        al.cross_entropy(z, backend.asarray(np.zeros((3, 1), dtype=np.int64)))
    with pytest.raises(ValueError, match="ignore_index applies to class-index targets only"):
        al.cross_entropy(z, _a(backend, np.ones((3, 4)) / 4), ignore_index=-100)


@pytest.mark.parametrize("fn", [al.cross_entropy, al.nll_loss, al.softmax_focal_loss])
def test_float_class_labels_say_integers_were_meant(backend, fn):
    """Issue 31: labels.astype(float) got "target of probabilities must have logits's shape"."""
    z = _a(backend, np.zeros((4, 3)))
    with pytest.raises(
        TypeError,
        match=r"target has the shape of class indices \(4,\) .* floating dtype .*class indices "
        r"must be integers; cast them \(NumPy: target.astype\(int\), torch: target.long\(\)",
    ):
        fn(z, _a(backend, np.array([0.0, 1.0, 2.0, 1.0])))


@pytest.mark.parametrize("p", [1.5, -0.5])
def test_bce_on_values_outside_0_1_names_the_logits_loss(backend, p):
    """Issue 31: p = 1.5 gave 0.1116 and p = -0.5 gave 8.17 (torch raises)."""
    probs, target = _a(backend, np.array([0.25, p, 0.5])), _a(backend, np.ones(3))
    with pytest.raises(
        ValueError,
        match=r"probs must lie in \[0.0, 1.0\]; found min .* use binary_cross_entropy_with_logits",
    ):
        al.binary_cross_entropy(probs, target)
    # beside a NaN too (min and max are then NaN)
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        al.binary_cross_entropy(_a(backend, np.array([np.nan, p])), _a(backend, np.ones(2)))


def test_bce_range_check_lets_nan_and_the_ends_through(backend):
    out = al.binary_cross_entropy(
        _a(backend, np.array([0.0, 1.0, np.nan])),
        _a(backend, np.array([0.0, 1.0, 1.0])),
        reduction="none",
    )
    got = to_numpy(out)
    assert got[0] < 1e-6 and got[1] < 1e-6 and np.isnan(got[2])


def test_bce_range_check_does_not_run_under_jit():
    """The value-check policy: eager only; under jax.jit values are not read (the clip
    applies, as before)."""
    backend = use_backend("jax")
    import jax

    with backend.context():
        probs, target = _a(backend, np.array([1.5, 0.5])), _a(backend, np.ones(2))
        out = jax.jit(al.binary_cross_entropy)(probs, target)
    assert np.isfinite(float(out))


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_label_smoothing_range(backend, value):
    z = _a(backend, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=rf"label_smoothing must be in \[0.0, 1.0\]; got {value}"):
        al.cross_entropy(z, backend.asarray(np.array([0, 1, 2])), label_smoothing=value)


def test_classification_argument_rules(backend):
    z = _a(backend, np.zeros((3, 4)))
    y = backend.asarray(np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"class_weight must have shape \(4,\); got \(3,\)"):
        al.cross_entropy(z, y, class_weight=_a(backend, np.ones(3)))
    with pytest.raises(TypeError, match="logits must be a real floating array; got dtype .*int"):
        al.cross_entropy(backend.asarray(np.zeros((3, 4), dtype=np.int64)), y)
    with pytest.raises(TypeError, match="ignore_index must be an int; got float"):
        al.cross_entropy(z, y, ignore_index=-1.0)
    with pytest.raises(ValueError, match=r"gamma must be in \[0.0, inf\); got -1"):
        al.softmax_focal_loss(z, y, gamma=-1.0)
    with pytest.raises(ValueError, match=r"alpha must be in \[0.0, 1.0\]; got 1.5"):
        al.sigmoid_focal_loss(z, z, alpha=1.5)
    with pytest.raises(ValueError, match=r"pos_weight must be broadcastable .* got shape \(3,\)"):
        al.binary_cross_entropy_with_logits(z, z, pos_weight=_a(backend, np.ones(3)))
    with pytest.raises(ValueError, match=r"eps must be in \(0.0, 0.5\); got 0.5"):
        al.binary_cross_entropy(z, z, eps=0.5)
    with pytest.raises(ValueError, match=r"target must hold labels in \{-1, 1\} or \{0, 1\}"):
        al.hinge_loss(z, _a(backend, np.full((3, 4), 2.0)))
    with pytest.raises(TypeError, match="target must be a floating array of probabilities"):
        al.kl_divergence(z, backend.asarray(np.zeros((3, 4), dtype=np.int64)))


def test_classification_metric_rules(backend):
    s = _a(backend, np.zeros((3, 4)))
    y = backend.asarray(np.array([0, 1, 2]))
    with pytest.raises(
        ValueError,
        match=r"k must be in \[1, 4\] \(the number of classes\); "
        r"got 5",
    ):
        al.metrics.top_k_accuracy(s, y, k=5)
    with pytest.raises(
        ValueError, match="average must be one of 'micro', 'macro', 'weighted'; got 'binary'"
    ):
        al.metrics.precision_recall_f1(s, y, num_classes=4, average="binary")
    with pytest.raises(ValueError, match="pred scores have 4 classes; num_classes is 3"):
        al.metrics.precision_recall_f1(s, y, num_classes=3)
    with pytest.raises(TypeError, match="pred of the target's shape must hold labels"):
        al.metrics.accuracy(_a(backend, np.zeros(3)), y)
    with pytest.raises(ValueError, match=r"probs must lie in \[0, 1\]"):
        al.metrics.log_loss(
            _a(backend, np.array([0.5, 1.5, 0.2])), backend.asarray(np.array([0, 1, 1]))
        )
    with pytest.raises(ValueError, match="target must hold binary labels 0/1"):
        al.metrics.roc_auc(
            _a(backend, np.array([0.5, 0.2, 0.1])), backend.asarray(np.array([0, 1, 2]))
        )


def test_hyperparameter_arrays_must_share_the_library():
    torch = pytest.importorskip("torch")
    with pytest.raises(
        TypeError,
        match=r"pred is numpy\.ndarray, target is numpy\.ndarray, "
        r"delta is torch\.Tensor",
    ):
        al.huber_loss(np.ones(3), np.zeros(3), delta=torch.tensor(0.5))
    with pytest.raises(TypeError, match="margin is torch.Tensor"):
        al.margin_ranking_loss(np.ones(3), np.zeros(3), np.ones(3), margin=torch.tensor(0.5))
