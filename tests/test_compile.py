"""torch.compile smoke test: a few cases compile with fullgraph=True (no graph break) and give
the eager result. The conformance matrix (--compile) runs every case."""

from __future__ import annotations

import pytest

from arraylosses.testing.cases import BY_NAME
from conformance import checks

from .conftest import TORCH, use_backend

SMOKE = ["huber_loss", "cosine_distance_loss", "metrics.r2_score"]


@pytest.mark.slow
@pytest.mark.parametrize("backend_name", TORCH)
@pytest.mark.parametrize("name", SMOKE)
def test_torch_compile_fullgraph(name, backend_name) -> None:
    checks.check_torch_compile(BY_NAME[name], use_backend(backend_name))
