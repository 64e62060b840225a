"""The tolerance table and the comparison of two arrays."""

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
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(a) & (a == e)
    with np.errstate(invalid="ignore"):  # inf - inf; those cells are zeroed just below
        diff = np.where(both_nan | same_inf, 0.0, np.abs(a - e))
    if diff.size == 0:
        return 0.0, 0.0
    finite = np.abs(e[np.isfinite(e)])
    floor = max(1e-8 * (float(finite.max()) if finite.size else 0.0), 1e-300)
    scale = np.maximum(np.abs(np.where(np.isfinite(e), e, 1.0)), floor)
    return float(np.max(diff)), float(np.max(np.where(diff == 0, 0.0, diff / scale)))


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
    default_rtol, default_atol = tolerance(actual.dtype) if hasattr(actual, "dtype") else (0, 0)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    a = np.asarray(to_numpy(actual), dtype=np.float64)
    e = np.asarray(to_numpy(expected) if hasattr(expected, "dtype") else expected, dtype=np.float64)
    if a.shape != e.shape:
        raise AssertionError(f"{prefix}shape {a.shape}, expected {e.shape}")
    ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if not np.all(ok):
        abs_err, rel_err = max_errors(a, e)
        bad = np.argwhere(~ok)[:3].tolist()
        raise AssertionError(
            f"{prefix}values differ (rtol={rtol:g}, atol={atol:g}): max abs error {abs_err:.3g}, "
            f"max rel error {rel_err:.3g}; first mismatches at {bad}: "
            f"{a[~ok][:3].tolist()} vs {e[~ok][:3].tolist()}"
        )
