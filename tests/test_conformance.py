"""Every registry case on every backend: values (float32/float64, plus half precision where the
backend has it) against NumPy float64, autodiff gradients against finite differences, and
``jax.jit``/``jax.vmap`` against eager calls; the streaming forms' merge laws."""

from __future__ import annotations

import pytest

from arraylosses.testing import BACKENDS
from arraylosses.testing.cases import CASES
from conformance import checks

from .conftest import DIFFERENTIABLE, JAX, SELECTED, use_backend

CASE_IDS = [c.name for c in CASES]
CELLS = [(name, dtype) for name in SELECTED for dtype in BACKENDS[name].dtypes]


@pytest.mark.parametrize(("backend_name", "dtype"), CELLS, ids=[f"{b}-{d}" for b, d in CELLS])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_values_match_numpy_float64(case, backend_name, dtype) -> None:
    checks.check_values(case, use_backend(backend_name), dtype)


@pytest.mark.parametrize("backend_name", DIFFERENTIABLE)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradients_match_finite_differences(case, backend_name) -> None:
    checks.check_gradients(case, use_backend(backend_name))


@pytest.mark.parametrize("backend_name", JAX)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_jax_jit_matches_eager(case, backend_name) -> None:
    checks.check_jit(case, use_backend(backend_name))


@pytest.mark.parametrize("backend_name", JAX)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_jax_vmap_matches_loop(case, backend_name) -> None:
    checks.check_vmap(case, use_backend(backend_name))


STREAMING = [c for c in CASES if checks.is_streaming(c)]


@pytest.mark.parametrize("backend_name", SELECTED)
@pytest.mark.parametrize("case", STREAMING, ids=[c.name for c in STREAMING])
def test_streaming_merge_laws(case, backend_name) -> None:
    checks.check_merge_laws(case, use_backend(backend_name))
