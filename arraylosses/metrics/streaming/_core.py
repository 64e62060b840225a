"""What every streaming metric shares: the protocol (:class:`StreamingMetric`), the running
weighted mean (:class:`MeanState`), and the batch helpers (namespace of ``init``, ``mask``).

A streaming metric is an immutable, hashable object holding the metric's hyperparameters
(so ``jax.jit(metric.update)`` traces it as a constant) with four pure functions:

* ``init(like, *, dtype=None, device=None)``: the empty state, a NamedTuple of fixed-shape
  arrays of ``like``'s library (an array, or an array namespace/module such as ``numpy``,
  ``torch``, ``jax.numpy``) on its device;
* ``update(state, <the one-shot metric's data arguments>, *, mask=None, ...)``: the state
  after one more batch;
* ``merge(a, b)``: the state of the union of two streams (associative and commutative:
  exactly for integer counts, within rounding for floating sums);
* ``compute(state)``: the metric.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from types import ModuleType
from typing import Any, ClassVar, NamedTuple

from ..._backend import (
    Array,
    Namespace,
    as_dtype,
    default_float,
    device_of,
    index_dtype,
    namespace,
)
from ..._ops import divide_or_nan
from ..._validate import is_array

__all__ = ["MeanState", "StreamingMetric"]


class StateSpace(NamedTuple):
    """Where a state lives: namespace, floating dtype of its sums, integer dtype of its
    counts, device."""

    xp: Namespace
    dtype: Any
    int_dtype: Any
    device: Any


def state_space(like: Any, dtype: Any = None, device: Any = None) -> StateSpace:
    """The namespace, dtypes and device of a new state, from an array or an array module.

    The floating dtype is ``dtype`` if given, else ``like``'s own floating dtype, else the
    namespace's default (float64 on NumPy, float32 on torch and on JAX without x64); float16
    and bfloat16 become float32 (sums in half precision lose every digit after ~2,000 terms).
    """
    if isinstance(like, ModuleType) or (hasattr(like, "asarray") and not is_array(like)):
        x = like.asarray(0.0) if device is None else like.asarray(0.0, device=device)
    elif is_array(like):
        x = like
    else:
        raise TypeError(
            f"like must be an array or an array namespace (numpy, torch, jax.numpy...); "
            f"got {type(like).__name__}"
        )
    xp = namespace(like=x)
    if dtype is None:
        floating = xp.isdtype(x.dtype, "real floating")
        dtype = x.dtype if floating else default_float(xp, x)
    elif not xp.isdtype(dtype, "real floating"):
        raise TypeError(f"dtype must be a real floating dtype; got {dtype}")
    if xp.finfo(dtype).bits < 32:
        dtype = xp.float32
    return StateSpace(
        xp, dtype, count_dtype(xp, x, dtype), device_of(x) if device is None else device
    )


def count_dtype(xp: Namespace, x: Array, dtype: Any) -> Any:
    """The dtype of a state's counts: the namespace's 64-bit index dtype, else (JAX without
    x64, whose integers are int32 and would wrap past 2^31 rows, silently) the floating
    ``dtype``, exact to 2^24 (float32) and rounded, never wrapped, beyond."""
    index = index_dtype(xp, x)
    return index if xp.iinfo(index).bits >= 64 else dtype


def zeros(space: StateSpace, shape: tuple[int, ...] = (), *, integer: bool = False) -> Array:
    """An array of zeros of the state's floating (or integer) dtype, on its device."""
    dtype = space.int_dtype if integer else space.dtype
    return space.xp.zeros(shape, dtype=dtype, device=space.device)


def rows_counted(space: StateSpace, rows: int, mask: Array | None) -> Array:
    """How many of a batch's ``rows`` an update counts (all, or those ``mask`` flags), in
    the state's count dtype."""
    xp = space.xp
    if mask is None:
        return xp.asarray(rows, dtype=space.int_dtype, device=space.device)
    return xp.sum(xp.astype(mask, space.int_dtype))


def check_mask(xp: Namespace, mask: Array | None, rows: int) -> None:
    """``mask`` is ``None`` or a boolean array of shape ``(rows,)``."""
    if mask is None:
        return
    if not is_array(mask):
        raise TypeError(f"mask must be a boolean array; got {type(mask).__name__}")
    if not xp.isdtype(mask.dtype, "bool"):
        raise TypeError(f"mask must be a boolean array; got dtype {mask.dtype}")
    if tuple(mask.shape) != (rows,):
        raise ValueError(
            f"mask must have shape ({rows},), one flag per row; got {tuple(mask.shape)}"
        )


def along_rows(xp: Namespace, mask: Array, x: Array) -> Array:
    """``mask`` ``(N,)`` reshaped to broadcast along ``x``'s first axis."""
    return xp.reshape(mask, (mask.shape[0],) + (1,) * (x.ndim - 1))


def masked(xp: Namespace, x: Array, mask: Array | None, *, fill: int = 0) -> Array:
    """``x`` with the masked-out rows replaced by ``fill`` (0 or 1), so that nothing in them
    (NaN, out-of-range labels, padding) reaches a check or a sum."""
    if mask is None:
        return x
    filler = xp.zeros_like(x) if fill == 0 else xp.ones_like(x)
    return xp.where(along_rows(xp, mask, x), x, filler)


def row_weights(
    space: StateSpace, shape: tuple[int, ...], sample_weight: Array | None, mask: Array | None
) -> Array:
    """Per-sample weights of ``shape`` in the state dtype: ``sample_weight`` (or 1), 0 on the
    masked-out rows."""
    xp = space.xp
    if sample_weight is None:
        w = xp.ones(shape, dtype=space.dtype, device=space.device)
    else:
        w = as_dtype(xp, sample_weight, space.dtype)
    if mask is not None:
        w = xp.where(along_rows(xp, mask, w), w, xp.zeros_like(w))
    return w


class MeanState(NamedTuple):
    """A running weighted mean: ``total = Σ w·v`` (shape ``()``, or ``(K,)`` per output) and
    ``weight = Σ w`` (0-d). Merged by adding both."""

    total: Array
    weight: Array


def mean_of(xp: Namespace, state: MeanState) -> Array:
    """``total / weight``; NaN when nothing was counted (an empty stream, weights summing
    to 0), as the one-shot metrics give for an empty batch."""
    return divide_or_nan(xp, state.total, state.weight)


def _no_numpy_scalars(state: Any) -> Any:
    """``state`` with each NumPy scalar field (``numpy.float64``: NumPy's arithmetic on 0-d
    arrays returns one) made a 0-d array again, as every result on NumPy is."""
    if not isinstance(state, tuple) or not any(
        type(x).__module__ == "numpy" and type(x).__name__ != "ndarray" for x in state
    ):
        return state
    import numpy as np

    fields = (np.asarray(x) if isinstance(x, np.generic) else x for x in state)
    return type(state)(*fields)


def _states_as_arrays(method: Any) -> Any:
    @functools.wraps(method)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return _no_numpy_scalars(method(*args, **kwargs))

    wrapped._states_as_arrays = True  # type: ignore[attr-defined]
    return wrapped


_STATE_METHODS = ("init", "update", "merge", "merge_stacked")


class StreamingMetric(ABC):
    """The streaming form of a metric: pure ``init``, ``update``, ``merge``, ``compute``.

    Subclasses are frozen dataclasses of the metric's hyperparameters. ``summable`` is True
    when ``merge`` adds the states field by field, so a distributed merge is one sum
    (``torch.distributed.all_reduce``, ``jax.lax.psum``); otherwise the states are gathered
    and folded with ``merge`` (:mod:`arraylosses.metrics.streaming.distributed`).
    """

    summable: ClassVar[bool] = True
    sample_weighted: ClassVar[bool] = True  # whether update takes sample_weight

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # the states on NumPy are 0-d arrays, not NumPy scalars (issue #36), for every metric
        super().__init_subclass__(**kwargs)
        for name in _STATE_METHODS:
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "_states_as_arrays", False):
                setattr(cls, name, _states_as_arrays(method))

    @abstractmethod
    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> Any:
        """The empty state, on ``like``'s namespace and device (``like``: an array or an array
        module); floating sums in ``dtype`` (default: ``like``'s floating dtype, or the
        namespace's default)."""

    @abstractmethod
    def update(
        self,
        state: Any,
        data: Array,
        target: Array,
        /,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> Any:
        """The state after one more batch. The data arguments are the one-shot metric's, by
        the same names and in the same order (``accuracy``'s ``pred, target``,
        ``top_k_accuracy``'s ``scores, target``, ``log_loss``'s ``probs, target``), so a
        keyword call works for both forms and a positional call is one shape for every
        metric. ``mask`` ``(N,)`` bool: the rows to count (the others may hold anything, NaN
        or padding, and are ignored), so a last, short batch can be padded to a fixed shape
        under ``jax.jit``."""

    @_states_as_arrays
    def merge(self, a: Any, b: Any) -> Any:
        """The state of both streams."""
        return type(a)(*(x + y for x, y in zip(a, b, strict=True)))

    @abstractmethod
    def compute(self, state: Any) -> Any:
        """The metric of everything counted so far."""

    @_states_as_arrays
    def merge_stacked(self, states: Any) -> Any:
        """Merge states stacked along a leading axis (what an all-gather returns)."""
        xp = namespace(state=states[0])
        if self.summable:
            return type(states)(*(xp.sum(x, axis=0) for x in states))
        merged = type(states)(*(x[0, ...] for x in states))
        for i in range(1, states[0].shape[0]):
            merged = self.merge(merged, type(states)(*(x[i, ...] for x in states)))
        return merged

    def _space_of(self, state: Any) -> StateSpace:
        """The :class:`StateSpace` of an existing state (its first floating field sets the
        floating dtype; the namespace's default for a state of counts only)."""
        xp = namespace(state=state[0])
        floating = (x.dtype for x in state if xp.isdtype(x.dtype, "real floating"))
        dtype = next(floating, None)
        if dtype is None:
            dtype = default_float(xp, state[0])
        return StateSpace(xp, dtype, count_dtype(xp, state[0], dtype), device_of(state[0]))

    def _no_weight(self, sample_weight: Array | None) -> None:
        if sample_weight is not None:
            raise TypeError(f"{type(self).__name__}.update takes no sample_weight")
