"""Streaming confusion-matrix metrics: the ``(C, C)`` weighted confusion matrix summed over
batches, and Matthews' correlation, Cohen's kappa and the balanced accuracy read from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..._backend import Array, as_dtype
from ..._validate import flag, integer
from ...typing import ConfusionNormalize, KappaWeights
from .. import confusion as oneshot
from ._core import (
    StreamingMetric,
    check_mask,
    masked,
    row_weights,
    rows_counted,
    state_space,
    zeros,
)

__all__ = [
    "ConfusionMatrixState",
    "balanced_accuracy",
    "cohen_kappa",
    "confusion_matrix",
    "matthews_corrcoef",
]


class ConfusionMatrixState(NamedTuple):
    """The weighted confusion matrix ``(C, C)`` (row: true class, column: predicted class) and
    ``count``, the rows counted (integer). Merged by adding."""

    matrix: Array
    count: Array


@dataclass(frozen=True)
class _ConfusionMetric(StreamingMetric):
    num_classes: int
    kind: str = "matrix"  # "matrix", "mcc", "kappa" or "bacc": what compute returns
    option: Any = None  # normalize (matrix), weights (kappa) or adjusted (bacc)

    def init(self, like: Any, *, dtype: Any = None, device: Any = None) -> ConfusionMatrixState:
        space = state_space(like, dtype, device)
        c = self.num_classes
        return ConfusionMatrixState(zeros(space, (c, c)), zeros(space, integer=True))

    def update(
        self,
        state: ConfusionMatrixState,
        pred: Array,
        target: Array,
        *,
        sample_weight: Array | None = None,
        mask: Array | None = None,
    ) -> ConfusionMatrixState:
        space = self._space_of(state)
        xp = space.xp
        check_mask(xp, mask, target.shape[0] if target.ndim else -1)
        pred, target = masked(xp, pred, mask), masked(xp, target, mask)
        w = None
        if sample_weight is not None or mask is not None:
            w = row_weights(space, tuple(target.shape), sample_weight, mask)
        c = oneshot.confusion(
            pred, target, num_classes=self.num_classes, sample_weight=w, dtype=space.dtype
        )
        count = rows_counted(space, target.shape[0], mask)
        return self.merge(state, ConfusionMatrixState(as_dtype(xp, c.matrix, space.dtype), count))

    def compute(self, state: ConfusionMatrixState) -> Array:
        space = self._space_of(state)
        xp, m, dtype = space.xp, state.matrix, space.dtype
        if self.kind == "matrix":
            return oneshot.normalized(xp, m, self.option, dtype)
        if self.kind == "mcc":
            return oneshot.mcc_from_matrix(xp, m, dtype)
        if self.kind == "kappa":
            return oneshot.kappa_from_matrix(xp, m, self.option, dtype)
        return oneshot.balanced_accuracy_from_matrix(xp, m, self.option, dtype)


def _classes(num_classes: Any) -> int:
    return integer("num_classes", num_classes, low=1)


def confusion_matrix(
    *, num_classes: int, normalize: ConfusionNormalize | None = None
) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.confusion_matrix`. State
    :class:`ConfusionMatrixState`; ``compute`` gives the ``(C, C)`` matrix, normalised as
    ``normalize`` says (zeros for an empty stream, as the one-shot metric's empty batch).

    Args:
        num_classes: the number of classes C, an int ``>= 1``.
        normalize: ``None`` (default: counts), ``"true"``, ``"pred"`` or ``"all"``.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`ConfusionMatrixState`.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.confusion_matrix`.

    Example:
        >>> import numpy as np
        >>> m = confusion_matrix(num_classes=2)
        >>> s = m.update(m.init(np), np.array([0, 1]), np.array([0, 1]))
        >>> m.compute(m.update(s, np.array([1]), np.array([0]))).tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    return _ConfusionMetric(_classes(num_classes), "matrix", oneshot.normalize_option(normalize))


def matthews_corrcoef(*, num_classes: int) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.matthews_corrcoef` over the confusion-matrix state.

    Args:
        num_classes: the number of classes C, an int ``>= 1``.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`ConfusionMatrixState`; ``compute`` gives a 0-d array.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.matthews_corrcoef`.

    Example:
        >>> import numpy as np
        >>> m = matthews_corrcoef(num_classes=2)
        >>> s = m.update(m.init(np), np.array([1, 1, 1]), np.array([1, 1, 0]))
        >>> round(float(m.compute(m.update(s, np.array([0, 0]), np.array([0, 0])))), 6)
        0.666667
    """
    return _ConfusionMetric(_classes(num_classes), "mcc")


def cohen_kappa(*, num_classes: int, weights: KappaWeights | None = None) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.cohen_kappa` over the confusion-matrix state.

    Args:
        num_classes: the number of classes C, an int ``>= 1``.
        weights: ``None`` (default: 0/1 disagreement), ``"linear"`` or ``"quadratic"``.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`ConfusionMatrixState`; ``compute`` gives a 0-d array.

    References:
        - The one-shot metric's references apply: :func:`arraylosses.metrics.cohen_kappa`.

    Example:
        >>> import numpy as np
        >>> m = cohen_kappa(num_classes=2)
        >>> s = m.update(m.init(np), np.array([0, 1]), np.array([0, 1]))
        >>> float(m.compute(m.update(s, np.array([1, 0]), np.array([0, 0]))))
        0.5
    """
    return _ConfusionMetric(_classes(num_classes), "kappa", oneshot.weights_option(weights))


def balanced_accuracy(*, num_classes: int, adjusted: bool = False) -> StreamingMetric:
    """Streaming :func:`arraylosses.metrics.balanced_accuracy` over the confusion-matrix state.

    Args:
        num_classes: the number of classes C, an int ``>= 1``.
        adjusted: whether to rescale for chance. Default ``False``.

    Returns:
        A :class:`StreamingMetric` with ``init``/``update``/``merge``/``compute`` over a
        :class:`ConfusionMatrixState`; ``compute`` gives a 0-d array.

    References:
        - The one-shot metric's references apply:
          :func:`arraylosses.metrics.balanced_accuracy`.

    Example:
        >>> import numpy as np
        >>> m = balanced_accuracy(num_classes=3)
        >>> s = m.update(m.init(np), np.array([0, 1, 2]), np.array([0, 1, 1]))
        >>> round(float(m.compute(m.update(s, np.array([2, 0]), np.array([1, 0])))), 6)
        0.666667
    """
    return _ConfusionMetric(_classes(num_classes), "bacc", flag("adjusted", adjusted))
