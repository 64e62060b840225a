"""Argument checks. Every message names the argument, what was expected and what was found.

Checks here look only at shapes, dtypes and Python values, so they cost microseconds and run
the same under ``jax.jit`` and ``torch.compile``. Checks that need array values all go through
:func:`check_values` (:func:`arraylosses._backend.eager_all`): a read on the CPU, a
device-side assert on a torch accelerator, skipped under tracing and on JAX/CuPy accelerators.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import operator
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar, get_args

from ._backend import (
    _KIND_BY_MODULE,
    READ,
    Array,
    Namespace,
    as_dtype,
    compute_dtype,
    const,
    eager_all,
    isdtype,
    namespace_of,
    value_check_mode,
    value_range,
)
from ._backend import _torch_compiling as torch_compiling
from .typing import Reduction

REDUCTIONS: tuple[str, ...] = get_args(Reduction)

F = TypeVar("F", bound=Callable[..., Any])


def _rename_hint(fn: Callable[..., Any], old: str, new: str) -> str:
    if old == "weight":
        if "class_weight" in inspect.signature(fn).parameters:
            return (
                f"{fn.__name__}() takes per-sample weights as sample_weight= and per-class "
                f"weights as class_weight= (torch's weight=); weight= is not an argument"
            )
        return (
            f"{fn.__name__}() takes per-sample weights as sample_weight=; weight= is not an "
            f"argument (it has no per-class weights)"
        )
    return f"{fn.__name__}() argument {old}= is now {new}="


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """Reject arguments renamed before 1.0 with a TypeError that names the argument to use.

    ``weight=`` in particular: torch's ``weight=`` is per class, ours was per sample, so a
    torch user passing class weights must get an error, not a different loss.
    """

    def decorate(fn: F) -> F:
        hints = {old: _rename_hint(fn, old, new) for old, new in old_to_new.items()}

        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if kwargs:
                for old in hints.keys() & kwargs.keys():
                    raise TypeError(hints[old])
            return fn(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def sample_weighted(fn: F) -> F:
    """:func:`renamed` for the per-sample weight, ``weight=`` → ``sample_weight=``."""
    return renamed(weight="sample_weight")(fn)


def check_option(name: str, value: Any, options: Sequence[str]) -> str:
    """``value`` must be one of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        choices = ", ".join(repr(o) for o in options)
        hint = ""
        if name == "reduction" and value is None and "none" in options:
            # Keras 3 reads reduction=None as no reduction; torch raises: never a silent mean
            hint = " (Keras's reduction=None, no reduction, is reduction='none' here)"
        raise ValueError(f"{name} must be one of {choices}; got {value!r}{hint}")
    return value


def check_reduction(reduction: Any) -> str:
    return check_option("reduction", reduction, REDUCTIONS)


class _NoReduction:
    """The type of :data:`NO_REDUCTION`."""

    def __repr__(self) -> str:
        return "NO_REDUCTION"


NO_REDUCTION: Any = _NoReduction()
"""What a function without a ``reduction`` argument passes to :func:`prepare` (not ``None``:
``reduction=None`` from a user is an error, never a silent ``"mean"``)."""


def options(literal: Any) -> tuple[str, ...]:
    """The strings a ``Literal[...]`` option type allows (for :func:`check_option`)."""
    return get_args(literal)


def check_same_shape(name_a: str, a: Array, name_b: str, b: Array) -> None:
    """No silent broadcasting: ``(N, 1)`` against ``(N,)`` is an error, not an ``(N, N)``."""
    if a.shape != b.shape and tuple(a.shape) != tuple(b.shape):  # torch.Size is a tuple
        raise ValueError(
            f"{name_b} must have the same shape as {name_a} {tuple(a.shape)}; got {tuple(b.shape)}"
        )


def check_min_ndim(name: str, x: Array, ndim: int, what: str) -> None:
    if x.ndim < ndim:
        raise ValueError(
            f"{name} must have at least {ndim} dimension(s) ({what}); got shape {tuple(x.shape)}"
        )


def check_ndim(name: str, x: Array, ndim: int, what: str) -> None:
    if x.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimension(s) ({what}); got shape {tuple(x.shape)}"
        )


def check_axis(name: str, axis: Any, x: Array) -> int:
    """A valid axis of ``x``, returned as a non-negative int."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"{name} must be an int; got {type(axis).__name__}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"{name} must be in [-{x.ndim}, {x.ndim}) for an array of shape "
            f"{tuple(x.shape)}; got {axis}"
        )
    return axis % x.ndim


def check_real(xp: Namespace, name: str, x: Array) -> None:
    """``x`` must hold real numbers (floating or integer), not booleans or complex."""
    if not isdtype(xp, x.dtype, ("real floating", "integral")):
        raise TypeError(f"{name} must be a real (floating or integer) array; got dtype {x.dtype}")


def check_floating(xp: Namespace, name: str, x: Array) -> None:
    if not isdtype(xp, x.dtype, "real floating"):
        raise TypeError(f"{name} must be a real floating array; got dtype {x.dtype}")


def _numpy_bool(value: Any) -> bool:
    """``np.True_``/``np.False_`` (whose type is named ``bool`` in NumPy 2, ``bool_`` before)."""
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_")


def is_array(value: Any) -> bool:
    """An array (of any library), as opposed to a Python or NumPy scalar such as ``np.float64``,
    which has a ``shape`` too but is a number, not an array of the inputs' library."""
    return (
        hasattr(value, "shape")
        and hasattr(value, "dtype")
        and not isinstance(value, numbers.Number)
        and not _numpy_bool(value)
    )


def unused(name: str, value: Any, *, unless: bool, because: str, idle: Any = None) -> None:
    """The idle-argument rule, written once: an argument given where the call would not use it
    is a ValueError that says why, not silently ignored.

    ``value`` counts as given unless it is ``idle`` (``None`` by default; ``0`` for an
    ``offset``, ``False`` for a flag). An array is always given. ``unless``: whether this call
    uses the argument. ``because``: what uses it, phrased to follow "it is used ..." (``"with
    in-batch negatives (negatives=None)"``).
    """
    if unless:
        return
    if is_array(value):
        shown = ""
    elif value is idle or (idle is not None and not isinstance(value, bool) and value == idle):
        return
    else:
        shown = f"={value!r}"
    raise ValueError(f"{name}{shown} has no effect here: it is used {because}; leave it out")


# ---------------------------------------------------------------------------------------------
# Python values. One rule everywhere: the wrong type is a TypeError, a value out of range (NaN
# and infinities included, unless allowed) is a ValueError. NumPy scalars count as the Python
# numbers they stand for (``np.int64(1)`` is an int, ``np.float32(0.5)`` a float).


def _range_text(
    low: float | None, low_inclusive: bool, high: float | None, high_inclusive: bool
) -> str:
    lo = "(-inf, " if low is None else ("[" if low_inclusive else "(") + f"{low}, "
    hi = "inf)" if high is None else f"{high}" + ("]" if high_inclusive else ")")
    return lo + hi


def flag(name: str, value: Any) -> bool:
    """A Python bool (``np.bool_`` too); anything else, 0 and 1 included, is a TypeError."""
    if isinstance(value, bool) or _numpy_bool(value):
        return bool(value)
    raise TypeError(f"{name} must be a bool; got {type(value).__name__}")


def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """A Python int (or NumPy integer) in ``[low, high]``; a bool or a float is a TypeError."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        v = operator.index(value)
    else:
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"{name} must be in {_range_text(low, True, high, True)}; got {v}")
    return v


def number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    low_inclusive: bool = True,
    high: float | None = None,
    high_inclusive: bool = True,
    allow_inf: bool = False,
    expected: str = "a real number",
) -> float:
    """A real Python number (or NumPy scalar), returned as ``float``, in the given range.

    NaN is always a ValueError; ``±inf`` is one unless ``allow_inf`` (and then it must still
    be in range). A bool, a string, an array or ``None`` is a TypeError.
    """
    kind = type(value)
    if kind is not float and kind is not int:  # the common cases, without the ABC checks
        if isinstance(value, bool) or _numpy_bool(value) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be {expected}; got {kind.__name__}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    if math.isinf(v) and not allow_inf:
        raise ValueError(f"{name} must be finite; got {v}")
    too_low = low is not None and (v < low or (v == low and not low_inclusive))
    too_high = high is not None and (v > high or (v == high and not high_inclusive))
    if too_low or too_high:
        raise ValueError(
            f"{name} must be in {_range_text(low, low_inclusive, high, high_inclusive)}; got {v}"
        )
    return v


def hyperparameter(
    xp: Namespace,
    name: str,
    value: Any,
    like: Array,
    *,
    low: float | None = None,
    low_inclusive: bool = True,
    high: float | None = None,
) -> Any:
    """A scalar hyperparameter: a Python number (range-checked) or a 0-d floating array.

    Python numbers are returned as ``float`` (they promote to the input's dtype on every
    backend). Arrays are checked to be 0-d and cast to ``like``'s dtype; gradients flow into
    them. Their range is not checked, because that would read the value (and break ``jit``).
    """
    if not is_array(value):
        return number(
            name,
            value,
            low=low,
            low_inclusive=low_inclusive,
            high=high,
            expected="a float or a 0-d array",
        )
    if value.ndim != 0:
        raise ValueError(f"{name} must be a float or a 0-d array; got shape {tuple(value.shape)}")
    check_floating(xp, name, value)
    return as_dtype(xp, value, like.dtype)


def array_hyperparameters(**values: Any) -> dict[str, Any]:
    """The hyperparameters given as arrays: they must share the inputs' namespace and device,
    so they go to :func:`arraylosses._backend.namespace` with the inputs."""
    return {k: v for k, v in values.items() if v is not None and is_array(v)}


def positive_float(name: str, value: Any) -> float:
    """A strictly positive finite Python number (a numerical-safety constant such as ``eps``)."""
    v = number(name, value, expected="a Python float")
    if not v > 0:
        raise ValueError(f"{name} must be a positive finite float; got {v}")
    return v


def as_array(xp: Namespace, value: Any, like: Array) -> Array:
    """A hyperparameter returned by :func:`hyperparameter`, as an array of ``like``'s dtype."""
    return value if is_array(value) else const(xp, value, like)


def check_weight(
    xp: Namespace, sample_weight: Array, loss_shape: tuple[int, ...], name: str = "sample_weight"
) -> None:
    """Per-sample weights must broadcast to the per-sample loss without changing its shape."""
    check_real(xp, name, sample_weight)
    shape = tuple(sample_weight.shape)
    loss_shape = tuple(loss_shape)
    ok = len(shape) <= len(loss_shape) and all(
        w in (1, s) for w, s in zip(shape[::-1], loss_shape[::-1], strict=False)
    )
    if not ok:
        raise ValueError(
            f"{name} must be broadcastable to the per-sample loss shape {loss_shape} without "
            f"changing it; got shape {shape}"
        )


def check_sample_weight(
    xp: Namespace, sample_weight: Array | None, loss_shape: tuple[int, ...]
) -> None:
    """:func:`check_weight` for the ``sample_weight`` argument; ``None`` passes."""
    if sample_weight is not None:
        check_weight(xp, sample_weight, tuple(loss_shape))


class Prepared(NamedTuple):
    """What every function learns from its arguments before computing."""

    xp: Namespace  #: the arrays' namespace
    out_dtype: Any  #: the result's dtype (the prediction's floating dtype)
    dtype: Any  #: the dtype to compute in (float32 for float16/bfloat16 predictions)


def prepare(
    pred_name: str,
    pred: Array,
    *,
    reduction: Any = "mean",
    hyper: dict[str, Any] | None = None,
    **arrays: Array | None,
) -> Prepared:
    """The shared start of every loss and metric.

    One namespace for ``pred``, the other ``arrays`` (``None`` skipped; ``sample_weight`` among
    them) and the hyperparameters in ``hyper`` that are arrays; ``reduction`` checked (pass
    :data:`NO_REDUCTION` for functions without one: ``None`` is a user's error); the compute
    dtype from ``pred``, which must be real floating
    (:func:`arraylosses._backend.compute_dtype`, the one floating-dtype check).
    Shape checks stay with the family, since only it knows the per-sample shape.
    """
    # one dict of the arrays present, in the order errors name them
    present = {} if pred is None else {pred_name: pred}
    for name, x in arrays.items():
        if x is not None:
            present[name] = x
    if hyper:
        present.update(array_hyperparameters(**hyper))
    xp = namespace_of(present)
    if reduction is not NO_REDUCTION and (
        type(reduction) is not str or reduction not in REDUCTIONS
    ):
        check_reduction(reduction)  # raises: the message lists the options
    out_dtype, dtype = compute_dtype(xp, pred, pred_name)
    return Prepared(xp, out_dtype, dtype)


# ---------------------------------------------------------------------------------------------
# Remembered checks. What ``prepare`` and a family's dtype and shape checks decide for a
# ``(pred, target)`` pair depends only on their types, dtypes and shapes and on the option
# strings, so a call whose pair passed them before, on torch or NumPy, reuses the decision:
# one dict lookup where the checks were about 2 µs of Python, most of a small call's time
# beside ``F.*`` (benchmarks/run.py's overhead rows, issue #32). Devices are still compared at
# every call; value checks are never remembered; nothing is remembered or looked up inside
# torch.compile; a failed check is never remembered (it raises first); at most 1024 pairs.

_PAIRS: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def pair_key(
    tag: str, pred: Any, target: Any, reduction: Any, *extra: int
) -> tuple[Any, ...] | None:
    """The key of a call's metadata (``tag`` names the family's checks; ``extra``: int
    options such as an axis), or ``None`` where it cannot be remembered (not arrays, an option
    that is not a string, torch.compile)."""
    if type(reduction) is not str or torch_compiling():  # None too: the full checks raise
        return None
    try:
        return (tag, type(pred), pred.dtype, pred.shape, type(target), target.dtype,
                target.shape, reduction, *extra)  # fmt: skip
    except AttributeError:  # not arrays: the full checks name them
        return None


def recall_pair(key: tuple[Any, ...] | None, pred: Any, target: Any) -> tuple[Any, ...] | None:
    """The decision remembered for ``key``, where ``pred`` and ``target`` are on one device
    (compared at every call); ``None`` sends the call through the full checks."""
    if key is None:
        return None
    found = _PAIRS.get(key)
    if found is None or (found[0] == "torch" and pred.device != target.device):
        return None
    return found[1:]


def remember_pair(key: tuple[Any, ...] | None, xp: Namespace, *decision: Any) -> None:
    """Remember ``decision`` for ``key`` after the full checks passed (torch and NumPy only:
    their devices are an attribute, or one)."""
    kind = _KIND_BY_MODULE.get(getattr(xp, "__name__", ""), "")
    if key is not None and kind in ("torch", "numpy") and len(_PAIRS) < 1024:
        _PAIRS[key] = (kind, xp, *decision)


# ---------------------------------------------------------------------------------------------
# Checks shared by the classification, regression, ranking and metric families


def check_kind(xp: Namespace, name: str, x: Array, kinds: tuple[str, ...], *, must: str) -> None:
    """``x``'s dtype must be of one of the array API ``kinds`` (``"integral"``, ``"bool"``,
    ``"real floating"``...); otherwise a TypeError: "``name`` must ``must``; got dtype ..."."""
    if not isdtype(xp, x.dtype, kinds):
        raise TypeError(f"{name} must {must}; got dtype {x.dtype}")


def bounded_integer(name: str, value: Any, *, low: int, high: int | None = None, bound: str) -> int:
    """:func:`integer` in ``[low, high]`` where a bound comes from the inputs; the ValueError
    says which (``bound``, e.g. ``"the number of classes"``)."""
    v = integer(name, value)
    if v < low or (high is not None and v > high):
        where = f"at least {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {where} ({bound}); got {v}")
    return v


def check_values(
    xp: Namespace, condition: Array, message: str, *, found: Callable[[], str] | None = None
) -> None:
    """The one value check: a ``ValueError(message)`` where an element of ``condition`` (a
    boolean array) is False.

    ``message`` names the argument and the rule ("var must be non-negative"). Where the values
    are in host memory (eagerly on the CPU) it reads one bool; on a torch accelerator it is a
    device-side assert carrying ``message`` (no host read); under ``jax.jit`` / ``vmap`` /
    ``grad``, inside ``torch.compile`` and for JAX or CuPy arrays on an accelerator it is
    skipped (:func:`arraylosses._backend.value_check_mode`, with a ``checkify`` recipe for
    JAX). ``found`` builds a suffix for the message ("; found min -1, max 3") and is called
    only when the check failed on the CPU, so it may read values.
    """
    if not eager_all(xp, condition, message):
        raise ValueError(message if found is None else message + found())


def check_labels(
    xp: Namespace,
    name: str,
    labels: Array,
    *,
    num_classes: int,
    ignore_index: int | None = None,
) -> None:
    """Class indices must lie in ``[0, num_classes)`` (or equal ``ignore_index``): a
    :func:`check_values` check (not under ``jax.jit``, where an out-of-range index is not
    detected; a device-side assert on a torch accelerator). Where the values can be read
    (:func:`arraylosses._backend.value_check_mode`), the two extremes are read instead of a
    mask formed: two reductions, and the mask only when an extreme is out of range."""
    if math.prod(labels.shape) == 0:
        return
    lo, hi = value_range(xp, labels)
    # decided on the reduced value, not the input: a constant closed over by a jitted
    # function is concrete, its minimum a tracer
    if value_check_mode(lo) is READ:
        low, high = int(lo), int(hi)
        if 0 <= low and high < num_classes:  # the common case: no message built
            return
        if ignore_index is None or not bool(xp.all(_labels_ok(labels, num_classes, ignore_index))):
            message = _labels_message(name, num_classes, ignore_index)
            raise ValueError(f"{message}; found min {low}, max {high}")
        return
    message = _labels_message(name, num_classes, ignore_index)
    if ignore_index is None:
        check_values(xp, (lo >= 0) & (hi < num_classes), message)
    else:
        check_values(xp, _labels_ok(labels, num_classes, ignore_index), message)


def _labels_message(name: str, num_classes: int, ignore_index: int | None) -> str:
    return f"{name} holds class indices outside [0, {num_classes})" + (
        "" if ignore_index is None else f" that are not ignore_index={ignore_index}"
    )


def _labels_ok(labels: Array, num_classes: int, ignore_index: int | None) -> Array:
    ok = (labels >= 0) & (labels < num_classes)
    return ok if ignore_index is None else ok | (labels == ignore_index)


def check_in_range(
    xp: Namespace, name: str, x: Array, *, low: float, high: float, advice: str = ""
) -> None:
    """Every element of ``x`` lies in ``[low, high]``; NaN passes (it propagates, as any NaN
    input). A :func:`check_values` check: read on the CPU, a device-side assert on a torch
    accelerator, skipped under ``jax.jit`` and for JAX/CuPy on an accelerator. Where the values
    can be read, the two extremes are read instead of a mask formed; the ValueError names
    ``name``, the range, the values found and ``advice``."""
    if math.prod(x.shape) == 0:
        return
    message = f"{name} must lie in [{low}, {high}]"
    lo, hi = value_range(xp, x)
    if value_check_mode(lo) is READ:
        if float(lo) >= low and float(hi) <= high:  # False for NaN
            return
        if bool(xp.all(~((x < low) | (x > high)))):  # a NaN, every other value in range
            return
        raise ValueError(f"{message}; found min {float(lo)}, max {float(hi)}{advice}")
    check_values(xp, ~((x < low) | (x > high)), message + advice)


def check_sample_weight_shape(
    xp: Namespace, sample_weight: Array | None, shape: tuple[int, ...]
) -> None:
    """The metrics' rule (scikit-learn's): ``sample_weight`` is ``None`` or a real array of
    exactly the samples' ``shape``, one weight per sample (no broadcasting)."""
    if sample_weight is not None:
        check_real(xp, "sample_weight", sample_weight)
        if tuple(sample_weight.shape) != tuple(shape):
            raise ValueError(
                f"sample_weight must have shape {tuple(shape)}; got {tuple(sample_weight.shape)}"
            )
