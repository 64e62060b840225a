"""Fixtures: ``backend`` runs a test on every array backend, ``dtype`` in float32 and float64.

``ARRAYLOSSES_BACKENDS=numpy,torch`` restricts the backends (the ``tests-<backend>`` nox
sessions use it). A backend that cannot load here is skipped with its reason, unless it is
named in ``ARRAYLOSSES_REQUIRE_BACKENDS`` (CI names all CPU backends): then the test fails, so
CI can never go green by silently dropping a backend.

JAX runs with x64 on and matmul precision "highest" for the whole test process (as
array-api-extra's and SciPy's test setups do): the tests make float64 JAX arrays outside any
context manager. The package itself never writes ``jax.config``.

JAX's persistent compilation cache is on for the test process, every compilation kept
(``ARRAYLOSSES_JAX_CACHE`` names the directory, default ``.jax-cache`` in the checkout; ``0``
turns it off). Most of the suite's time is XLA compiling: each eager JAX primitive at a new
shape, and every ``jax.jit`` of a fresh wrapper, compiles afresh in each process. The cache is
keyed on the compiled program itself, so the two pytest-xdist workers, and the checks that
wrap the same function again (jit, the hostile sweep, the peers, the adapters), share one
compilation; a second run reuses the first's. Only the time changes: a hit returns the
program a miss would have compiled.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from arraylosses.testing import BACKENDS, Backend
from conformance.xla import use_fast_cpu_compiler


def _names(var: str) -> list[str]:
    value = os.environ.get(var, "")
    return [n.strip() for n in value.split(",") if n.strip()]


SELECTED = _names("ARRAYLOSSES_BACKENDS") or list(BACKENDS)
REQUIRED = set(_names("ARRAYLOSSES_REQUIRE_BACKENDS"))
_unknown = [n for n in (*SELECTED, *REQUIRED) if n not in BACKENDS]
if _unknown:
    raise ValueError(f"unknown backend(s) {_unknown}; known: {', '.join(BACKENDS)}")

# XLA's CPU compiler without LLVM's optimisation passes (conformance/xla.py: a compilation,
# most of the suite's time, in about a third; ARRAYLOSSES_XLA_FAST=0 keeps the defaults),
# for this process and the examples it starts
use_fast_cpu_compiler()

if importlib.util.find_spec("jax") is not None:  # also for the peers (optax, Keras on JAX)
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_default_matmul_precision", "highest")
    _cache = os.environ.get("ARRAYLOSSES_JAX_CACHE", "")
    if _cache != "0":
        _root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        jax.config.update("jax_compilation_cache_dir", _cache or os.path.join(_root, ".jax-cache"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def use_backend(name: str) -> Backend:
    """The backend, or skip (fail if required) with the reason it cannot load."""
    backend = BACKENDS[name]
    reason = backend.available()
    if reason is not None:
        if name in REQUIRED:
            pytest.fail(f"required backend unavailable: {reason}")
        pytest.skip(reason)
    return backend


@pytest.fixture(params=SELECTED)
def backend(request: pytest.FixtureRequest) -> Backend:
    b = use_backend(request.param)
    with b.context():
        yield b


DIFFERENTIABLE = [n for n in SELECTED if BACKENDS[n].differentiable]
JAX = [n for n in SELECTED if n.startswith("jax")]
TORCH = [n for n in SELECTED if n.startswith("torch")]


@pytest.fixture(params=DIFFERENTIABLE)
def ad_backend(request: pytest.FixtureRequest) -> Backend:
    """torch and JAX backends (CPU and GPU), for gradient tests."""
    return use_backend(request.param)


@pytest.fixture(params=["float32", "float64"])
def dtype(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
