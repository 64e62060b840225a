"""Calling a function on a backend with NumPy inputs, and comparing with a reference."""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

from arraylosses.testing import Backend, tolerance


def call(backend: Backend, dtype: str, fn: Any, *arrays: Any, **params: Any) -> np.ndarray:
    """``fn`` on ``backend`` with floating NumPy inputs cast to ``dtype``; the result, checked
    for namespace, dtype (the first floating input's) and device, back as NumPy float64."""
    args = [backend.asarray(a, dtype) if isinstance(a, np.ndarray) else a for a in arrays]
    kwargs = {
        k: backend.asarray(v, dtype) if isinstance(v, np.ndarray) else v for k, v in params.items()
    }
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
    rtol, atol = tolerance(dtype)
    np.testing.assert_allclose(
        actual,
        np.asarray(expected, dtype=np.float64),
        rtol=kw.get("rtol", rtol),
        atol=kw.get("atol", atol),
    )
