"""``assert_backends_agree``: one function on every backend and dtype against NumPy float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._autodiff import parts
from ._backends import BACKENDS, Backend, available_backends, to_numpy
from ._compare import assert_close, max_errors

__all__ = ["assert_backends_agree"]


def assert_backends_agree(
    fn: Callable[..., Any],
    *arrays: Any,
    backends: Sequence[str] | None = None,
    dtypes: Sequence[str] = ("float32", "float64"),
    rtol: float | None = None,
    atol: float | None = None,
    **params: Any,
) -> dict[str, float]:
    """Run ``fn(*arrays, **params)`` on every available backend and dtype and compare each
    result with the NumPy float64 result.

    ``arrays`` (and NumPy arrays among ``params``) are converted to each backend; floating ones
    are cast to each dtype, integer ones kept. A tuple result is compared part by part. Each
    result must have the inputs' namespace and device, the first floating input's dtype, and
    values within :func:`tolerance` of that dtype (or ``rtol``/``atol``). ``backends`` names
    the backends (default: every one that loads here; a named one that cannot load raises
    :class:`BackendUnavailable`). Each backend and dtype runs inside
    ``backend.context(dtype)``: JAX float64 really is float64 there, and nothing outlives the
    call. Returns ``{"backend/dtype": worst relative error}``; raises ``AssertionError``
    listing every failing cell.

    Args:
        fn: the function under test (one of ours, or any array-API function).
        *arrays: its positional arguments as NumPy arrays (floating ones are cast to each dtype,
            integer ones kept).
        backends: backend names (keys of ``BACKENDS``). Default ``None``: every backend that loads
            here.
        dtypes: the floating dtypes to run. Default ``("float32", "float64")``.
        rtol: relative tolerance. Default ``None``: :func:`tolerance` of each dtype.
        atol: absolute tolerance. Default ``None``: :func:`tolerance` of each dtype.
        **params: keyword arguments of ``fn`` (NumPy arrays among them are converted too).

    Returns:
        A dict ``{"backend/dtype": worst relative error}`` (floats).

    Raises:
        AssertionError: listing every failing cell.

    Example:
        >>> import numpy as np
        >>> from arraylosses import mse_loss
        >>> report = assert_backends_agree(mse_loss, np.array([1.0, 2.0]), np.array([0.0, 2.5]),
        ...                                backends=["numpy"])
        >>> sorted(report)
        ['numpy/float32', 'numpy/float64']
    """
    oracle = BACKENDS["numpy"]
    arrays = tuple(np.asarray(a) for a in arrays)
    args, kwargs = oracle.convert(arrays, params, "float64")
    expected = [to_numpy(r) for r in parts(fn(*args, **kwargs))]
    report: dict[str, float] = {}
    failures: list[str] = []
    for backend in available_backends(backends):
        for dtype in dtypes:
            if dtype not in backend.dtypes:
                continue
            cell = f"{backend.name}/{dtype}"
            try:
                with backend.context(dtype):
                    report[cell] = _agree(
                        fn,
                        backend,
                        dtype,
                        arrays,
                        params,
                        expected,
                        rtol=rtol,
                        atol=atol,
                        err_msg=cell,
                    )
            except Exception as err:  # every cell is reported, not just the first failure
                failures.append(f"{cell}: {type(err).__name__}: {err}")
    if failures:
        raise AssertionError("backends disagree:\n" + "\n".join(failures))
    return report


def _agree(
    fn: Callable[..., Any],
    backend: Backend,
    dtype: str,
    arrays: Sequence[Any],
    params: dict[str, Any],
    expected: list[np.ndarray],
    *,
    rtol: float | None,
    atol: float | None,
    err_msg: str,
) -> float:
    """One cell of :func:`assert_backends_agree`: its worst relative error, or raises."""
    args, kwargs = backend.convert(arrays, params, dtype)
    floating = [x for x in args if backend.xp.isdtype(x.dtype, "real floating")]
    results = parts(fn(*args, **kwargs))
    if len(results) != len(expected):
        raise AssertionError(f"{len(results)} results, expected {len(expected)}")
    for part, e in zip(results, expected, strict=True):
        assert_close(
            part,
            e,
            rtol=rtol,
            atol=atol,
            xp=backend.xp,
            dtype=floating[0].dtype if floating else None,
            device=backend.device if backend.device_checked else None,
            err_msg=err_msg,
        )
    return max(max_errors(to_numpy(r), e)[1] for r, e in zip(results, expected, strict=True))
