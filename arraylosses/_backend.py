"""The only module that knows array libraries exist.

Loss code asks this module for the namespace of its inputs, for the dtype to compute in, for
constants on the right device, and for the few functions the array API standard lacks
(``logsumexp``, ``softplus``, ``stop_gradient``...). Everything here is written once against
the standard; the one piece of per-framework code is :func:`stop_gradient` (plus the eager
test :func:`is_eager`, which decides whether value-dependent checks may run).

No framework is imported unless the caller's arrays already come from it.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any

import array_api_compat
from array_api_compat import device as device_of
from array_api_compat import is_array_api_obj

from .typing import Array  # the documented alias, re-exported for the families

Namespace = Any

__all__ = [
    "Array",
    "Namespace",
    "as_dtype",
    "compute_dtype",
    "const",
    "custom_gradient",
    "data_dependent_shapes",
    "default_float",
    "device_of",
    "eager_all",
    "finalize",
    "generic_kernels",
    "generic_log_softmax",
    "generic_logsumexp",
    "generic_sigmoid",
    "generic_sigmoid_cross_entropy",
    "generic_suffix_logsumexp",
    "generic_top_k",
    "host_readable",
    "index_dtype",
    "is_array_api_strict_namespace",
    "is_eager",
    "is_jax_namespace",
    "is_numpy_namespace",
    "is_torch_namespace",
    "isdtype",
    "jitted",
    "log_sigmoid",
    "log_softmax",
    "logaddexp",
    "logsumexp",
    "mean_all",
    "namespace",
    "namespace_kind",
    "namespace_of",
    "native_bin_sums",
    "native_kernels",
    "nll_at",
    "one_hot",
    "reduced_nll_at",
    "scan",
    "sigmoid",
    "sigmoid_cross_entropy",
    "softmax",
    "softplus",
    "stop_gradient",
    "suffix_logsumexp",
    "sum_all",
    "take_along_axis",
    "top_k",
    "value_check_mode",
    "value_range",
]


# Which library a namespace is, by its module name: a dict lookup per call. array_api_compat's
# ``is_*_namespace`` helpers cost a few µs each (a Python call chain per test, several tests
# per loss) and are ``functools.lru_cache``-wrapped, which torch.compile warns about at every
# call site it traces (issue #31); these are plain functions Dynamo traces as constants.
_KIND_BY_MODULE = {
    "numpy": "numpy",
    "array_api_compat.numpy": "numpy",
    "torch": "torch",
    "array_api_compat.torch": "torch",
    "jax.numpy": "jax",
    "jax.experimental.array_api": "jax",
    "array_api_strict": "array_api_strict",
    "cupy": "cupy",
    "array_api_compat.cupy": "cupy",
}


def namespace_kind(xp: Namespace) -> str:
    """``"numpy"``, ``"torch"``, ``"jax"``, ``"array_api_strict"``, ``"cupy"`` or ``""``."""
    return _KIND_BY_MODULE.get(getattr(xp, "__name__", ""), "")


def is_numpy_namespace(xp: Namespace) -> bool:
    """NumPy's namespace (NumPy itself or array-api-compat's wrapper)."""
    return _KIND_BY_MODULE.get(getattr(xp, "__name__", "")) == "numpy"  # no second call


def is_torch_namespace(xp: Namespace) -> bool:
    """torch's namespace (torch itself or array-api-compat's wrapper)."""
    return _KIND_BY_MODULE.get(getattr(xp, "__name__", "")) == "torch"  # no second call


def is_jax_namespace(xp: Namespace) -> bool:
    """``jax.numpy``."""
    return _KIND_BY_MODULE.get(getattr(xp, "__name__", "")) == "jax"  # no second call


def is_array_api_strict_namespace(xp: Namespace) -> bool:
    """array_api_strict."""
    return _KIND_BY_MODULE.get(getattr(xp, "__name__", "")) == "array_api_strict"  # no second call


def _library(x: Any) -> str:
    """Short name of the library an object comes from, for error messages."""
    module = type(x).__module__.split(".")[0]
    return f"{module}.{type(x).__name__}"


# the namespace of a set of array types: what array_namespace answers depends on the types
# alone, so it is cached per type set (never per value); devices are still compared per call
_NAMESPACE_BY_TYPES: dict[frozenset[type], Namespace] = {}


def _torch_compiling() -> bool:
    """Whether torch.compile is tracing this call (False where torch was never imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and bool(torch.compiler.is_compiling())


def _compiled_torch_namespace(present: dict[str, Any]) -> Namespace:
    """The namespace inside torch.compile: torch's when every array is a tensor on one device."""
    import array_api_compat.torch as xp
    import torch

    for name, x in present.items():
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"all arrays must come from one array library; {name} is not torch")
    devices = {x.device for x in present.values()}
    if len(devices) > 1:
        raise ValueError(f"all arrays must be on one device; got {sorted(map(str, devices))}")
    return xp


def namespace(**arrays: Any) -> Namespace:
    """Array namespace shared by the named arguments; ``None`` entries are ignored.

    Raises ``TypeError`` naming the arguments when one is not an array or when they come from
    different libraries, and ``ValueError`` when they live on different devices.
    """
    return namespace_of({name: x for name, x in arrays.items() if x is not None})


def namespace_of(present: dict[str, Any]) -> Namespace:
    """:func:`namespace` of the arrays ``present`` (name to array, no ``None``, in the order
    the messages name them), for callers that build that dict anyway (``prepare``)."""
    if _torch_compiling():
        # no cache under torch.compile: Dynamo before torch 2.13 cannot hash its frozenset key
        # (every function failed to compile with fullgraph=True on torch 2.11, seen on the GPU
        # run), and tracing array_namespace warns about its lru_caches
        return _compiled_torch_namespace(present)
    types = frozenset(map(type, present.values()))
    xp = _NAMESPACE_BY_TYPES.get(types)
    if xp is None:
        for name, x in present.items():
            if not is_array_api_obj(x):
                raise TypeError(f"{name} must be an array; got {type(x).__name__}")
        try:
            xp = array_api_compat.array_namespace(*present.values())
        except TypeError:
            found = ", ".join(f"{name} is {_library(x)}" for name, x in present.items())
            raise TypeError(f"all arrays must come from one array library; {found}") from None
        if len(_NAMESPACE_BY_TYPES) < 256:
            _NAMESPACE_BY_TYPES[types] = xp
    if len(present) == 1:
        return xp
    kind = _KIND_BY_MODULE.get(getattr(xp, "__name__", ""), "")  # namespace_kind
    if kind == "numpy":  # NumPy arrays are all on the CPU
        return xp
    if kind == "torch":  # the common case first: one device, no names needed
        first = None
        for x in present.values():
            if first is None:
                first = x.device
            elif x.device != first:
                break  # the loop below names the two
        else:
            return xp
    # torch's .device is an attribute; array_api_compat's device() tests the library first
    device = _torch_device if kind == "torch" else device_of
    first_name, first_device = None, None
    for name, x in present.items():
        dev = device(x)
        if dev is None:  # JAX tracers inside jit/vmap have no device; nothing to compare
            continue
        if first_name is None:
            first_name, first_device = name, dev
        elif dev != first_device:
            raise ValueError(
                f"all arrays must be on one device; {first_name} is on {first_device}, "
                f"{name} is on {dev}"
            )
    return xp


def _torch_device(x: Any) -> Any:
    return x.device


# dtype decisions, cached per (namespace, dtype[, kinds]): array_api_compat's isdtype and
# finfo are Python functions of a few µs each, asked several times per call. Not filled
# while torch.compile traces (a global dict written inside a traced function is a side
# effect for Dynamo); read there like any constant.
_DTYPE_DECISIONS: dict[tuple[Any, ...], Any] = {}


def _remember(key: tuple[Any, ...], value: Any) -> Any:
    if len(_DTYPE_DECISIONS) < 1024 and not _torch_compiling():
        _DTYPE_DECISIONS[key] = value
    return value


def isdtype(xp: Namespace, dtype: Any, kinds: str | tuple[str, ...]) -> bool:
    """``xp.isdtype(dtype, kinds)``, cached per namespace, dtype and kinds."""
    key = (getattr(xp, "__name__", ""), dtype, kinds)
    found = _DTYPE_DECISIONS.get(key)
    if found is None:
        found = _remember(key, bool(xp.isdtype(dtype, kinds)))
    return found


def compute_dtype(xp: Namespace, x: Array, name: str) -> tuple[Any, Any]:
    """``(result dtype, compute dtype)`` for the prediction ``x``.

    The result dtype is ``x``'s floating dtype. Half-precision inputs (float16, bfloat16) are
    computed in float32 and the result is cast back. Integer or boolean predictions raise.
    """
    key = (getattr(xp, "__name__", ""), x.dtype, "compute")
    found = _DTYPE_DECISIONS.get(key)
    if found is None:
        if not xp.isdtype(x.dtype, "real floating"):
            raise TypeError(f"{name} must be a real floating array; got dtype {x.dtype}")
        half = xp.finfo(x.dtype).bits < 32
        found = _remember(key, (x.dtype, xp.float32 if half else x.dtype))
    return found


def default_float(xp: Namespace, like: Array) -> Any:
    """The namespace's default real floating dtype on ``like``'s device (float64 on NumPy,
    float32 on torch and on JAX without x64), for results of integer-only inputs."""
    info = xp.__array_namespace_info__()
    return info.default_dtypes(device=device_of(like))["real floating"]


def index_dtype(xp: Namespace, like: Array) -> Any:
    """The namespace's default indexing dtype: int64, or int32 on JAX without x64 (asking JAX
    for int64 there warns and truncates). torch's ``take_along_axis`` needs int64, its default."""
    if _KIND_BY_MODULE.get(getattr(xp, "__name__", "")) == "torch":  # is_torch_namespace
        return xp.int64  # the same on every device
    info = xp.__array_namespace_info__()
    return info.default_dtypes(device=device_of(like))["indexing"]


def as_dtype(xp: Namespace, x: Array, dtype: Any) -> Array:
    """``x`` cast to ``dtype`` (no copy when it already has it)."""
    return x if x.dtype == dtype else xp.astype(x, dtype)


def const(xp: Namespace, value: float, like: Array) -> Array:
    """A 0-d constant with ``like``'s dtype, on ``like``'s device.

    ``full``, not ``asarray``: on a torch accelerator ``asarray`` of a Python number is a
    blocking host-to-device copy (pytorch/pytorch#190217), ``full`` a fill kernel queued like
    any other; on the CPU it is also the faster of the two (about 2x on torch)."""
    return xp.full((), value, dtype=like.dtype, device=device_of(like))


def sum_all(xp: Namespace, x: Array) -> Array:
    """``xp.sum(x)`` over every axis of a floating ``x``: torch's own ``sum`` on torch, where
    array-api-compat's wrapper spends about a µs of Python per call on the integer-dtype and
    ``keepdims`` rules a floating full reduction needs none of (the same kernel, the same
    value)."""
    if _KIND_BY_MODULE.get(getattr(xp, "__name__", "")) == "torch":
        return x.sum()
    return xp.sum(x)


def mean_all(xp: Namespace, x: Array, n: int) -> Array:
    """``Σ x / n`` over every axis of a non-empty float32 or float64 ``x``. On torch, where no
    gradient is recorded for ``x``, ``x.mean()``: one call doing the same sum and division in
    C++ (the same value to the bit in float32 and float64), where ``sum() / n`` is two calls and
    a Python number wrapped into a tensor, about 2 µs of a small call. With a gradient, ``sum()
    / n``: its backward is a broadcast view, ``mean``'s a full array of ``grad / n`` (MSE 1.5x
    -> 1.2x ``F.mse_loss`` forward and backward, benchmarks/run.py). ``n``: ``x``'s size."""
    if _KIND_BY_MODULE.get(getattr(xp, "__name__", "")) == "torch":
        # not for 16-bit floats, whose mean accumulates differently (the losses compute in
        # float32 there, so only a caller that does not meets this)
        if x.requires_grad or x.dtype.itemsize < 4:
            return x.sum() / n
        return x.mean()
    return xp.sum(x) / n


def finalize(xp: Namespace, x: Array, dtype: Any) -> Array:
    """Cast a result to the output dtype; NumPy 0-d results stay arrays, not NumPy scalars."""
    if _KIND_BY_MODULE.get(getattr(xp, "__name__", "")) == "numpy":  # is_numpy_namespace
        if x.dtype != dtype:
            import numpy as np

            # a result beyond float16's range becomes inf, as on torch and JAX (NumPy warns)
            with np.errstate(over="ignore"):
                x = xp.astype(x, dtype)
        return xp.asarray(x)
    return x if x.dtype == dtype else xp.astype(x, dtype)  # as_dtype, one call fewer


def stop_gradient(xp: Namespace, x: Array) -> Array:
    """``x`` with its gradient cut: ``detach`` on torch, ``lax.stop_gradient`` on JAX.

    Identity for the namespaces without autodiff (NumPy, CuPy, array_api_strict).
    """
    if is_torch_namespace(xp):
        return x.detach()
    if is_jax_namespace(xp):
        import jax

        return jax.lax.stop_gradient(x)
    return x


def is_eager(xp: Namespace, x: Array) -> bool:
    """Whether ``x``'s values exist now (not a JAX tracer, not inside torch.compile).

    Code whose path depends on values (the flat form of the retrieval metrics) runs only then.
    Value *checks* go through :func:`eager_all`, which also looks at the device.
    """
    if is_jax_namespace(xp):
        import jax

        return not isinstance(x, jax.core.Tracer)
    if is_torch_namespace(xp):
        import torch

        return not torch.compiler.is_compiling()
    return True


def data_dependent_shapes(xp: Namespace) -> bool:
    """Whether the namespace allows results whose shape depends on values (``unique``, boolean
    indexing): not array-api-strict with its ``data_dependent_shapes`` flag off, the
    standard's flag for libraries that cannot (lazy ones, ``jax.jit``)."""
    if is_array_api_strict_namespace(xp):
        import array_api_strict

        return bool(array_api_strict.get_array_api_strict_flags()["data_dependent_shapes"])
    return True


# ---------------------------------------------------------------------------------------------
# Value checks: the one mechanism every check that looks at array values goes through
# (``_validate.check_values``). What a check may do is decided per array type (cached) and,
# for torch and JAX, per device type.

READ, ASSERT, SKIP = "read", "assert", "skip"

_LIBRARY_BY_TYPE: dict[type, str] = {}


def _array_library(x: Any) -> str:
    """``"torch"``, ``"jax"``, ``"jax tracer"``, ``"cupy"`` or ``"host"`` (NumPy,
    array_api_strict, anything else whose values live in host memory), cached per type."""
    kind = type(x)
    library = _LIBRARY_BY_TYPE.get(kind)
    if library is None:
        torch, jax = sys.modules.get("torch"), sys.modules.get("jax")
        if torch is not None and isinstance(x, torch.Tensor):
            library = "torch"
        elif jax is not None and isinstance(x, jax.core.Tracer):
            library = "jax tracer"
        elif jax is not None and isinstance(x, jax.Array):
            library = "jax"
        elif kind.__module__.split(".")[0] == "cupy":
            library = "cupy"
        else:
            library = "host"
        if len(_LIBRARY_BY_TYPE) < 256:
            _LIBRARY_BY_TYPE[kind] = library
    return library


def value_check_mode(x: Array) -> str:
    """How a value check on ``x`` runs: :data:`READ`, :data:`ASSERT` or :data:`SKIP`.

    * ``READ``: the values are in host memory (NumPy, array_api_strict, torch and JAX on the
      CPU, eagerly): the check reads one bool and raises a ``ValueError`` naming the argument.
    * ``ASSERT``: a torch tensor on any other device (CUDA, MPS, XPU, ``meta``), eagerly: a
      device-side assert (``torch._assert_async``), queued like a kernel, as torch's own losses
      check their labels; reading a value there would stall the device's queue until it
      catches up. A failure surfaces as a ``RuntimeError`` carrying the message at a later
      synchronisation (on CUDA it poisons the context, as torch's own asserts do).
    * ``SKIP``: JAX under tracing (``jit``, ``vmap``, ``grad``), torch inside
      ``torch.compile``, JAX arrays on an accelerator and CuPy arrays. JAX and CuPy have no
      asynchronous assert, so on a GPU or TPU the checks are skipped, as under ``jax.jit``,
      rather than synchronising every call. To have them on JAX, check in your own function
      with ``jax.experimental.checkify`` (which works under ``jit`` and on accelerators)::

          from jax.experimental import checkify

          def loss(logits, labels):
              C = logits.shape[-1]
              checkify.check(jnp.all((labels >= 0) & (labels < C)), "labels out of range")
              return arraylosses.cross_entropy(logits, labels)

          err, value = jax.jit(checkify.checkify(loss))(logits, labels)
          err.throw()  # raises if a check failed (one read, where you choose to make it)
    """
    library = _array_library(x)
    if library == "host":
        return READ
    if library == "torch":
        if _torch_compiling():
            return SKIP
        return READ if x.is_cpu else ASSERT  # an attribute; device.type builds a device
    if library == "jax":
        devices = x.devices()
        return READ if all(d.platform == "cpu" for d in devices) else SKIP
    return SKIP  # JAX tracers, CuPy


def host_readable(x: Array) -> bool:
    """Whether reading ``x``'s values now costs no device synchronisation (eagerly, on the
    CPU): :func:`value_check_mode` is :data:`READ`. Value-dependent shortcuts (skip work when
    no row needs it) take the value-independent path where this is False."""
    return value_check_mode(x) is READ


def value_range(xp: Namespace, x: Array) -> tuple[Array, Array]:
    """``(min(x), max(x))`` as 0-d arrays: one ``torch.aminmax`` on torch (one pass, one
    call), ``xp.min`` and ``xp.max`` elsewhere. ``x`` must not be empty."""
    if _KIND_BY_MODULE.get(getattr(xp, "__name__", "")) == "torch":  # is_torch_namespace
        return sys.modules["torch"].aminmax(x)  # a named pair
    return xp.min(x), xp.max(x)


def eager_all(xp: Namespace, condition: Array, message: str = "a value check failed") -> bool:
    """The value-check mechanism: whether every element of ``condition`` holds, as far as can
    be told without a host read on an accelerator (:func:`value_check_mode`).

    On the CPU (eagerly) it reads the reduced bool. On a torch accelerator it queues
    ``torch._assert_async(all(condition), message)`` and returns True: zero host reads, the
    failure is the device's. Where checks are skipped (tracing, ``torch.compile``, JAX or CuPy
    on an accelerator) it returns True. Call it through
    :func:`arraylosses._validate.check_values`, which raises the ``ValueError``.
    """
    mode = value_check_mode(condition)
    if mode is READ:
        return bool(xp.all(condition))
    if mode is ASSERT:
        import torch

        torch._assert_async(torch.all(condition), message)
    return True


# ---------------------------------------------------------------------------------------------
# Functions the standard lacks. Each is written so that its value and its gradient are finite
# wherever the mathematical function is (docs/notes/array-api-gotchas.md, section 2).


def logsumexp(xp: Namespace, x: Array, *, axis: int = -1, keepdims: bool = False) -> Array:
    """``log Σ exp(x)`` along ``axis``: the backend's fused kernel where it has one
    (:func:`native_kernels`), else :func:`generic_logsumexp`. Both give ``-inf`` for a row
    that is all ``-inf``; ``tests/test_backend.py`` compares them, values and gradients."""
    native = native_kernels(xp)
    if native is not None:
        return native.logsumexp(x, axis, keepdims)
    return generic_logsumexp(xp, x, axis=axis, keepdims=keepdims)


def log_softmax(xp: Namespace, x: Array, *, axis: int = -1) -> Array:
    """``x - logsumexp(x)`` along ``axis`` (the backend's fused kernel where it has one)."""
    native = native_kernels(xp)
    if native is not None:
        return native.log_softmax(x, axis)
    return generic_log_softmax(xp, x, axis=axis)


def nll_at(xp: Namespace, x: Array, labels: Array, *, axis: int = -1) -> Array:
    """``-log_softmax(x)`` along ``axis`` at the (non-negative) ``labels`` (``x``'s shape
    without ``axis``): the negative log-likelihood of class labels, which is what every
    softmax cross entropy here sums.

    The fastest form differs by backend, so it is a primitive: torch picks from its fused
    ``log_softmax`` with ``nll_loss`` (whose backward fuses with it under ``torch.compile``);
    elsewhere ``log Σ exp(z) - z[label]`` with ``z = x - max(x)`` (optax's integer-label
    cross entropy, which XLA fuses), never materialising the full log-probabilities. The
    shift comes first: ``logsumexp(x) - x[label]`` subtracts two numbers of the size of the
    logits, which at ``|x| ~ 1e4`` leaves float32 with ``ulp(1e4) ~ 1e-3`` of the result."""
    native = native_kernels(xp)
    if native is not None and native.nll_at is not None:
        return native.nll_at(x, labels, axis)
    axis = axis % x.ndim
    indices = xp.expand_dims(labels, axis=axis)
    if x.shape[axis] == 0:  # nothing to take (xp.max of an empty axis raises)
        return -xp.squeeze(take_along_axis(xp, x, indices, axis=axis), axis=axis)
    with _quiet(xp):  # a row of -inf: log(0) = -inf, then -inf - -inf = NaN, as torch
        z = _shift(xp, x, axis)
        picked = xp.squeeze(take_along_axis(xp, z, indices, axis=axis), axis=axis)
        return xp.log(xp.sum(xp.exp(z), axis=axis)) - picked


def reduced_nll_at(xp: Namespace, x: Array, labels: Array, *, reduction: str) -> Array | None:
    """``Σ`` (``reduction="sum"``) or mean (``"mean"``) over the rows of :func:`nll_at` for a
    2-D ``x`` of ``N > 0`` rows, classes last, and valid labels, in one call where the backend
    fuses it: on torch ``F.cross_entropy`` itself (its ``log_softmax``, then ``nll_loss`` with
    that reduction, in one C++ call; the value is ``F.cross_entropy``'s own, to the bit, which
    differs from ``Σ nll / N`` by the summation order: a few ulps at N = 65,536). ``None``
    elsewhere (and inside :func:`generic_kernels`): the caller reduces :func:`nll_at` itself.
    On torch this is one call where per-row values, a ``sum`` and a division by ``N`` were
    four, about 3 µs of a small call (cross entropy 4x3, ``benchmarks/run.py --only
    overhead``)."""
    native = native_kernels(xp)
    if native is None or native.nll_reduced is None:  # generic code: the caller reduces
        return None
    return native.nll_reduced(x, labels, reduction)


def _row_max(xp: Namespace, x: Array, axis: int) -> Array:
    """The shift of a log-sum-exp: ``max(x)`` along ``axis`` (kept), detached (the shift is
    gradient-neutral), and 0 in rows whose maximum is infinite (all ``-inf``, or a ``+inf``).
    A NaN maximum (a NaN in the row) stays: the row is NaN without ``exp`` overflowing on the
    row's other entries, which a shift of 0 would do at logits of 1e4 (a NumPy warning)."""
    m = stop_gradient(xp, xp.max(x, axis=axis, keepdims=True))
    return xp.where(xp.isinf(m), xp.zeros_like(m), m)


def _shift(xp: Namespace, x: Array, axis: int) -> Array:
    """``x - max(x)`` along ``axis``, with :func:`_row_max`'s shift."""
    return x - _row_max(xp, x, axis)


def generic_logsumexp(xp: Namespace, x: Array, *, axis: int = -1, keepdims: bool = False) -> Array:
    """``log Σ exp(x)`` in array-API operations, shifted by the (gradient-detached) maximum.

    The shift is gradient-neutral, so detaching it changes no gradient but spares autograd the
    tie-mask VJP of ``max`` (3x faster backward on torch, 10x under ``jax.jit``; docs/design.md).
    Rows whose maximum is infinite (all ``-inf``, or a ``+inf``) are not shifted, so they
    give ``-inf`` (``+inf``); a row holding NaN gives NaN.
    """
    if x.shape[axis] == 0:  # log of an empty sum: -inf, as torch and JAX (max of nothing raises)
        out = xp.sum(x, axis=axis, keepdims=True) - math.inf
        return out if keepdims else xp.squeeze(out, axis=axis)
    m = _row_max(xp, x, axis)
    with _quiet(xp):  # a row of -inf: log(0) = -inf, without NumPy's warning
        out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def generic_log_softmax(xp: Namespace, x: Array, *, axis: int = -1) -> Array:
    """``z - log Σ exp(z)`` along ``axis`` with ``z = x - max(x)``: the shift first, so that
    the entries near the maximum keep their precision at large ``|x|`` (``x - logsumexp(x)``
    cancels two numbers of the size of ``x``). A row of ``-inf`` gives NaN, as torch."""
    if x.shape[axis] == 0:
        return x
    with _quiet(xp):
        z = _shift(xp, x, axis)
        return z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))


def take_along_axis(xp: Namespace, x: Array, indices: Array, *, axis: int) -> Array:
    """``xp.take_along_axis`` for **non-negative** ``indices`` of ``x``'s shape except along
    ``axis``: ``torch.gather`` directly on torch. array-api-compat's wrapper spends three
    more operations mapping negative indices (ours are labels or positions, never negative),
    and ``take_along_dim`` broadcasts first: with ``gather``, integer-label cross entropy runs
    at ``F.cross_entropy``'s speed (benchmarks/run.py)."""
    native = native_kernels(xp)
    if native is not None and native.take_along_axis is not None:
        return native.take_along_axis(x, indices, axis)
    return xp.take_along_axis(x, indices, axis=axis)


class NativeKernels:
    """A backend's fused ``logsumexp`` / ``log_softmax`` (one kernel forward, one backward,
    where the generic form runs about eight passes over the array each way), its gather where
    array-api-compat wraps it, its fused ``log_sigmoid`` / ``sigmoid``, and its
    ``sigmoid_cross_entropy`` and its reverse cumulative log-sum-exp, ``suffix_logsumexp``
    (``None``: the generic form). ``softplus`` has no routed form: see :func:`softplus`."""

    def __init__(
        self,
        logsumexp: Any,
        log_softmax: Any,
        take_along_axis: Any = None,
        *,
        nll_at: Any = None,
        nll_reduced: Any = None,
        log_sigmoid: Any = None,
        sigmoid: Any = None,
        sigmoid_cross_entropy: Any = None,
        suffix_logsumexp: Any = None,
    ) -> None:
        self.nll_at = nll_at
        self.nll_reduced = nll_reduced
        self.logsumexp = logsumexp
        self.log_softmax = log_softmax
        self.take_along_axis = take_along_axis
        self.log_sigmoid = log_sigmoid
        self.sigmoid = sigmoid
        self.sigmoid_cross_entropy = sigmoid_cross_entropy
        self.suffix_logsumexp = suffix_logsumexp


_NATIVE: dict[str, NativeKernels | None] = {}
_USE_NATIVE = True  # changed only by generic_kernels(), which restores it on exit


@contextlib.contextmanager
def generic_kernels() -> Iterator[None]:
    """Inside the ``with`` block, arraylosses runs its generic array-API code everywhere
    instead of torch's and ``jax.nn``'s fused ``logsumexp``/``log_softmax``/gather, torch's
    ``logsigmoid``/``sigmoid`` (and the scans): how the tests and benchmarks compare the two.
    The previous setting is restored on exit, also when the block raises, so a failing test
    cannot leave the native kernels off; blocks nest. The switch is process-wide while the
    block runs: another thread calling arraylosses meanwhile gets the generic code too (the
    same results, slower).

    Returns:
        A context manager (``with generic_kernels(): ...``).

    Example:
        >>> import numpy as np
        >>> from arraylosses import cross_entropy
        >>> with generic_kernels():
        ...     value = float(cross_entropy(np.zeros((1, 2)), np.array([0])))
        >>> round(value, 6)
        0.693147
    """
    global _USE_NATIVE
    previous, _USE_NATIVE = _USE_NATIVE, False
    try:
        yield
    finally:
        _USE_NATIVE = previous


_JITTED: dict[tuple[Callable[..., Any], bool], Callable[..., Any]] = {}


def jitted(xp: Namespace, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``jax.jit(fn)`` on JAX, ``fn`` itself elsewhere: for a step that a driver calls eagerly
    over many chunks of a few shapes (:func:`arraylosses.metrics.top_k_search`'s update). On
    JAX, eager code compiles each primitive at each new shape and dispatches it alone; the
    jitted step compiles once per shape and runs as one call (JAX caches it per shape, dtype
    and x64 setting; here one wrapper per function and per :func:`generic_kernels` state,
    which the trace reads). ``fn`` must be traceable; array arguments are traced, so a
    Python ``int`` argument becomes a 0-d array. Inside an outer ``jax.jit`` it inlines."""
    if not is_jax_namespace(xp):
        return fn
    key = (fn, _USE_NATIVE)
    if key not in _JITTED:
        import jax

        _JITTED[key] = jax.jit(fn)
    return _JITTED[key]


def native_kernels(xp: Namespace) -> NativeKernels | None:
    """torch's ``logsumexp``/``log_softmax`` and ``jax.nn``'s for their namespaces; ``None``
    (the generic code) for every other namespace, or when routing is off. Cached per
    namespace module, never per value."""
    if not _USE_NATIVE:  # inside generic_kernels()
        return None
    key = getattr(xp, "__name__", "")
    if key not in _NATIVE:
        _NATIVE[key] = _load_native(xp)
    return _NATIVE[key]


def _load_native(xp: Namespace) -> NativeKernels | None:
    if is_torch_namespace(xp):
        import torch

        log_sigmoid = torch.nn.functional.logsigmoid
        cross_entropy = torch.nn.functional.cross_entropy
        return NativeKernels(
            lambda x, axis, keepdims: torch.logsumexp(x, dim=axis, keepdim=keepdims),
            lambda x, axis: torch.log_softmax(x, dim=axis),
            lambda x, indices, axis: torch.gather(x, axis, indices),
            nll_at=_torch_nll_at,
            # log_softmax then nll_loss, in one C++ call
            nll_reduced=lambda x, labels, reduction: cross_entropy(x, labels, reduction=reduction),
            # logsigmoid is min(x, 0) - log1p(e^-|x|), one kernel each way, exact in both
            # tails
            log_sigmoid=log_sigmoid,
            # not torch.sigmoid: its backward y(1 - y) loses the relative accuracy of σ'(x)
            # for x > 20 (1 - y cancels; 0 instead of 4e-44 at x = 100), exp(log σ) keeps it
            sigmoid=lambda x: torch.exp(log_sigmoid(x)),
            sigmoid_cross_entropy=_torch_sigmoid_cross_entropy,
            suffix_logsumexp=lambda x: torch.flip(torch.logcumsumexp(torch.flip(x, (0,)), 0), (0,)),
        )
    if is_jax_namespace(xp):
        import jax

        return NativeKernels(
            lambda x, axis, keepdims: jax.nn.logsumexp(x, axis=axis, keepdims=keepdims),
            lambda x, axis: jax.nn.log_softmax(x, axis=axis),
            suffix_logsumexp=lambda x: jax.lax.cumlogsumexp(x, axis=0, reverse=True),
        )
    return None


def _torch_nll_at(x: Any, labels: Any, axis: int) -> Any:
    """torch's ``log_softmax`` picked at the labels by ``nll_loss``, not ``gather``: the same
    values and gradients, but under ``torch.compile`` the pick's backward decomposes to
    ``where(arange == label)``, which Inductor fuses with ``log_softmax``'s backward into one
    kernel and one ``N×C`` buffer; ``gather``'s backward (zeros + ``scatter_add``) is a kernel
    and a buffer of its own (3 kernels, 2 buffers: cross entropy 1.03-1.34× compiled
    ``F.cross_entropy``, issue #19). ``nll_loss`` returns the negative log-likelihood itself:
    no negation pass, forward or backward."""
    torch = sys.modules["torch"]  # loaded: x is a tensor (an import statement costs a µs)
    F = torch.nn.functional

    logp = torch.log_softmax(x, dim=axis)
    if x.shape[axis] == 0:
        return -torch.gather(logp, axis, labels.unsqueeze(axis)).squeeze(axis)
    if x.ndim == 2 and axis in (-1, 1):  # (N, C), the common case: no reshapes
        return F.nll_loss(logp, labels, reduction="none")
    # classes last, every other axis flattened into nll_loss's batch: no copy when ``axis`` is
    # already the last one (the losses' case), and one code path for every rank
    last = logp if axis in (-1, x.ndim - 1) else logp.movedim(axis, -1)
    nll = F.nll_loss(last.reshape(-1, last.shape[-1]), labels.reshape(-1), reduction="none")
    return nll.reshape(labels.shape)


def native_bin_sums(
    xp: Namespace, bins: Array, num_bins: int, values: tuple[Array, ...]
) -> tuple[Array, ...] | None:
    """``Σ v`` per bin ``0..num_bins-1`` for each ``v`` of ``values`` through the framework's
    own scatter-add, ``O(N)``: NumPy's ``bincount`` (summed in float64, returned in ``v``'s
    dtype; exact for integer counts below 2**53) and torch's ``index_add`` (differentiable,
    compiles). ``None`` elsewhere: the caller's generic path (one sort, prefix sums) runs."""
    if is_numpy_namespace(xp):
        import numpy as np

        flat = np.asarray(bins)
        return tuple(
            xp.asarray(
                np.bincount(flat, weights=np.asarray(v, dtype=np.float64), minlength=num_bins),
                dtype=v.dtype,
            )
            for v in values
        )
    if is_torch_namespace(xp):
        return tuple(
            xp.zeros((num_bins,), dtype=v.dtype, device=v.device).index_add(0, bins, v)
            for v in values
        )
    return None


def suffix_logsumexp(xp: Namespace, x: Array) -> Array:
    r"""``out[k] = log Σ_{i >= k} e^{x_i}`` for a 1-d ``x``, in log space throughout.

    torch (``logcumsumexp``, flipped) and JAX (``lax.cumlogsumexp(reverse=True)``) run their
    native scan; elsewhere, and inside :func:`generic_kernels`, :func:`generic_suffix_logsumexp`
    (eager JAX would compile each of its rounds' shapes: 6 s at N = 4096).
    """
    native = native_kernels(xp)
    if native is not None and native.suffix_logsumexp is not None:
        return native.suffix_logsumexp(x)
    return generic_suffix_logsumexp(xp, x)


def generic_suffix_logsumexp(xp: Namespace, x: Array) -> Array:
    """:func:`suffix_logsumexp` as a Hillis-Steele scan: ``ceil(log2 N)`` rounds of
    ``logaddexp`` with the array shifted by 1, 2, 4, ... Each entry is a log-sum-exp of finite
    logs, so nothing over- or underflows at any scale (a shifted ``cumulative_sum`` of ``exp``
    underflows: one shift cannot suit every suffix, and float32 lost every term from a CoSENT
    scale of about 45 up). ``logaddexp`` is exact-gradient and in the standard; the rounds cost
    ``O(N log N)``."""
    n = x.shape[0]
    step = 1
    while step < n:
        x = xp.concat([xp.logaddexp(x[: n - step], x[step:]), x[n - step :]])
        step *= 2
    return x


def softmax(xp: Namespace, x: Array, *, axis: int = -1) -> Array:
    """``exp(log_softmax(x))`` along ``axis``."""
    return xp.exp(log_softmax(xp, x, axis=axis))


def logaddexp(xp: Namespace, x: Array, y: Array) -> Array:
    """``xp.logaddexp``, NaN in -> NaN out everywhere: NumPy's (and so array_api_strict's)
    raises the floating-point 'invalid' flag for a NaN input, a RuntimeWarning (an error under
    ``-W error``); that flag is silenced there, for this call only. No effect elsewhere."""
    with _quiet(xp):
        return xp.logaddexp(x, y)


def softplus(xp: Namespace, x: Array) -> Array:
    """``log(1 + e^x)`` as ``logaddexp(x, 0)``.

    ``max(x, 0) + log1p(exp(-|x|))`` is avoided: its gradient at 0 is 0.5 on torch but 0 on
    JAX (different kink conventions); ``logaddexp`` has the exact gradient ``σ(x)`` everywhere.

    Not routed on torch: ``0 - logsigmoid(-x)`` saves ``-x`` and, on CPU, logsigmoid's buffer
    for the backward (2 arrays of ``x``'s size: BCE-with-logits' saved memory 1.50x ``F.*``'s,
    for no measured gain in time), where this saves nothing new; ``F.softplus`` returns ``x``
    itself above its threshold (20), which drops ``e^-x`` from ``softplus(x) - x`` (BCE at
    ``t = 1`` would read 0 for 1e-9).
    """
    return logaddexp(xp, x, const(xp, 0.0, x))  # a 0-d zero: no full-size array to fill


def _quiet(xp: Namespace) -> Any:
    """``np.errstate(divide="ignore", invalid="ignore")`` for the NumPy-backed namespaces
    (NumPy, array_api_strict), whose ufuncs warn where IEEE arithmetic already gives the
    answer (``log(0) = -inf``, NaN through ``logaddexp``); a no-op context elsewhere."""
    if is_numpy_namespace(xp) or is_array_api_strict_namespace(xp):
        import numpy as np

        return np.errstate(divide="ignore", invalid="ignore")
    import contextlib

    return contextlib.nullcontext()


def log_sigmoid(xp: Namespace, x: Array) -> Array:
    """``log σ(x) = -softplus(-x)`` (torch's fused ``logsigmoid`` on torch)."""
    native = native_kernels(xp)
    if native is not None and native.log_sigmoid is not None:
        return native.log_sigmoid(x)
    return -softplus(xp, -x)


def sigmoid(xp: Namespace, x: Array) -> Array:
    """``σ(x) = exp(log σ(x))``.

    The naive ``1/(1+e^-x)`` has a NaN gradient at ``x = -200``. ``0.5·(tanh(x/2)+1)`` is
    finite but loses all relative accuracy below ``x ≈ -20`` (it rounds to exactly 0 there);
    going through ``log σ`` keeps full relative accuracy in both tails and a finite gradient
    (on torch through its fused ``logsigmoid``).
    """
    native = native_kernels(xp)
    if native is not None and native.sigmoid is not None:
        return native.sigmoid(x)
    return generic_sigmoid(xp, x)


def generic_sigmoid(xp: Namespace, x: Array) -> Array:
    """:func:`sigmoid` in array-API operations: ``exp(log σ(x))``."""
    return xp.exp(-softplus(xp, -x))


def sigmoid_cross_entropy(xp: Namespace, z: Array, t: Array) -> Array:
    """Elementwise ``t·softplus(-z) + (1 - t)·softplus(z)`` (logits ``z``, targets ``t`` of one
    shape and floating dtype), computed as ``max(z, 0) - t·z + log1p(e^-|z|)``.

    Exact in both tails for hard labels: at ``t = 1`` the first two terms cancel exactly for
    ``z > 0``, at ``t = 0`` they are 0 for ``z < 0``, and the loss is ``log1p(e^-|z|)`` itself
    (``2.06e-9`` at ``|z| = 20`` in float32). ``softplus(z) - t·z`` reads 0 there at ``t = 1``,
    ``F.binary_cross_entropy_with_logits``' ``(1 - t)·z - log σ(z)`` at ``t = 0``. The gradient
    is ``σ(z) - t`` (``-z`` for ``t``). On torch it is one ``autograd.Function`` that saves only
    ``z`` and ``t`` (the generic form under autograd saves its intermediates and runs a
    backward per operation: benchmarks/run.py's BCE case times both); elsewhere
    :func:`generic_sigmoid_cross_entropy`.
    """
    native = native_kernels(xp)
    if native is not None and native.sigmoid_cross_entropy is not None:
        return native.sigmoid_cross_entropy(z, t)
    return generic_sigmoid_cross_entropy(xp, z, t)


def generic_sigmoid_cross_entropy(xp: Namespace, z: Array, t: Array) -> Array:
    """:func:`sigmoid_cross_entropy` in array-API operations. ``-|z|`` is ``minimum(z, -z)``
    and the kinks at 0 split ties: the gradient at ``z = 0`` is ``0.5 - t`` on torch and JAX
    (JAX's ``abs`` has derivative 1 at 0, which would give ``-t``).

    At ``z = ±inf`` the first two terms read ``0·inf`` or ``inf - inf``: there the loss is
    ``|z|`` times the linear term's coefficient (``1 - t`` for ``z > 0``, ``t`` for ``z < 0``),
    0 where that is 0 (the label the logit predicts: ``z = -inf, t = 0``; ``z = +inf, t = 1``),
    with a zero gradient (a double ``where``), else ``+inf`` (NaN for a NaN ``t``); audit row
    O03."""
    zero = const(xp, 0.0, z)
    inf = xp.isinf(z)
    zs = xp.where(inf, zero, z)
    with _quiet(xp):
        out = xp.maximum(zs, zero) - t * zs + xp.log1p(xp.exp(xp.minimum(zs, -zs)))
        coef = xp.where(z > 0, 1 - t, t)
        at_inf = coef * xp.where(coef == 0, zero, xp.abs(z))
    return xp.where(inf, at_inf, out)


_GRADIENT_MODULE = f"{__package__}._torch_gradient"


def _torch_sigmoid_cross_entropy(z: Any, t: Any) -> Any:
    """``SigmoidCrossEntropy.apply``, or its forward alone where no gradient is recorded (grad
    mode off, or neither input requires grad; ``torch.func.grad``'s inputs do): ``apply``
    binds its arguments through ``inspect.signature`` at every call, most of a small call's
    time (BCE 4x3: 11x ``F.*`` with it). Always ``apply`` inside ``torch.compile``."""
    gradient: Any = sys.modules.get(_GRADIENT_MODULE)
    if gradient is None:  # the first call: import it (an import statement per call costs µs)
        from . import _torch_gradient as gradient
    torch = sys.modules["torch"]
    if not torch.is_grad_enabled() or not (z.requires_grad or t.requires_grad):
        if not torch.compiler.is_compiling():
            return gradient.SigmoidCrossEntropy.forward(z, t)
    return gradient.SigmoidCrossEntropy.apply(z, t)


def one_hot(xp: Namespace, labels: Array, num_classes: int, *, dtype: Any) -> Array:
    """``(..., num_classes)`` one-hot encoding of integer ``labels`` (array-api-extra)."""
    import array_api_extra as xpx

    return xpx.one_hot(labels, num_classes, dtype=dtype, xp=xp)


LOG_2 = math.log(2.0)
LOG_2PI = math.log(2.0 * math.pi)


# ---------------------------------------------------------------------------------------------
# Hooks for the chunked losses: a loop that jit does not unroll, and a custom gradient. The
# loop bodies and the forward/backward passes are written once against the array API
# (arraylosses/_tiled.py); only their registration with each framework lives here.


def scan(xp: Namespace, body: Any, carry: Any, xs: tuple[Array, ...]) -> tuple[Any, Any]:
    """``carry, y = body(carry, x)`` for each slice ``x`` of the arrays ``xs`` along their
    first axis; returns the final carry and the ``y`` stacked along a new first axis.

    ``jax.lax.scan`` on JAX while tracing (``jit``, ``grad``, ``vmap``), so the body is traced
    once instead of the loop being unrolled; a Python loop elsewhere, JAX called eagerly included
    (an eager ``lax.scan`` compiles its body at every call). ``carry`` and ``y`` are arrays or
    tuples of arrays.
    """
    if is_jax_namespace(xp):
        import jax

        leaves = jax.tree_util.tree_leaves((carry, xs))
        if any(isinstance(x, jax.core.Tracer) for x in leaves):
            return jax.lax.scan(body, carry, xs)
    ys = []
    for k in range(xs[0].shape[0]):
        carry, y = body(carry, tuple(x[k, ...] for x in xs))
        ys.append(y)
    if isinstance(ys[0], tuple):
        return carry, tuple(xp.stack([y[m] for y in ys]) for m in range(len(ys[0])))
    return carry, xp.stack(ys)


def custom_gradient(xp: Namespace, forward: Any, backward: Any) -> Any:
    """A function of arrays whose value is ``forward``'s and whose gradient is ``backward``'s.

    ``forward(*arrays) -> (outputs, residuals)``, with ``outputs`` a tuple of arrays;
    ``backward(residuals, cotangents) -> gradients``, one per input array (zeros where an
    output is unused). torch: a ``torch.autograd.Function`` (only the residuals are saved,
    never the intermediates of ``forward``); JAX: ``jax.custom_vjp``; NumPy, CuPy and
    array_api_strict have no autodiff, so the function is ``forward``'s outputs.
    """
    if is_torch_namespace(xp):
        return _torch_custom_gradient(forward, backward)
    if is_jax_namespace(xp):
        import jax

        @jax.custom_vjp
        def f(*arrays: Array) -> Any:
            return forward(*arrays)[0]

        def f_fwd(*arrays: Array) -> Any:
            return forward(*arrays)

        def f_bwd(residuals: Any, cotangents: Any) -> Any:
            return tuple(backward(residuals, cotangents))

        f.defvjp(f_fwd, f_bwd)
        return f

    def plain(*arrays: Array) -> Any:
        return forward(*arrays)[0]

    return plain


def _torch_custom_gradient(forward: Any, backward: Any) -> Any:
    # the autograd.Function is defined once, at the import of _torch_gradient (a class built
    # per call cannot be traced: torch.compile before 2.13 rejects __build_class__)
    from ._torch_gradient import custom_gradient_apply

    def apply(*arrays: Any) -> Any:
        # one tensor passed twice (SupCon's R = C) is cloned: torch.compile rejects duplicate
        # inputs to an autograd.Function; the clone's gradient flows back to the tensor
        distinct = [
            x.clone() if any(x is y for y in arrays[:k]) else x for k, x in enumerate(arrays)
        ]
        return custom_gradient_apply(forward, backward, *distinct)

    return apply


# ---------------------------------------------------------------------------------------------
# Partial selection for the corpus search (arraylosses/metrics/search.py)


def top_k(xp: Namespace, x: Array, k: int) -> tuple[Array, Array]:
    """``(values, indices)``, each ``(Q, k)``: the ``k`` largest entries of each row of the
    2-D ``x`` (``1 <= k <= x.shape[1]``), in descending order, **ties broken by ascending
    index**: of equal values the lower index comes first, and at the k-th place the lower
    indices are the ones kept. ``x`` must hold no NaN (the caller replaces it); ``-0.0`` and
    ``0.0`` are equal. The indices have the backend's own index dtype (int32 on JAX).

    * JAX: ``jax.lax.top_k``, whose documented rule is this one ("If two elements are equal,
      the lower-index element appears first"), also under ``jit``;
    * torch: ``torch.topk``; NumPy: ``np.argpartition``. Neither orders equal values, nor
      says which of the values equal to the k-th one it keeps: ``k + 1`` entries are
      selected in descending order, and the rows where two of them are equal are redone
      with a stable sort (:func:`_exact_selection`; eager only, as the rows are found by
      value);
    * every other namespace (array_api_strict, CuPy), and torch inside ``torch.compile`` or
      off the CPU (where finding the tied rows would read values back from the device): the
      generic form, a stable descending ``argsort`` of each row, cut to ``k``.
    """
    width = x.shape[-1]
    if not 1 <= k <= width:
        raise ValueError(f"k must be in [1, {width}] (the row length); got {k}")
    if _USE_NATIVE and is_jax_namespace(xp):
        import jax

        # -0.0 made 0.0: XLA's comparator orders -0.0 below 0.0 (x + 0.0 would do, but
        # XLA simplifies it away under jit)
        return jax.lax.top_k(xp.where(x == 0, xp.zeros_like(x), x), k)
    if _USE_NATIVE and is_torch_namespace(xp) and host_readable(x) and 0 < k < width:
        import torch

        top = torch.topk(x, k + 1, dim=-1, largest=True, sorted=True)
        return _exact_selection(xp, x, top.values, top.indices)
    if _USE_NATIVE and is_numpy_namespace(xp) and k < width:
        import numpy as np

        part = np.argpartition(x, width - k - 1, axis=-1)[:, width - k - 1 :]
        order = np.argsort(-np.take_along_axis(x, part, axis=-1), axis=-1)  # descending; the
        selected = np.take_along_axis(part, order, axis=-1)  # order of equal values is redone
        return _exact_selection(xp, x, np.take_along_axis(x, selected, axis=-1), selected)
    return generic_top_k(xp, x, k)


def generic_top_k(xp: Namespace, x: Array, k: int) -> tuple[Array, Array]:
    """:func:`top_k` in array-API operations: a stable descending sort of each row, cut to
    ``k`` (``O(n log n)`` per row where the partial selections are ``O(n)``)."""
    order = xp.argsort(x, axis=-1, descending=True, stable=True)[:, :k]
    return xp.take_along_axis(x, order, axis=-1), order


def _exact_selection(xp: Namespace, x: Array, values: Array, indices: Array) -> tuple[Array, Array]:
    """:func:`top_k` from the ``k + 1`` largest entries of each row of ``x``, in descending
    value order but with equal values in any order (torch's ``topk``, NumPy's
    ``argpartition``). A row whose ``k + 1`` values are distinct is exact as it is (its top k
    and their order are unique); the rows holding equal values (ties inside the top k, or
    straddling the boundary, where the selection may have kept the wrong entries) are found
    by value (eager only) and redone with the stable sort. Scores of real embeddings rarely
    tie, so this is usually one comparison of the small ``(Q, k)`` selection."""
    k = values.shape[-1] - 1
    tied = xp.any(values[:, 1:] == values[:, :-1], axis=-1)
    values, indices = values[:, :k], indices[:, :k]
    if bool(xp.any(tied)):
        rows = xp.nonzero(tied)[0]
        fixed_values, fixed_indices = generic_top_k(xp, xp.take(x, rows, axis=0), k)
        keep = tied[:, None]
        spread = xp.cumulative_sum(xp.astype(tied, indices.dtype)) - 1  # row -> fixed row
        spread = xp.where(tied, spread, xp.zeros_like(spread))
        values = xp.where(keep, xp.take(fixed_values, spread, axis=0), values)
        indices = xp.where(
            keep, xp.take(xp.astype(fixed_indices, indices.dtype), spread, axis=0), indices
        )
    return values, indices
