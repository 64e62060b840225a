"""The shape of a peer cross-check, and ``pair``: ours and the peer's on the same inputs.

A record (:class:`arraylosses.testing.cases.Case`) carries its peer calls as ``checks=``
(:func:`peer`: the function's name is filled in by the registry); the older families keep theirs
in the source tree's ``conformance/peers/``. ``tests/test_peers.py`` and the conformance matrix
run both. A peer library is imported inside the call only, when the check runs."""

from __future__ import annotations

import contextlib
import contextvars
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._autodiff import value_and_grads
from ._backends import BACKENDS

__all__ = ["PeerCheck", "PeerRun", "jax_pair", "pair", "pair_dtype", "peer", "peer_module"]

PeerRun = Callable[[dict[str, np.ndarray]], tuple[list[Any], list[Any]]]
"""A peer check's call: the case's NumPy inputs in, ``(ours, theirs)`` out, lists of arrays."""
Run = PeerRun  # the short name the record modules use

#: The floating dtype :func:`pair` computes in: float64, except inside :func:`pair_dtype`
#: (the peer audit, ``conformance/audit``, runs the pairs in float16 and bfloat16 too).
_PAIR_DTYPE: contextvars.ContextVar[str] = contextvars.ContextVar("pair_dtype", default="float64")


@contextlib.contextmanager
def pair_dtype(dtype: str) -> Iterator[None]:
    """Inside this block, :func:`pair` casts the floating inputs to ``dtype`` (a dtype name)
    instead of float64: the peer audit's low-precision kinds. Checks that build their own
    arrays ignore it."""
    token = _PAIR_DTYPE.set(dtype)
    try:
        yield
    finally:
        _PAIR_DTYPE.reset(token)


def pair(
    ours: Callable[..., Any],
    theirs: Callable[..., Any],
    *names: str,
    backend: str = "torch",
    grad: tuple[str, ...] | None = None,
) -> Run:
    """A ``PeerCheck.run``: both functions called on the inputs ``names`` (float64 on
    ``backend``, integers kept), each returning its result parts then the gradients of
    ``Σ out·c`` (one fixed ``c`` per part, the same for both) with respect to the floating
    inputs in ``grad`` (default: all), by :func:`arraylosses.testing.value_and_grads`. A
    gradient a function does not have (an input it does not use) is zeros.

    Args:
        ours: our function, called on the named inputs in order.
        theirs: the peer's call on the same arguments (it imports the peer library).
        *names: the record's input arrays passed, in this order.
        backend: the backend both run on. Default ``"torch"``.
        grad: the inputs to differentiate. Default ``None``: every floating one.

    Returns:
        A function of the record's NumPy inputs returning ``(ours, theirs)``, each a list of
        NumPy arrays: the result parts, then the gradients.
    """

    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        b = BACKENDS[backend]
        dtype = _PAIR_DTYPE.get()
        wrt = [
            i
            for i, n in enumerate(names)
            if inputs[n].dtype.kind == "f" and (grad is None or n in grad)
        ]
        results = []
        with b.context(dtype):
            arrays = [b.asarray(inputs[n], dtype) for n in names]
            for fn in (ours, theirs):
                r = value_and_grads(fn, b, arrays, wrt=wrt)
                results.append(
                    [
                        *r.values,
                        *(
                            np.zeros(inputs[names[i]].shape) if g is None else g
                            for i, g in zip(wrt, r.grads, strict=True)
                        ),
                    ]
                )
        return results[0], results[1]

    return run


def jax_pair(
    ours: Callable[..., Any],
    theirs: Callable[..., Any],
    *names: str,
    grad: tuple[str, ...] | None = None,
) -> Run:
    """:func:`pair` on JAX (the optax and rax peers).

    Args:
        ours: our function.
        theirs: the peer's call.
        *names: the record's input arrays passed, in this order.
        grad: the inputs to differentiate. Default ``None``: every floating one.

    Returns:
        As :func:`pair`.
    """
    return pair(ours, theirs, *names, backend="jax", grad=grad)


@dataclass(frozen=True)
class PeerCheck:
    """``run(inputs)`` returns ``(ours, theirs)``: lists of NumPy arrays (values, gradients)
    computed from the same float64 inputs, which must agree within ``rtol``/``atol``."""

    function: str  # our public name, as in the case registry
    peer: str  # the peer call, with its parameters translated
    library: str  # the module that must import (for availability)
    run: Run
    rtol: float = 1e-12
    atol: float = 1e-12
    deviation: str = ""  # where the peer differs by design, how and by how much

    @property
    def column(self) -> str:
        return self.library.split(".")[0].replace("_", "-")

    def available(self) -> str | None:
        try:
            importlib.import_module(self.library)
        except ImportError as err:
            return f"{self.library} is not installed ({err})"
        return None

    def inputs(self, seed: int = 7) -> dict[str, np.ndarray]:
        from .cases import BY_NAME

        return BY_NAME[self.function].inputs(np.random.default_rng(seed))


def peer(
    peer: str,
    library: str,
    run: Run,
    *,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    deviation: str = "",
) -> PeerCheck:
    """A :class:`PeerCheck` for a record's ``checks=``: ``peer`` is the call as the peer spells
    it (its parameters translated), ``library`` the module that must import, ``run`` usually
    :func:`pair`. The registry fills in the function's name.

    Args:
        peer: the peer call as the peer spells it.
        library: the module that must import for the check to run.
        run: ``(ours, theirs)`` of the record's inputs, usually :func:`pair`.
        rtol: the relative tolerance. Default ``1e-12``.
        atol: the absolute tolerance. Default ``1e-12``.
        deviation: where the peer differs by design, how and by how much. Default none.

    Returns:
        The :class:`PeerCheck`, its function name left empty for the registry to fill.
    """
    return PeerCheck("", peer, library, run, rtol=rtol, atol=atol, deviation=deviation)


def peer_module(name: str) -> Any:
    """The peer's module ``name`` (``"lightly.loss.dcl_loss"``), loaded from its file without
    running the ``__init__`` of the packages between it and the top package. lightly's
    ``lightly/loss/__init__.py`` imports torchvision, and PyPI's torchvision does not import beside
    the CPU torch wheel of these machines ("operator torchvision::nms does not exist"); the loss
    files themselves need only torch. The module is cached under a private name, so a later
    ``import lightly.loss`` is not affected.

    Args:
        name: the module's dotted name.

    Returns:
        The loaded module.
    """
    import importlib.util
    import pathlib
    import sys

    private = f"_arraylosses_peer.{name}"
    if private in sys.modules:
        return sys.modules[private]
    top, *rest = name.split(".")
    found = importlib.util.find_spec(top)
    if found is None or not found.submodule_search_locations:
        raise ImportError(f"{top} is not installed")
    path = pathlib.Path(next(iter(found.submodule_search_locations)), *rest).with_suffix(".py")
    spec = importlib.util.spec_from_file_location(private, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module file {path} for {name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[private] = module
    spec.loader.exec_module(module)
    return module
