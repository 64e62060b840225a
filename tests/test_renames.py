"""Renamed arguments raise a TypeError that names the new one (README, "Renames"): ``weight=``
on every function of the registry that takes ``sample_weight`` (naming ``class_weight`` too
where the function has per-class weights), CoSENT/AnglE's ``scores=`` (now ``target``) and
matryoshka's ``weights=`` (now ``dim_weights``)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import arraylosses as al
from arraylosses.testing.cases import BY_NAME, CASES, Case


def _parameters(case: Case) -> set[str]:
    return set(inspect.signature(case.fn).parameters)


# the streaming forms (#16) never had ``weight=``: nothing to rename
WEIGHTED = [
    c
    for c in CASES
    if "sample_weight" in _parameters(c)
    and c.name != "matryoshka"
    and not c.name.startswith("metrics.streaming.")
]


def test_the_list_is_not_empty() -> None:
    assert len(WEIGHTED) >= 45
    assert {"cross_entropy", "nll_loss", "csar_loss"} <= {
        c.name for c in WEIGHTED if "class_weight" in _parameters(c)
    }


@pytest.mark.parametrize("case", WEIGHTED, ids=lambda c: c.name)
def test_weight_is_now_sample_weight(case: Case) -> None:
    _, args, kwargs = next(case.variants(np.random.default_rng(0)))
    kwargs.pop("sample_weight", None)
    with pytest.raises(TypeError, match="weight=") as err:
        case.fn(*args, **kwargs, weight=np.ones(len(args[0])))
    message = str(err.value)
    assert "sample_weight" in message
    if "class_weight" in _parameters(case):
        assert "class_weight" in message


def test_matryoshka_loss_weight_is_now_sample_weight() -> None:
    args = next(BY_NAME["matryoshka"].variants(np.random.default_rng(0)))[1]
    loss = al.matryoshka(al.multiple_negatives_ranking_loss, (6, 4, 2))
    with pytest.raises(TypeError, match="sample_weight"):
        loss(*args, weight=np.ones(len(args[0])))


@pytest.mark.parametrize("fn", [al.cosent_loss, al.angle_loss], ids=lambda f: f.__name__)
def test_scores_is_now_target(fn) -> None:
    a = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(TypeError, match=r"scores=.*target="):
        fn(a, a, scores=np.ones(4))
    assert "scores" not in inspect.signature(fn).parameters
    assert "target" in inspect.signature(fn).parameters


def test_matryoshka_weights_is_now_dim_weights() -> None:
    with pytest.raises(TypeError, match=r"weights=.*dim_weights="):
        al.matryoshka(al.info_nce, (2,), weights=(1.0,))
    assert "dim_weights" in inspect.signature(al.matryoshka).parameters


STREAMING = [c for c in CASES if c.kind == "streaming"]


def _one_shot(case: Case):
    from arraylosses import metrics

    return getattr(metrics, case.name.removeprefix("metrics.streaming."))


def _data_names(fn) -> list[str]:
    """The positional data arguments (before the keyword-only ones), without self/state."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [p.name for p in inspect.signature(fn).parameters.values() if p.kind in kinds]
    return [n for n in names if n not in ("self", "state")]


@pytest.mark.parametrize("case", STREAMING, ids=lambda c: c.name)
def test_streaming_update_takes_the_one_shot_names(case: Case) -> None:
    """``update(state, ...)`` names its data arguments as the one-shot metric, in its order,
    so one keyword call works for both forms."""
    metric = case.public(**case.params[0].static())
    assert _data_names(metric.update) == _data_names(_one_shot(case))[:2]


@pytest.mark.parametrize(
    ("factory", "old", "new"),
    [
        (lambda: __import__("arraylosses").metrics.streaming.accuracy(), "preds", "pred"),
        (lambda: __import__("arraylosses").metrics.streaming.log_loss(), "preds", "probs"),
        (
            lambda: __import__("arraylosses").metrics.streaming.top_k_accuracy(k=1),
            "preds",
            "scores",
        ),
        (
            lambda: __import__("arraylosses").metrics.streaming.mean_cosine_similarity(),
            "preds",
            "pred",
        ),
    ],
    ids=["accuracy", "log_loss", "top_k_accuracy", "mean_cosine_similarity"],
)
def test_streaming_preds_is_now_the_one_shot_name(factory, old, new) -> None:
    metric = factory()
    state = metric.init(np)
    with pytest.raises(TypeError, match=rf"{old}=.*{new}="):
        metric.update(state, target=np.array([1]), **{old: np.array([[0.2, 0.8]])})
    assert len(STREAMING) >= 18
