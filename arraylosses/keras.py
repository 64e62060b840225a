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

Install from a clone with the ``keras`` extra and the backend's: ``pip install ".[keras,jax]"``
or ``pip install ".[keras,torch]"``.

Keras passes ``(y_true, y_pred)`` and casts both to float32; the wrappers call
``fn(y_pred, y_true, ...)`` and cast ``y_true`` back to integers where the function takes class
indices (``cross_entropy``, ``nll_loss``, ``softmax_focal_loss``, ``poly1_cross_entropy``,
``csar_loss``, when ``y_true`` has one dimension less than ``y_pred`` or a trailing axis of
1 that ``y_pred`` lacks; ``supcon_loss``'s labels always; every metric by the same shape
rule). Functions with a ``reduction`` argument are called with ``reduction="none"`` so
Keras' ``sample_weight`` and reduction apply as for its own losses; the others return their scalar.

Metrics that take one prediction per sample (the regression metrics without ``num_outputs``,
binary ``log_loss``, ``roc_auc``) accept a ``Dense(1)`` head's ``(N, 1)`` predictions, with
``y_true`` of shape ``(N,)`` or ``(N, 1)``, as Keras' own metrics do. ``precision_recall_f1``
gives three results, ``<name>_precision``, ``<name>_recall`` and ``<name>_f1``, each shown in
the progress bar and the history.

Both classes are registered Keras serializables (package ``arraylosses``): ``get_config`` /
``from_config`` round-trip, and a model compiled with them is saved with ``model.save`` and
loaded with ``keras.saving.load_model`` without ``custom_objects`` once ``arraylosses.keras`` is
imported. ``Loss`` saves its function by its import path (``arraylosses.cross_entropy``, or
your module's function), ``Metric`` the streaming factory and its arguments
(``top_k_accuracy``, ``{"k": 2}``).
"""

from __future__ import annotations

import dataclasses
import importlib
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
from arraylosses.metrics.streaming.classification import _BinnedROC, _PrecisionRecallF1
from arraylosses.metrics.streaming.regression import _RegressionMetric

__all__ = ["Loss", "Metric"]

_SUPPORTED = ("jax", "torch", "numpy")


def _index_target(fn: Callable[..., Any]) -> tuple[bool, bool]:
    """``(index target, always int)`` from ``fn``'s registry record (``adapter``): whether its
    target may be class indices (cast back to int when it has the index shape), and whether it
    is cast whatever its shape (SupCon's labels). A function without a record: neither."""
    from arraylosses.testing.cases import record_of

    record = record_of(fn)
    if record is None:
        return False, False
    return record.adapter.index_target, record.adapter.always_int


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


def _fn_path(fn: Callable[..., Any]) -> str:
    """Where ``fn`` is imported from: ``arraylosses.<name>`` for the library's functions, else
    ``module.qualname``."""
    if getattr(_al, fn.__name__, None) is fn:
        return f"arraylosses.{fn.__name__}"
    return f"{fn.__module__}.{fn.__qualname__}"


def _resolve_fn(path: Any) -> Callable[..., Any]:
    """The function saved by :func:`_fn_path` (what ``from_config`` reads back)."""
    if callable(path):
        return path
    module, _, name = str(path).rpartition(".")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ValueError(
            f"fn {path!r} could not be imported ({error}); a Loss is saved with its function's "
            "import path, so the function must be a module-level one"
        ) from None
    if not callable(fn):
        raise TypeError(f"fn {path!r} is not a function; got {type(fn).__name__}")
    return fn


@keras.saving.register_keras_serializable(package="arraylosses")
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
        self._index_target, self._always_int = _index_target(fn)
        if self._per_sample and "reduction" in hyperparameters:
            raise TypeError("reduction is Keras' here: pass it as Loss(..., reduction=...)")

    def call(self, y_true: Any, y_pred: Any) -> Any:
        if self._index_target or self._always_int:
            y_true = _as_indices(y_true, y_pred, always=self._always_int)
        kwargs = dict(self.hyperparameters)
        if self._per_sample:
            kwargs["reduction"] = "none"
        return self.fn(y_pred, y_true, **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"fn": _fn_path(self.fn), **self.hyperparameters})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        config = dict(config)
        return cls(_resolve_fn(config.pop("fn")), **config)


def _one_per_row(metric: Any) -> bool:
    """Whether ``metric`` takes one prediction per sample, ``(N,)``: a ``Dense(1)`` head's
    ``(N, 1)`` is squeezed for it (and ``y_true``'s trailing 1)."""
    if isinstance(metric, _RegressionMetric):
        return metric.num_outputs is None
    return _binary_labels(metric)


def _binary_labels(metric: Any) -> bool:
    """Whether ``metric`` scores one probability or score per sample against 0/1 labels."""
    return isinstance(metric, _BinnedROC) or metric == _streaming.log_loss()


def _squeeze_last(x: Any) -> Any:
    return keras.ops.squeeze(x, axis=-1) if x.ndim >= 2 and x.shape[-1] == 1 else x


def _factory_of(metric: Any) -> tuple[str, dict[str, Any]] | None:
    """The public factory of :mod:`arraylosses.metrics.streaming` and the keyword arguments
    that rebuild ``metric`` (checked: ``factory(**kwargs) == metric``), or None."""
    known: dict[str, Any] = {}
    if dataclasses.is_dataclass(metric):
        known = {f.name: getattr(metric, f.name) for f in dataclasses.fields(metric)}
    known.update(dict(known.pop("hyper", ())))
    for name in _streaming.__all__:
        factory = getattr(_streaming, name)
        if not inspect.isfunction(factory):
            continue
        params = inspect.signature(factory).parameters
        kwargs = {k: v for k, v in known.items() if k in params}
        try:
            same = factory(**kwargs) == metric
        except (TypeError, ValueError):
            continue
        if same:
            return name, {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}
    return None


@keras.saving.register_keras_serializable(package="arraylosses")
class Metric(keras.metrics.Metric):
    """A streaming metric of :mod:`arraylosses.metrics.streaming` as a Keras metric: its state
    fields are Keras variables, ``update_state(y_true, y_pred, sample_weight=None)`` calls
    ``metric.update(state, y_pred, y_true, ...)``, ``result()`` is ``metric.compute``,
    ``reset_state()`` restores the empty state. Works under Keras' jit (the state has fixed
    shapes). ``precision_recall_f1``'s result is a dict of its three values, ``<name>_precision``,
    ``<name>_recall`` and ``<name>_f1``, which Keras logs as three metrics.

    Every array (``y_true``, ``y_pred``, ``sample_weight`` (NumPy or a tensor), and the state
    read from the variables) goes through ``keras.ops.convert_to_tensor``, so all are on the
    device Keras computes on: on the torch backend, Keras' first trial pass on ``meta`` tensors
    may leave a ``meta`` state behind when a later metric cannot run on ``meta``, and the
    retry on the real device converts that state too instead of mixing devices.

    Args:
        metric: a streaming metric (``arraylosses.metrics.streaming.accuracy()``, ...).
        name: the metric's name in Keras' logs. Default: the factory's name
            (``"top_k_accuracy"``).
        dtype: the floating dtype of the state's sums, as :class:`keras.metrics.Metric`.
    """

    def __init__(self, metric: Any, *, name: str | None = None, dtype: Any = None) -> None:
        backend = _check_backend()
        if not isinstance(metric, _streaming.StreamingMetric):
            raise TypeError(
                "metric must be a streaming metric (arraylosses.metrics.streaming.accuracy(), "
                f"...); got {type(metric).__name__}"
            )
        factory = _factory_of(metric)
        default = factory[0] if factory else type(metric).__name__.lower()
        super().__init__(name=name or default, dtype=dtype)
        self.metric = metric
        self._factory = factory
        self._one_per_row = _one_per_row(metric)
        self._binary_labels = _binary_labels(metric)
        self._regression = isinstance(metric, _RegressionMetric)
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
        """The state, as tensors on the device Keras computes on now (see the class doc)."""
        return self._fields(*(keras.ops.convert_to_tensor(v.value) for v in self._state_vars))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = keras.ops.convert_to_tensor(y_true)
        y_pred = keras.ops.convert_to_tensor(y_pred)
        if self._one_per_row and y_pred.ndim == 2 and y_pred.shape[-1] == 1:
            y_pred, y_true = _squeeze_last(y_pred), _squeeze_last(y_true)  # a Dense(1) head
        if self._binary_labels and y_pred.ndim == 1:
            y_true = keras.ops.cast(y_true, "int32")  # 0/1 labels, after Keras' float cast
        elif not self._regression:
            y_true = _as_indices(y_true, y_pred)  # class indices: one axis fewer than y_pred
        kwargs = {}
        if sample_weight is not None:
            sample_weight = keras.ops.convert_to_tensor(sample_weight)
            if sample_weight.ndim == y_true.ndim + 1:
                sample_weight = _squeeze_last(sample_weight)  # Keras' (N, 1) weights
            kwargs["sample_weight"] = sample_weight
        state = self.metric.update(self._state(), y_pred, y_true, **kwargs)
        for var, value in zip(self._state_vars, state, strict=True):
            var.assign(value)

    def result(self) -> Any:
        value = self.metric.compute(self._state())
        if isinstance(self.metric, _PrecisionRecallF1):
            names = ("precision", "recall", "f1")
            return {f"{self.name}_{n}": v for n, v in zip(names, value, strict=True)}
        return value

    def reset_state(self) -> None:
        for var in self._state_vars:  # fresh zeros (JAX may donate the buffers it was given)
            var.assign(keras.ops.zeros(var.shape, dtype=var.dtype))

    def get_config(self) -> dict[str, Any]:
        if self._factory is None:
            raise TypeError(
                f"{type(self.metric).__name__} is not made by a factory of "
                "arraylosses.metrics.streaming, so this Metric cannot be saved"
            )
        factory, kwargs = self._factory
        return {**super().get_config(), "metric": {"factory": factory, "kwargs": kwargs}}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        config = dict(config)
        spec = config.pop("metric")
        if spec.get("factory") not in _streaming.__all__:
            raise ValueError(f"unknown streaming metric {spec.get('factory')!r}")
        metric = getattr(_streaming, spec["factory"])(**spec.get("kwargs", {}))
        return cls(metric, **config)
