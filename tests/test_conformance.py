"""Every registry case on every backend: values (float32/float64, plus half precision where the
backend has it) against NumPy float64, autodiff gradients against finite differences, and
``jax.jit``/``jax.vmap`` against eager calls; the streaming forms' merge laws.

JAX's column is the matrix's (``nox -s conformance``, run by CI after this suite with JAX
required: the same ``conformance.checks`` functions, in every set and dtype), unless
``ARRAYLOSSES_JAX_REGISTRY=full`` (tests/conftest.py says why)."""

from __future__ import annotations

import pytest

from arraylosses.testing import BACKENDS
from arraylosses.testing.cases import CASES
from conformance import checks

from .conftest import JAX, JAX_REGISTRY_FULL, REGISTRY, use_backend

CASE_IDS = [c.name for c in CASES]
CELLS = [(name, dtype) for name in REGISTRY for dtype in BACKENDS[name].dtypes]


@pytest.mark.parametrize(("backend_name", "dtype"), CELLS, ids=[f"{b}-{d}" for b, d in CELLS])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_values_match_numpy_float64(case, backend_name, dtype) -> None:
    """Every parameter set in every dtype: a dtype leak (a float64 constant, a promotion)
    shows on torch, NumPy and array-api-strict; JAX without x64 is the most lenient about
    such leaks."""
    checks.check_values(case, use_backend(backend_name), dtype)


@pytest.mark.parametrize("backend_name", [n for n in REGISTRY if BACKENDS[n].differentiable])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradients_match_finite_differences(case, backend_name) -> None:
    checks.check_gradients(case, use_backend(backend_name))


if JAX_REGISTRY_FULL:  # else the matrix's, in CI (module docstring)
    # the parameter sets with arrays to differentiate are jitted by the gradient check, which
    # compares that jax.jit's value with NumPy float64 (every array a traced argument): one
    # XLA compilation of each set, not two
    UNGRADED = [c for c in CASES if not all(checks.graded(c, p) for p in c.params)]

    @pytest.mark.parametrize("backend_name", JAX)
    @pytest.mark.parametrize("case", UNGRADED, ids=[c.name for c in UNGRADED])
    def test_jax_jit_matches_eager(case, backend_name) -> None:
        checks.check_jit(case, use_backend(backend_name), skip_graded=True)

    @pytest.mark.parametrize("backend_name", JAX)
    @pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
    def test_jax_vmap_matches_loop(case, backend_name) -> None:
        """The default parameter set, as the matrix (``--full``: every set). Every set is
        traced under ``jax.jit`` with every array a tracer (the gradient check, or the jit
        check for the sets without gradients); what vmap adds is the primitives' batching
        rules."""
        checks.check_vmap(case, use_backend(backend_name), full=False)


STREAMING = [c for c in CASES if checks.is_streaming(c)]


@pytest.mark.parametrize("backend_name", REGISTRY)
@pytest.mark.parametrize("case", STREAMING, ids=[c.name for c in STREAMING])
def test_streaming_merge_laws(case, backend_name) -> None:
    checks.check_merge_laws(case, use_backend(backend_name))
