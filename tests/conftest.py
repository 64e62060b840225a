"""Fixtures: ``backend`` runs a test on every array backend, ``dtype`` in float32 and float64.

``ARRAYLOSSES_BACKENDS=numpy,torch`` restricts the backends (the ``tests-<backend>`` nox
sessions use it). A backend that cannot load here is skipped with its reason, unless it is
named in ``ARRAYLOSSES_REQUIRE_BACKENDS`` (CI names all CPU backends): then the test fails, so
CI can never go green by silently dropping a backend.

JAX runs with x64 on and matmul precision "highest" for the whole test process (as
array-api-extra's and SciPy's test setups do): the tests make float64 JAX arrays outside any
context manager. The package itself never writes ``jax.config``.

JAX's persistent compilation cache is off unless ``ARRAYLOSSES_JAX_CACHE`` names a directory
(every compilation kept there; a second run reuses the first's). On a cold cache it costs more
than it saves: writing each of the suite's thousands of small programs, and hashing it, took
longer than the hits between the two pytest-xdist workers gave back (README, Development, has
the commands: 477 s with a cold cache against 313 s without in one process; 189 s against
181 s on two workers).

The registry's JAX column is the matrix's, ``nox -s conformance``, which CI runs after this
suite with JAX required: its values of every set in every dtype, every set's gradients inside
one ``jax.jit`` (that jit's value against NumPy float64), every other set's ``jax.jit`` against
the eager call, ``jax.vmap``, the merge laws and the hostile sweep. This suite ran a subset of
those same cells (``conformance.checks``, ``conformance.hostile``), each new JAX shape an XLA
compilation; it keeps JAX's feature tests. ``ARRAYLOSSES_JAX_REGISTRY=full`` runs the whole
column here too (the ``tests-jax`` session does).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

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
    if _cache not in ("", "0"):
        jax.config.update("jax_compilation_cache_dir", _cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

#: the registry's JAX column in this process too (module docstring)
JAX_REGISTRY_FULL = os.environ.get("ARRAYLOSSES_JAX_REGISTRY", "") == "full"


def use_backend(name: str) -> Backend:
    """The backend, or skip (fail if required) with the reason it cannot load."""
    backend = BACKENDS[name]
    reason = backend.available()
    if reason is not None:
        if name in REQUIRED:
            pytest.fail(f"required backend unavailable: {reason}")
        pytest.skip(reason)
    return backend


def entered(name: str) -> Iterator[Backend]:
    """The backend ``name`` (:func:`use_backend`), inside its context while the test runs: the
    body of the backend fixtures."""
    b = use_backend(name)
    with b.context():
        yield b


@pytest.fixture(params=SELECTED)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from entered(request.param)


DIFFERENTIABLE = [n for n in SELECTED if BACKENDS[n].differentiable]
JAX = [n for n in SELECTED if n.startswith("jax")]
TORCH = [n for n in SELECTED if n.startswith("torch")]
#: the backends of the registry sweeps here (tests/test_conformance.py, tests/test_hostile.py):
#: JAX's column is the matrix's unless ``ARRAYLOSSES_JAX_REGISTRY=full`` (module docstring)
REGISTRY = [n for n in SELECTED if JAX_REGISTRY_FULL or n not in JAX]


@pytest.fixture(params=REGISTRY)
def registry_backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """:func:`backend` over :data:`REGISTRY`: a sweep whose JAX column is the matrix's."""
    yield from entered(request.param)


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
