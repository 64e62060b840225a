"""``__all__`` of every module under arraylosses (found with pkgutil, so a new module is checked
too): it lists only names that exist, once each; it lists every public function and class the
module defines; and each package re-exports its submodules consistently (all of a submodule's
``__all__`` as the same objects, or none of it: a namespace such as ``arraylosses.metrics``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import arraylosses
from arraylosses.testing.cases import streaming_shared


def _modules() -> dict[str, ModuleType]:
    found = {"arraylosses": arraylosses}
    for info in pkgutil.walk_packages(arraylosses.__path__, "arraylosses."):
        found[info.name] = importlib.import_module(info.name)
    return found


MODULES = _modules()
NAMES = sorted(MODULES)
PACKAGES = [n for n in NAMES if hasattr(MODULES[n], "__path__")]

# Modules that define no __all__ yet. A module leaves this list when it gains one (the test
# below fails on a stale entry, so the list cannot outlive the gap).
WITHOUT_ALL = {
    "arraylosses._validate": "internal argument checks, imported by name by every family",
}
# Public (no underscore) functions and classes a module defines but does not list, with the
# reason. Same rule: a stale entry fails.
_MNRL_INTERNAL = "MNRL's internals read by matryoshka's fast path (public: no private import)"
UNLISTED = {
    ("arraylosses._backend", "NativeKernels"): "the type of native_kernels' result",
    ("arraylosses._ops", "safe_power"): "used by p_norm in the same module",
    ("arraylosses.testing._backends", "dtype_name"): "used by _compare and _autodiff",
    ("arraylosses.contrastive.mnrl", "Options"): _MNRL_INTERNAL,
    ("arraylosses.contrastive.mnrl", "Prepared"): _MNRL_INTERNAL,
    ("arraylosses.contrastive.mnrl", "Preset"): _MNRL_INTERNAL,
    ("arraylosses.contrastive.mnrl", "mnrl_rows"): _MNRL_INTERNAL,
    ("arraylosses.contrastive.mnrl", "prepare_mnrl"): _MNRL_INTERNAL,
}


_STREAMING = "shared by the one-shot metric and its streaming form (one rule, one place)"
_CORE = "the streaming metrics' internals (arraylosses.metrics.streaming re-exports the API)"
UNLISTED.update(
    {
        **{
            ("arraylosses.metrics.streaming._core", n): _CORE
            for n in (
                "StateSpace",
                "along_rows",
                "check_mask",
                "count_dtype",
                "masked",
                "mean_of",
                "row_weights",
                "rows_counted",
                "state_space",
                "zeros",
            )
        },
    }
)
# what the streaming records' modules take from the one-shot metric modules, derived from the
# registry (a new streaming form's helpers need no entry here)
UNLISTED.update(
    {
        (home, name): _STREAMING
        for home, name in streaming_shared()
        if name not in getattr(importlib.import_module(home), "__all__", ())
    }
)


def _defined(module: ModuleType) -> set[str]:
    """The public functions and classes ``module`` itself defines (not the ones it imports)."""
    return {
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and getattr(obj, "__module__", None) == module.__name__
    }


def test_every_module_is_found() -> None:
    for expected in (
        "arraylosses.regression",
        "arraylosses.contrastive.mnrl",
        "arraylosses.metrics.retrieval",
        "arraylosses.testing.cases.regression",
    ):
        assert expected in MODULES


@pytest.mark.parametrize("name", NAMES)
def test_all_lists_existing_names_once(name: str) -> None:
    module = MODULES[name]
    if name in WITHOUT_ALL:
        assert not hasattr(module, "__all__"), f"{name} has __all__ now: drop it from WITHOUT_ALL"
        return
    assert hasattr(module, "__all__"), f"{name} defines no __all__"
    listed = list(module.__all__)
    assert all(isinstance(n, str) for n in listed), name
    assert len(listed) == len(set(listed)), f"{name}.__all__ repeats a name"
    missing = [n for n in listed if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists names it does not have: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_all_lists_every_public_definition(name: str) -> None:
    module = MODULES[name]
    listed = set(getattr(module, "__all__", ()))
    unlisted = {n for n in _defined(module) - listed if (name, n) not in UNLISTED}
    if name not in WITHOUT_ALL:
        assert not unlisted, (
            f"{name} defines public {sorted(unlisted)} outside __all__: list them or "
            "give them a leading underscore"
        )


def test_known_gaps_are_still_gaps() -> None:
    for (name, attr), why in UNLISTED.items():
        module = MODULES[name]
        assert attr in _defined(module), f"{name}.{attr} is gone: drop it from UNLISTED ({why})"
        assert attr not in getattr(module, "__all__", ()), (
            f"{name}.{attr} is listed now: drop it from UNLISTED"
        )
    assert set(WITHOUT_ALL) <= set(MODULES)


@pytest.mark.parametrize("name", PACKAGES)
def test_package_reexports_are_whole_and_identical(name: str) -> None:
    """Each submodule is either flattened into the package (every name of its ``__all__`` is in
    the package's, as the same object) or a namespace (none is)."""
    package = MODULES[name]
    exported = set(getattr(package, "__all__", ()))
    for info in pkgutil.iter_modules(package.__path__):
        sub = MODULES[f"{name}.{info.name}"]
        names = list(getattr(sub, "__all__", ()))
        same = [n for n in names if n in exported and getattr(package, n) is getattr(sub, n)]
        if same:
            assert same == names, (
                f"{name} re-exports {same} of {sub.__name__} but not "
                f"{sorted(set(names) - set(same))}"
            )


@pytest.mark.parametrize("name", PACKAGES)
def test_package_exports_come_from_their_modules_all(name: str) -> None:
    """A function or class a package exports from one of its submodules is in that
    submodule's ``__all__`` (the package never re-exports something the module keeps
    unlisted)."""
    package = MODULES[name]
    for export in getattr(package, "__all__", ()):
        obj = getattr(package, export)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        home = getattr(obj, "__module__", "")
        if not home.startswith(f"{name}.") or home not in MODULES:
            continue
        owner = MODULES[home]
        assert any(
            n in getattr(owner, "__all__", ()) and getattr(owner, n) is obj
            for n in (export, obj.__name__)
        ), f"{name}.{export} comes from {home}, whose __all__ does not list it"


def test_top_level_flattens_every_loss_family() -> None:
    """``arraylosses.X`` for every function of every family module; metrics stay a namespace."""
    flat = set(arraylosses.__all__)
    for family in (
        arraylosses.regression,
        arraylosses.classification,
        arraylosses.similarity,
        arraylosses.ranking,
        arraylosses.regularizers,
        arraylosses.contrastive,
    ):
        assert set(family.__all__) <= flat, family.__name__
    assert not set(arraylosses.metrics.__all__) & flat
    assert {"metrics", "regression", "contrastive"} <= flat
