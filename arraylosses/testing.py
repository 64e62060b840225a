"""Testing helpers: the tolerance table, ``assert_close``, ``assert_backends_agree`` and
``crosscheck``.

``assert_backends_agree`` is the check the conformance matrix runs for every registry case:
the NumPy float64 result is the oracle, and every other backend and dtype must reproduce it
within the tolerance of its dtype, with the right namespace, dtype, shape and device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import array_api_compat

from ._backend import BACKENDS, Backend

__all__ = ["TOLERANCES", "CrosscheckReport", "assert_backends_agree", "assert_close",
           "available_backends", "crosscheck", "tolerance"]

#: ``dtype name -> (rtol, atol)``: the one tolerance table (DESIGN.md, Tests). float16 and
#: bfloat16 inputs are computed in float32 but rounded on the way in and out.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-10, 1e-12),
    "float32": (2e-5, 1e-6),
    "float16": (1e-2, 1e-3),
    "bfloat16": (2e-2, 1e-2),
}


def tolerance(dtype: Any) -> tuple[float, float]:
    """``(rtol, atol)`` for a dtype object or name."""
    name = str(dtype).rsplit(".", 1)[-1]
    if name not in TOLERANCES:
        raise ValueError(f"no tolerance for dtype {name}; known: {', '.join(TOLERANCES)}")
    return TOLERANCES[name]


def available_backends(names: Iterable[str] | None = None) -> list[Backend]:
    """The backends usable here (all of :data:`BACKENDS` by default); unknown names raise."""
    chosen = list(BACKENDS) if names is None else list(names)
    unknown = [n for n in chosen if n not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend(s) {unknown}; known: {', '.join(BACKENDS)}")
    return [BACKENDS[n] for n in chosen if BACKENDS[n].available() is None]


def _to_numpy(x: Any) -> Any:
    for backend in BACKENDS.values():
        if backend.available() is None:
            return backend.to_numpy(x)
    raise RuntimeError("no backend available")  # pragma: no cover (numpy always is)


def max_errors(actual: Any, expected: Any) -> tuple[float, float]:
    """Largest absolute error, and largest relative error ``|a - e| / |e|``.

    The relative error is measured against ``max(|e|, 1e-8·max|e|)``: elements many orders of
    magnitude below the array's scale (a gradient entry of 1e-18 beside entries of 0.1) say
    nothing relative, and their absolute error is in the first number. NaN matches NaN and an
    infinity matches itself; a NaN on one side only makes both errors NaN.
    """
    import numpy as np

    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(a) & (a == e)
    with np.errstate(invalid="ignore"):  # inf - inf; those cells are zeroed just below
        diff = np.where(both_nan | same_inf, 0.0, np.abs(a - e))
    if diff.size == 0:
        return 0.0, 0.0
    finite = np.abs(e[np.isfinite(e)])
    floor = max(1e-8 * (float(finite.max()) if finite.size else 0.0), 1e-300)
    scale = np.maximum(np.abs(np.where(np.isfinite(e), e, 1.0)), floor)
    return float(np.max(diff)), float(np.max(np.where(diff == 0, 0.0, diff / scale)))


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None,
                 atol: float | None = None, xp: Any = None, dtype: Any = None,
                 device: Any = None, err_msg: str = "") -> None:
    """Assert values (``|a - e| <= atol + rtol·|e|``, NaN equal to NaN), shape and, when given,
    the namespace, dtype and device of ``actual``. Tolerances default to ``actual``'s dtype.
    """
    import numpy as np

    prefix = f"{err_msg}: " if err_msg else ""
    if xp is not None:
        found = array_api_compat.array_namespace(actual)
        if found is not xp and getattr(found, "__name__", "") != getattr(xp, "__name__", ""):
            raise AssertionError(f"{prefix}result is from {found.__name__}, expected {xp.__name__}")
    if dtype is not None and actual.dtype != dtype:
        raise AssertionError(f"{prefix}dtype {actual.dtype}, expected {dtype}")
    if device is not None and array_api_compat.device(actual) != device:
        raise AssertionError(f"{prefix}device {array_api_compat.device(actual)}, expected {device}")
    default_rtol, default_atol = tolerance(actual.dtype) if hasattr(actual, "dtype") else (0, 0)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    a = np.asarray(_to_numpy(actual), dtype=np.float64)
    e = np.asarray(_to_numpy(expected) if hasattr(expected, "dtype") else expected,
                   dtype=np.float64)
    if a.shape != e.shape:
        raise AssertionError(f"{prefix}shape {a.shape}, expected {e.shape}")
    ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if not np.all(ok):
        abs_err, rel_err = max_errors(a, e)
        bad = np.argwhere(~ok)[:3].tolist()
        raise AssertionError(
            f"{prefix}values differ (rtol={rtol:g}, atol={atol:g}): max abs error {abs_err:.3g}, "
            f"max rel error {rel_err:.3g}; first mismatches at {bad}: "
            f"{a[~ok][:3].tolist()} vs {e[~ok][:3].tolist()}"
        )


def _parts(result: Any) -> list[Any]:
    """A function's result as a list of arrays (tuples such as ``(precision, recall, f1)``)."""
    return list(result) if isinstance(result, (tuple, list)) else [result]


def assert_backends_agree(fn: Callable[..., Any], *arrays: Any,
                          backends: Sequence[str] | None = None,
                          dtypes: Sequence[str] = ("float32", "float64"),
                          rtol: float | None = None, atol: float | None = None,
                          **params: Any) -> dict[str, float]:
    """Run ``fn(*arrays, **params)`` on every available backend and dtype and compare each
    result with the NumPy float64 result.

    ``arrays`` (and NumPy arrays among ``params``) are converted to each backend; floating ones
    are cast to each dtype, integer ones kept. A tuple result is compared part by part. Each
    result must have the inputs' namespace and device, the first floating input's dtype, and
    values within :func:`tolerance` of that dtype (or ``rtol``/``atol``). Returns
    ``{"backend/dtype": worst relative error}``; raises ``AssertionError`` listing every
    failing cell.

    Example:
        >>> import numpy as np
        >>> from arraylosses import mse_loss
        >>> report = assert_backends_agree(mse_loss, np.array([1.0, 2.0]), np.array([0.0, 2.5]),
        ...                                backends=["numpy"])
        >>> sorted(report)
        ['numpy/float32', 'numpy/float64']
    """
    import numpy as np

    oracle = BACKENDS["numpy"]

    def on(backend: Backend, dtype: str) -> tuple[list[Any], dict[str, Any]]:
        args = [backend.asarray(a, dtype) for a in arrays]
        kwargs = {k: backend.asarray(v, dtype) if isinstance(v, np.ndarray) else v
                  for k, v in params.items()}
        return args, kwargs

    args, kwargs = on(oracle, "float64")
    expected = [oracle.to_numpy(r) for r in _parts(fn(*args, **kwargs))]
    report: dict[str, float] = {}
    failures: list[str] = []
    for backend in available_backends(backends):
        for dtype in dtypes:
            if dtype not in backend.dtypes:
                continue
            cell = f"{backend.name}/{dtype}"
            args, kwargs = on(backend, dtype)
            float_inputs = [x for x in args if np.asarray(backend.to_numpy(x)).dtype.kind == "f"]
            try:
                with backend.context():
                    results = _parts(fn(*args, **kwargs))
                if len(results) != len(expected):
                    raise AssertionError(f"{len(results)} results, expected {len(expected)}")
                for part, e in zip(results, expected):
                    assert_close(part, e, rtol=rtol, atol=atol, xp=backend.xp,
                                 dtype=float_inputs[0].dtype if float_inputs else None,
                                 device=backend.device if backend.name != "cupy" else None,
                                 err_msg=cell)
            except Exception as err:  # every cell is reported, not just the first failure
                failures.append(f"{cell}: {type(err).__name__}: {err}")
                continue
            report[cell] = max(max_errors(backend.to_numpy(r), e)[1]
                               for r, e in zip(results, expected))
    if failures:
        raise AssertionError("backends disagree:\n" + "\n".join(failures))
    return report


# ---------------------------------------------------------------------------------------------
# crosscheck: a user's implementation against ours


class CrosscheckReport(dict):
    """``{(backend, dtype, input label): {"value": (max abs, max rel), "d/d args[i]": ...}}``;
    printing it gives one line per cell."""

    def __str__(self) -> str:
        lines = []
        for (backend, dtype, label), cell in self.items():
            parts = ", ".join(f"{k} abs {a:.2e} rel {r:.2e}" for k, (a, r) in cell.items())
            lines.append(f"{backend}/{dtype} [{label}]: {parts}")
        return "\n".join(lines)


def _resolve_reference(reference: Any) -> tuple[str, Callable[..., Any]]:
    import arraylosses

    if callable(reference):
        return getattr(reference, "__name__", "reference"), reference
    if not isinstance(reference, str):
        raise TypeError(f"reference must be one of our functions or its name; got "
                        f"{type(reference).__name__}")
    owner, _, name = reference.rpartition(".")
    module = arraylosses.metrics if owner == "metrics" else arraylosses
    if owner not in ("", "metrics") or not hasattr(module, name):
        raise ValueError(f"reference {reference!r} is not a public function of arraylosses")
    return reference, getattr(module, name)


def _default_inputs(name: str) -> list[tuple[str, tuple, dict[str, Any]]]:
    """The conformance registry's default-parameter inputs for ``name``, three draws. The
    registry lives in the source tree (``conformance/cases.py``), not in the wheel."""
    import numpy as np

    try:
        from conformance.cases import BY_NAME
    except ImportError as err:
        raise ValueError("inputs=None needs the conformance registry (a source checkout of "
                         "arraylosses); pass inputs=[(args, kwargs), ...] instead") from err
    if name not in BY_NAME:
        raise ValueError(f"no registry case named {name!r}; pass inputs=[(args, kwargs), ...]")
    out = []
    for seed in range(3):
        _, args, kwargs = next(BY_NAME[name].variants(np.random.default_rng(seed)))
        out.append((f"registry inputs, seed {seed}", args, kwargs))
    return out


def _value_and_grads(fn: Callable[..., Any], backend: Backend, args: list[Any],
                     kwargs: dict[str, Any], float_positions: list[int], cotangent: Any,
                     grad: bool) -> list[Any]:
    """``[value, d/d args[i] for i in float_positions]`` as NumPy (gradients of Σ out·c)."""
    out = fn(*args, **kwargs)
    results = [backend.to_numpy(out)]
    if not (grad and backend.differentiable and float_positions):
        return results
    cot = backend.asarray(cotangent, backend.dtype_name(out))
    if backend.name.startswith("torch"):
        import torch

        leaves = [args[i].detach().clone().requires_grad_(True) for i in float_positions]
        full = list(args)
        for i, leaf in zip(float_positions, leaves, strict=True):
            full[i] = leaf
        grads = torch.autograd.grad(torch.sum(fn(*full, **kwargs) * cot), leaves,
                                    allow_unused=True)
        return results + [None if g is None else backend.to_numpy(g) for g in grads]
    import jax
    import jax.numpy as jnp

    def objective(*values: Any) -> Any:
        full = list(args)
        for i, v in zip(float_positions, values, strict=True):
            full[i] = v
        return jnp.sum(fn(*full, **kwargs) * cot)

    grads = jax.grad(objective, argnums=tuple(range(len(float_positions))))(
        *(args[i] for i in float_positions))
    return results + [backend.to_numpy(g) for g in grads]


def crosscheck(candidate: Callable[..., Any], reference: Any, *,
               inputs: Sequence[tuple[tuple, dict[str, Any]]] | None = None,
               backends: Sequence[str] | None = None,
               dtypes: Sequence[str] = ("float64", "float32"), grad: bool = True,
               rtol: float | None = None, atol: float | None = None) -> CrosscheckReport:
    """Check a user's implementation of a loss against ours, on every backend it runs on.

    ``candidate`` is called exactly as ``reference`` (one of our functions, or its public
    name such as ``"info_nce"`` or ``"metrics.r2_score"``) with the same arrays. ``inputs``
    is a list of ``(args, kwargs)`` with NumPy arrays (floating ones are cast to each dtype);
    by default, three draws of the conformance registry's inputs for that function. On each
    backend (default: all that load, skipping those where the candidate raises on the first
    input, which the report notes), and each dtype, the values and, with ``grad=True`` on
    torch and JAX, the gradients of ``Σ out·c`` with respect to every floating positional
    argument are compared within :func:`tolerance` (or ``rtol``/``atol``).

    Returns the :class:`CrosscheckReport` of the largest absolute and relative errors. Raises
    ``AssertionError`` naming the input, backend, dtype and quantity (value or which
    gradient), with the worst element and both values, when a difference exceeds tolerance.

    Example:
        >>> import numpy as np
        >>> def my_mse(p, t):
        ...     return ((p - t) ** 2).mean()
        >>> x, y = np.array([[1.0, 2.0]]), np.array([[0.0, 2.5]])
        >>> report = crosscheck(my_mse, "mse_loss", inputs=[((x, y), {})], backends=["numpy"])
        >>> len(report)
        2
    """
    import numpy as np

    name, ref_fn = _resolve_reference(reference)
    cases = ([(f"inputs[{i}]", tuple(a), dict(k)) for i, (a, k) in enumerate(inputs)]
             if inputs is not None else _default_inputs(name))
    report = CrosscheckReport()
    ran: list[tuple[str, str]] = []
    for backend in available_backends(backends):
        for dtype in dtypes:
            if dtype not in backend.dtypes:
                continue
            for label, args, kwargs in cases:
                conv = [backend.asarray(a, dtype) if isinstance(a, np.ndarray) else a
                        for a in args]
                kconv = {k: backend.asarray(v, dtype) if isinstance(v, np.ndarray) else v
                         for k, v in kwargs.items()}
                float_positions = [i for i, a in enumerate(args)
                                   if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
                with backend.context():
                    ours = _value_and_grads(ref_fn, backend, conv, kconv, float_positions,
                                            None, False)
                    cot = np.random.default_rng(1).uniform(0.5, 1.5, size=np.shape(ours[0]))
                    ours = _value_and_grads(ref_fn, backend, conv, kconv, float_positions, cot,
                                            grad)
                    try:
                        theirs = _value_and_grads(candidate, backend, conv, kconv,
                                                  float_positions, cot, grad)
                    except Exception as err:
                        if not any(r[0] == backend.name for r in ran):
                            report[(backend.name, dtype, "not run")] = {}
                            break  # the candidate does not run on this backend
                        raise AssertionError(f"{label} on {backend.name}/{dtype}: the candidate "
                                             f"raised {type(err).__name__}: {err}") from err
                ran.append((backend.name, dtype))
                cell = {}
                default_rtol, default_atol = tolerance(dtype)
                r_tol = default_rtol if rtol is None else rtol
                a_tol = default_atol if atol is None else atol
                quantities = ["value"] + [f"d/d args[{i}]" for i in float_positions]
                for what, mine, yours in zip(quantities, ours, theirs, strict=False):
                    if yours is None or mine is None:
                        continue
                    mine, yours = np.asarray(mine, float), np.asarray(yours, float)
                    if mine.shape != yours.shape:
                        raise AssertionError(f"{label} on {backend.name}/{dtype}: {what} has "
                                             f"shape {yours.shape}, ours {mine.shape}")
                    cell[what] = max_errors(yours, mine)
                    bad = ~np.isclose(yours, mine, rtol=r_tol, atol=a_tol, equal_nan=True)
                    if np.any(bad):
                        where = tuple(int(i) for i in np.argwhere(bad)[0])
                        raise AssertionError(
                            f"candidate differs from arraylosses.{name} on {label}, "
                            f"{backend.name}/{dtype}, {what}: max abs error "
                            f"{cell[what][0]:.3g}, max rel error {cell[what][1]:.3g} "
                            f"(rtol {r_tol:g}, atol {a_tol:g}); first at index {where}: "
                            f"candidate {np.asarray(yours)[where]!r}, ours "
                            f"{np.asarray(mine)[where]!r}")
                report[(backend.name, dtype, label)] = cell
    if not ran:
        raise AssertionError(f"the candidate ran on none of the backends "
                             f"{[b.name for b in available_backends(backends)]}")
    return report
