"""Argument checks. Every message names the argument, what was expected and what was found.

Checks here look only at shapes, dtypes and Python values, so they cost microseconds and run
the same under ``jax.jit`` and ``torch.compile``. Checks that need array values live beside
the function that needs them and run only when :func:`arraylosses._backend.is_eager`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._backend import Array, Namespace, as_dtype, const

REDUCTIONS = ("mean", "sum", "none")


def check_option(name: str, value: Any, options: Sequence[str]) -> str:
    """``value`` must be one of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        choices = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_reduction(reduction: Any) -> str:
    return check_option("reduction", reduction, REDUCTIONS)


def check_same_shape(name_a: str, a: Array, name_b: str, b: Array) -> None:
    """No silent broadcasting: ``(N, 1)`` against ``(N,)`` is an error, not an ``(N, N)``."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{name_b} must have the same shape as {name_a} {tuple(a.shape)}; "
            f"got {tuple(b.shape)}"
        )


def check_min_ndim(name: str, x: Array, ndim: int, what: str) -> None:
    if x.ndim < ndim:
        raise ValueError(f"{name} must have at least {ndim} dimension(s) ({what}); got shape "
                         f"{tuple(x.shape)}")


def check_ndim(name: str, x: Array, ndim: int, what: str) -> None:
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s) ({what}); got shape "
                         f"{tuple(x.shape)}")


def check_axis(name: str, axis: Any, x: Array) -> int:
    """A valid axis of ``x``, returned as a non-negative int."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"{name} must be an int; got {type(axis).__name__}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{name} must be in [-{x.ndim}, {x.ndim}) for an array of shape "
                         f"{tuple(x.shape)}; got {axis}")
    return axis % x.ndim


def check_real(xp: Namespace, name: str, x: Array) -> None:
    """``x`` must hold real numbers (floating or integer), not booleans or complex."""
    if not xp.isdtype(x.dtype, ("real floating", "integral")):
        raise TypeError(f"{name} must be a real (floating or integer) array; got dtype {x.dtype}")


def check_floating(xp: Namespace, name: str, x: Array) -> None:
    if not xp.isdtype(x.dtype, "real floating"):
        raise TypeError(f"{name} must be a real floating array; got dtype {x.dtype}")


def hyperparameter(
    xp: Namespace,
    name: str,
    value: Any,
    like: Array,
    *,
    low: float | None = None,
    low_inclusive: bool = True,
    high: float | None = None,
) -> Any:
    """A scalar hyperparameter: a Python number (range-checked) or a 0-d floating array.

    Python numbers are returned as ``float`` (they promote to the input's dtype on every
    backend). Arrays are checked to be 0-d and cast to ``like``'s dtype; gradients flow into
    them. Their range is not checked, because that would read the value (and break ``jit``).
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a float or a 0-d array; got bool")
    if isinstance(value, (int, float)):
        v = float(value)
        if math.isnan(v):
            raise ValueError(f"{name} must not be NaN")
        too_low = low is not None and (v < low or (v == low and not low_inclusive))
        too_high = high is not None and v > high
        if too_low or too_high:
            lo = "" if low is None else ("[" if low_inclusive else "(") + f"{low}, "
            hi = "inf)" if high is None else f"{high}]"
            raise ValueError(f"{name} must be in {lo}{hi}; got {v}")
        return v
    if not hasattr(value, "shape") or not hasattr(value, "dtype"):
        raise TypeError(f"{name} must be a float or a 0-d array; got {type(value).__name__}")
    if value.ndim != 0:
        raise ValueError(f"{name} must be a float or a 0-d array; got shape {tuple(value.shape)}")
    check_floating(xp, name, value)
    return as_dtype(xp, value, like.dtype)


def array_hyperparameters(**values: Any) -> dict[str, Any]:
    """The hyperparameters given as arrays: they must share the inputs' namespace and device,
    so they go to :func:`arraylosses._backend.namespace` with the inputs."""
    return {k: v for k, v in values.items() if hasattr(v, "shape")}


def positive_float(name: str, value: Any) -> float:
    """A strictly positive Python number (a numerical-safety constant such as ``eps``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a Python float; got {type(value).__name__}")
    if not value > 0 or math.isinf(value):
        raise ValueError(f"{name} must be a positive finite float; got {value}")
    return float(value)


def as_array(xp: Namespace, value: Any, like: Array) -> Array:
    """A hyperparameter returned by :func:`hyperparameter`, as an array of ``like``'s dtype."""
    return value if hasattr(value, "shape") else const(xp, value, like)


def check_weight(xp: Namespace, weight: Array, loss_shape: tuple[int, ...], name: str = "weight"
                 ) -> None:
    """Per-sample weights must broadcast to the per-sample loss without changing its shape."""
    check_real(xp, name, weight)
    shape = tuple(weight.shape)
    loss_shape = tuple(loss_shape)
    ok = len(shape) <= len(loss_shape) and all(
        w in (1, s) for w, s in zip(shape[::-1], loss_shape[::-1], strict=False)
    )
    if not ok:
        raise ValueError(
            f"{name} must be broadcastable to the per-sample loss shape {loss_shape} without "
            f"changing it; got shape {shape}"
        )
