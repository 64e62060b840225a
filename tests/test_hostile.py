"""The hostile-input sweep: every registry case × every degenerate kind × every backend.

What each kind tries and what the policy requires is in ``conformance/hostile.py``; each case's
record declares how its inputs go degenerate (``Case.hostile``), so a new case is swept without
new tests. JAX's column (under ``jax.jit``) is the matrix's, ``nox -s conformance``, which CI
runs after this suite with JAX required; ``ARRAYLOSSES_JAX_REGISTRY=full`` runs it here too
(tests/conftest.py says why).
"""

from __future__ import annotations

import pytest

from conformance import hostile
from conformance.cases import CASES

from .conftest import REGISTRY, use_backend

# only the kinds that apply: the others are skipped with their reason by the matrix's report
CELLS = [
    (case, kind) for case in CASES for kind in hostile.KINDS if hostile.applies(case, kind) is None
]


def test_every_kind_that_does_not_apply_says_why() -> None:
    for case in CASES:
        for kind in hostile.KINDS:
            reason = hostile.applies(case, kind)
            assert reason is None or reason.strip(), (case.name, kind)
    assert len(CELLS) >= 3 * len(CASES)  # nan, empty, zero or constant: nearly every case


@pytest.mark.parametrize("backend_name", REGISTRY)
@pytest.mark.parametrize(("case", "kind"), CELLS, ids=[f"{c.name}-{k}" for c, k in CELLS])
def test_hostile_input(case, kind, backend_name) -> None:
    hostile.check(case, kind, use_backend(backend_name))
