"""``crosscheck``: a user's implementation of a loss against ours, on every backend it runs on.

Each cell (backend, dtype, input) is compared twice:

- **same backend**: against ours on the same backend and dtype, values and autodiff gradients;
- **independent**: against ours on NumPy in float64, the generic array-API code with no
  framework kernel involved, gradients by central differences. A torch candidate checked
  against torch's own fused kernels alone could not show a bug in those kernels.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._autodiff import ValueAndGrads, finite_differences, value_and_grads
from ._backends import BACKENDS, Backend, available_backends, generic_kernels
from ._compare import FINITE_DIFFERENCES, SCALE_FLOOR, _check_close, tolerance

__all__ = ["CandidateError", "CrosscheckReport", "Row", "crosscheck"]

SAME_BACKEND = "same backend"
INDEPENDENT = "independent"
COTANGENT_SEED = 1
_FLOATING = ("float16", "bfloat16", "float32", "float64")
#: Above this many differentiated elements per input the independent gradients (central
#: differences, two calls of ours per element) are skipped, and the row says so.
MAX_FINITE_DIFFERENCE_ELEMENTS = 4096


class CandidateError(AssertionError):
    """The candidate raised; its own exception is chained (``__cause__``)."""


@dataclass(frozen=True)
class Row:
    """One line of a :class:`CrosscheckReport`.

    ``comparison`` is ``"same backend"`` (ours on the same backend and dtype) or
    ``"independent"`` (ours on NumPy float64, generic array-API code; gradients by central
    differences); ``reference`` says it in words. ``errors`` maps ``"value"`` and
    ``"d/d <argument>"`` to ``(max abs error, max abs error / max |ours|)``: the second is the
    relative error for a scalar, and the error relative to the array's scale otherwise. A row
    that did not run has ``skipped`` set to the reason, and ``"*"`` for what it covers (every
    dtype or input).
    """

    backend: str
    dtype: str
    inputs: str
    comparison: str = ""
    reference: str = ""
    errors: dict[str, tuple[float, float]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    skipped: str = ""

    def __str__(self) -> str:
        where = f"{self.backend}/{self.dtype} [{self.inputs}]"
        if self.skipped:
            return f"{where}: skipped: {self.skipped}"
        errs = ", ".join(f"{k} abs {a:.1e} rel {r:.1e}" for k, (a, r) in self.errors.items())
        notes = "".join(f"; {n}" for n in self.notes)
        return f"{where} vs {self.reference}: {errs or 'nothing compared'}{notes}"


class CrosscheckReport:
    """The rows of a :func:`crosscheck` call: two per cell that ran (same backend and
    independent), one per skipped backend or dtype, with the reason. ``str()`` gives one
    line per row."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[Row] = []

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def ran(self) -> list[Row]:
        return [r for r in self.rows if not r.skipped]

    def skipped(self) -> list[Row]:
        return [r for r in self.rows if r.skipped]

    def __str__(self) -> str:
        return "\n".join([self.title, *(f"  {r}" for r in self.rows)])

    def summary(self) -> str:
        """One line: what ran, the worst relative errors per comparison, what was skipped."""
        ran = self.ran()
        cells = sorted({f"{r.backend}/{r.dtype}" for r in ran})
        worst = []
        for comparison in (SAME_BACKEND, INDEPENDENT):
            rows = [r for r in ran if r.comparison == comparison]
            kinds = []
            for kind, prefix in (("value", "value"), ("gradients", "d/d ")):
                errs = [e[1] for r in rows for k, e in r.errors.items() if k.startswith(prefix)]
                if errs:
                    kinds.append(f"{kind} {max(errs):.1e}")
            if kinds:
                worst.append(f"{comparison} {', '.join(kinds)}")
        name = self.title.split(":", 1)[0]
        return (
            f"{name}: {len(ran)} comparisons passed on {', '.join(cells)}; worst rel error: "
            f"{'; '.join(worst) or '-'}; {len(self.skipped())} skipped"
        )

    def __repr__(self) -> str:
        return f"<CrosscheckReport: {len(self.ran())} rows compared, {len(self.skipped())} skipped>"


@dataclass(frozen=True)
class _Input:
    """One input: a label, NumPy positional and keyword arguments, and which positional
    arguments are floating (differentiated)."""

    label: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    @property
    def floating(self) -> list[int]:
        return [
            i for i, a in enumerate(self.args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
        ]


class _Reference:
    """Our function and, per input, the independent result (NumPy float64, generic code):
    computed once and shared by every backend and dtype."""

    def __init__(self, name: str, fn: Callable[..., Any]) -> None:
        self.name, self.fn = name, fn
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):  # pragma: no cover (builtins)
            params = []
        self._positional = [
            p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        self._values: dict[str, ValueAndGrads] = {}
        self._grads: dict[str, list[np.ndarray] | str] = {}

    def quantity(self, position: int) -> str:
        """``"d/d query"``: the gradient with respect to our positional argument."""
        name = self._positional[position] if position < len(self._positional) else None
        return f"d/d {name or f'args[{position}]'}"

    def independent_values(self, case: _Input) -> ValueAndGrads:
        if case.label not in self._values:
            numpy = BACKENDS["numpy"]
            args, kwargs = numpy.convert(case.args, case.kwargs, "float64")
            with generic_kernels():
                self._values[case.label] = value_and_grads(
                    self.fn, numpy, args, kwargs, cotangent=COTANGENT_SEED
                )
        return self._values[case.label]

    def independent_grads(self, case: _Input) -> list[np.ndarray] | str:
        """Central differences of ``Σ ours·c`` in float64, or why they were not computed."""
        if case.label not in self._grads:
            size = sum(np.size(case.args[i]) for i in case.floating)
            if size > MAX_FINITE_DIFFERENCE_ELEMENTS:
                self._grads[case.label] = (
                    f"gradients not compared independently: {size} elements is more than "
                    f"{MAX_FINITE_DIFFERENCE_ELEMENTS} for central differences"
                )
            else:
                with generic_kernels():
                    self._grads[case.label] = finite_differences(
                        self.fn,
                        case.args,
                        case.kwargs,
                        wrt=case.floating,
                        cotangent=self.independent_values(case).cotangent,
                    )
        return self._grads[case.label]


def _resolve_reference(reference: Any) -> tuple[str, Callable[..., Any]]:
    import arraylosses

    if callable(reference):
        return getattr(reference, "__name__", "reference"), reference
    if not isinstance(reference, str):
        raise TypeError(
            f"reference must be one of our functions or its name; got {type(reference).__name__}"
        )
    owner, _, name = reference.rpartition(".")
    module = arraylosses.metrics if owner == "metrics" else arraylosses
    if owner not in ("", "metrics") or not hasattr(module, name):
        raise ValueError(f"reference {reference!r} is not a public function of arraylosses")
    return reference, getattr(module, name)


def _inputs(
    name: str, inputs: Sequence[tuple[Sequence[Any], dict[str, Any]]] | None
) -> list[_Input]:
    """The user's inputs, or three draws of the registry's default-parameter inputs."""
    if inputs is not None:
        return [_Input(f"inputs[{i}]", tuple(a), dict(k)) for i, (a, k) in enumerate(inputs)]
    from .cases import BY_NAME

    if name not in BY_NAME:
        raise ValueError(f"no registry case named {name!r}; pass inputs=[(args, kwargs), ...]")
    out = []
    for seed in range(3):
        _, args, kwargs = next(BY_NAME[name].variants(np.random.default_rng(seed)))
        out.append(_Input(f"registry inputs, seed {seed}", args, kwargs))
    return out


def _cells(
    backends: Sequence[str] | None, dtypes: Sequence[str]
) -> tuple[list[tuple[Backend, list[str]]], list[Row]]:
    """The backends and dtypes to run, and a skipped row (with its reason) for each backend
    that cannot load here (default backends only: a named one raises) and each dtype a
    backend does not have."""
    skipped: list[Row] = []
    if backends is None:
        chosen = []
        for backend in BACKENDS.values():
            reason = backend.available()
            if reason is None:
                chosen.append(backend)
            else:
                skipped.append(Row(backend.name, "*", "*", skipped=f"unavailable ({reason})"))
    else:
        chosen = available_backends(backends)
    cells = []
    for backend in chosen:
        have = [d for d in dtypes if d in backend.dtypes]
        skipped += [
            Row(backend.name, d, "*", skipped=f"{backend.name} has no {d}")
            for d in dtypes
            if d not in backend.dtypes
        ]
        if have:
            cells.append((backend, have))
    return cells, skipped


def _compare(
    what: str, theirs: Any, ours: Any, *, rtol: float, atol: float, where: str
) -> tuple[float, float]:
    """``(max abs, max rel)`` error of ``theirs`` against ``ours``, the relative error against
    ``max|ours|`` (the array's scale; for a scalar, the relative error); raises past
    tolerance: ``|theirs - ours| > atol·max(1, max|ours|) + rtol·|ours|`` anywhere. The
    absolute tolerance grows with the array's scale: a gradient entry near 0 beside entries of
    5 is as uncertain, in float32, as those entries are."""
    mine = np.asarray(ours, dtype=np.float64)
    finite = np.abs(mine[np.isfinite(mine)])
    scale = max(1.0, float(finite.max()) if finite.size else 0.0)
    return _check_close(
        theirs,
        mine,
        rtol=rtol,
        atol=atol * scale,
        floor=SCALE_FLOOR,
        prefix=f"{where}, {what}: ",
        names=("the candidate", "ours"),
    )


def _compare_all(
    theirs: ValueAndGrads,
    values: list[np.ndarray],
    grads: list[np.ndarray | None] | None,
    quantities: list[str],
    *,
    tol: tuple[float, float],
    grad_tol: tuple[float, float],
    where: str,
    notes: tuple[str, ...] = (),
) -> dict[str, tuple[float, float]]:
    """Values part by part, then each gradient we have. A gradient the candidate did not
    return (``None``: it detached or ignored that input) where ours has one fails. A failure
    message ends with ``notes`` (the candidate's result dtype, when it is not the row's)."""
    try:
        return _compare_parts(
            theirs, values, grads, quantities, tol=tol, grad_tol=grad_tol, where=where
        )
    except AssertionError as err:
        if not notes:
            raise
        raise AssertionError(f"{err} ({'; '.join(notes)})") from None


def _compare_parts(
    theirs: ValueAndGrads,
    values: list[np.ndarray],
    grads: list[np.ndarray | None] | None,
    quantities: list[str],
    *,
    tol: tuple[float, float],
    grad_tol: tuple[float, float],
    where: str,
) -> dict[str, tuple[float, float]]:
    if len(theirs.values) != len(values):
        raise AssertionError(
            f"{where}: the candidate returned {len(theirs.values)} results, ours {len(values)}"
        )
    errors = {}
    for k, (value, expected) in enumerate(zip(theirs.values, values, strict=True)):
        what = "value" if len(values) == 1 else f"value[{k}]"
        errors[what] = _compare(what, value, expected, rtol=tol[0], atol=tol[1], where=where)
    for what, t, o in zip(quantities, theirs.grads, grads or [], strict=False):
        if o is None:
            continue
        if t is None:
            raise AssertionError(
                f"{where}, {what}: the candidate has no gradient for this input (it was "
                f"detached or not used); ours has one, max |{what[4:]}| "
                f"{float(np.max(np.abs(o), initial=0.0)):.3g}"
            )
        errors[what] = _compare(what, t, o, rtol=grad_tol[0], atol=grad_tol[1], where=where)
    return errors


def _compare_cell(
    candidate: Callable[..., Any],
    ref: _Reference,
    backend: Backend,
    dtype: str,
    case: _Input,
    *,
    grad: bool,
    independent: bool,
    rtol: float | None,
    atol: float | None,
) -> list[Row]:
    """Run ours and the candidate on one backend, dtype and input; the same-backend row and
    the independent row. Raises :class:`CandidateError` (chained) if the candidate raises,
    ``AssertionError`` if a difference exceeds tolerance."""
    wrt = case.floating if grad and backend.differentiable else []
    quantities = [ref.quantity(i) for i in wrt]
    default = tolerance(dtype)
    tol = (default[0] if rtol is None else rtol, default[1] if atol is None else atol)
    cell = f"{backend.name}/{dtype}"
    where = f"candidate differs from arraylosses.{ref.name} on {case.label}, {cell}"
    with backend.context(dtype):
        args, kwargs = backend.convert(case.args, case.kwargs, dtype)
        ours = value_and_grads(ref.fn, backend, args, kwargs, wrt=wrt, cotangent=COTANGENT_SEED)
        wrong = [d for d in ours.dtypes if d in _FLOATING and d != dtype]
        if wrong:  # a row is labelled float64 only when its arrays are float64
            raise AssertionError(
                f"{cell}, {case.label}: arraylosses.{ref.name} returned "
                f"{wrong[0]} for {dtype} inputs"
            )
        try:
            theirs = value_and_grads(
                candidate, backend, args, kwargs, wrt=wrt, cotangent=COTANGENT_SEED
            )
        except Exception as err:
            raise CandidateError(
                f"the candidate raised {type(err).__name__} on {cell}, {case.label}: {err}"
            ) from err
    notes = tuple(
        f"the candidate returned {d} for {dtype} inputs"
        for d in dict.fromkeys(theirs.dtypes)
        if d in _FLOATING and d != dtype
    )
    rows = [
        Row(
            backend.name,
            dtype,
            case.label,
            SAME_BACKEND,
            f"ours on {cell}",
            _compare_all(
                theirs,
                ours.values,
                ours.grads,
                quantities,
                tol=tol,
                grad_tol=tol,
                where=f"{where} (vs ours on {cell})",
                notes=notes,
            ),
            notes,
        )
    ]
    if not independent:
        return rows
    reference = ref.independent_values(case)
    grads: list[np.ndarray | None] | None = None
    extra: tuple[str, ...] = ()
    if wrt and any(g is not None for g in ours.grads):
        fd = ref.independent_grads(case)
        if isinstance(fd, str):
            extra = (fd,)
        else:
            grads = list(fd)
    label = "ours, generic array-API code, NumPy float64" + (
        " (gradients by central differences)" if grads is not None else ""
    )
    grad_tol = (max(tol[0], FINITE_DIFFERENCES[0]), max(tol[1], FINITE_DIFFERENCES[1]))
    rows.append(
        Row(
            backend.name,
            dtype,
            case.label,
            INDEPENDENT,
            label,
            _compare_all(
                theirs,
                reference.values,
                grads,
                quantities,
                tol=tol,
                grad_tol=grad_tol,
                where=f"{where} (vs {label})",
                notes=notes,
            ),
            notes + extra,
        )
    )
    return rows


def _backend_rows(
    compare: Callable[[str, _Input], list[Row]],
    runs: list[tuple[str, _Input]],
    *,
    skip_if_first_raises: bool,
) -> list[Row] | CandidateError:
    """Every ``(dtype, input)`` cell of one backend, compared in order. With
    ``skip_if_first_raises`` (the default backends), the candidate raising at its first call
    means it does not run on this backend (a torch function given NumPy arrays): that
    :class:`CandidateError` is returned instead of rows. A backend the caller named, or a
    candidate that ran once and then raised, raises it."""
    try:
        rows = compare(*runs[0])
    except CandidateError as err:
        if not skip_if_first_raises:
            raise
        return err
    for dtype, case in runs[1:]:
        rows += compare(dtype, case)
    return rows


def crosscheck(
    candidate: Callable[..., Any],
    reference: Any,
    *,
    inputs: Sequence[tuple[Sequence[Any], dict[str, Any]]] | None = None,
    backends: Sequence[str] | None = None,
    dtypes: Sequence[str] | None = None,
    grad: bool = True,
    independent: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
) -> CrosscheckReport:
    """Check a user's implementation of a loss against ours, on every backend it runs on.

    ``candidate`` is called exactly as ``reference`` (one of our functions, or its public
    name such as ``"info_nce"`` or ``"metrics.r2_score"``) with the same arrays; wrap a
    peer whose arguments differ with :func:`adapt`. ``inputs`` is a list of
    ``(args, kwargs)`` with NumPy arrays (floating ones are cast to each dtype); by default,
    three draws of the registry's inputs for that function (:mod:`arraylosses.testing.cases`,
    shipped with the package).

    Each backend (default: every one that loads here) and dtype (default float64 and
    float32) runs every input. A cell compares the values and, with ``grad=True`` on torch
    and JAX, the gradients of ``Σ out·c`` (fixed random ``c``) with respect to every
    floating positional argument, twice: against ours on the same backend and dtype, and
    (``independent=True``) against ours on NumPy in float64 (generic array-API code, gradients
    by central differences), each within :func:`tolerance` of the dtype (or ``rtol``/``atol``;
    the central differences add 1e-6 relative). JAX work runs inside
    ``jax.enable_x64``/``jax.default_matmul_precision`` context managers: nothing in the
    caller's process changes, and a float64 row really ran in float64 (asserted).

    With the default backends, a backend on which the candidate raises at its first call
    (a torch function given NumPy arrays) is skipped, and the report says why; with
    ``backends`` named, the candidate's exception is raised, chained, as
    :class:`CandidateError`. A named backend that cannot load raises
    :class:`BackendUnavailable` with the reason.

    Returns the :class:`CrosscheckReport`. Raises ``AssertionError`` naming the input,
    backend, dtype, comparison and quantity (value, or the gradient with respect to which
    argument), with the worst errors and the first differing element, when a difference
    exceeds tolerance or the candidate has no gradient for an input ours differentiates.

    Args:
        candidate: the user's implementation, called exactly as ``reference``.
        reference: one of our functions, or its public name (``"info_nce"``,
            ``"metrics.r2_score"``).
        inputs: a list of ``(args, kwargs)`` with NumPy arrays. Default ``None``: three draws of the
            registry's inputs for ``reference``.
        backends: backend names. Default ``None``: every backend that loads here (one on which the
            candidate raises at its first call is skipped).
        dtypes: dtype names. Default ``None``: ``float64`` and ``float32``.
        grad: also compare gradients (torch and JAX). Default ``True``.
        independent: also compare with ours on NumPy float64, gradients by central differences.
            Default ``True``.
        rtol: relative tolerance. Default ``None``: :func:`tolerance` of each dtype.
        atol: absolute tolerance. Default ``None``: :func:`tolerance` of each dtype.

    Returns:
        The :class:`CrosscheckReport`, one row per backend, dtype, input and comparison.

    Raises:
        AssertionError: a difference beyond tolerance, or a missing gradient.
        CandidateError: the candidate raised on a named backend.
        BackendUnavailable: a named backend cannot load here.

    Example:
        >>> import numpy as np
        >>> def my_mse(p, t):
        ...     return ((p - t) ** 2).mean()
        >>> x, y = np.array([[1.0, 2.0]]), np.array([[0.0, 2.5]])
        >>> report = crosscheck(my_mse, "mse_loss", inputs=[((x, y), {})], backends=["numpy"])
        >>> [(r.dtype, r.comparison) for r in report]  # doctest: +NORMALIZE_WHITESPACE
        [('float64', 'same backend'), ('float64', 'independent'),
         ('float32', 'same backend'), ('float32', 'independent')]
    """
    name, ref_fn = _resolve_reference(reference)
    ref = _Reference(name, ref_fn)
    cases = _inputs(name, inputs)
    cells, skipped = _cells(backends, ("float64", "float32") if dtypes is None else dtypes)
    title = (
        f"{getattr(candidate, '__qualname__', repr(candidate))} vs arraylosses.{name}: "
        f"max abs and rel errors per backend/dtype [input]"
    )
    report = CrosscheckReport(title)
    failures: list[CandidateError] = []
    for backend, backend_dtypes in cells:
        compare = functools.partial(
            _compare_cell,
            candidate,
            ref,
            backend,
            grad=grad,
            independent=independent,
            rtol=rtol,
            atol=atol,
        )
        runs = [(dtype, case) for dtype in backend_dtypes for case in cases]
        outcome = _backend_rows(compare, runs, skip_if_first_raises=backends is None)
        if isinstance(outcome, CandidateError):  # a default backend the candidate does not run on
            failures.append(outcome)
            report.rows.append(Row(backend.name, "*", "*", skipped=str(outcome)))
        else:
            report.rows += outcome
    report.rows += skipped
    if not report.ran():
        reasons = "\n  ".join(str(r) for r in report.rows)
        raise AssertionError(f"the candidate ran on none of the backends:\n  {reasons}") from (
            failures[-1] if failures else None
        )
    return report
