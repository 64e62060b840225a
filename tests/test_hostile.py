"""The hostile-input sweep: every registry case × every degenerate kind × every backend.

What each kind tries and what the policy requires is in ``conformance/hostile.py``; the cases
declare how their inputs go degenerate there, so a new case is swept without new tests.
"""

from __future__ import annotations

import pytest

from conformance import hostile
from conformance.cases import CASES

from .conftest import SELECTED, use_backend

CELLS = [(case, kind) for case in CASES for kind in hostile.KINDS]


def test_declarations_name_registry_cases() -> None:
    assert hostile._unknown_declarations() == []


@pytest.mark.parametrize("backend_name", SELECTED)
@pytest.mark.parametrize(("case", "kind"), CELLS, ids=[f"{c.name}-{k}" for c, k in CELLS])
def test_hostile_input(case, kind, backend_name) -> None:
    reason = hostile.applies(case, kind)
    if reason is not None:
        pytest.skip(reason)
    hostile.check(case, kind, use_backend(backend_name))
