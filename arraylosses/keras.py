"""Keras 3 ``Loss`` and ``Metric`` wrappers for arraylosses' functions and streaming metrics.

Importing this module imports keras (importing :mod:`arraylosses` does not). The wrappers run
on the JAX and torch Keras backends (arraylosses computes on the backend's own tensors through
array-api-compat, which does not support TensorFlow): select one with ``KERAS_BACKEND=jax`` or
``KERAS_BACKEND=torch`` before keras is first imported. On the TensorFlow backend the
constructors raise :class:`RuntimeError` (and this import raises :class:`ImportError` where
Keras is configured for TensorFlow but TensorFlow is missing)::

    import keras, arraylosses as al, arraylosses.keras as alk
    from arraylosses.metrics import streaming

    model.compile(
        optimizer="adam",
        loss=alk.Loss(al.cross_entropy, label_smoothing=0.1),
        metrics=[alk.Metric(streaming.accuracy(), name="acc")],
    )
    model.fit(x, y_int)  # y_true, y_pred in Keras' order; ours is (pred, target)

Keras passes ``(y_true, y_pred)`` and casts both to float32; the wrappers call
``fn(y_pred, y_true, ...)`` and cast ``y_true`` back to integers where the function takes class
indices (``cross_entropy``, ``nll_loss``, ``softmax_focal_loss``, ``poly1_cross_entropy``,
``csar_loss``, when ``y_true`` has one dimension less than ``y_pred`` or a trailing axis of
1 that ``y_pred`` lacks; ``supcon_loss``'s labels always; every metric by the same shape
rule). Functions with a ``reduction`` argument are called with ``reduction="none"`` so
Keras' ``sample_weight`` and reduction apply as for its own losses; the others return their scalar.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

try:
    import keras
except ImportError as error:  # Keras configured for TensorFlow without TensorFlow installed
    raise ImportError(
        "arraylosses.keras could not import keras "
        f"({error}); it needs the JAX or torch Keras backend: set KERAS_BACKEND=jax or "
        "KERAS_BACKEND=torch before keras is first imported"
    ) from error

import arraylosses as _al
from arraylosses.metrics import streaming as _streaming

__all__ = ["Loss", "Metric"]

_SUPPORTED = ("jax", "torch", "numpy")
# functions whose target may be class indices (cast back to int when it has the index shape)
_INDEX_TARGET = {
    _al.cross_entropy,
    _al.nll_loss,
    _al.softmax_focal_loss,
    _al.poly1_cross_entropy,
    _al.csar_loss,
}
_ALWAYS_INT = {_al.supcon_loss}


def _check_backend() -> str:
    backend = keras.backend.backend()
    if backend not in _SUPPORTED:
        raise RuntimeError(
            f"arraylosses.keras runs on the JAX and torch Keras backends, not {backend!r}: "
            "arraylosses computes on the backend's tensors through array-api-compat, which "
            "does not support TensorFlow. Set KERAS_BACKEND=jax or KERAS_BACKEND=torch before "
            "keras is first imported."
        )
    return backend


def _as_indices(y_true: Any, y_pred: Any, always: bool = False) -> Any:
    """``y_true`` as int32 class indices when it has the index shape (``y_pred``'s minus its
    last axis, or that with a trailing 1), else unchanged."""
    t_shape, p_shape = tuple(y_true.shape), tuple(y_pred.shape)
    if t_shape[-1:] == (1,) and len(t_shape) == len(p_shape) and p_shape[-1:] != (1,):
        y_true = keras.ops.squeeze(y_true, axis=-1)
        t_shape = t_shape[:-1]
    if always or len(t_shape) == len(p_shape) - 1:
        return keras.ops.cast(y_true, "int32")
    return y_true


class Loss(keras.losses.Loss):
    """An arraylosses function as a Keras loss: ``call(y_true, y_pred)`` returns
    ``fn(y_pred, y_true, **hyperparameters)`` (per sample where ``fn`` has ``reduction``).

    Args:
        fn: an arraylosses loss taking ``(pred, target)`` first.
        name, reduction, dtype: as :class:`keras.losses.Loss` (``reduction`` is Keras' own:
            ``"sum_over_batch_size"`` by default).
        **hyperparameters: keyword arguments of ``fn``.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
        **hyperparameters: Any,
    ) -> None:
        _check_backend()
        if not callable(fn):
            raise TypeError(f"fn must be an arraylosses function; got {type(fn).__name__}")
        super().__init__(name=name or fn.__name__, reduction=reduction, dtype=dtype)
        self.fn = fn
        self.hyperparameters = hyperparameters
        self._per_sample = "reduction" in inspect.signature(fn).parameters
        if self._per_sample and "reduction" in hyperparameters:
            raise TypeError("reduction is Keras' here: pass it as Loss(..., reduction=...)")

    def call(self, y_true: Any, y_pred: Any) -> Any:
        if self.fn in _INDEX_TARGET or self.fn in _ALWAYS_INT:
            y_true = _as_indices(y_true, y_pred, always=self.fn in _ALWAYS_INT)
        kwargs = dict(self.hyperparameters)
        if self._per_sample:
            kwargs["reduction"] = "none"
        return self.fn(y_pred, y_true, **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"fn": f"arraylosses.{self.fn.__name__}", **self.hyperparameters})
        return config


class Metric(keras.metrics.Metric):
    """A streaming metric of :mod:`arraylosses.metrics.streaming` as a Keras metric: its state
    fields are Keras variables, ``update_state(y_true, y_pred, sample_weight=None)`` calls
    ``metric.update(state, y_pred, y_true, ...)``, ``result()`` is ``metric.compute``,
    ``reset_state()`` restores the empty state. Works under Keras' jit (the state has fixed
    shapes). ``precision_recall_f1`` returns its three values.
    """

    def __init__(self, metric: Any, *, name: str | None = None, dtype: Any = None) -> None:
        backend = _check_backend()
        if not isinstance(metric, _streaming.StreamingMetric):
            raise TypeError(
                "metric must be a streaming metric (arraylosses.metrics.streaming.accuracy(), "
                f"...); got {type(metric).__name__}"
            )
        super().__init__(name=name or type(metric).__name__.lower(), dtype=dtype)
        self.metric = metric
        like = {"jax": "jax.numpy", "torch": "torch", "numpy": "numpy"}[backend]
        module = __import__(like, fromlist=["_"])
        empty = metric.init(
            module, dtype=getattr(module, keras.backend.standardize_dtype(self.dtype))
        )
        self._fields = type(empty)
        self._state_vars = [
            self.add_variable(
                shape=tuple(x.shape),
                initializer="zeros",
                dtype=keras.backend.standardize_dtype(x.dtype),
                name=field,
            )
            for field, x in zip(empty._fields, empty, strict=True)
        ]

    def _state(self) -> Any:
        return self._fields(*(v.value for v in self._state_vars))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = keras.ops.convert_to_tensor(y_true)
        y_pred = keras.ops.convert_to_tensor(y_pred)
        y_true = _as_indices(y_true, y_pred)  # class indices: one axis fewer than y_pred
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        state = self.metric.update(self._state(), y_pred, y_true, **kwargs)
        for var, value in zip(self._state_vars, state, strict=True):
            var.assign(value)

    def result(self) -> Any:
        return self.metric.compute(self._state())

    def reset_state(self) -> None:
        for var in self._state_vars:  # fresh zeros (JAX may donate the buffers it was given)
            var.assign(keras.ops.zeros(var.shape, dtype=var.dtype))
