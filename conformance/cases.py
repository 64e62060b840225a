"""The case registry: one entry per public function of arraylosses.

A :class:`Case` says how to build inputs for a function (NumPy float64, from a seeded
generator, away from the kinks where autodiff conventions differ), which parameter sets to run,
and which inputs to differentiate. The conformance matrix, the backend-agreement tests, the
gradient tests and the jit/vmap tests all read this registry, so a function added here is
checked everywhere; ``tests/test_registry.py`` fails when a public name has no case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import arraylosses as al
from arraylosses import metrics

Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class Case:
    """How to exercise one public function.

    ``make(rng)`` returns named NumPy arrays; the first ``args`` names are passed positionally
    (a parameter set may replace them with its ``"args"`` entry). In a parameter set, a string
    value ``"@name"`` stands for the array ``name``. ``grad`` lists the arrays to differentiate
    (those a parameter set does not use are skipped).
    """

    name: str
    fn: Callable[..., Any]
    make: Callable[[np.random.Generator], Arrays]
    args: tuple[str, ...]
    params: tuple[dict[str, Any], ...] = ({},)
    grad: tuple[str, ...] = ()
    notes: str = ""
    peers: tuple[str, ...] = field(default=())

    def variants(self, rng: np.random.Generator) -> Iterator[tuple[str, tuple, dict]]:
        """``(label, positional arrays, keyword arguments)`` per parameter set, NumPy float64."""
        arrays = self.make(rng)
        for params in self.params:
            names = params.get("args", self.args)
            kwargs = {k: arrays[v[1:]] if isinstance(v, str) and v.startswith("@") else v
                      for k, v in params.items() if k != "args"}
            label = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
            yield label, tuple(arrays[n] for n in names), kwargs

    def grad_names(self, params: dict[str, Any]) -> list[tuple[str, int | str]]:
        """``(array name, position or keyword)`` of each differentiated input of a param set."""
        names = params.get("args", self.args)
        used = {n: i for i, n in enumerate(names)}
        used.update({v[1:]: k for k, v in params.items()
                     if isinstance(v, str) and v.startswith("@")})
        return [(n, used[n]) for n in self.grad if n in used]


# ---------------------------------------------------------------------------------------------
# Input builders. Residuals are kept away from 0, 0.5 and 1 (the kinks of abs, Huber and
# smooth L1 at the tested thresholds), so every backend's gradient is the same there.


def _residuals(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    bands = np.array([[0.1, 0.4], [0.6, 0.9], [1.1, 2.5]])
    band = bands[rng.integers(0, 3, size=shape)]
    magnitude = band[..., 0] + rng.uniform(size=shape) * (band[..., 1] - band[..., 0])
    return magnitude * rng.choice([-1.0, 1.0], size=shape)


def _regression(rng: np.random.Generator, shape: tuple[int, ...] = (6, 3)) -> Arrays:
    target = rng.normal(size=shape)
    return {
        "pred": target + _residuals(rng, shape),
        "target": target,
        "weight": rng.uniform(0.5, 2.0, size=shape),
        "row_weight": rng.uniform(0.5, 2.0, size=shape[:1] + (1,) * (len(shape) - 1)),
        "delta": np.asarray(0.75),
    }


def _poisson(rng: np.random.Generator) -> Arrays:
    shape = (6, 3)
    counts = rng.integers(0, 6, size=shape)
    return {
        "pred": rng.normal(scale=0.5, size=shape),
        "rate": rng.uniform(0.3, 3.0, size=shape),
        "target": counts.astype(np.float64),
        "target_int": counts.astype(np.int64),
        "weight": rng.uniform(0.5, 2.0, size=shape),
    }


def _gaussian(rng: np.random.Generator) -> Arrays:
    arrays = _regression(rng)
    arrays["var"] = rng.uniform(0.3, 2.0, size=(6, 3))
    arrays["var_row"] = rng.uniform(0.3, 2.0, size=(6,))
    arrays["var_col"] = rng.uniform(0.3, 2.0, size=(6, 1))
    # some variances below the default eps=1e-6: clamped in value, straight-through in gradient
    arrays["var_tiny"] = np.where(rng.uniform(size=(6, 3)) < 0.3, 1e-9, arrays["var"])
    return arrays


def _embeddings(rng: np.random.Generator) -> Arrays:
    return {
        "a": rng.normal(size=(5, 4)),
        "b": rng.normal(size=(5, 4)),
        "c": rng.normal(size=(7, 4)),
        "a_t": rng.normal(size=(4, 5)),
        "b_t": rng.normal(size=(4, 5)),
        "row_weight": rng.uniform(0.5, 2.0, size=(5,)),
    }


def _rowwise(rng: np.random.Generator) -> Arrays:
    e = _embeddings(rng)
    return {"pred": e["a"], "target": e["b"], "pred_t": e["a_t"], "target_t": e["b_t"],
            "weight": e["row_weight"]}


def _metric(rng: np.random.Generator) -> Arrays:
    n, k = 8, 3
    target = rng.normal(size=(n, k))
    target = np.where(np.abs(target) < 0.3, 0.3 * np.sign(target) + target, target)  # MAPE
    return {
        "pred": target + _residuals(rng, (n, k)),
        "target": target,
        "pred_1d": target[:, 0] + _residuals(rng, (n,)),
        "target_1d": target[:, 0],
        "weight": rng.uniform(0.5, 2.0, size=(n,)),
        "output_weights": np.array([0.2, 0.5, 0.3]),
    }


REDUCTIONS: tuple[dict[str, Any], ...] = (
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"weight": "@weight"},
    {"weight": "@row_weight", "reduction": "sum"},
    {"weight": "@weight", "reduction": "none"},
)

METRIC_PARAMS: tuple[dict[str, Any], ...] = (
    {},
    {"multioutput": "raw_values"},
    {"weight": "@weight"},
    {"multioutput": "@output_weights"},
    {"args": ("pred_1d", "target_1d")},
)
VARIANCE_PARAMS = (*METRIC_PARAMS, {"multioutput": "variance_weighted", "weight": "@weight"})


def _elementwise(name: str, fn: Callable[..., Any], extra: tuple[dict[str, Any], ...] = (),
                 peers: tuple[str, ...] = ()) -> Case:
    return Case(name, fn, _regression, ("pred", "target"), (*REDUCTIONS, *extra),
                grad=("pred", "target", "delta"), peers=peers)


def _metric_case(name: str, fn: Callable[..., Any], params: tuple[dict[str, Any], ...]) -> Case:
    return Case(f"metrics.{name}", fn, _metric, ("pred", "target"), params,
                grad=("pred",), peers=("scikit-learn",))


CASES: tuple[Case, ...] = (
    # -- regression losses
    _elementwise("mse_loss", al.mse_loss, peers=("torch", "optax")),
    _elementwise("l1_loss", al.l1_loss, peers=("torch",)),
    _elementwise("mae_loss", al.mae_loss, peers=("torch",)),
    _elementwise("huber_loss", al.huber_loss,
                 ({"delta": 0.5}, {"delta": "@delta", "reduction": "none"}),
                 peers=("torch", "optax")),
    _elementwise("smooth_l1_loss", al.smooth_l1_loss,
                 ({"beta": 0.5}, {"beta": 0.0}, {"beta": "@delta", "reduction": "none"}),
                 peers=("torch",)),
    _elementwise("log_cosh_loss", al.log_cosh_loss, peers=("optax",)),
    _elementwise("quantile_loss", al.quantile_loss,
                 ({"quantile": 0.1}, {"quantile": 0.9, "reduction": "none"},
                  {"quantile": "@delta"}),
                 peers=("scikit-learn",)),
    Case("poisson_nll_loss", al.poisson_nll_loss, _poisson, ("pred", "target"),
         (*REDUCTIONS[:4], {"full": True, "reduction": "none"},
          {"args": ("rate", "target"), "log_input": False},
          {"args": ("rate", "target_int"), "log_input": False, "full": True},
          {"args": ("pred", "target_int")}),
         grad=("pred", "rate"), peers=("torch",)),
    Case("gaussian_nll_loss", al.gaussian_nll_loss, _gaussian, ("pred", "target", "var"),
         (*REDUCTIONS[:4], {"full": True, "reduction": "none"},
          {"args": ("pred", "target", "var_row")}, {"args": ("pred", "target", "var_col")}),
         grad=("pred", "target", "var", "var_row", "var_col"), peers=("torch",)),
    Case("cosine_distance_loss", al.cosine_distance_loss, _rowwise, ("pred", "target"),
         ({}, {"reduction": "none"}, {"weight": "@weight"}, {"reduction": "sum"},
          {"args": ("pred_t", "target_t"), "axis": 0, "reduction": "none"}),
         grad=("pred", "target", "pred_t", "target_t"), peers=("optax",)),
    # -- similarity
    Case("cosine_similarity", al.cosine_similarity, _embeddings, ("a", "b"),
         ({}, {"args": ("a_t", "b_t"), "axis": 0}), grad=("a", "b", "a_t", "b_t"),
         peers=("torch",)),
    Case("pairwise_cosine_similarity", al.pairwise_cosine_similarity, _embeddings, ("a", "c"),
         grad=("a", "c"), peers=("torch",)),
    Case("pairwise_dot", al.pairwise_dot, _embeddings, ("a", "c"), grad=("a", "c"),
         peers=("torch",)),
    Case("pairwise_euclidean_distance", al.pairwise_euclidean_distance, _embeddings, ("a", "c"),
         ({}, {"squared": True}), grad=("a", "c"), peers=("torch", "scikit-learn")),
    Case("l2_normalize", al.l2_normalize, _embeddings, ("a",), ({}, {"axis": 0}), grad=("a",),
         peers=("torch",)),
    # -- metrics
    _metric_case("mean_squared_error", metrics.mean_squared_error, METRIC_PARAMS),
    _metric_case("root_mean_squared_error", metrics.root_mean_squared_error, METRIC_PARAMS),
    _metric_case("mean_absolute_error", metrics.mean_absolute_error, METRIC_PARAMS),
    _metric_case("mean_absolute_percentage_error", metrics.mean_absolute_percentage_error,
                 METRIC_PARAMS),
    _metric_case("r2_score", metrics.r2_score, VARIANCE_PARAMS),
    _metric_case("explained_variance_score", metrics.explained_variance_score, VARIANCE_PARAMS),
    Case("metrics.mean_cosine_similarity", metrics.mean_cosine_similarity, _rowwise,
         ("pred", "target"), ({}, {"weight": "@weight"}), grad=("pred", "target"),
         peers=("torchmetrics",)),
)

BY_NAME: dict[str, Case] = {case.name: case for case in CASES}


def public_names() -> list[str]:
    """Every public function: ``arraylosses.__all__`` and ``metrics.__all__`` (prefixed)."""
    top = [n for n in al.__all__ if callable(getattr(al, n))]
    return top + [f"metrics.{n}" for n in metrics.__all__]
