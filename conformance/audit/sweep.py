"""The sweep: every peer check (``conformance.peers.ALL``: the conformance matrix's peer columns
and the records' ``checks=``) on the registry's float64 inputs, then on those inputs made
hostile, ours and the peer's compared with the kit's comparison
(``arraylosses.testing._compare``). Each difference is a :class:`Finding`.

The kinds (one transformation of a check's NumPy inputs each; ``None`` where it cannot apply):

``registry``: the inputs as they are, at the check's tolerance; ``float64``: the result's dtype
(a float64 input must give a float64 result); ``nan``: a NaN in the first floating input;
``neg-inf``: −inf in a masked position of logits or scores (an input named ``*logit*`` or
``scores``: where ``where``/``mask`` is False, else the smallest entry of the first row);
``ties``: the first floating input's second column equal to its first; ``empty``: the batch
axis cut to 0; ``constant``: the first floating input constant; ``single-class``: every
integer (or 0/1) target equal to its first entry; ``confidence-1``: a probability input with
its largest entry (a simplex row: its first row one-hot) exactly 1.0; ``float16``,
``bfloat16``: the checks built by ``pair`` computed in that dtype, the peer's result against
ours in float64 on the same rounded inputs at the dtype's tolerance (a peer that raises for
the dtype does not accept it: skipped); ``scale-large``, ``scale-small``: the unbounded
floating inputs times 1e4 and 1e-5.
"""

from __future__ import annotations

import os
import pathlib
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from arraylosses.testing import assert_close, tolerance

os.environ.setdefault("KERAS_BACKEND", "jax")  # as conformance/peers: Keras reads it once

KINDS = (
    "registry",
    "float64",
    "nan",
    "neg-inf",
    "ties",
    "empty",
    "constant",
    "single-class",
    "confidence-1",
    "float16",
    "bfloat16",
    "scale-large",
    "scale-small",
)


@dataclass(frozen=True)
class Finding:
    """One difference between ours and a peer: the check (our function, the peer's call, its
    column), the kind, and what differed."""

    column: str
    function: str
    peer: str
    kind: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


Inputs = dict[str, np.ndarray]


def _floating(inputs: Inputs) -> list[str]:
    return [n for n, x in inputs.items() if x.dtype.kind == "f" and x.ndim and x.size]


def _binary(x: np.ndarray) -> bool:
    return x.size > 0 and bool(np.all((x == 0) | (x == 1)))


def _unit(x: np.ndarray) -> bool:
    return x.dtype.kind == "f" and x.size > 0 and bool(np.all((x >= 0) & (x <= 1)))


def _simplex(x: np.ndarray) -> bool:
    return x.ndim == 2 and _unit(x) and bool(np.allclose(x.sum(-1), 1.0))


def _integral(x: np.ndarray) -> bool:
    finite = x[np.isfinite(x)]
    return bool(np.all(finite == np.round(finite)))


def _continuous(inputs: Inputs) -> list[str]:
    """Floating inputs that are not labels: neither 0/1 targets, masks, nor integer-valued
    (graded relevance, class ids held as floats)."""
    return [n for n in _floating(inputs) if not _integral(inputs[n])]


def _nan(inputs: Inputs) -> Inputs | None:
    names = _continuous(inputs)
    if not names:
        return None
    x = inputs[names[0]].copy()
    x[(0,) * x.ndim] = np.nan
    return {**inputs, names[0]: x}


def _neg_inf(inputs: Inputs) -> Inputs | None:
    names = [n for n in _continuous(inputs) if "logit" in n.lower() or "score" in n.lower()]
    if not names or inputs[names[0]].ndim < 2:
        return None
    x = inputs[names[0]].copy()
    # the check may pass any of the record's masks (where, prefix, ...): −inf only where every
    # mask of the scores' shape is False, a position padded whichever one the check uses
    masks = [m for m in inputs.values() if m.dtype == bool and m.shape == x.shape]
    if masks:
        padded = ~np.logical_or.reduce(masks)
        if not padded.any():
            return None
        x[padded] = -np.inf
    else:  # no mask: a class masked out by a −inf logit
        x[0, int(np.argmin(x[0]))] = -np.inf
    return {**inputs, names[0]: x}


def _ties(inputs: Inputs) -> Inputs | None:
    names = [n for n in _continuous(inputs) if not _simplex(inputs[n])]
    if not names or inputs[names[0]].shape[-1] < 2:
        return None
    x = inputs[names[0]].copy()
    x[..., 1] = x[..., 0]
    return {**inputs, names[0]: x}


def _batch_length(inputs: Inputs) -> int | None:
    first = next((x for x in inputs.values() if x.ndim), None)
    return None if first is None else first.shape[0]


def _empty(inputs: Inputs) -> Inputs | None:
    n = _batch_length(inputs)
    if not n:
        return None
    return {k: (x[:0] if x.ndim and x.shape[0] == n else x) for k, x in inputs.items()}


def _constant(inputs: Inputs) -> Inputs | None:
    names = _continuous(inputs)
    if not names:
        return None
    x = inputs[names[0]]
    return {**inputs, names[0]: np.full_like(x, x.flat[0])}


def _single_class(inputs: Inputs) -> Inputs | None:
    names = [
        n
        for n, x in inputs.items()
        if x.ndim
        and x.size
        and (x.dtype.kind in "iu" or (x.dtype.kind == "f" and _binary(x)))
        and len(np.unique(x)) > 1
        and not any(w in n.lower() for w in ("id", "index"))  # ids, gathered rows: not classes
    ]
    if not names:
        return None
    return {**inputs, **{n: np.full_like(inputs[n], inputs[n].flat[0]) for n in names}}


def _confidence_one(inputs: Inputs) -> Inputs | None:
    names = [n for n in _continuous(inputs) if _unit(inputs[n])]
    if not names:
        return None
    x = inputs[names[0]].copy()
    if _simplex(x):
        x[0] = 0.0
        x[0, 0] = 1.0
    else:
        x[np.unravel_index(int(np.argmax(x)), x.shape)] = 1.0
    return {**inputs, names[0]: x}


def _scaled(factor: float) -> Callable[[Inputs], Inputs | None]:
    def scale(inputs: Inputs) -> Inputs | None:
        names = [n for n in _continuous(inputs) if not _unit(inputs[n])]
        if not names:
            return None
        return {**inputs, **{n: inputs[n] * factor for n in names}}

    return scale


TRANSFORMS: dict[str, Callable[[Inputs], Inputs | None]] = {
    "nan": _nan,
    "neg-inf": _neg_inf,
    "ties": _ties,
    "empty": _empty,
    "constant": _constant,
    "single-class": _single_class,
    "confidence-1": _confidence_one,
    "scale-large": _scaled(1e4),
    "scale-small": _scaled(1e-5),
}


def _rounded(inputs: Inputs, dtype: str) -> Inputs:
    """The floating inputs rounded to ``dtype`` (kept in float64)."""
    import torch

    out = {}
    for k, x in inputs.items():
        if x.dtype.kind == "f":
            t = torch.tensor(x).to(getattr(torch, dtype)).to(torch.float64)
            out[k] = t.numpy()
        else:
            out[k] = x
    return out


def _call(run: Callable[[Inputs], Any], inputs: Inputs) -> tuple[Any, Any] | str:
    """``run(inputs)``, or the exception's type and first line."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return run(inputs)
    except Exception as exc:  # a peer (or ours) refusing the input is an outcome
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        return f"{_who(exc)} raises {type(exc).__name__}: {first}"


_OURS = str(pathlib.Path(__file__).resolve().parents[2] / "arraylosses")


def _who(exc: BaseException) -> str:
    """``ours`` where the traceback passes through our package (outside its test kit: ours is
    called there, a peer never), else ``the peer``."""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.startswith(_OURS) and "/testing/" not in name:
            return "ours"
        tb = tb.tb_next
    return "the peer"


def _array(x: Any) -> np.ndarray:
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        return np.asarray(np.asarray(x).astype(np.float32), dtype=np.float64)


def compare(ours: list[Any], theirs: list[Any], rtol: float, atol: float) -> str:
    """The first difference between the parts (value(s), then gradients), or ``""``."""
    if len(ours) != len(theirs):
        return f"ours has {len(ours)} parts, the peer {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        try:
            # actual: the peer's, expected: ours
            assert_close(_array(b), _array(a), rtol=rtol, atol=atol, err_msg=f"part {i}, peer")
        except AssertionError as err:
            return str(err)[:400]
    return ""


def _pair_based(check: Any) -> bool:
    return getattr(check.run, "__qualname__", "") == "pair.<locals>.run"


def audit_check(check: Any, kinds: tuple[str, ...] = KINDS) -> tuple[list[Finding], list[str]]:
    """The findings of one check over ``kinds``, and the kinds it ran."""
    from arraylosses.testing import pair_dtype

    found: list[Finding] = []
    ran: list[str] = []

    def finding(kind: str, detail: str) -> None:
        found.append(Finding(check.column, check.function, check.peer, kind, detail))

    base = check.inputs()
    first = _call(check.run, base)
    if isinstance(first, str):
        finding("registry", first)
        return found, ["registry"]
    ran.append("registry")
    ours, theirs = first
    rtol, atol = check.rtol, check.atol
    diff = compare(ours, theirs, rtol, atol)
    if diff:
        finding("registry", diff)
        # the hostile kinds then at float32 rounding, so they report what is new in them
        rtol, atol = max(rtol, 1e-5), max(atol, 1e-6)
    if "float64" in kinds:
        ran.append("float64")
        for i, (a, b) in enumerate(zip(ours, theirs, strict=False)):
            da, db = np.asarray(a).dtype, np.asarray(b).dtype
            if da == np.float64 and db != np.float64:
                finding("float64", f"part {i}: ours float64, the peer {db}")
                break
    for kind in kinds:
        if kind in TRANSFORMS:
            hostile = TRANSFORMS[kind](base)
            if hostile is None:
                continue
            ran.append(kind)
            got = _call(check.run, hostile)
            if isinstance(got, str):
                finding(kind, got)
                continue
            diff = compare(got[0], got[1], rtol, atol)
            if diff:
                finding(kind, diff)
        elif kind in ("float16", "bfloat16") and _pair_based(check):
            with pair_dtype(kind):
                low = _call(check.run, base)
            if isinstance(low, str):
                continue  # the peer (or the backend) does not accept the dtype
            ran.append(kind)
            ref = _call(check.run, _rounded(base, kind))
            if isinstance(ref, str):
                continue
            low_rtol, low_atol = tolerance(kind)
            diff = compare(ref[0], low[1], max(low_rtol, rtol), max(low_atol, atol))
            if diff:
                finding(kind, "the peer in " + kind + " vs ours in float64: " + diff)
            own = compare(ref[0], low[0], low_rtol, low_atol)
            if own:
                finding(kind, "OURS in " + kind + " vs ours in float64: " + own)
    return found, ran


def versions() -> dict[str, str]:
    """The installed versions of the peers and backends."""
    from importlib import metadata

    names = [
        "numpy", "scipy", "torch", "jax", "optax", "keras", "scikit-learn", "torchmetrics",
        "pytorch-metric-learning", "sentence-transformers", "rax", "pytrec-eval-terrier",
        "lightly", "pylate",
    ]  # fmt: skip
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def sweep(
    checks: Any, kinds: tuple[str, ...] = KINDS, per_function: int = 2, log: Any = None
) -> dict[str, Any]:
    """Every check on the registry's inputs; the hostile kinds on the first ``per_function``
    checks of each (function, column) (``0``: all of them; the others are the same function's
    parameter sets, mostly one code path). Returns the findings, what ran, the time."""
    start = time.perf_counter()
    findings: list[Finding] = []
    seen: dict[tuple[str, str], int] = {}
    ran = 0
    skipped: list[str] = []
    kinds_ran: dict[str, int] = dict.fromkeys(KINDS, 0)
    for check in checks:
        reason = check.available()
        if reason is not None:
            skipped.append(f"{check.function} ~ {check.peer}: {reason}")
            continue
        key = (check.function, check.column)
        seen[key] = seen.get(key, 0) + 1
        hostile = per_function == 0 or seen[key] <= per_function
        got, done = audit_check(check, kinds if hostile else ("registry", "float64"))
        for kind in done:
            kinds_ran[kind] += 1
        ran += 1
        findings.extend(got)
        if log is not None:
            log(f"{ran:4d} {time.perf_counter() - start:7.1f}s {check.function} ~ {check.peer}")
    return {
        "checks": ran,
        "skipped": skipped,
        "kinds_ran": kinds_ran,
        "findings": findings,
        "seconds": time.perf_counter() - start,
    }
