"""The one gradient helper: a function's value and the gradients of ``Σ out·c`` by the
backend's autodiff (torch, JAX), or by central finite differences on NumPy float64.

``crosscheck``, the conformance checks and the peer cross-checks all go through here, so
"which inputs, which cotangent, what a missing gradient means" is decided once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ._backends import Backend, dtype_name, to_numpy

__all__ = [
    "ValueAndGrads",
    "finite_difference_gradient",
    "finite_differences",
    "parts",
    "value_and_grads",
]

Where = int | str  # a positional index or a keyword name


def parts(result: Any) -> list[Any]:
    """A function's result as a list of arrays (tuples such as ``(precision, recall, f1)``).

    Args:
        result: a function's result: an array, or a tuple (or list) of arrays.

    Returns:
        The arrays, in a list, in order (a one-element list for a single array).

    Example:
        >>> import numpy as np
        >>> len(parts((np.array(1.0), np.array(2.0))))
        2
    """
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _cotangents(cotangent: int | Sequence[Any], outs: list[Any]) -> list[np.ndarray]:
    """One NumPy array per result part: drawn uniform in [0.5, 1.5) from the seed
    ``cotangent``, or the given arrays (checked against the parts' shapes)."""
    shapes = [tuple(np.shape(o)) for o in outs]
    if isinstance(cotangent, int):
        rng = np.random.default_rng(cotangent)
        return [rng.uniform(0.5, 1.5, size=s) for s in shapes]
    cots = [np.asarray(c, dtype=np.float64) for c in cotangent]
    if [c.shape for c in cots] != shapes:
        raise ValueError(
            f"cotangent shapes {[c.shape for c in cots]} do not match the result "
            f"parts' shapes {shapes}"
        )
    return cots


def _substitute(
    args: Sequence[Any], kwargs: dict[str, Any], wrt: Sequence[Where], values: Sequence[Any]
) -> tuple[list[Any], dict[str, Any]]:
    args_l, kwargs_d = list(args), dict(kwargs)
    for w, v in zip(wrt, values, strict=True):
        if isinstance(w, int):
            args_l[w] = v
        else:
            kwargs_d[w] = v
    return args_l, kwargs_d


def _pick(args: Sequence[Any], kwargs: dict[str, Any], w: Where) -> Any:
    return args[w] if isinstance(w, int) else kwargs[w]


class ValueAndGrads(NamedTuple):
    """``values``: the result, part by part, as NumPy arrays. ``grads``: per ``wrt`` entry,
    the NumPy gradient of ``Σ_k Σ out_k·c_k``, or ``None`` where the result does not depend
    on that input at all (torch: it was detached or unused). ``cotangent``: the ``c_k``.
    ``dtypes``: the result parts' dtype names as the backend returned them."""

    values: list[np.ndarray]
    grads: list[np.ndarray | None]
    cotangent: list[np.ndarray]
    dtypes: list[str]


def value_and_grads(
    fn: Callable[..., Any],
    backend: Backend,
    args: Sequence[Any],
    kwargs: dict[str, Any] | None = None,
    *,
    wrt: Sequence[Where] = (),
    cotangent: int | Sequence[Any] = 0,
    jit: bool = False,
) -> ValueAndGrads:
    """Call ``fn(*args, **kwargs)`` (arrays already on ``backend``) once, and differentiate
    ``Σ_k Σ out_k·c_k`` with respect to the inputs ``wrt`` (positions or keyword names) by
    the backend's autodiff: ``torch.autograd.grad`` or ``jax.vjp``.

    ``cotangent`` is one NumPy array per result part, or a seed from which they are drawn
    uniform in [0.5, 1.5) (the same seed gives the same ``c`` for the same shapes, so two
    implementations differentiated with one seed are comparable). Integer result parts are
    not differentiated. With ``wrt`` empty nothing is differentiated, on any backend.

    Args:
        fn: the function to call.
        backend: the :class:`Backend` the arrays are on (its autodiff is used).
        args: positional arguments, arrays already on ``backend``.
        kwargs: keyword arguments. Default ``None``: none.
        wrt: positions or keyword names of the inputs to differentiate. Default ``()``: none.
        cotangent: one NumPy array per result part, or an int seed from which they are drawn.
            Default ``0``.
        jit: on JAX, the call and its ``jax.vjp`` run inside one ``jax.jit``, every array
            argument a traced argument of it (as in a user's ``jax.jit``): one XLA
            compilation, where the eager ``vjp`` compiles every primitive of the forward and
            backward passes at its shapes (several times slower on a cold cache). ``values``
            are then the jitted call's. Ignored on other backends. Default ``False``: eager.

    Returns:
        A :class:`ValueAndGrads` with ``values`` and ``grads`` as NumPy arrays, the ``cotangent``
        used and the result parts' ``dtypes``.

    Example:
        >>> import numpy as np
        >>> from arraylosses import mse_loss
        >>> from arraylosses.testing import BACKENDS, value_and_grads
        >>> numpy = BACKENDS["numpy"]
        >>> r = value_and_grads(mse_loss, numpy, [numpy.asarray(np.ones(2), "float64"),
        ...                                       numpy.asarray(np.zeros(2), "float64")])
        >>> r.values, r.grads, r.dtypes
        ([array(1.)], [], ['float64'])
    """
    kwargs = dict(kwargs or {})
    if not wrt:
        outs = parts(fn(*args, **kwargs))
        return _result(outs, [], _cotangents(cotangent, outs))
    if backend.is_torch:
        return _torch(fn, backend, args, kwargs, wrt, cotangent)
    if backend.is_jax:
        return _jax(fn, backend, args, kwargs, wrt, cotangent, jit=jit)
    raise ValueError(f"{backend.name} does not differentiate; pass wrt=()")


def _result(
    outs: list[Any], grads: list[np.ndarray | None], cots: list[np.ndarray]
) -> ValueAndGrads:
    return ValueAndGrads(
        [to_numpy(o) for o in outs],
        grads,
        cots,
        [dtype_name(to_numpy(o)) if isinstance(o, (int, float)) else dtype_name(o) for o in outs],
    )


def _torch(
    fn: Callable[..., Any],
    backend: Backend,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    wrt: Sequence[Where],
    cotangent: int | Sequence[Any],
) -> ValueAndGrads:
    import torch

    leaves = [_pick(args, kwargs, w).detach().clone().requires_grad_(True) for w in wrt]
    a, k = _substitute(args, kwargs, wrt, leaves)
    outs = parts(fn(*a, **k))
    cots = _cotangents(cotangent, outs)
    tracked = [
        (o, backend.asarray(c, dtype_name(o)))
        for o, c in zip(outs, cots, strict=True)
        if isinstance(o, torch.Tensor) and o.requires_grad
    ]
    grads: Sequence[Any] = [None] * len(leaves)
    if tracked:
        grads = torch.autograd.grad(
            [o for o, _ in tracked], leaves, grad_outputs=[c for _, c in tracked], allow_unused=True
        )
    return _result(outs, [None if g is None else to_numpy(g) for g in grads], cots)


def _jax(
    fn: Callable[..., Any],
    backend: Backend,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    wrt: Sequence[Where],
    cotangent: int | Sequence[Any],
    *,
    jit: bool = False,
) -> ValueAndGrads:
    import jax
    import jax.numpy as jnp

    # every other array is an argument of the jitted function too (a tracer, as in a user's
    # jax.jit), not a constant closed over: a value read of, say, the labels fails here too
    held = [
        w
        for w in (*range(len(args)), *kwargs)
        if w not in wrt and isinstance(_pick(args, kwargs, w), jax.Array)
    ]

    def of_inputs(*values: Any, others: Sequence[Any] = ()) -> Any:
        a, k = _substitute(args, kwargs, held, others or [_pick(args, kwargs, w) for w in held])
        a, k = _substitute(a, k, wrt, values)
        return fn(*a, **k)

    primals = [_pick(args, kwargs, w) for w in wrt]
    shapes, tree = jax.tree_util.tree_flatten(jax.eval_shape(of_inputs, *primals))
    cots = _cotangents(cotangent, [np.broadcast_to(0.0, o.shape) for o in shapes])
    inexact = [jnp.issubdtype(o.dtype, jnp.inexact) for o in shapes]
    given = [backend.asarray(c, dtype_name(o)) for o, c, f in zip(shapes, cots, inexact) if f]

    def run(primals: list[Any], given: list[Any], others: list[Any]) -> tuple[Any, Any]:
        result, vjp = jax.vjp(lambda *v: of_inputs(*v, others=others), *primals)
        it = iter(given)
        seeds = [
            next(it) if f else np.zeros(o.shape, dtype=jax.dtypes.float0)
            for o, f in zip(shapes, inexact, strict=True)
        ]
        return result, vjp(jax.tree_util.tree_unflatten(tree, seeds))

    others = [_pick(args, kwargs, w) for w in held]
    result, grads = (jax.jit(run) if jit else run)(primals, given, others)
    outs = jax.tree_util.tree_leaves(result)
    return _result(outs, [to_numpy(g) for g in grads], cots)


def finite_difference_gradient(
    f: Callable[[list[np.ndarray]], float], values: list[np.ndarray], step: float = 1e-6
) -> list[np.ndarray]:
    """Central differences of the scalar ``f(values)`` with respect to each array in
    ``values``, with step ``step·max(1, |x|)`` per element.

    Args:
        f: a function of a list of NumPy arrays returning a Python float.
        values: the point, a list of float64 NumPy arrays.
        step: the relative step. Default ``1e-6``.

    Returns:
        A list of NumPy gradients, one per array of ``values``.

    Example:
        >>> import numpy as np
        >>> def f(v):
        ...     return float((v[0] ** 2).sum())
        >>> g = finite_difference_gradient(f, [np.array([1.0, 2.0])])
        >>> np.round(g[0], 6).tolist()
        [2.0, 4.0]
    """
    grads = []
    for i, x in enumerate(values):
        g = np.zeros_like(x, dtype=np.float64)
        for idx in np.ndindex(x.shape):
            h = step * max(1.0, abs(float(x[idx])))
            plus = [v.copy() for v in values]
            minus = [v.copy() for v in values]
            plus[i][idx] += h
            minus[i][idx] -= h
            g[idx] = (f(plus) - f(minus)) / (2 * h)
        grads.append(g)
    return grads


def finite_differences(
    fn: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any] | None = None,
    *,
    wrt: Sequence[Where],
    cotangent: Sequence[Any],
    step: float = 1e-6,
) -> list[np.ndarray]:
    """:func:`value_and_grads`' gradients by central differences instead of autodiff:
    ``fn`` is called on NumPy arrays (floating ones in float64), the backend-independent
    reference for the gradients of ``Σ_k Σ out_k·c_k``.

    Args:
        fn: the function to differentiate.
        args: positional arguments as NumPy arrays.
        kwargs: keyword arguments. Default ``None``: none.
        wrt: positions or keyword names of the inputs to differentiate.
        cotangent: one NumPy array :math:`c_k` per result part.
        step: the relative step. Default ``1e-6``.

    Returns:
        A list of float64 NumPy gradients, one per ``wrt`` entry.

    Example:
        >>> import numpy as np
        >>> from arraylosses import mse_loss
        >>> g = finite_differences(mse_loss, [np.array([1.0, 2.0]), np.zeros(2)], wrt=[0],
        ...                        cotangent=[np.array(1.0)])
        >>> np.round(g[0], 6).tolist()
        [1.0, 2.0]
    """

    def f64(x: Any) -> Any:
        floating = isinstance(x, np.ndarray) and x.dtype.kind == "f"
        return np.asarray(x, dtype=np.float64) if floating else x

    args64 = [f64(x) for x in args]
    kwargs64 = {k: f64(x) for k, x in (kwargs or {}).items()}
    cots = [np.asarray(c, dtype=np.float64) for c in cotangent]

    def objective(values: list[np.ndarray]) -> float:
        a, k = _substitute(args64, kwargs64, wrt, values)
        outs = parts(fn(*a, **k))
        return float(
            sum(
                np.sum(np.asarray(o, dtype=np.float64) * c) for o, c in zip(outs, cots, strict=True)
            )
        )

    return finite_difference_gradient(
        objective, [np.array(_pick(args64, kwargs64, w), dtype=np.float64) for w in wrt], step
    )
