"""``adapt``: call a peer library's function the way ours is called."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import array_api_compat

__all__ = ["adapt"]

_REDUCTIONS = ("mean", "sum")


def adapt(
    fn: Callable[..., Any],
    *,
    args: Sequence[int] | Callable[..., Any] | None = None,
    kwargs_map: Mapping[str, str | None] | None = None,
    extra_kwargs: Mapping[str, Any] | None = None,
    one_hot: int | None = None,
    num_classes: int | None = None,
    reduction: str | Callable[[Any], Any] | None = None,
) -> Callable[..., Any]:
    """``fn`` (a peer's loss) wrapped to take our arguments, for :func:`crosscheck`.

    Args:
        fn: the peer's function.
        args: how its positional arguments come from ours: our positions in its order
            (``(1, 0)`` for scikit-learn's ``(y_true, y_pred)``), or a callable taking ours
            and returning its tuple (``lambda q, p: ([q, p], None)`` for sentence-transformers'
            ``compute_loss_from_embeddings(embeddings, labels)``). Default: ours, unchanged.
        kwargs_map: our keyword name to its name (``{"sample_weight": "weights"}``), or to
            ``None`` to drop that keyword. Keywords not listed pass unchanged.
        extra_kwargs: keywords always passed to it (``{"labels": [0, 1, 2]}``).
        one_hot: our position of an argument of class indices that it wants one-hot (optax's
            ``softmax_cross_entropy``), encoded in our first argument's dtype. Default ``None``.
        num_classes: the number of classes of the one-hot encoding. Default ``None``: the size
            of our first argument's last axis.
        reduction: ``"mean"`` or ``"sum"`` of its per-sample output (optax returns one loss
            per row; ours reduces), or a callable applied to its output. Default ``None``: its
            output as it is.

    Returns:
        A function ``f(*our_args, **our_kwargs)`` named ``adapt(<fn name>)``.

    Example:
        >>> import numpy as np
        >>> def per_row_sq(target, pred):  # a peer: other order, no reduction
        ...     return ((pred - target) ** 2).sum(axis=-1)
        >>> mse_like = adapt(per_row_sq, args=(1, 0), reduction="mean")
        >>> float(mse_like(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])))
        5.0
    """
    if isinstance(reduction, str) and reduction not in _REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {_REDUCTIONS}, a callable or None; got {reduction!r}"
        )
    if args is not None and not callable(args) and not all(isinstance(i, int) for i in args):
        raise TypeError(f"args must be a sequence of positions or a callable; got {args!r}")
    renames = dict(kwargs_map or {})
    extra = dict(extra_kwargs or {})

    @functools.wraps(fn)
    def adapted(*ours: Any, **our_kwargs: Any) -> Any:
        ours_l = list(ours)
        if one_hot is not None:
            ours_l[one_hot] = _one_hot(ours_l[one_hot], like=ours_l[0], num_classes=num_classes)
        if args is None:
            theirs: Sequence[Any] = ours_l
        elif callable(args):
            theirs = args(*ours_l)
        else:
            theirs = [ours_l[i] for i in args]
        kwargs = dict(extra)
        for key, value in our_kwargs.items():
            theirs_key = renames.get(key, key)
            if theirs_key is not None:
                kwargs[theirs_key] = value
        out = fn(*theirs, **kwargs)
        if reduction is None:
            return out
        if callable(reduction):
            return reduction(out)
        xp = array_api_compat.array_namespace(out)
        return xp.mean(out) if reduction == "mean" else xp.sum(out)

    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    adapted.__name__ = adapted.__qualname__ = f"adapt({name})"
    return adapted


def _one_hot(labels: Any, *, like: Any, num_classes: int | None) -> Any:
    import array_api_extra as xpx

    xp = array_api_compat.array_namespace(labels, like)
    n = like.shape[-1] if num_classes is None else num_classes
    return xpx.one_hot(labels, n, dtype=like.dtype, xp=xp)
