"""The backend rule (docs/design.md): a loss or metric module imports no array framework; what
differs per framework lives in ``_backend.py`` (and ``_torch_gradient.py``), routed through
``NativeKernels``. And the suffix scan that CoSENT/AnglE use, routed and generic, against its
definition."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import arraylosses
from arraylosses import _backend

from .conftest import DIFFERENTIABLE, use_backend

PACKAGE = pathlib.Path(arraylosses.__file__).parent
# where framework code belongs: the backend layer, the adapters, the test kit, the
# framework-specific distributed merges
ALLOWED = {
    "_backend.py",
    "_torch_gradient.py",
    "torch.py",
    "keras.py",
    "sentence_transformers.py",
    "metrics/streaming/distributed.py",
}
FRAMEWORKS = ("torch", "jax", "cupy", "tensorflow")


def _framework_imports(path: pathlib.Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [n for n in names if n.split(".")[0] in FRAMEWORKS]
    return found


def test_no_framework_import_in_a_loss_or_metric_module() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in ALLOWED or rel.startswith("testing/"):
            continue
        imports = _framework_imports(path)
        if imports:
            offenders[rel] = imports
    assert offenders == {}


def _reference(x: np.ndarray) -> np.ndarray:
    return np.array([np.logaddexp.reduce(x[k:]) for k in range(len(x))])


@pytest.mark.parametrize("n", [1, 2, 7, 64])
@pytest.mark.parametrize("name", ["numpy", *DIFFERENTIABLE])
def test_suffix_logsumexp_by_definition(name, n) -> None:
    backend = use_backend(name)
    # wide scales: a shifted cumulative sum of exp would lose the small suffixes
    x = np.random.default_rng(n).normal(size=n) * 50
    expected = _reference(x)
    with backend.context():
        xp = backend.xp
        arr = backend.asarray(x, "float64")
        routed = backend.to_numpy(_backend.suffix_logsumexp(xp, arr))
        generic = backend.to_numpy(_backend.generic_suffix_logsumexp(xp, arr))
    np.testing.assert_allclose(routed, expected, rtol=1e-13, atol=0)
    np.testing.assert_allclose(generic, expected, rtol=1e-13, atol=0)


def test_the_scan_is_routed_on_torch_and_jax() -> None:
    for name in DIFFERENTIABLE:
        backend = use_backend(name)
        with backend.context():
            kernels = _backend.native_kernels(backend.xp)
        assert kernels is not None and kernels.suffix_logsumexp is not None, name
