"""The registry covers the public API exactly (docs/spec.md: every public name has a case)."""

import inspect

import arraylosses as al
from arraylosses import metrics
from arraylosses.testing.cases import BY_NAME, CASES, public_names


def test_every_public_function_has_a_case() -> None:
    missing = [n for n in public_names() if n not in BY_NAME]
    assert not missing, f"public functions without a conformance case: {missing}"


def test_every_case_is_public() -> None:
    extra = [c.name for c in CASES if c.name not in public_names()]
    assert not extra, f"cases for names that are not public: {extra}"


def test_case_names_are_unique() -> None:
    assert len(BY_NAME) == len(CASES)


def test_all_lists_every_public_function() -> None:
    for module in (al, metrics, al.regression, al.similarity):
        defined = {
            n
            for n, f in vars(module).items()
            if inspect.isfunction(f)
            and not n.startswith("_")
            and f.__module__.startswith(module.__name__)
        }
        assert defined <= set(module.__all__), (module.__name__, defined - set(module.__all__))
        assert all(hasattr(module, n) for n in module.__all__)


def test_every_case_function_is_the_public_one() -> None:
    for case in CASES:
        owner, _, name = case.name.rpartition(".")
        module = metrics if owner == "metrics" else al
        assert getattr(module, name) is (case.public or case.fn), case.name


def test_every_case_checks_a_gradient_or_says_why_not() -> None:
    assert [c.name for c in CASES if not c.grad and not c.no_grad] == []


def test_every_case_names_a_peer_or_says_why_not() -> None:
    assert [c.name for c in CASES if not c.peers and not c.notes] == []
