"""The peer defects of the audit's table (``conformance/audit/known.py``), each run as its repro
(``conformance/audit/repros.py``). Every repro returns the peer's value, ours and a value derived
independently (a float64 computation by definition, or a second peer that agrees), and pins the
peer's current value: ``test_peer_still_differs`` checks ours against the independent value and
the peer against its pinned (wrong) value; ``test_peer_is_right`` asserts the peer agrees with
the independent value and is a strict xfail, so the suite fails when a peer fixes its bug (then
update the row, regenerate the report with ``nox -s audit``). Our own defects (rows of kind
``ours``) run the same way: a strict xfail while open, a plain regression test once ``fixed``.
A missing peer skips, or fails under ``ARRAYLOSSES_REQUIRE_PEERS=1``."""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np
import pytest

from conformance.audit import repros
from conformance.audit.known import ROWS

REQUIRE = os.environ.get("ARRAYLOSSES_REQUIRE_PEERS", "") == "1"
DEFECTS = {row.id: row for row in ROWS if row.kind == "peer defect"}
OURS = {row.id: row for row in ROWS if row.kind == "ours" and row.test and not row.fixed}
FIXED = {row.id: row for row in ROWS if row.kind == "ours" and row.fixed}


@functools.cache
def _run(row_id: str) -> repros.Result:
    try:
        return getattr(repros, {**DEFECTS, **OURS, **FIXED}[row_id].test)()
    except repros.PeerMissing as exc:
        if REQUIRE:
            pytest.fail(str(exc))
        pytest.skip(str(exc))


def _same(a: Any, b: Any, rtol: float) -> bool:
    if isinstance(a, str | bool) or isinstance(b, str | bool):
        return a == b
    return bool(
        np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=0, equal_nan=True)
    )


def test_every_defect_row_has_a_repro() -> None:
    rows = [*DEFECTS.values(), *OURS.values(), *FIXED.values()]
    missing = [r.id for r in rows if not callable(getattr(repros, r.test, None))]
    assert not missing, f"peer-defect rows without a repro function: {missing}"


@pytest.mark.parametrize("row_id", list(DEFECTS))
def test_peer_still_differs(row_id: str) -> None:
    r = _run(row_id)
    if not DEFECTS[row_id].ours_open:  # else ours is wrong too, a row of its own (below)
        assert _same(r.ours, r.independent, r.rtol), f"ours {r.ours!r} != {r.independent!r}"
    assert _same(r.peer, r.pinned, r.rtol), (
        f"the peer now gives {r.peer!r} (pinned {r.pinned!r}): update row {row_id} of "
        "conformance/audit/known.py"
    )


@pytest.mark.xfail(
    reason="the peer's defect (conformance/audit/known.py)", raises=AssertionError, strict=True
)
@pytest.mark.parametrize("row_id", list(DEFECTS))
def test_peer_is_right(row_id: str) -> None:
    r = _run(row_id)
    assert _same(r.peer, r.independent, r.rtol)


@pytest.mark.xfail(
    reason="our own open defect (a row of kind 'ours' in conformance/audit/known.py)",
    raises=AssertionError,
    strict=True,
)
@pytest.mark.parametrize("row_id", list(OURS))
def test_ours_is_right(row_id: str) -> None:
    """Fails (strictly) once the fix lands: then set the row's ``fixed`` (the date and how; it
    moves to :func:`test_ours_stays_fixed`) and drop the peer row's ``ours_open``."""
    r = _run(row_id)
    assert _same(r.ours, r.independent, r.rtol)


@pytest.mark.parametrize("row_id", list(FIXED))
def test_ours_stays_fixed(row_id: str) -> None:
    """A row of ours that is fixed: its repro, a plain regression test."""
    r = _run(row_id)
    assert _same(r.ours, r.independent, r.rtol), f"{row_id} regressed: {r.ours!r}"
    assert not [d.id for d in DEFECTS.values() if d.ours_open == row_id], "drop ours_open"
