"""The checks run for every registry case: values, gradients, and JAX/torch transforms.

Each check returns the worst relative error it saw, or raises ``AssertionError`` naming the
case, the parameter set and what differed. ``tests/test_conformance.py`` runs them as tests;
``conformance/matrix.py`` runs them to print the matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from arraylosses.testing import (
    BACKENDS,
    FINITE_DIFFERENCES,
    Backend,
    assert_backends_agree,
    assert_close,
    finite_differences,
    max_errors,
    parts,
    tolerance,
    value_and_grads,
)
from arraylosses.testing.cases import Case

__all__ = [
    "check_gradients",
    "check_jit",
    "check_merge_laws",
    "check_peer",
    "check_torch_compile",
    "check_values",
    "check_vmap",
]

SEED = 20261123
GRAD_RTOL, GRAD_ATOL = FINITE_DIFFERENCES  # central differences in float64, step 1e-6
TRANSFORM_RTOL, TRANSFORM_ATOL = 1e-12, 1e-13  # jit/vmap/compile against eager, float64


def _split(kwargs: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Keyword arguments that are arrays, and the static rest."""
    arrays = {k: v for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    return arrays, {k: v for k, v in kwargs.items() if k not in arrays}


def check_values(case: Case, backend: Backend, dtype: str) -> float:
    """Every parameter set on ``backend`` in ``dtype`` against NumPy float64."""
    worst = 0.0
    for label, args, kwargs in case.variants(np.random.default_rng(SEED)):
        try:
            report = assert_backends_agree(
                case.fn, *args, backends=[backend.name], dtypes=[dtype], **kwargs
            )
        except AssertionError as err:
            raise AssertionError(f"{case.name}({label}): {err}") from None
        worst = max([worst, *report.values()])
    return worst


# (case, parameter set) -> (cotangent, finite differences): the NumPy float64 differences do
# not depend on the backend under test, so torch and JAX in one process compute them once
_DIFFERENCES: dict[tuple[str, str], tuple[list[np.ndarray], list[np.ndarray]]] = {}


def _finite_differences(
    case: Case, label: str, args: Any, kwargs: Any, where: list[Any], cotangent: list[Any]
) -> list[np.ndarray]:
    cots = [np.asarray(c, dtype=np.float64) for c in cotangent]
    key = (case.name, label)
    cached = _DIFFERENCES.get(key)
    if cached is not None and len(cached[0]) == len(cots):
        if all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(cached[0], cots)):
            return cached[1]
    expected = finite_differences(case.fn, args, kwargs, wrt=where, cotangent=cots)
    _DIFFERENCES[key] = (cots, expected)
    return expected


def check_gradients(case: Case, backend: Backend) -> float:
    """Autodiff gradients (torch or JAX, float64) against central finite differences of the
    NumPy float64 result, for ``Σ out·c`` with a fixed random ``c`` per result part (the
    differences computed once per case and parameter set, whichever backend asks first).
    JAX differentiates inside one ``jax.jit``: the eager ``jax.vjp`` compiles every primitive
    of both passes at each case's shapes, 1.8× the CPU time on the suite's cases (the hostile
    sweep, ``conformance/hostile.py``, differentiates JAX under ``jax.jit`` too). Every array is an
    argument of that jit (a tracer, as in a user's ``jax.jit``), and its value must equal
    NumPy float64's within float64's tolerance: the jit check of the set (:func:`check_jit`
    with ``skip_graded`` leaves these sets out, one compilation fewer each)."""
    worst = 0.0
    rng = np.random.default_rng(SEED)
    for params, (label, args, kwargs) in zip(case.params, case.variants(rng), strict=True):
        targets = case.grad_names(params)
        if not targets:
            continue
        where = [w for _, w in targets]
        with backend.context("float64"):
            a, k = backend.convert(args, kwargs, "float64")
            actual = value_and_grads(
                case.fn, backend, a, k, wrt=where, cotangent=SEED + 1, jit=backend.is_jax
            )
        expected = _finite_differences(case, label, args, kwargs, where, actual.cotangent)
        if backend.is_jax:  # the value of that jax.jit: check_jit's check of this set
            _jitted_values_agree(case, label, args, kwargs, actual.values, backend)
        for (name, _), g, e in zip(targets, actual.grads, expected, strict=True):
            msg = f"{case.name}({label}): d/d{name} on {backend.name}"
            if g is None:
                raise AssertionError(f"{msg}: no gradient (the result does not depend on it)")
            assert_close(g, e, rtol=GRAD_RTOL, atol=GRAD_ATOL, err_msg=msg)
            worst = max(worst, max_errors(g, e)[1])
    return worst


def _jitted_values_agree(
    case: Case, label: str, args: Any, kwargs: Any, values: list[np.ndarray], backend: Backend
) -> None:
    """``values`` (a jitted call's result, NumPy) against the NumPy float64 call."""
    oracle = BACKENDS["numpy"]
    a, k = oracle.convert(args, kwargs, "float64")
    expected = [np.asarray(oracle.to_numpy(p)) for p in parts(case.fn(*a, **k))]
    if len(values) != len(expected):
        raise AssertionError(f"{case.name}({label}) under jax.jit: {len(values)} results")
    rtol, atol = tolerance("float64")
    for v, e in zip(values, expected, strict=True):
        assert_close(
            v,
            e,
            rtol=rtol,
            atol=atol,
            err_msg=f"{case.name}({label}) under jax.jit on {backend.name}",
        )


def graded(case: Case, params: Any) -> bool:
    """Whether the parameter set has arrays to differentiate (:func:`check_gradients` runs
    it, on JAX under ``jax.jit``)."""
    return bool(case.grad_names(params))


def _transformed_variants(case: Case, rng: np.random.Generator, full: bool) -> list[Any]:
    """The parameter sets a transform check runs: every one (``full``), or the function's
    default case alone, its first parameter set (the matrix's default for ``torch.compile``
    and ``jax.vmap``: compiling every set is most of a full run's time)."""
    variants = list(case.variants(rng))
    return variants if full else variants[:1]


def _eager_and(
    case: Case,
    backend: Backend,
    transform: Callable[..., Any],
    full: bool = True,
    skip: Callable[[Case, Any], bool] | None = None,
) -> float:
    """Each parameter set (the first only unless ``full``; not those ``skip(case, params)``
    names) through ``transform(fn, static)`` against the eager call, float64."""
    worst = 0.0
    variants = _transformed_variants(case, np.random.default_rng(SEED), full)
    for params, (label, args, kwargs) in zip(case.params, variants):
        if skip is not None and skip(case, params):
            continue
        arrays, static = _split(kwargs)
        with backend.context("float64"):
            a, k = backend.convert(args, arrays, "float64")
            eager = parts(case.fn(*a, **k, **static))
            transformed = parts(transform(case.fn, static)(*a, **k))
            for t_part, e_part in zip(transformed, eager, strict=True):
                assert_close(
                    t_part,
                    e_part,
                    rtol=TRANSFORM_RTOL,
                    atol=TRANSFORM_ATOL,
                    err_msg=f"{case.name}({label})",
                )
                worst = max(
                    worst, max_errors(backend.to_numpy(t_part), backend.to_numpy(e_part))[1]
                )
    return worst


def check_jit(
    case: Case, backend: Backend, full: bool = True, *, skip_graded: bool = False
) -> float:
    """``jax.jit`` gives the eager result (value checks are skipped on tracers).
    ``skip_graded``: leave out the sets :func:`check_gradients` runs under ``jax.jit`` (that
    check compares the jitted value with NumPy float64): the matrix by default, which runs
    both."""
    import jax

    return _eager_and(
        case,
        backend,
        lambda fn, static: jax.jit(lambda *a, **k: fn(*a, **k, **static)),
        full,
        skip=graded if skip_graded else None,
    )


def check_torch_compile(
    case: Case, backend: Backend, full: bool = True, compiler: str = "inductor"
) -> float:
    """``torch.compile(fullgraph=True)`` gives the eager result: no graph breaks.
    ``compiler`` is ``torch.compile``'s ``backend``: ``"inductor"`` (the default, what users
    get) or ``"aot_eager"`` (Dynamo's graph and AOTAutograd without Inductor's code
    generation: the graph-break and tracing checks at a fraction of the cost)."""
    import warnings

    import torch

    def compiled(fn: Callable[..., Any], static: dict[str, Any]) -> Callable[..., Any]:
        torch._dynamo.reset()  # each parameter set compiles afresh (no recompile limit)
        return torch.compile(
            lambda *a, **k: fn(*a, **k, **static),
            fullgraph=True,
            dynamic=False,
            backend=compiler,
        )

    with warnings.catch_warnings():
        # array-api-compat's lru_cache'd helpers are traced through, which dynamo mentions
        warnings.filterwarnings("ignore", message=".*lru_cache.*", category=UserWarning)
        return _eager_and(case, backend, compiled, full)


def check_vmap(case: Case, backend: Backend, batch: int = 3, full: bool = True) -> float:
    """``jax.vmap`` over a leading batch of independent inputs, inside ``jax.jit`` (one
    compilation, not one per batched primitive), equals a loop of eager calls."""
    with backend.context("float64"):
        return _vmap(case, backend, batch, full)


def _vmap(case: Case, backend: Backend, batch: int, full: bool) -> float:
    import jax
    import jax.numpy as jnp

    worst = 0.0
    rngs = [np.random.default_rng(SEED + i) for i in range(batch)]
    per_example = [_transformed_variants(case, r, full) for r in rngs]
    for v, (label, _, kwargs0) in enumerate(per_example[0]):
        _, static = _split(kwargs0)
        converted = [
            backend.convert(ex[v][1], _split(ex[v][2])[0], "float64") for ex in per_example
        ]
        stacked_args = [jnp.stack(col) for col in zip(*(a for a, _ in converted), strict=True)]
        stacked_kw = {k: jnp.stack([kw[k] for _, kw in converted]) for k in converted[0][1]}

        def single(args: list[Any], kw: dict[str, Any], static: dict[str, Any] = static) -> Any:
            return case.fn(*args, **kw, **static)

        batched = parts(jax.jit(jax.vmap(single))(stacked_args, stacked_kw))
        loop = [
            parts(single([a[i] for a in stacked_args], {k: x[i] for k, x in stacked_kw.items()}))
            for i in range(batch)
        ]
        for j, part in enumerate(batched):
            looped = jnp.stack([one[j] for one in loop])
            assert_close(
                part,
                looped,
                rtol=TRANSFORM_RTOL,
                atol=TRANSFORM_ATOL,
                err_msg=f"{case.name}({label}) under vmap",
            )
            worst = max(worst, max_errors(backend.to_numpy(part), backend.to_numpy(looped))[1])
    return worst


# ---------------------------------------------------------------------------------------------
# streaming forms: the merge laws, on each backend

MERGE_RTOL = 1e-12  # float64 sums added in another order; integer counts are exact


def is_streaming(case: Case) -> bool:
    return case.name.startswith("metrics.streaming.")


def _state_gap(backend: Backend, a: Any, b: Any, law: str) -> float:
    """The largest relative difference of two states; raises if an integer field differs at
    all, or a floating one beyond ``MERGE_RTOL`` (relative and absolute; NaN only where the
    other state has NaN)."""
    worst = 0.0
    for name, x, y in zip(a._fields, a, b, strict=True):
        x, y = np.asarray(backend.to_numpy(x)), np.asarray(backend.to_numpy(y))
        if x.dtype.kind in "iub":
            if not np.array_equal(x, y):
                raise AssertionError(f"{law}: integer field {name} differs: {x} != {y}")
            continue
        assert_close(x, y, rtol=MERGE_RTOL, atol=MERGE_RTOL, err_msg=f"{law}: field {name}")
        worst = max(worst, max_errors(x, y)[1])
    return worst


def check_merge_laws(case: Case, backend: Backend) -> float:
    """A streaming case's ``merge`` on ``backend`` in float64, three batch states
    ``a, b, c``: commutative, associative, the empty state its identity, and
    ``merge_stacked`` (the distributed merge) equal to the fold."""
    from arraylosses.testing.cases.streaming import batch_states

    worst = 0.0
    for label, args, kwargs in case.variants(np.random.default_rng(SEED)):
        arrays, static = _split(kwargs)
        with backend.context():
            converted, named = backend.convert(args, arrays, "float64")
            metric = case.public(**static)  # type: ignore[misc]
            (a, b, c), like = batch_states(metric, *converted, **named)
            merge, xp = metric.merge, backend.xp
            stacked = type(a)(*(xp.stack(f) for f in zip(a, b, c, strict=True)))
            laws = {
                "merge(a, b) == merge(b, a)": (merge(a, b), merge(b, a)),
                "merge(merge(a, b), c) == merge(a, merge(b, c))": (
                    merge(merge(a, b), c),
                    merge(a, merge(b, c)),
                ),
                "merge(a, init) == a": (merge(a, metric.init(like)), a),
                "merge_stacked([a, b, c]) == the fold": (
                    metric.merge_stacked(stacked),
                    merge(merge(a, b), c),
                ),
            }
            for law, (x, y) in laws.items():
                try:
                    worst = max(worst, _state_gap(backend, x, y, law))
                except AssertionError as err:
                    raise AssertionError(f"{case.name}({label}): {err}") from None
    return worst


def check_peer(check: Any) -> float:
    """One peer cross-check (a ``conformance.peers`` ``PeerCheck``) on its record's float64
    inputs: ours and the peer's arrays (the value, then the gradients) agree within the
    check's ``rtol``/``atol``; returns the worst relative error. The matrix's peer cells and
    ``tests/test_peers.py`` both run it."""
    ours, theirs = check.run(check.inputs())
    if not len(ours) == len(theirs) > 0:
        raise AssertionError(f"{len(ours)} arrays of ours against {len(theirs)} of the peer")
    worst = 0.0
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        what = "value" if i == 0 else f"gradient {i}"
        np.testing.assert_allclose(
            a,
            b,
            rtol=check.rtol,
            atol=check.atol,
            err_msg=f"{check.function} vs {check.peer}: {what}",
        )
        worst = max(worst, max_errors(a, b)[1])
    return worst
