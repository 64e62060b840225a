"""Testing helpers: the tolerance table, ``assert_close`` and ``assert_backends_agree``.

``assert_backends_agree`` is the check the conformance matrix runs for every registry case:
the NumPy float64 result is the oracle, and every other backend and dtype must reproduce it
within the tolerance of its dtype, with the right namespace, dtype, shape and device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import array_api_compat

from ._backend import BACKENDS, Backend

__all__ = ["TOLERANCES", "assert_backends_agree", "assert_close", "available_backends",
           "tolerance"]

#: ``dtype name -> (rtol, atol)``: the one tolerance table (DESIGN.md, Tests). float16 and
#: bfloat16 inputs are computed in float32 but rounded on the way in and out.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-10, 1e-12),
    "float32": (2e-5, 1e-6),
    "float16": (1e-2, 1e-3),
    "bfloat16": (2e-2, 1e-2),
}


def tolerance(dtype: Any) -> tuple[float, float]:
    """``(rtol, atol)`` for a dtype object or name."""
    name = str(dtype).rsplit(".", 1)[-1]
    if name not in TOLERANCES:
        raise ValueError(f"no tolerance for dtype {name}; known: {', '.join(TOLERANCES)}")
    return TOLERANCES[name]


def available_backends(names: Iterable[str] | None = None) -> list[Backend]:
    """The backends usable here (all of :data:`BACKENDS` by default); unknown names raise."""
    chosen = list(BACKENDS) if names is None else list(names)
    unknown = [n for n in chosen if n not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend(s) {unknown}; known: {', '.join(BACKENDS)}")
    return [BACKENDS[n] for n in chosen if BACKENDS[n].available() is None]


def _to_numpy(x: Any) -> Any:
    for backend in BACKENDS.values():
        if backend.available() is None:
            return backend.to_numpy(x)
    raise RuntimeError("no backend available")  # pragma: no cover (numpy always is)


def max_errors(actual: Any, expected: Any) -> tuple[float, float]:
    """Largest absolute and relative (to ``|expected|``) error; NaN where only one is NaN."""
    import numpy as np

    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(a) & (a == e)
    with np.errstate(invalid="ignore"):  # inf - inf; those cells are zeroed just below
        diff = np.where(both_nan | same_inf, 0.0, np.abs(a - e))
    if diff.size == 0:
        return 0.0, 0.0
    rel = diff / np.maximum(np.abs(np.where(np.isfinite(e), e, 1.0)), 1e-300)
    return float(np.max(diff)), float(np.max(np.where(diff == 0, 0.0, rel)))


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None,
                 atol: float | None = None, xp: Any = None, dtype: Any = None,
                 device: Any = None, err_msg: str = "") -> None:
    """Assert values (``|a - e| <= atol + rtol·|e|``, NaN equal to NaN), shape and, when given,
    the namespace, dtype and device of ``actual``. Tolerances default to ``actual``'s dtype.
    """
    import numpy as np

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
    a = np.asarray(_to_numpy(actual), dtype=np.float64)
    e = np.asarray(_to_numpy(expected) if hasattr(expected, "dtype") else expected,
                   dtype=np.float64)
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


def _parts(result: Any) -> list[Any]:
    """A function's result as a list of arrays (tuples such as ``(precision, recall, f1)``)."""
    return list(result) if isinstance(result, (tuple, list)) else [result]


def assert_backends_agree(fn: Callable[..., Any], *arrays: Any,
                          backends: Sequence[str] | None = None,
                          dtypes: Sequence[str] = ("float32", "float64"),
                          rtol: float | None = None, atol: float | None = None,
                          **params: Any) -> dict[str, float]:
    """Run ``fn(*arrays, **params)`` on every available backend and dtype and compare each
    result with the NumPy float64 result.

    ``arrays`` (and NumPy arrays among ``params``) are converted to each backend; floating ones
    are cast to each dtype, integer ones kept. A tuple result is compared part by part. Each
    result must have the inputs' namespace and device, the first floating input's dtype, and
    values within :func:`tolerance` of that dtype (or ``rtol``/``atol``). Returns
    ``{"backend/dtype": worst relative error}``; raises ``AssertionError`` listing every
    failing cell.

    Example:
        >>> import numpy as np
        >>> from arraylosses import mse_loss
        >>> report = assert_backends_agree(mse_loss, np.array([1.0, 2.0]), np.array([0.0, 2.5]),
        ...                                backends=["numpy"])
        >>> sorted(report)
        ['numpy/float32', 'numpy/float64']
    """
    import numpy as np

    oracle = BACKENDS["numpy"]

    def on(backend: Backend, dtype: str) -> tuple[list[Any], dict[str, Any]]:
        args = [backend.asarray(a, dtype) for a in arrays]
        kwargs = {k: backend.asarray(v, dtype) if isinstance(v, np.ndarray) else v
                  for k, v in params.items()}
        return args, kwargs

    args, kwargs = on(oracle, "float64")
    expected = [oracle.to_numpy(r) for r in _parts(fn(*args, **kwargs))]
    report: dict[str, float] = {}
    failures: list[str] = []
    for backend in available_backends(backends):
        for dtype in dtypes:
            if dtype not in backend.dtypes:
                continue
            cell = f"{backend.name}/{dtype}"
            args, kwargs = on(backend, dtype)
            float_inputs = [x for x in args if np.asarray(backend.to_numpy(x)).dtype.kind == "f"]
            try:
                with backend.context():
                    results = _parts(fn(*args, **kwargs))
                if len(results) != len(expected):
                    raise AssertionError(f"{len(results)} results, expected {len(expected)}")
                for part, e in zip(results, expected):
                    assert_close(part, e, rtol=rtol, atol=atol, xp=backend.xp,
                                 dtype=float_inputs[0].dtype if float_inputs else None,
                                 device=backend.device if backend.name != "cupy" else None,
                                 err_msg=cell)
            except Exception as err:  # every cell is reported, not just the first failure
                failures.append(f"{cell}: {type(err).__name__}: {err}")
                continue
            report[cell] = max(max_errors(backend.to_numpy(r), e)[1]
                               for r, e in zip(results, expected))
    if failures:
        raise AssertionError("backends disagree:\n" + "\n".join(failures))
    return report
