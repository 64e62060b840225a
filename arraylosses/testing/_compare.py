"""The tolerance table and the one comparison of two arrays.

Every comparison of the test kit goes through ``compare``: ``assert_close`` (and through it
``assert_backends_agree``, the conformance checks and the hostile-input sweep) and
``crosscheck``. It holds the one definition of the errors (``max_errors``) and the one pass
rule, ``|a - e| <= atol + rtol·|e|`` elementwise, a NaN matching only a NaN and an infinity
only itself. Callers differ only in the ``rtol``/``atol`` they pass (the dtype's ``tolerance``
by default) and in what the relative error is relative to (each element, or the array's
largest entry).
"""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

from ._backends import dtype_name, to_numpy

__all__ = ["FINITE_DIFFERENCES", "TOLERANCES", "assert_close", "max_errors", "tolerance"]

#: ``dtype name -> (rtol, atol)``: the one tolerance table (docs/design.md, Tests). float16 and
#: bfloat16 inputs are computed in float32 but rounded on the way in and out.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-10, 1e-12),
    "float32": (2e-5, 1e-6),
    "float16": (1e-2, 1e-3),
    "bfloat16": (2e-2, 1e-2),
}

#: ``(rtol, atol)`` for a float64 autodiff gradient against central finite differences (step
#: ``1e-6·max(1, |x|)``): the differences are accurate to about 1e-8 relative.
FINITE_DIFFERENCES: tuple[float, float] = (1e-6, 1e-7)


def tolerance(dtype: Any) -> tuple[float, float]:
    """``(rtol, atol)`` for a dtype object or name.

    Args:
        dtype: a dtype object of any backend, or a name such as ``"float32"``.

    Returns:
        ``(rtol, atol)``, two Python floats.

    Example:
        >>> tolerance("float64")
        (1e-10, 1e-12)
    """
    name = dtype_name(dtype) if not isinstance(dtype, str) else dtype.rsplit(".", 1)[-1]
    if name not in TOLERANCES:
        raise ValueError(f"no tolerance for dtype {name}; known: {', '.join(TOLERANCES)}")
    return TOLERANCES[name]


#: The relative error of an element is measured against ``max(|e|, floor·max|e|)``: with this
#: default floor, per element; elements many orders of magnitude below the array's scale (a
#: gradient entry of 1e-18 beside entries of 0.1) say nothing relative.
ELEMENT_FLOOR = 1e-8
#: The floor that makes the relative error ``max|a - e| / max|e|``, relative to the array's
#: scale (crosscheck's rows; for a scalar, the relative error).
SCALE_FLOOR = 1.0


def _float64(x: Any) -> np.ndarray:
    return np.asarray(to_numpy(x), dtype=np.float64)


def _difference(a: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``|a - e|``, 0 where both are NaN or both the same infinity."""
    same = (np.isnan(a) & np.isnan(e)) | (np.isinf(a) & (a == e))
    with np.errstate(invalid="ignore"):  # inf - inf; those cells are zeroed
        return np.where(same, 0.0, np.abs(a - e))


def _errors(diff: np.ndarray, e: np.ndarray, floor: float) -> tuple[float, float]:
    if diff.size == 0:
        return 0.0, 0.0
    finite = np.abs(e[np.isfinite(e)])
    least = max(floor * (float(finite.max()) if finite.size else 0.0), 1e-300)
    scale = np.maximum(np.abs(np.where(np.isfinite(e), e, 1.0)), least)
    return float(np.max(diff)), float(np.max(np.where(diff == 0, 0.0, diff / scale)))


def _passes(diff: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """The pass rule, elementwise: ``|a - e| <= atol + rtol·|e|``; where ``e`` is NaN or
    infinite, only an exact match (``diff`` 0) passes."""
    finite = np.isfinite(e)
    with np.errstate(invalid="ignore"):  # NaN differences compare False, as they should
        return (diff == 0) | (finite & (diff <= atol + rtol * np.abs(np.where(finite, e, 0.0))))


def max_errors(actual: Any, expected: Any) -> tuple[float, float]:
    """Largest absolute error, and largest relative error ``|a - e| / |e|``.

    The relative error is measured against ``max(|e|, 1e-8·max|e|)``: elements many orders of
    magnitude below the array's scale (a gradient entry of 1e-18 beside entries of 0.1) say
    nothing relative, and their absolute error is in the first number. NaN matches NaN and an
    infinity matches itself; a NaN on one side only makes both errors NaN.

    Args:
        actual: an array of any backend.
        expected: the reference values, same shape.

    Returns:
        ``(largest absolute error, largest relative error)``, two Python floats.

    Example:
        >>> import numpy as np
        >>> max_errors(np.array([1.0, 2.0]), np.array([1.0, 2.5]))
        (0.5, 0.2)
    """
    a, e = _float64(actual), _float64(expected)
    return _errors(_difference(a, e), e, ELEMENT_FLOOR)


def _check_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float,
    atol: float,
    floor: float = ELEMENT_FLOOR,
    prefix: str = "",
    names: tuple[str, str] = ("actual", "expected"),
) -> tuple[float, float]:
    """The one comparison: raises ``AssertionError`` (``prefix``, then the worst errors, the
    tolerance and the first mismatches, each side labelled by ``names``) on a shape
    difference or where the pass rule fails; else returns ``(max abs error, max rel error)``,
    the relative error against ``max(|e|, floor·max|e|)``."""
    a, e = _float64(actual), _float64(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{prefix}{names[0]} has shape {a.shape}, {names[1]} {e.shape}")
    diff = _difference(a, e)
    errors = _errors(diff, e, floor)
    ok = _passes(diff, e, rtol, atol)
    if not np.all(ok):
        bad = np.argwhere(~ok)
        first = [tuple(int(i) for i in index) for index in bad[:3]]
        raise AssertionError(
            f"{prefix}max abs error {errors[0]:.3g}, max rel error {errors[1]:.3g} "
            f"(rtol {rtol:g}, atol {atol:g}); {len(bad)} of {ok.size} differ, first at "
            f"{first}: {names[0]} {a[~ok][:3].tolist()} vs {names[1]} {e[~ok][:3].tolist()}"
        )
    return errors


def assert_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    xp: Any = None,
    dtype: Any = None,
    device: Any = None,
    err_msg: str = "",
) -> None:
    """Assert values (``|a - e| <= atol + rtol·|e|``, NaN equal to NaN), shape and, when given,
    the namespace, dtype and device of ``actual``. Tolerances default to ``actual``'s dtype.

    Args:
        actual: the array to check, of any backend (or a Python scalar).
        expected: the expected values, a NumPy array or anything ``to_numpy`` converts.
        rtol: relative tolerance. Default ``None``: :func:`tolerance` of ``actual``'s dtype.
        atol: absolute tolerance. Default ``None``: :func:`tolerance` of ``actual``'s dtype.
        xp: the namespace ``actual`` must belong to. Default ``None``: not checked.
        dtype: the dtype ``actual`` must have. Default ``None``: not checked.
        device: the device ``actual`` must be on. Default ``None``: not checked.
        err_msg: prefix of the assertion message. Default ``""``.

    Raises:
        AssertionError: on any difference beyond tolerance, or a wrong shape, namespace, dtype
            or device.

    Example:
        >>> import numpy as np
        >>> assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]))
    """
    prefix = f"{err_msg}: " if err_msg else ""
    if xp is not None:
        found = array_api_compat.array_namespace(actual)
        if found is not xp and getattr(found, "__name__", "") != getattr(xp, "__name__", ""):
            raise AssertionError(f"{prefix}result is from {found.__name__}, expected {xp.__name__}")
    if dtype is not None and actual.dtype != dtype:
        raise AssertionError(f"{prefix}dtype {actual.dtype}, expected {dtype}")
    if device is not None and array_api_compat.device(actual) != device:
        raise AssertionError(f"{prefix}device {array_api_compat.device(actual)}, expected {device}")
    if rtol is None or atol is None:  # a Python scalar has no dtype: exact
        default = tolerance(actual.dtype) if hasattr(actual, "dtype") else (0.0, 0.0)
        rtol = default[0] if rtol is None else rtol
        atol = default[1] if atol is None else atol
    _check_close(actual, expected, rtol=rtol, atol=atol, prefix=prefix)
