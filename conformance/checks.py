"""The checks run for every registry case: values, gradients, and JAX/torch transforms.

Each check returns the worst relative error it saw, or raises ``AssertionError`` naming the
case, the parameter set and what differed. ``tests/test_conformance.py`` runs them as tests;
``conformance/matrix.py`` runs them to print the matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from arraylosses._backend import BACKENDS, Backend
from arraylosses.testing import _parts, assert_backends_agree, assert_close, max_errors

from .cases import Case

SEED = 20261123
GRAD_RTOL, GRAD_ATOL = 1e-6, 1e-7  # central differences in float64, step 1e-6
TRANSFORM_RTOL, TRANSFORM_ATOL = 1e-12, 1e-13  # jit/vmap/compile against eager, float64


def _split(kwargs: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Keyword arguments that are arrays, and the static rest."""
    arrays = {k: v for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    return arrays, {k: v for k, v in kwargs.items() if k not in arrays}


def check_values(case: Case, backend: Backend, dtype: str) -> float:
    """Every parameter set on ``backend`` in ``dtype`` against NumPy float64."""
    worst = 0.0
    for (label, args, kwargs) in case.variants(np.random.default_rng(SEED)):
        try:
            report = assert_backends_agree(case.fn, *args, backends=[backend.name],
                                           dtypes=[dtype], **kwargs)
        except AssertionError as err:
            raise AssertionError(f"{case.name}({label}): {err}") from None
        worst = max([worst, *report.values()])
    return worst


def _substitute(args: tuple, kwargs: dict[str, Any], where: list[int | str], values: list[Any]
                ) -> tuple[list[Any], dict[str, Any]]:
    args_l, kwargs_d = list(args), dict(kwargs)
    for w, v in zip(where, values, strict=True):
        if isinstance(w, int):
            args_l[w] = v
        else:
            kwargs_d[w] = v
    return args_l, kwargs_d


def _numpy_objective(case: Case, args: tuple, kwargs: dict[str, Any], where: list[int | str],
                     cotangent: list[np.ndarray]) -> Callable[[list[np.ndarray]], float]:
    numpy = BACKENDS["numpy"]

    def f(values: list[np.ndarray]) -> float:
        a, k = _substitute(args, kwargs, where, values)
        a = [numpy.asarray(x, "float64") if isinstance(x, np.ndarray) else x for x in a]
        k = {n: numpy.asarray(x, "float64") if isinstance(x, np.ndarray) else x
             for n, x in k.items()}
        parts = _parts(case.fn(*a, **k))
        return float(sum(np.sum(np.asarray(x) * c) for x, c in zip(parts, cotangent, strict=True)))

    return f


def finite_difference_gradient(f: Callable[[list[np.ndarray]], float],
                               values: list[np.ndarray], step: float = 1e-6) -> list[np.ndarray]:
    """Central differences of the scalar ``f`` with respect to each array in ``values``."""
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


def _autodiff(case: Case, backend: Backend, args: tuple, kwargs: dict[str, Any],
              where: list[int | str], cotangent: Any) -> list[np.ndarray]:
    """Gradient of ``Σ fn(...)·cotangent`` by the backend's own autodiff, in float64 (for a
    tuple result, one cotangent per part)."""
    conv = [backend.asarray(x, "float64") if isinstance(x, np.ndarray) else x for x in args]
    kconv = {k: backend.asarray(x, "float64") if isinstance(x, np.ndarray) else x
             for k, x in kwargs.items()}
    primals = [conv[w] if isinstance(w, int) else kconv[w] for w in where]
    cots = [backend.asarray(c, "float64")
            for c in (cotangent if isinstance(cotangent, list) else [cotangent])]

    def total(result: Any, xp_sum: Callable[[Any], Any]) -> Any:
        return sum(xp_sum(x * c) for x, c in zip(_parts(result), cots, strict=True))

    if backend.name.startswith("torch"):
        import torch

        leaves = [p.detach().clone().requires_grad_(True) for p in primals]
        a, k = _substitute(tuple(conv), kconv, where, leaves)
        out = total(case.fn(*a, **k), torch.sum)
        return [backend.to_numpy(g) for g in torch.autograd.grad(out, leaves)]
    if backend.name.startswith("jax"):
        import jax
        import jax.numpy as jnp

        def objective(*values: Any) -> Any:
            a, k = _substitute(tuple(conv), kconv, where, list(values))
            return total(case.fn(*a, **k), jnp.sum)

        grads = jax.grad(objective, argnums=tuple(range(len(primals))))(*primals)
        return [backend.to_numpy(g) for g in grads]
    raise ValueError(f"{backend.name} does not differentiate")


def check_gradients(case: Case, backend: Backend) -> float:
    """Autodiff gradients (torch or JAX, float64) against central finite differences."""
    worst = 0.0
    rng = np.random.default_rng(SEED)
    for params, (label, args, kwargs) in zip(case.params, case.variants(rng), strict=True):
        targets = case.grad_names(params)
        if not targets:
            continue
        where = [w for _, w in targets]
        values = [np.array(args[w] if isinstance(w, int) else kwargs[w], dtype=np.float64)
                  for w in where]
        reference = BACKENDS["numpy"]
        outs = _parts(case.fn(*[reference.asarray(a) for a in args],
                              **{k: reference.asarray(v) if isinstance(v, np.ndarray) else v
                                 for k, v in kwargs.items()}))
        draw = np.random.default_rng(SEED + 1)
        cotangent = [draw.uniform(0.5, 1.5, size=np.shape(o)) for o in outs]
        f = _numpy_objective(case, args, kwargs, where, cotangent)
        expected = finite_difference_gradient(f, values)
        actual = _autodiff(case, backend, args, kwargs, where, cotangent)
        for (name, _), a, e in zip(targets, actual, expected, strict=True):
            msg = f"{case.name}({label}): d/d{name} on {backend.name}"
            assert_close(a, e, rtol=GRAD_RTOL, atol=GRAD_ATOL, err_msg=msg)
            worst = max(worst, max_errors(a, e)[1])
    return worst


def _eager_and(case: Case, backend: Backend, transform: Callable[..., Any]) -> float:
    """Each parameter set through ``transform(fn, static)`` against the eager call, float64."""
    worst = 0.0
    for (label, args, kwargs) in case.variants(np.random.default_rng(SEED)):
        arrays, static = _split(kwargs)
        a = [backend.asarray(x, "float64") for x in args]
        k = {n: backend.asarray(x, "float64") for n, x in arrays.items()}
        eager = _parts(case.fn(*a, **k, **static))
        transformed = _parts(transform(case.fn, static)(*a, **k))
        for t_part, e_part in zip(transformed, eager, strict=True):
            assert_close(t_part, e_part, rtol=TRANSFORM_RTOL, atol=TRANSFORM_ATOL,
                         err_msg=f"{case.name}({label})")
            worst = max(worst, max_errors(backend.to_numpy(t_part), backend.to_numpy(e_part))[1])
    return worst


def check_jit(case: Case, backend: Backend) -> float:
    """``jax.jit`` gives the eager result (value checks are skipped on tracers)."""
    import jax

    return _eager_and(case, backend, lambda fn, static: jax.jit(
        lambda *a, **k: fn(*a, **k, **static)))


def check_torch_compile(case: Case, backend: Backend) -> float:
    """``torch.compile(fullgraph=True)`` gives the eager result: no graph breaks."""
    import warnings

    import torch

    def compiled(fn: Callable[..., Any], static: dict[str, Any]) -> Callable[..., Any]:
        torch._dynamo.reset()  # each parameter set compiles afresh (no recompile limit)
        return torch.compile(lambda *a, **k: fn(*a, **k, **static), fullgraph=True,
                             dynamic=False)

    with warnings.catch_warnings():
        # array-api-compat's lru_cache'd helpers are traced through, which dynamo mentions
        warnings.filterwarnings("ignore", message=".*lru_cache.*", category=UserWarning)
        return _eager_and(case, backend, compiled)


def check_vmap(case: Case, backend: Backend, batch: int = 3) -> float:
    """``jax.vmap`` over a leading batch of independent inputs equals a loop over them."""
    import jax
    import jax.numpy as jnp

    worst = 0.0
    rngs = [np.random.default_rng(SEED + i) for i in range(batch)]
    per_example = [list(case.variants(r)) for r in rngs]
    for v, (label, _, kwargs0) in enumerate(per_example[0]):
        _, static = _split(kwargs0)
        array_keys = list(_split(kwargs0)[0])
        stacked_args = [jnp.stack([backend.asarray(ex[v][1][i], "float64")
                                   for ex in per_example])
                        for i in range(len(per_example[0][v][1]))]
        stacked_kw = {k: jnp.stack([backend.asarray(ex[v][2][k], "float64")
                                    for ex in per_example]) for k in array_keys}

        def single(args: list[Any], kw: dict[str, Any], static: dict[str, Any] = static) -> Any:
            return case.fn(*args, **kw, **static)

        batched = _parts(jax.vmap(single)(stacked_args, stacked_kw))
        loop = [_parts(single([a[i] for a in stacked_args],
                              {k: x[i] for k, x in stacked_kw.items()})) for i in range(batch)]
        for j, part in enumerate(batched):
            looped = jnp.stack([one[j] for one in loop])
            assert_close(part, looped, rtol=TRANSFORM_RTOL, atol=TRANSFORM_ATOL,
                         err_msg=f"{case.name}({label}) under vmap")
            worst = max(worst, max_errors(backend.to_numpy(part), backend.to_numpy(looped))[1])
    return worst
