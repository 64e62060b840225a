"""Fixtures: ``backend`` runs a test on every array backend, ``dtype`` in float32 and float64.

``ARRAYLOSSES_BACKENDS=numpy,torch`` restricts the backends (the ``tests-<backend>`` nox
sessions use it). A backend that cannot load here is skipped with its reason, unless it is
named in ``ARRAYLOSSES_REQUIRE_BACKENDS`` (CI names all CPU backends): then the test fails, so
CI can never go green by silently dropping a backend.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from arraylosses._backend import BACKENDS, Backend


def _names(var: str) -> list[str]:
    value = os.environ.get(var, "")
    return [n.strip() for n in value.split(",") if n.strip()]


SELECTED = _names("ARRAYLOSSES_BACKENDS") or list(BACKENDS)
REQUIRED = set(_names("ARRAYLOSSES_REQUIRE_BACKENDS"))
_unknown = [n for n in (*SELECTED, *REQUIRED) if n not in BACKENDS]
if _unknown:
    raise ValueError(f"unknown backend(s) {_unknown}; known: {', '.join(BACKENDS)}")


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
