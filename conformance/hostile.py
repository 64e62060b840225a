"""Hostile inputs: how each registry case's inputs go degenerate, and the policy checks.

Every case's record carries a :class:`~arraylosses.testing.cases.Hostile` declaration (its
``hostile`` field; most cases use the default, derived from the case itself), and :func:`check`
turns it into degenerate calls on one backend: eager, and on JAX under ``jax.jit`` (values
and gradients, every array a traced argument). JAX's eager path runs the same array-API code
op by op, as the NumPy and torch columns run it eagerly, and on JAX each eager primitive at a
degenerate input's new shapes (an empty batch) is an XLA compilation of its own. The kinds,
and what the policy (README, "Hostile input")
requires of each:

``nan``
    A NaN in the first element of each input named in ``nan`` (default: every floating
    positional input), and in the per-sample weight where the case has one. The result is
    NaN (``"mean"``, ``"sum"``, metrics), or holds NaN (``"none"``), never only finite values;
    nothing raises; the NaN positions equal NumPy's on every backend.
``empty``
    The batch axis of the inputs named in ``batch`` cut to length 0 (default: the inputs whose
    leading length is the first input's). Losses: ``"mean"`` NaN (weighted or not), ``"sum"``
    0, ``"none"`` an empty array. Metrics: NaN. Functions that return arrays: an empty array.
    Batch-level losses without a reduction declare theirs: NaN for a mean over nothing
    (``empty="nan"``), 0 where the formula gives 0 (``empty="zero"``: CoSENT's
    ``log(1 + Σ over no pair)``), or the error they document (``empty=ValueError``). The same
    on every backend.
``zero``
    The first row of each input named in ``zero`` set to 0 (zero vectors, zero prefixes):
    finite value and finite gradients.
``constant``
    Every input named in ``constant`` all zeros (a constant score matrix, zero-initialised
    embeddings): finite value and finite gradients.
``scale``
    Inputs multiplied by the factors in ``scale`` (logits of ±1e4): float32 and half precision
    within the tolerance table of float64 computed on the same (rounded) inputs, and finite
    gradients.
``extreme``
    The parameter sets in ``extreme``, at the edge of the documented range (temperatures of
    1e-3, CoSENT scales of 100): likewise.
``boolean``
    In every parameter set, each target that holds only 0 and 1 (integer or floating; class
    labels excluded) passed as a boolean array instead: the same result.

``minus_inf``
    For a softmax-based function (its record declares ``Hostile.minus_inf``), ``-inf`` as a
    masked logit: in the classes other than the label (every class of a row whose label is
    ignored, ``ignore_index``), in classes whose target probability is set to 0 (the rows
    renormalised), in the entries a ``where`` mask leaves out (with one list all padding), or
    in a candidate column (a padded negative); every parameter set that passes the input.
    Never NaN (no NaN went in). Where the value is finite (NumPy float64 says; label
    smoothing puts mass on a ``-inf`` logit, ``+inf``, and asks nothing more), it and the
    gradient are finite on every backend and equal those with the ``-inf`` replaced by a
    finite logit far below the others (``-1e4``, whose softmax weight is exactly 0): the
    entry is removed, its gradient 0. The peers' defect this guards against: optax
    #896/#1762 (NaN gradients of softmax cross entropy with ``-inf`` masked logits).

A kind that cannot apply to a case is skipped with the reason the declaration gives
(``skip=(("kind", "reason"), ...)``); the report prints the reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from arraylosses.testing import (
    BACKENDS,
    Backend,
    assert_close,
    parts,
    tolerance,
    value_and_grads,
)
from arraylosses.testing.cases import Case, Hostile, Params, Ref

SEED = 20261124
KINDS = ("nan", "empty", "zero", "constant", "scale", "extreme", "boolean", "minus_inf")


# ---------------------------------------------------------------------------------------------
# Calls built by name, so an input can be replaced before the call


_JITTED: dict[Any, Any] = {}


@dataclass
class Call:
    """``fn(*[arrays[n] for n in positional], **{k: arrays[n] for k, n in by_name}, **static)``."""

    case: Case
    arrays: dict[str, np.ndarray]
    positional: list[str]
    by_name: dict[str, str]
    static: dict[str, Any]

    @classmethod
    def of(cls, case: Case, params: Params | None = None, **extra: Any) -> Call:
        params = (case.params[0] if params is None else params).with_(**extra)
        arrays = case.inputs(np.random.default_rng(SEED))
        return cls(case, arrays, list(case.positional(params)), params.refs(), params.static())

    def used(self) -> list[str]:
        return [*self.positional, *self.by_name.values()]

    def floating(self, names: list[str]) -> list[str]:
        return [n for n in names if self.arrays[n].dtype.kind == "f" and self.arrays[n].ndim]

    def with_arrays(self, **arrays: np.ndarray) -> Call:
        return Call(
            self.case, {**self.arrays, **arrays}, self.positional, self.by_name, self.static
        )

    def run(self, backend: Backend, dtype: str, *, jit: bool = False) -> list[Any]:
        """The result's parts on ``backend`` (arrays cast to ``dtype``), as backend arrays."""
        converted, _ = backend.convert([self.arrays[n] for n in self.used()], dtype=dtype)

        def call(*values: Any) -> Any:
            named = dict(zip(self.used(), values, strict=True))
            out = self.case.fn(
                *[named[n] for n in self.positional],
                **{k: named[n] for k, n in self.by_name.items()},
                **self.static,
            )
            return tuple(parts(out))

        if jit:
            return list(self._jitted(call)(*converted))
        return list(call(*converted))

    def shape_key(self) -> Any:
        """What the call's code path depends on: the function, the argument names, the static
        values and the arrays' shapes and dtypes (not their data); ``None`` where a static value
        is unhashable."""
        key = (
            id(self.case.fn),
            tuple(self.positional),
            tuple(sorted(self.by_name.items())),
            tuple(sorted(self.static.items())),
            tuple((n, self.arrays[n].shape, self.arrays[n].dtype.str) for n in self.used()),
        )
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def _jitted(self, call: Callable[..., Any]) -> Any:
        """``jax.jit(call)``, one per call shape (:meth:`shape_key`): the placements of a NaN
        differ only in data, so they share one compilation."""
        import jax

        key = self.shape_key()
        if key is None:  # an unhashable static value: compile this call alone
            return jax.jit(call)
        if key not in _JITTED:
            _JITTED[key] = jax.jit(call)
        return _JITTED[key]

    def grads(self, backend: Backend, dtype: str, names: list[str]) -> dict[str, np.ndarray]:
        """Gradients of ``Σ out·c`` with respect to the inputs ``names`` (zeros where the
        result does not depend on one)."""
        converted, _ = backend.convert([self.arrays[n] for n in self.used()], dtype=dtype)
        conv = dict(zip(self.used(), converted, strict=True))
        keyword = {n: k for k, n in self.by_name.items()}
        wrt = [self.positional.index(n) if n in self.positional else keyword[n] for n in names]
        result = value_and_grads(
            self.case.fn,
            backend,
            [conv[n] for n in self.positional],
            {**{k: conv[n] for k, n in self.by_name.items()}, **self.static},
            wrt=wrt,
            jit=backend.is_jax,
        )
        return {
            n: np.zeros(1) if g is None else np.asarray(g)
            for n, g in zip(names, result.grads, strict=True)
        }


def _jit_modes(backend: Backend) -> tuple[bool, ...]:
    """How a kind calls the case: eager, or on JAX under ``jax.jit`` only (the module
    docstring says why)."""
    return (True,) if backend.is_jax else (False,)


def _numpy(backend: Backend, results: list[Any]) -> list[np.ndarray]:
    return [np.asarray(backend.to_numpy(r), dtype=np.float64) for r in results]


def _weight_name(case: Case) -> str | None:
    """The array a parameter set passes as the per-sample ``sample_weight``, if any."""
    for params in case.params:
        weight = params.kwargs.get("sample_weight")
        if isinstance(weight, Ref) and params.args is None:
            return weight.name
    return None


# ---------------------------------------------------------------------------------------------
# The kinds


def _modes(params: Params) -> tuple[tuple[str, Any], ...]:
    """The set's modes: keywords whose value is a string or a tuple of strings (``directions``,
    ``hardness_mode``, ``similarity``, ``negative_mode``), each a code path of its own; numbers
    (a margin, a scale) are values on the same path. ``reduction`` is swept by each kind."""
    return tuple(
        sorted(
            (k, v)
            for k, v in params.static().items()
            if k != "reduction"
            and (isinstance(v, str) or (isinstance(v, tuple) and v and isinstance(v[0], str)))
        )
    )


def distinct_params(case: Case) -> list[Params]:
    """The parameter sets that are code paths of their own: they pass other arrays (another
    positional input, another array by keyword: ``class_weight``, ``where``, ids, gathered rows)
    or another mode (:func:`_modes`), so the NaN and empty-batch kinds run on every one. Sets
    that differ only in numbers (a margin, a scale, the reduction) share the first one's path
    and are left to the value checks."""
    seen, out = set(), []
    for params in case.params:
        if params.unswept:
            continue
        key = (case.positional(params), tuple(sorted(params.refs().items())), _modes(params))
        if key not in seen:
            seen.add(key)
            out.append(params)
    return out


def _nan_calls(case: Case, h: Hostile) -> list[tuple[str, Call]]:
    calls = []
    reductions = [None] + (["none"] if case.accepts("reduction") else [])
    for params in distinct_params(case):
        base = Call.of(case, params)
        names = list(h.nan) if h.nan is not None else base.floating(base.positional)
        names = [n for n in names if n in base.used()]
        where = "" if params is case.params[0] else f" ({params.label})"
        for reduction in reductions:
            call = Call.of(case, params, reduction=reduction) if reduction else base
            for n in names:
                poisoned = call.arrays[n].copy()
                poisoned[(0,) * poisoned.ndim] = np.nan
                calls.append(
                    (
                        f"NaN in {n}{where}" + (", reduction='none'" if reduction else ""),
                        call.with_arrays(**{n: poisoned}),
                    )
                )
    weight = _weight_name(case)
    if weight is not None and h.nan is None:
        call = Call.of(case, sample_weight=Ref(weight))
        poisoned = call.arrays[weight].copy()
        poisoned[(0,) * poisoned.ndim] = np.nan
        calls.append((f"NaN in the weight {weight}", call.with_arrays(**{weight: poisoned})))
    return calls


def _check_nan(case: Case, h: Hostile, backend: Backend) -> str:
    with np.errstate(invalid="ignore"):  # NumPy's own "invalid value" warning about the NaN
        return _nan_everywhere(case, h, backend)


def _nan_everywhere(case: Case, h: Hostile, backend: Backend) -> str:
    numpy = BACKENDS["numpy"]
    tried = []
    for label, call in _nan_calls(case, h):
        expected = _numpy(numpy, call.run(numpy, "float64"))
        values = expected[: h.state_from]
        if not any(np.isnan(e).any() for e in values):
            raise AssertionError(f"{case.name}, {label}: NumPy gives no NaN ({values})")
        for e in values:
            if e.ndim == 0 and not np.isnan(e):
                raise AssertionError(f"{case.name}, {label}: NumPy gives a finite value {e}")
        for jit in _jit_modes(backend):
            where = f"{case.name}, {label}, {backend.name}{' under jax.jit' if jit else ''}"
            got = _numpy(backend, call.run(backend, "float64", jit=jit))
            for g, e in zip(got, expected, strict=True):
                if g.shape != e.shape or not np.array_equal(np.isnan(g), np.isnan(e)):
                    raise AssertionError(
                        f"{where}: NaN at {np.argwhere(np.isnan(g)).tolist()}"
                        f", NumPy has NaN at {np.argwhere(np.isnan(e)).tolist()}"
                    )
        tried.append(label)
    return f"{len(tried)} NaN placements"


def _cut(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    index = tuple(slice(0, 0) if i in axes else slice(None) for i in range(x.ndim))
    return x[index]


def _empty_call(case: Case, h: Hostile, params: Params | None = None, **extra: Any) -> Call:
    call = Call.of(case, params, **extra)
    if h.batch is not None:
        specs = [(s, (0,)) if isinstance(s, str) else s for s in h.batch]
    else:
        n = call.arrays[call.positional[0]].shape[0]
        specs = [
            (name, (0,))
            for name in call.used()
            if call.arrays[name].ndim and call.arrays[name].shape[0] == n
        ]
    return call.with_arrays(**{name: _cut(call.arrays[name], axes) for name, axes in specs})


def _empty_rule(case: Case, h: Hostile) -> Any:
    if h.empty != "auto":
        return h.empty
    if case.name.startswith("metrics."):
        return "nan"
    return "loss" if case.accepts("reduction") else "array"


def _empty_runs(
    case: Case, h: Hostile, rule: Any, params: Params, first: bool
) -> list[tuple[str, Call, Callable[[list[np.ndarray]], bool]]]:
    """The empty-batch calls of one parameter set and what each must give."""
    runs: list[tuple[str, Call, Callable[[list[np.ndarray]], bool]]] = []
    if isinstance(rule, type):
        runs.append(("defaults", _empty_call(case, h, params), lambda r: False))
    elif rule == "loss":
        runs += [
            (
                "mean",
                _empty_call(case, h, params, reduction="mean"),
                lambda r: bool(np.isnan(r[0])),
            ),
            ("sum", _empty_call(case, h, params, reduction="sum"), lambda r: bool(r[0] == 0)),
            ("none", _empty_call(case, h, params, reduction="none"), lambda r: r[0].size == 0),
        ]
        weight = _weight_name(case)
        if weight is not None and first:
            runs.append(
                (
                    "weighted mean",
                    _empty_call(case, h, params, reduction="mean", sample_weight=Ref(weight)),
                    lambda r: bool(np.isnan(r[0])),
                )
            )
    elif rule == "nan":
        runs.append(
            ("defaults", _empty_call(case, h, params), lambda r: all(np.isnan(x).all() for x in r))
        )
        if case.accepts("reduction"):
            runs.append(
                ("none", _empty_call(case, h, params, reduction="none"), lambda r: r[0].size == 0)
            )
    elif rule == "zero":
        runs.append(
            ("defaults", _empty_call(case, h, params), lambda r: all((x == 0).all() for x in r))
        )
    else:
        runs.append(
            ("defaults", _empty_call(case, h, params), lambda r: all(x.size == 0 for x in r))
        )
    if not first:
        runs = [(f"{label}, {params.label}", call, ok) for label, call, ok in runs]
    return runs


def _check_empty(case: Case, h: Hostile, backend: Backend) -> str:
    rule = _empty_rule(case, h)
    runs = [
        run
        for i, params in enumerate(distinct_params(case))
        for run in _empty_runs(case, h, rule, params, first=i == 0)
    ]
    for label, call, ok in runs:
        for jit in _jit_modes(backend):
            where = f"{case.name}, empty batch, {label}, {backend.name}" + (
                " under jax.jit" if jit else ""
            )
            if isinstance(rule, type):
                try:
                    call.run(backend, "float64", jit=jit)
                except rule:
                    continue
                raise AssertionError(f"{where}: expected {rule.__name__}")
            got = _numpy(backend, call.run(backend, "float64", jit=jit))
            state = got[h.state_from :] if h.state_from is not None else []
            if not ok(got[: h.state_from]) or not all((x == 0).all() for x in state):
                raise AssertionError(f"{where}: got {got}")
    what = rule.__name__ if isinstance(rule, type) else rule
    sets = len(distinct_params(case))
    return f"empty batch ({what} rule, {sets} parameter set{'s' * (sets > 1)})"


def _finite(case: Case, label: str, call: Call, backend: Backend, dtype: str) -> None:
    where = f"{case.name}, {label}, {backend.name}/{dtype}"
    values = _numpy(backend, call.run(backend, dtype, jit=backend.is_jax))
    if not all(np.isfinite(v).all() for v in values):
        raise AssertionError(f"{where}: value not finite: {values}")
    if not backend.differentiable:
        return
    names = [n for n in case.grad if n in call.used() and call.arrays[n].dtype.kind == "f"]
    if not names:
        return
    for name, g in call.grads(backend, dtype, names).items():
        if not np.isfinite(g).all():
            raise AssertionError(
                f"{where}: gradient with respect to {name} not finite at "
                f"{np.argwhere(~np.isfinite(g)).tolist()[:5]}"
            )


def _model_inputs(case: Case, call: Call) -> list[str]:
    """The floating positional inputs that are model outputs (differentiated), else the first."""
    names = [n for n in call.floating(call.positional) if n in case.grad]
    return names or call.floating(call.positional)[:1]


def _check_zero(case: Case, h: Hostile, backend: Backend) -> str:
    call = Call.of(case)
    names = list(h.zero) if h.zero is not None else _model_inputs(case, call)
    for n in names:
        zeroed = call.arrays[n].copy()
        zeroed[0] = 0.0
        _finite(case, f"zero first row of {n}", call.with_arrays(**{n: zeroed}), backend, "float64")
    return f"zero rows of {', '.join(names)}"


def _check_constant(case: Case, h: Hostile, backend: Backend) -> str:
    call = Call.of(case)
    names = list(h.constant) if h.constant is not None else _model_inputs(case, call)
    zeros = {n: np.zeros_like(call.arrays[n]) for n in names}
    _finite(case, f"{', '.join(names)} all zero", call.with_arrays(**zeros), backend, "float64")
    return f"constant {', '.join(names)}"


def _low_precision(case: Case, label: str, call: Call, backend: Backend) -> None:
    """float32 and half precision against float64 on the same rounded inputs; finite grads."""
    numpy = BACKENDS["numpy"]
    for dtype in [d for d in backend.dtypes if d != "float64"]:
        rounded = {
            n: np.asarray(
                backend.to_numpy(backend.asarray(call.arrays[n], dtype)), dtype=np.float64
            )
            if call.arrays[n].dtype.kind == "f"
            else call.arrays[n]
            for n in call.used()
        }
        expected = _numpy(numpy, call.with_arrays(**rounded).run(numpy, "float64"))
        got = _numpy(backend, call.run(backend, dtype, jit=backend.is_jax))
        rtol, atol = tolerance(dtype)  # got is float64 NumPy: name the dtype's tolerance
        for g, e in zip(got, expected, strict=True):
            if not np.isfinite(e).all():
                raise AssertionError(f"{case.name}, {label}: float64 value not finite: {e}")
            assert_close(
                g,
                e,
                rtol=rtol,
                atol=atol,
                err_msg=f"{case.name}, {label}, {backend.name}/{dtype} against float64",
            )
        if dtype == "float32":
            _finite(case, label, call, backend, dtype)
    _finite(case, label, call, backend, "float64")


def _check_scale(case: Case, h: Hostile, backend: Backend) -> str:
    call = Call.of(case)
    for name, factor in h.scale:
        label = f"{name} × {factor:g}"
        _low_precision(case, label, call.with_arrays(**{name: call.arrays[name] * factor}), backend)
    return "scaled " + ", ".join(f"{n} × {f:g}" for n, f in h.scale)


def _check_extreme(case: Case, h: Hostile, backend: Backend) -> str:
    for params in h.extreme:
        _low_precision(
            case, ", ".join(f"{k}={v}" for k, v in params.items()), Call.of(case, **params), backend
        )
    return "; ".join(", ".join(f"{k}={v}" for k, v in p.items()) for p in h.extreme)


def _zero_one_targets(case: Case, call: Call) -> list[str]:
    return [
        n
        for n in call.used()
        if n not in case.grad
        and "label" not in n
        and call.arrays[n].dtype.kind in "iuf"
        and call.arrays[n].size
        and np.isin(call.arrays[n], (0, 1)).all()
    ]


def _check_boolean(case: Case, h: Hostile, backend: Backend) -> str:
    tried = set()
    for params in case.params:
        call = Call.of(case, params)
        names = _zero_one_targets(case, call)
        if not names:
            continue
        as_bool = call.with_arrays(**{n: call.arrays[n].astype(bool) for n in names})
        where = f"{case.name}({params.label}), {', '.join(names)} as bool, {backend.name}"
        expected = _numpy(backend, call.run(backend, "float64"))
        try:
            got = _numpy(backend, as_bool.run(backend, "float64"))
        except Exception as err:
            raise AssertionError(f"{where}: {type(err).__name__}: {err}") from err
        for g, e in zip(got, expected, strict=True):
            assert_close(g, e, rtol=1e-12, atol=0, err_msg=f"{where}, against 0/1")
        tried.update(names)
    return f"boolean {', '.join(sorted(tried))}" if tried else "no 0/1 target"


FAR = -1e4  # a finite logit whose softmax weight against O(1) logits is exactly 0 in float64


def _holes(call: Call, name: str, where: str, other: str) -> tuple[Call, np.ndarray] | None:
    """``call`` (its mask changed for ``"masked"``: the first list all padding) and the entries
    of ``name`` that take ``-inf``; ``None`` where the set does not pass the inputs."""
    if name not in call.used() or (where != "column" and other not in call.used()):
        return None
    x = call.arrays[name]
    hole = np.zeros(x.shape, dtype=bool)
    if where == "off_target":
        labels = call.arrays[other]
        classes = x.shape[-1]
        if x.ndim != 2 or labels.shape != x.shape[:1]:
            return None
        rows = [i for i in range(x.shape[0]) if 0 <= labels[i] < classes]
        if len(rows) < 2 or classes < 2:
            return None
        hole[rows[0]] = True  # every class but the label
        hole[rows[0], labels[rows[0]]] = False
        for i in rows[1:]:  # one class other than the label
            hole[i, (labels[i] + 1) % classes] = True
        for i in range(x.shape[0]):  # an ignored row (ignore_index): every class masked
            if not 0 <= labels[i] < classes:
                hole[i] = True
    elif where == "no_mass":
        target = call.arrays[other]
        if target.shape != x.shape or x.ndim != 2 or x.shape[1] < 2:
            return None
        top = np.argmax(target, axis=1)
        hole[0] = True  # every class but the most probable
        hole[0, top[0]] = False
        for i in range(1, x.shape[0]):  # one class
            hole[i, (top[i] + 1) % x.shape[1]] = True
        emptied = np.where(hole, 0.0, target)
        call = call.with_arrays(**{other: emptied / emptied.sum(axis=1, keepdims=True)})
    elif where == "masked":
        mask = call.arrays[other].copy()
        mask[(0,) * (mask.ndim - 1)] = False  # the first list all padding
        call = call.with_arrays(**{other: mask})
        hole = ~mask
    else:  # column
        hole[..., 0] = True
    return call, hole


def _check_minus_inf(case: Case, h: Hostile, backend: Backend) -> str:
    numpy = BACKENDS["numpy"]
    tried, infinite = [], []
    for name, where, other in h.minus_inf:
        for params in distinct_params(case) or case.params[:1]:
            built = _holes(Call.of(case, params), name, where, other)
            if built is None:
                continue
            call, hole = built
            x = call.arrays[name]
            inf_call = call.with_arrays(**{name: np.where(hole, -np.inf, x)})
            far_call = call.with_arrays(**{name: np.where(hole, FAR, x)})
            label = f"-inf {where} in {name}" + (
                "" if params is case.params[0] else f" ({params.label})"
            )
            # NumPy's warnings about an infinite value are allowed here; where the value is
            # finite, the run on the backend under test (NumPy too) still turns them to errors
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                expected = _numpy(numpy, inf_call.run(numpy, "float64"))
            if any(np.isnan(e).any() for e in expected):
                # no NaN in, so no NaN out: a masked logit removes a class, it is not undefined
                raise AssertionError(f"{case.name}, {label}: NumPy gives NaN ({expected})")
            if not all(np.isfinite(e).all() for e in expected):
                infinite.append(label)  # +inf: label smoothing's mass on a -inf logit
                continue
            at = f"{case.name}, {label}, {backend.name}"
            far = _numpy(backend, far_call.run(backend, "float64"))
            for jit in _jit_modes(backend):
                got = _numpy(backend, inf_call.run(backend, "float64", jit=jit))
                where_ = at + (" under jax.jit" if jit else "")
                for g, f, e in zip(got, far, expected, strict=True):
                    assert_close(g, e, rtol=1e-12, atol=1e-12, err_msg=f"{where_}: against NumPy")
                    assert_close(g, f, rtol=1e-12, atol=1e-12, err_msg=f"{where_}: against {FAR:g}")
            if backend.differentiable and name in case.grad:
                g_inf = inf_call.grads(backend, "float64", [name])[name]
                g_far = far_call.grads(backend, "float64", [name])[name]
                if not np.isfinite(g_inf).all():
                    raise AssertionError(
                        f"{at}: gradient not finite at "
                        f"{np.argwhere(~np.isfinite(g_inf)).tolist()[:5]}"
                    )
                assert_close(
                    g_inf, g_far, rtol=1e-10, atol=1e-12, err_msg=f"{at}: gradient against {FAR:g}"
                )
            tried.append(label)
    if not tried:
        raise AssertionError(f"{case.name}: no -inf placement with a finite value ({infinite})")
    note = f"; value not finite, nothing asked: {', '.join(infinite)}" if infinite else ""
    return f"{len(tried)} -inf placements{note}"


CHECKS: dict[str, Callable[[Case, Hostile, Backend], str]] = {
    "nan": _check_nan,
    "empty": _check_empty,
    "zero": _check_zero,
    "constant": _check_constant,
    "scale": _check_scale,
    "extreme": _check_extreme,
    "boolean": _check_boolean,
    "minus_inf": _check_minus_inf,
}


def applies(case: Case, kind: str) -> str | None:
    """``None`` if ``kind`` runs for ``case``, else why not."""
    h = declaration(case)
    reason = h.skipped(kind)
    if reason is not None:
        return reason
    if kind == "scale" and not h.scale:
        return "no scaled input declared"
    if kind == "extreme" and not h.extreme:
        return "no edge parameter set declared"
    if kind == "minus_inf" and not h.minus_inf:
        return (
            "not declared (Hostile.minus_inf): no input is a logit that a mask sets to -inf "
            "(not softmax-based, or its logits are computed from embeddings)"
        )
    if kind == "boolean" and not any(
        _zero_one_targets(case, Call.of(case, p)) for p in case.params
    ):
        return "no 0/1 target"
    return None


def check(case: Case, kind: str, backend: Backend) -> str:
    """Run one kind on one backend; returns what was tried, raises ``AssertionError``. A
    warning (NumPy's "mean of empty slice", say) is an error here, as it is in the tests."""
    import warnings

    with backend.context(), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return CHECKS[kind](case, declaration(case), backend)


def declaration(case: Case) -> Hostile:
    """How the case's inputs go degenerate: its record's ``hostile`` field."""
    return case.hostile


def matrix_cell(case: Case, backends: list[Backend]) -> list[dict[str, Any]]:
    """The conformance matrix's ``adversarial`` cell: every kind on every backend, one result
    per kind (``pass`` with what was tried, ``skip`` with the reason, or ``fail``)."""
    import time

    results = []
    for kind in KINDS:
        reason = applies(case, kind)
        if reason is not None:
            results.append({"check": kind, "status": "skip", "reason": reason})
            continue
        start = time.perf_counter()
        tried, errors = "", []
        for backend in backends:
            try:
                tried = check(case, kind, backend)
            except Exception as err:  # a failing kind is reported, the others still run
                errors.append(f"{backend.name}: {type(err).__name__}: {err}")
        if errors:
            results.append({"check": kind, "status": "fail", "error": "; ".join(errors)})
        else:
            results.append(
                {
                    "check": kind,
                    "status": "pass",
                    "tried": tried,
                    "backends": [b.name for b in backends],
                    "seconds": round(time.perf_counter() - start, 3),
                }
            )
    return results


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The cell's text: the kinds tried, or the kinds that failed."""
    failed = [r["check"] for r in results if r["status"] == "fail"]
    if failed:
        return {"status": "fail", "text": "FAIL: " + ", ".join(failed)}
    ran = [r["check"] for r in results if r["status"] == "pass"]
    return {"status": "pass", "text": "ok " + "·".join(ran)}
