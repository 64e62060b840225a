"""Our functions against the peer libraries of docs/spec.md, on the same float64 inputs: values and,
for torch and optax, gradients. ``ARRAYLOSSES_REQUIRE_PEERS=1`` turns a missing peer library into
a failure instead of a skip.

These are the conformance matrix's peer cells (``conformance.matrix.peer_cell`` runs the same
``conformance.peers.ALL`` with the same tolerances), which ``nox -s conformance`` runs with
``--require-peers``; ``nox -s tests`` leaves this file to it (CI runs both) and ``nox -s peers``
runs it alone."""

from __future__ import annotations

import os

import pytest

from conformance import checks
from conformance.peers import ALL

REQUIRE = os.environ.get("ARRAYLOSSES_REQUIRE_PEERS", "") == "1"


@pytest.mark.parametrize("check", ALL, ids=[f"{c.function}~{c.peer}" for c in ALL])
def test_matches_peer(check) -> None:
    reason = check.available()
    if reason is not None:
        if REQUIRE:
            pytest.fail(reason)
        pytest.skip(reason)
    checks.check_peer(check)
