"""The registry covers the public API exactly (docs/spec.md: every public name has a case)."""

import numpy as np
import pytest

import arraylosses as al
from arraylosses import metrics
from arraylosses.testing.cases import BY_NAME, CASES, Case, Params, Ref, public_names


def test_every_public_function_has_a_case() -> None:
    missing = [n for n in public_names() if n not in BY_NAME]
    assert not missing, f"public functions without a conformance case: {missing}"


def test_every_case_is_public() -> None:
    extra = [c.name for c in CASES if c.name not in public_names()]
    assert not extra, f"cases for names that are not public: {extra}"


def test_case_names_are_unique() -> None:
    assert len(BY_NAME) == len(CASES)


def test_every_case_function_is_the_public_one() -> None:
    for case in CASES:
        owner, _, name = case.name.rpartition(".")
        module = {"metrics": metrics, "metrics.streaming": metrics.streaming}.get(owner, al)
        assert getattr(module, name) is (case.public or case.fn), case.name


def test_every_case_checks_a_gradient_or_says_why_not() -> None:
    assert [c.name for c in CASES if not c.grad and not c.no_grad] == []


def test_every_case_names_a_peer_or_says_why_not() -> None:
    assert [c.name for c in CASES if not c.peers and not c.notes] == []


def test_every_case_with_a_peer_has_a_check() -> None:
    from conformance.peers import ALL

    names = {c.function for c in ALL}
    missing = [c.name for c in CASES if c.peers and c.name not in names]
    assert not missing, f"cases that name peers but have no cross-check: {missing}"


def test_every_peer_check_is_of_a_case() -> None:
    """The matrix runs a peer check in its function's row: a check of no case never runs."""
    from conformance.peers import ALL

    assert sorted({c.function for c in ALL} - set(BY_NAME)) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_array_a_case_names_is_built(case: Case) -> None:
    """Positional names, :class:`Ref` targets and ``grad`` names are arrays of the case's
    builder, and every keyword is one the function takes (a typo fails here, not at run time
    in another file). A ``grad`` name no parameter set of this case uses is skipped (the
    elementwise cases share one list)."""
    built = set(case.inputs(np.random.default_rng(0)))
    for params in case.params:
        names = {*case.positional(params), *params.refs().values()}
        assert names <= built, (case.name, params, names - built)
        unknown = [k for k in params.kwargs if not case.accepts(k)]
        assert not unknown, (case.name, params, unknown)
    assert set(case.grad) <= built, (case.name, set(case.grad) - built)


def test_case_construction_is_keyword_only_and_typed() -> None:
    with pytest.raises(TypeError):
        Case(al.mse_loss, lambda rng: {}, ("pred", "target"))  # type: ignore[misc]
    with pytest.raises(TypeError, match="must be Params"):
        Case(fn=al.mse_loss, inputs=lambda rng: {}, args=(), params=({"reduction": "sum"},))  # type: ignore[arg-type]


def test_names_come_from_the_function() -> None:
    assert Case(fn=al.huber_loss, inputs=lambda rng: {}, args=()).name == "huber_loss"
    assert Case(fn=metrics.mrr, inputs=lambda rng: {}, args=()).name == "metrics.mrr"
    assert BY_NAME["mae_loss"].fn is al.mae_loss  # an alias keeps its own name
    assert BY_NAME["matryoshka"].public is al.matryoshka


def test_params_resolve_refs_and_positional_overrides() -> None:
    arrays = {"x": np.zeros(2), "y": np.ones(2), "w": np.full(2, 3.0)}
    case = Case(fn=al.mse_loss, inputs=lambda rng: arrays, args=("x", "y"))
    params = Params(args=("y", "x"), sample_weight=Ref("w"), reduction="sum")
    args, kwargs = case.arguments(params, arrays)
    assert args[0] is arrays["y"] and args[1] is arrays["x"]
    assert kwargs == {"sample_weight": arrays["w"], "reduction": "sum"}
    assert case.grad_names(params) == []  # grad is empty
    grad_case = Case(fn=al.mse_loss, inputs=lambda rng: arrays, args=("x", "y"), grad=("x", "w"))
    assert grad_case.grad_names(params) == [("x", 1), ("w", "sample_weight")]
    frozen = Params(sample_weight=Ref("w"), finite_differences=False)
    assert grad_case.grad_names(frozen) == []
    assert params.with_(reduction="none").kwargs["reduction"] == "none"
    assert params.kwargs["reduction"] == "sum"  # with_ copies


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_numpy_results_are_arrays_not_numpy_scalars(case: Case) -> None:
    """On NumPy every result (each part of a tuple) is an ``np.ndarray``, 0-d where reduced,
    never a NumPy scalar such as ``numpy.float64`` (NumPy's arithmetic on 0-d arrays returns
    one: a Python-level sum of losses, ``matryoshka``'s weighted sum of dims, leaks it). A
    streaming case's state fields too (its parts from ``Hostile.state_from`` on)."""
    from arraylosses.testing import parts

    for label, args, kwargs in case.variants(np.random.default_rng(0)):
        for i, part in enumerate(parts(case.fn(*args, **kwargs))):
            assert isinstance(part, np.ndarray), (case.name, label, i, type(part))
