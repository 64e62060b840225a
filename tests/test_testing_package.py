"""arraylosses.testing ships what it needs: it works from a copy of the package alone (no
source tree on sys.path, unlike this suite's ``pythonpath = ["."]``), imports nothing from
conformance/ or tests/, and no private name of it is imported from outside the package."""

from __future__ import annotations

import ast
import pathlib
import shutil
import subprocess
import sys

import array_api_compat
import numpy as np

import arraylosses.testing as testing

ROOT = pathlib.Path(__file__).parent.parent
PACKAGE = ROOT / "arraylosses"


def _imports(path: pathlib.Path) -> list[tuple[str, list[str]]]:
    """``(module, imported names)`` of every import statement in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def test_the_package_imports_neither_conformance_nor_tests():
    bad = [
        (str(p.relative_to(ROOT)), m)
        for p in PACKAGE.rglob("*.py")
        for m, _ in _imports(p)
        if m.split(".")[0] in ("conformance", "tests")
    ]
    assert not bad, bad


def test_no_private_testing_name_crosses_into_conformance_or_tests():
    bad = []
    for p in [*(ROOT / "conformance").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]:
        for module, names in _imports(p):
            if module.startswith("arraylosses.testing") and (
                "._" in module or any(n.startswith("_") for n in names)
            ):
                bad.append((str(p.relative_to(ROOT)), module, names))
    assert not bad, bad


def test_public_names_are_exported():
    for name in (
        "Backend",
        "BACKENDS",
        "max_errors",
        "crosscheck",
        "adapt",
        "value_and_grads",
        "finite_differences",
        "assert_backends_agree",
        "tolerance",
        "generic_kernels",
    ):
        assert name in testing.__all__ and hasattr(testing, name), name


def test_convert_puts_numpy_arguments_on_the_backend(backend, dtype):
    """Floating arrays cast to ``dtype``, integer and boolean ones kept, on the backend's
    namespace and device; what is not a NumPy array passes as it is."""
    args, kwargs = backend.convert(
        (np.array([1.5, -2.0]), np.array([2, 0])),
        {"mask": np.array([True, False]), "k": 3, "directions": ("q", "d"), "tau": 0.5},
        dtype,
    )
    xp = backend.xp
    assert args[0].dtype == getattr(xp, dtype)
    assert xp.isdtype(args[1].dtype, "integral") and kwargs["mask"].dtype == xp.bool
    for x in (*args, kwargs["mask"]):
        assert array_api_compat.array_namespace(x).__name__ == xp.__name__
        if backend.device_checked:
            assert array_api_compat.device(x) == backend.device
    assert [testing.to_numpy(x).tolist() for x in args] == [[1.5, -2.0], [2, 0]]
    assert testing.to_numpy(kwargs["mask"]).tolist() == [True, False]
    assert (kwargs["k"], kwargs["directions"], kwargs["tau"]) == (3, ("q", "d"), 0.5)
    assert backend.convert() == ([], {})


SCRIPT = """
import importlib.util, os, sys
# an editable install (as nox's) puts a source tree on sys.path through a .pth file (this one,
# or another checkout's when the suite runs in a git worktree): drop every source tree
sys.path = [
    p for p in sys.path
    if os.path.realpath(p or ".") != {root!r}
    and not os.path.isfile(os.path.join(p or ".", "arraylosses", "__init__.py"))
]
sys.path.insert(0, {site!r})
import numpy as np
import arraylosses
from arraylosses.testing import crosscheck
assert arraylosses.__file__.startswith({site!r}), arraylosses.__file__
assert importlib.util.find_spec("conformance") is None and importlib.util.find_spec("tests") is None
report = crosscheck(lambda p, t: np.mean((p - t) ** 2), "mse_loss", backends=["numpy"])
assert {{r.inputs for r in report}} == {{f"registry inputs, seed {{s}}" for s in range(3)}}
print("ok")
"""


def test_crosscheck_registry_inputs_work_from_the_package_alone(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "arraylosses", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-W",
            "error",
            "-c",
            SCRIPT.format(site=str(site), root=str(ROOT.resolve())),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
