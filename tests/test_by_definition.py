"""Every registry case that names a by-definition reference (``Case.reference``, a function of
``tests/reference.py``) equals it, on every parameter set and every backend, in float64: how a
function without a peer library is checked, with no test file of its own."""

from __future__ import annotations

import numpy as np
import pytest

from arraylosses.testing import parts
from arraylosses.testing.cases import CASES

from . import reference
from .helpers import call, close

REFERENCED = [c for c in CASES if c.reference]


def test_every_reference_exists() -> None:
    assert len(REFERENCED) >= 2
    missing = [c.name for c in REFERENCED if not callable(getattr(reference, c.reference, None))]
    assert missing == []


@pytest.mark.parametrize("case", REFERENCED, ids=lambda c: c.name)
def test_equals_its_reference(backend, case) -> None:
    expected_fn = getattr(reference, case.reference)
    for label, args, kwargs in case.variants(np.random.default_rng(20261207)):
        expected = [np.asarray(x, np.float64) for x in parts(expected_fn(*args, **kwargs))]
        assert len(expected) == 1, "a reference of several results: compare them part by part"
        got = call(backend, "float64", case.fn, *args, **kwargs)
        try:
            close(got, expected[0], "float64")
        except AssertionError as err:
            raise AssertionError(f"{case.name}({label}): {err}") from None
