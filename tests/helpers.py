"""Calling a function on a backend with NumPy inputs, and comparing with a reference."""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

from arraylosses.testing import Backend, assert_close, tolerance


def call(backend: Backend, dtype: str, fn: Any, *arrays: Any, **params: Any) -> np.ndarray:
    """``fn`` on ``backend`` with floating NumPy inputs cast to ``dtype``; the result, checked
    for namespace, dtype (the first floating input's) and device, back as NumPy float64."""
    args, kwargs = backend.convert(arrays, params, dtype)
    out = fn(*args, **kwargs)
    assert array_api_compat.array_namespace(out).__name__ == backend.xp.__name__
    floating = [
        a for a in args if hasattr(a, "dtype") and backend.xp.isdtype(a.dtype, "real floating")
    ]
    assert out.dtype == floating[0].dtype, (out.dtype, floating[0].dtype)
    if backend.device_checked:
        assert array_api_compat.device(out) == backend.device
    return np.asarray(backend.to_numpy(out), dtype=np.float64)


def close(actual: Any, expected: Any, dtype: str, **kw: Any) -> None:
    """``actual`` within ``dtype``'s tolerance of ``expected`` (or ``rtol``/``atol``), by the
    test kit's one pass rule; a scalar on either side stands for every element of the other."""
    rtol, atol = tolerance(dtype)
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.ndim == 0 or e.ndim == 0:
        a, e = np.broadcast_arrays(a, e)
    assert_close(a, e, rtol=kw.get("rtol", rtol), atol=kw.get("atol", atol))
