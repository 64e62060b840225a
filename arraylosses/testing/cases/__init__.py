"""The case registry: one entry per public function of arraylosses.

A :class:`Case` says how to build inputs for a function (a builder of
:mod:`arraylosses.testing.inputs`: NumPy float64, from a seeded generator, away from the kinks
where autodiff conventions differ), which parameter sets (:class:`Params`, with :class:`Ref`
for an input array passed by keyword) to run, and which inputs to differentiate. The
conformance matrix, the backend-agreement tests, the gradient tests, the jit/vmap tests, the
property and error tests and :func:`arraylosses.testing.crosscheck`'s default inputs all read
this registry, so a function added here is checked everywhere; ``tests/test_registry.py`` fails
when a public name has no case. The cases live in one module per family, mirroring the package
(``regression``, ``classification``, ``similarity``, ``contrastive``, ``metric_learning``,
``self_supervised``, ``ranking``, ``regularizers``, ``metrics``, ``streaming``), and are
concatenated here in that order. It ships in the wheel (the conformance matrix in the source
tree imports it from here).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import inspect
from types import ModuleType

import arraylosses as al
from arraylosses import metrics as _metrics

from . import (
    classification,
    contrastive,
    metric_learning,
    ranking,
    regression,
    regularizers,
    self_supervised,
    similarity,
)
from . import metrics as metric_cases
from . import streaming as streaming_cases
from ._case import (
    ALL_DIRECTIONS,
    BROADCAST_WEIGHT_PARAMS,
    EXCEPTIONS,
    KINDS,
    MONOTONE,
    REDUCTION_PARAMS,
    TRAITS,
    Adapter,
    Case,
    Hostile,
    Owned,
    Params,
    Ref,
)

__all__ = [
    "ALL_DIRECTIONS",
    "BROADCAST_WEIGHT_PARAMS",
    "BY_NAME",
    "CASES",
    "EXCEPTIONS",
    "FAMILIES",
    "KINDS",
    "MONOTONE",
    "REDUCTION_PARAMS",
    "TRAITS",
    "Adapter",
    "Case",
    "Hostile",
    "Owned",
    "Params",
    "Ref",
    "public_names",
    "record_of",
    "streaming_shared",
]

FAMILIES = {
    "regression": regression,
    "classification": classification,
    "similarity": similarity,
    "contrastive": contrastive,
    "metric_learning": metric_learning,
    "self_supervised": self_supervised,
    "ranking": ranking,
    "regularizers": regularizers,
    "metrics": metric_cases,
    "streaming": streaming_cases,
}
"""The families, in the docs' order: each registry module's name is the ``family`` of its
cases (the docs page they are listed on)."""

CASES: tuple[Case, ...] = tuple(
    dataclasses.replace(case, family=family)
    for family, module in FAMILIES.items()
    for case in module.CASES
)

BY_NAME: dict[str, Case] = {case.name: case for case in CASES}

_BY_OBJECT: dict[int, Case] = {id(case.public or case.fn): case for case in CASES}


def record_of(fn: object) -> Case | None:
    """The record of the public function ``fn`` (the object itself, not its name: an alias has
    its own record), or ``None`` for a function outside the catalogue. The framework adapters
    read what they need from it (``Case.adapter``)."""
    return _BY_OBJECT.get(id(fn))


def _functions(module: object, names: list[str]) -> list[str]:
    """The names that are functions (not classes such as state types, not modules)."""
    return [n for n in names if inspect.isfunction(getattr(module, n))]


def public_names() -> list[str]:
    """Every public function: ``arraylosses.__all__``, ``metrics.__all__`` and
    ``metrics.streaming.__all__`` (prefixed); classes (state types) and modules are not
    functions."""
    top = [n for n in al.__all__ if callable(getattr(al, n))]
    return (
        top
        + [f"metrics.{n}" for n in _functions(_metrics, _metrics.__all__)]
        + [
            f"metrics.streaming.{n}"
            for n in _functions(_metrics.streaming, _metrics.streaming.__all__)
        ]
    )


def streaming_shared() -> set[tuple[str, str]]:
    """``(module, name)`` of each public function and class of a one-shot metric module that
    a streaming record's module (where its factory lives) takes from it (``from ..m import
    name``, or ``alias.name`` after ``from .. import m as alias``), read from the source, and
    of those the taken ones name in turn (their result types, their helpers). They serve the
    one-shot metric and its streaming form (one rule, one place), so they need not be in the
    one-shot module's ``__all__`` (``tests/test_public_api.py`` reads this)."""
    taken: set[tuple[str, str]] = set()
    for module in {inspect.getmodule(c.public or c.fn) for c in CASES if c.kind == "streaming"}:
        if module is not None:
            taken |= _imported_names(module)
    found: set[tuple[str, str]] = set()
    while taken:
        home, name = taken.pop()
        if (home, name) in found or not home.startswith("arraylosses.metrics."):
            continue
        if ".streaming" in home or name.startswith("_"):
            continue
        obj = getattr(importlib.import_module(home), name, None)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == home:
            found.add((home, name))
            names = {
                n.id for n in ast.walk(ast.parse(inspect.getsource(obj))) if isinstance(n, ast.Name)
            }
            taken |= {(home, n) for n in names}
    return found


def _imported_names(module: ModuleType) -> set[tuple[str, str]]:
    """``(module, name)`` of what ``module``'s relative imports take, by name or as an
    attribute of an imported module."""
    package = module.__name__.rpartition(".")[0]
    tree = ast.parse(inspect.getsource(module))
    aliases: dict[str, str] = {}
    taken: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            source = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            for alias in node.names:
                obj = getattr(importlib.import_module(source), alias.name, None)
                if inspect.ismodule(obj):
                    aliases[alias.asname or alias.name] = obj.__name__
                else:
                    taken.add((source, alias.name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in aliases:
                taken.add((aliases[node.value.id], node.attr))
    return taken
