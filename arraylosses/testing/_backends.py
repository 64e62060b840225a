"""The backends as the tests, the conformance matrix and :func:`crosscheck` see them: how to
load each one, make arrays on it, read them back, and the context its calls run in.

Loading a backend changes nothing in the process: JAX's float64 and matmul precision are
asked for by :meth:`Backend.context` (``jax.enable_x64`` and ``jax.default_matmul_precision``
context managers) around the work that needs them, never written to ``jax.config``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import array_api_compat
import numpy as np

from .._backend import generic_kernels  # the switch lives beside the kernels it turns off

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendUnavailable",
    "available_backends",
    "generic_kernels",
    "jax_context",
    "to_numpy",
]


class BackendUnavailable(RuntimeError):
    """A backend that was asked for by name cannot load here (the message says why)."""


def jax_context(dtype: str | None = None) -> contextlib.AbstractContextManager[Any]:
    """The JAX settings a comparison needs, for the duration of a ``with`` block only:
    ``default_matmul_precision("highest")`` (no TF32 on GPUs), and ``enable_x64(True)`` when
    ``dtype`` is ``"float64"`` or ``None`` (every dtype). For another dtype the caller's x64
    setting is kept, so a float32 row runs as the caller's own code would.

    Args:
        dtype: the dtype name the block computes in, or ``None`` (every dtype). Default ``None``.

    Returns:
        A context manager; JAX's settings are restored when it exits.

    Example:
        >>> with jax_context("float32"):
        ...     pass
    """
    import jax

    stack = contextlib.ExitStack()
    stack.enter_context(jax.default_matmul_precision("highest"))
    if dtype in (None, "float64"):
        stack.enter_context(_enable_x64())
    return stack


def _enable_x64() -> contextlib.AbstractContextManager[Any]:
    import jax

    if hasattr(jax, "enable_x64"):  # the public name in current JAX (0.10 here)
        return jax.enable_x64(True)
    from jax.experimental import enable_x64  # type: ignore[attr-defined,unused-ignore]  # older JAX

    return enable_x64(True)  # pragma: no cover


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of an array of any backend (torch detached and moved to the CPU, CuPy
    and array_api_strict copied to the host, bfloat16 widened to float32).

    Args:
        x: an array of any backend (NumPy, torch, JAX, CuPy, array_api_strict).

    Returns:
        A NumPy array, a copy on the host, bfloat16 widened to float32.

    Example:
        >>> import numpy as np
        >>> to_numpy(np.array([1.0])).tolist()
        [1.0]
    """
    if array_api_compat.is_torch_array(x):
        import torch

        x = x.detach().cpu()
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy()
    if array_api_compat.is_cupy_array(x):
        return x.get()
    if array_api_compat.is_jax_array(x):
        if str(x.dtype) == "bfloat16":
            x = x.astype("float32")
        return np.asarray(x)
    if type(x).__module__.startswith("array_api_strict"):
        import array_api_strict

        return np.asarray(x.to_device(array_api_strict.Device("CPU_DEVICE")))
    return np.asarray(x)


def dtype_name(x: Any) -> str:
    """``"float32"`` for ``torch.float32``, ``jnp.float32``, ``np.float32``..."""
    return str(getattr(x, "dtype", x)).rsplit(".", 1)[-1]


@dataclass(eq=False, kw_only=True)
class Backend:
    """One column of the conformance matrix: a namespace, a device and the dtypes it has.

    ``loader`` returns ``(namespace, device)`` or raises ``ImportError``/``RuntimeError`` with
    the reason the backend cannot be used here; it runs once, on first use. ``strict_flags``
    are ``array_api_strict.ArrayAPIStrictFlags`` for the calls (the jit-like strict column).
    ``device_checked`` is False where results' devices cannot be compared (CuPy).
    """

    name: str
    loader: Callable[[], tuple[Any, Any]]
    dtypes: tuple[str, ...]
    differentiable: bool
    strict_flags: dict[str, Any] | None = None
    device_checked: bool = True
    _loaded: tuple[Any, Any] | None = field(default=None, init=False, repr=False)

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"

    def _namespace_and_device(self) -> tuple[Any, Any]:
        if self._loaded is None:
            self._loaded = self.loader()
        return self._loaded

    @property
    def xp(self) -> Any:
        """The array namespace (raises if the backend cannot load)."""
        return self._namespace_and_device()[0]

    @property
    def device(self) -> Any:
        """The device arrays are made on."""
        return self._namespace_and_device()[1]

    @property
    def is_jax(self) -> bool:
        return self.name.split("-")[0] == "jax"

    @property
    def is_torch(self) -> bool:
        return self.name.split("-")[0] == "torch"

    def available(self) -> str | None:
        """``None`` if usable here, else the reason it is not (starting with its name)."""
        try:
            self._namespace_and_device()
        except (ImportError, RuntimeError) as err:
            return f"{self.name}: {err}"
        return None

    def context(self, dtype: str | None = None) -> contextlib.AbstractContextManager[Any]:
        """What calls on this backend run in: JAX's x64 (for ``dtype`` float64, or every dtype
        when ``dtype`` is None) and "highest" matmul precision (:func:`jax_context`);
        array_api_strict's flags for the jit-like strict column; nothing otherwise. Nothing
        outlives the ``with`` block."""
        if self.is_jax:
            return jax_context(dtype)
        if self.strict_flags is not None:
            import array_api_strict

            return array_api_strict.ArrayAPIStrictFlags(**self.strict_flags)
        return contextlib.nullcontext()

    def asarray(self, x: Any, dtype: str | None = None) -> Any:
        """A NumPy array (or nested list) on this backend, floating ones cast to ``dtype``;
        integer and boolean arrays keep their dtype. Raises ``RuntimeError`` if the result
        does not have ``dtype`` (JAX float64 outside :meth:`context`)."""
        xp, dev = self._namespace_and_device()
        x = np.asarray(x)
        if dtype is None or x.dtype.kind in "biu":
            return xp.asarray(x, device=dev)
        target = getattr(xp, dtype)
        if dtype == "bfloat16":  # NumPy has no bfloat16: go through float32
            out = xp.astype(xp.asarray(x.astype(np.float32), device=dev), target)
        else:
            out = xp.asarray(x, dtype=target, device=dev)
        if out.dtype != target:
            raise RuntimeError(
                f"{self.name}: asked for {dtype}, got {dtype_name(out)} (for "
                f"JAX float64, make the array inside backend.context('float64'))"
            )
        return out

    def convert(
        self,
        args: Iterable[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        dtype: str | None = None,
    ) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword arguments with their NumPy arrays on this backend: each
        ``np.ndarray`` through :meth:`asarray` (floating ones cast to ``dtype``, integer and
        boolean ones kept), everything else (Python numbers, strings, tuples, ``None``) as it
        is. Call it inside :meth:`context` (JAX float64 needs it).

        Args:
            args: positional arguments. Default ``()``.
            kwargs: keyword arguments. Default ``None``: none.
            dtype: the floating dtype name, such as ``"float32"``. Default ``None``: as given.

        Returns:
            The positional arguments as a list and the keyword arguments as a dict, ready for
            ``fn(*args, **kwargs)``.

        Example:
            >>> import numpy as np
            >>> args, kwargs = BACKENDS["numpy"].convert(
            ...     [np.ones(2), np.arange(2)], {"temperature": 0.1}, "float32")
            >>> [str(a.dtype) for a in args], kwargs
            (['float32', 'int64'], {'temperature': 0.1})
        """

        def one(x: Any) -> Any:
            return self.asarray(x, dtype) if isinstance(x, np.ndarray) else x

        return [one(x) for x in args], {k: one(v) for k, v in (kwargs or {}).items()}

    def to_numpy(self, x: Any) -> np.ndarray:
        """A NumPy copy of ``x`` (bfloat16 widened to float32)."""
        return to_numpy(x)

    def dtype_name(self, x: Any) -> str:
        return dtype_name(x)


def _load_numpy() -> tuple[Any, Any]:
    import array_api_compat.numpy as xp

    return xp, "cpu"


def _load_strict(device: str) -> Callable[[], tuple[Any, Any]]:
    def load() -> tuple[Any, Any]:
        import array_api_strict as xp

        return xp, xp.Device(device)

    return load


def _load_torch(kind: str) -> Callable[[], tuple[Any, Any]]:
    def load() -> tuple[Any, Any]:
        import array_api_compat.torch as xp
        import torch

        if kind == "cuda":
            if not torch.cuda.is_available():
                raise RuntimeError("no CUDA device")
            # with its index: results report cuda:0, which is not equal to device("cuda")
            return xp, torch.device("cuda", torch.cuda.current_device())
        return xp, torch.device(kind)

    return load


def _load_jax(kind: str) -> Callable[[], tuple[Any, Any]]:
    def load() -> tuple[Any, Any]:
        import jax

        try:
            devices = jax.devices(kind)
        except RuntimeError as err:
            raise RuntimeError(f"no JAX {kind} device") from err
        import jax.numpy as xp

        return xp, devices[0]

    return load


def _load_cupy() -> tuple[Any, Any]:
    import array_api_compat.cupy as xp
    import cupy

    if cupy.cuda.runtime.getDeviceCount() < 1:
        raise RuntimeError("no CUDA device")
    return xp, cupy.cuda.Device(0)


_HALF = ("float16", "bfloat16")
BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend(
            name="numpy",
            loader=_load_numpy,
            dtypes=("float16", "float32", "float64"),
            differentiable=False,
        ),
        Backend(
            name="array_api_strict",
            loader=_load_strict("CPU_DEVICE"),
            dtypes=("float32", "float64"),
            differentiable=False,
        ),
        # a non-default device (results must stay there) and no boolean indexing or
        # data-dependent shapes: what passes here also traces under jax.jit
        Backend(
            name="array_api_strict-device1",
            loader=_load_strict("device1"),
            dtypes=("float32", "float64"),
            differentiable=False,
            strict_flags={"boolean_indexing": False, "data_dependent_shapes": False},
        ),
        Backend(
            name="torch",
            loader=_load_torch("cpu"),
            dtypes=(*_HALF, "float32", "float64"),
            differentiable=True,
        ),
        Backend(
            name="jax",
            loader=_load_jax("cpu"),
            dtypes=(*_HALF, "float32", "float64"),
            differentiable=True,
        ),
        Backend(
            name="cupy",
            loader=_load_cupy,
            dtypes=("float16", "float32", "float64"),
            differentiable=False,
            device_checked=False,
        ),
        Backend(
            name="torch-cuda",
            loader=_load_torch("cuda"),
            dtypes=(*_HALF, "float32", "float64"),
            differentiable=True,
        ),
        Backend(
            name="jax-gpu",
            loader=_load_jax("gpu"),
            dtypes=(*_HALF, "float32", "float64"),
            differentiable=True,
        ),
    )
}


def available_backends(names: Iterable[str] | None = None) -> list[Backend]:
    """The backends to run on. ``None``: every backend of ``BACKENDS`` that loads here.
    Named backends must all load: an unknown name raises ``ValueError``, one that cannot load
    here raises :class:`BackendUnavailable` with the reason.

    Args:
        names: backend names (keys of ``BACKENDS``). Default ``None``: every backend that
            loads here.

    Returns:
        A list of the :class:`Backend` objects.

    Raises:
        ValueError: an unknown name.
        BackendUnavailable: a named backend cannot load here.

    Example:
        >>> [b.name for b in available_backends(["numpy"])]
        ['numpy']
    """
    if names is None:
        return [b for b in BACKENDS.values() if b.available() is None]
    chosen = list(names)
    unknown = [n for n in chosen if n not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend(s) {unknown}; known: {', '.join(BACKENDS)}")
    reasons = [r for r in (BACKENDS[n].available() for n in chosen) if r is not None]
    if reasons:
        raise BackendUnavailable("requested backend unavailable: " + "; ".join(reasons))
    return [BACKENDS[n] for n in chosen]
