"""What a registry entry is: :class:`Case`, the one record of a public function. It holds the
function's input builder and parameter sets (:class:`Params`, with the marker :class:`Ref` for an
input array passed by keyword), its kind, the arguments it differentiates, how its inputs go
degenerate (:class:`Hostile`), its peers, what the framework adapters need to know
(:class:`Adapter`), its docs family and its declared exceptions, each with its reason. The
checks, the docs and the adapters read these fields; nothing restates them in a side table."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._peer import PeerCheck
from ..inputs import Arrays

__all__ = [
    "ALL_DIRECTIONS",
    "BROADCAST_WEIGHT_PARAMS",
    "EXCEPTIONS",
    "KINDS",
    "MONOTONE",
    "REDUCTION_PARAMS",
    "TRAITS",
    "Adapter",
    "Case",
    "Hostile",
    "Owned",
    "Params",
    "Ref",
]

KINDS = ("loss", "in_batch", "metric", "streaming", "function")
"""What a case is. ``loss``: a loss with a ``reduction`` over its own rows (or one value of a
batch: CoSENT, the regularisers); ``in_batch``: a loss over the batch's similarity matrix
(its rows are each other's negatives: sharded with ``offset`` where it says so, tiled with
``chunk_size``); ``metric``: an evaluation metric; ``streaming``: a streaming metric's
``(init, update, merge, compute)`` driven as one call; ``function``: neither (similarities,
``l2_normalize``, ``top_k_search`` and its streaming parts)."""

TRAITS = ("elementwise", "softmax", "binary")
"""Families of properties a case opts into (``tests/test_properties.py``): ``elementwise``, a
loss of ``(pred, target)`` shaped like ``|residual|`` (nonnegative, zero at the target);
``softmax``, a loss of ``(logits, class indices)`` (invariant under a shift of the logits);
``binary``, one logit or margin score per element against 0/1 targets."""

EXCEPTIONS = {
    "mean_of_none": "``reduction='mean'`` is not the mean of ``reduction='none'``",
    "mean_over_units": "``reduction='mean'`` is ``Σ w·l / Σ w·n``: each row's ``'none'`` value "
    "is a sum over its ``n`` units (pairs, triplets), and the mean is over the units",
}
"""The declared departures from a rule that the checks otherwise apply to every case of its
kind; a case names one with its reason (``exceptions={"mean_of_none": "why"}``)."""

MONOTONE = (
    "the loss is monotone in it, so minimising the loss over it only runs it to the end of its "
    "range; learnable are the positive scales (temperature, scale, logit_scale: in log space) "
    "and SigLIP's logit_bias"
)
"""Why a margin, threshold or weight is not learnable (``Adapter.not_learnable``)."""

BatchSpec = str | tuple[str, tuple[int, ...]]

MINUS_INF_PLACES = ("off_target", "no_mass", "masked", "column")
"""Where :attr:`Hostile.minus_inf` puts ``-inf`` (the masked logits of a softmax-based
function)."""


@dataclass(frozen=True)
class Hostile:
    """How one case's inputs go degenerate for the hostile sweep (``conformance/hostile.py``,
    which documents each kind); ``None`` means derived from the case.

    ``nan``: the inputs that get a NaN; ``batch``: the inputs (and axes) cut to an empty batch;
    ``empty``: the empty-batch rule (``"auto"``, ``"loss"``, ``"nan"``, ``"zero"``,
    ``"array"``, or the exception class the function documents); ``zero`` and ``constant``:
    the inputs zeroed; ``scale``: ``(input, factor)`` pairs for the low-precision check;
    ``extreme``: parameter sets at the edge of the documented range; ``skip``: ``(kind,
    reason)`` for a kind that cannot apply; ``state_from``: the result's parts from this
    index on are a streaming state, not the metric's value. ``minus_inf``: the declaration
    that the function is softmax-based (its scores go through a softmax, a log-softmax or a
    log-sum-exp) or takes ``-inf`` as the padding of a masked list, as ``(input, where,
    other)`` triples: the input that takes ``-inf`` as a masked logit and where,
    ``"off_target"`` (the classes other than the label in ``other``), ``"no_mass"`` (classes
    whose probability in the target ``other`` is set to 0), ``"masked"`` (the
    entries the boolean mask ``other`` leaves out; its first list all padding) or
    ``"column"`` (the first candidate of every row, ``other`` unused).
    """

    nan: tuple[str, ...] | None = None
    batch: tuple[BatchSpec, ...] | None = None
    empty: Any = "auto"
    zero: tuple[str, ...] | None = None
    constant: tuple[str, ...] | None = None
    scale: tuple[tuple[str, float], ...] = ()
    extreme: tuple[dict[str, Any], ...] = ()
    skip: tuple[tuple[str, str], ...] = field(default=())
    state_from: int | None = None
    minus_inf: tuple[tuple[str, str, str], ...] = ()

    def __post_init__(self) -> None:
        for _, where, _ in self.minus_inf:
            if where not in MINUS_INF_PLACES:
                raise ValueError(
                    f"minus_inf place must be one of {MINUS_INF_PLACES}; got {where!r}"
                )

    def skipped(self, kind: str) -> str | None:
        return dict(self.skip).get(kind)


@dataclass(frozen=True)
class Owned:
    """An array argument that a generated ``torch.nn.Module`` owns as an ``nn.Parameter`` (the
    proxies of a proxy loss), as the peer's module owns its weights: ``shape`` names the
    constructor's size arguments (``("num_classes", "embedding_size")``), ``init`` the
    ``torch.nn.init`` function that fills it in that layout (``"normal_"``;
    ``"kaiming_normal_fan_out"``: ``kaiming_normal_(mode="fan_out")``), ``defaults`` the sizes
    that have one (``{"sub_centers": 3}``)."""

    shape: tuple[str, ...]
    init: str = "normal_"
    defaults: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.init not in ("normal_", "kaiming_normal_fan_out"):
            raise ValueError(f"unknown init {self.init!r}")


@dataclass(frozen=True, kw_only=True)
class Adapter:
    """What the framework adapters (:mod:`arraylosses.torch`, :mod:`arraylosses.keras`) need
    to know about a loss.

    ``index_target``: Keras hands ``y_true`` as a float array; the loss takes class indices,
    so the Keras adapter casts (and drops Keras' trailing axis of 1). ``always_int``: the
    same cast even where ``y_true`` has the logits' rank (SupCon's labels). ``per_batch``:
    keyword arguments that belong to one batch (or one rank), not to the loss: the torch
    module takes them in ``forward`` only. ``learnable``: the scalar hyperparameters the torch
    module may train (``nn.Parameter``): those whose learning is not degenerate (the positive
    scales; a loss monotone in a margin only runs it to the end of its range).
    ``positive``: those of them that must stay positive, learned in log space.
    ``not_learnable``: ``{name: why}`` for a scalar hyperparameter refused for a reason of
    its own (the general one is the monotone loss). ``module``: whether a torch module is
    generated at all (``matryoshka`` is a combinator with its own class). ``owned``: the array
    arguments the module owns as parameters (:class:`Owned`), sized by constructor arguments.
    """

    index_target: bool = False
    always_int: bool = False
    per_batch: tuple[str, ...] = ("sample_weight",)
    learnable: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()
    not_learnable: Mapping[str, str] = field(default_factory=dict)
    module: bool = True
    owned: Mapping[str, Owned] = field(default_factory=dict)

    def __post_init__(self) -> None:
        stray = [n for n in self.positive if n not in self.learnable]
        if stray:
            raise ValueError(f"positive names {stray} that are not learnable {self.learnable}")
        both = [n for n in self.not_learnable if n in self.learnable]
        if both:
            raise ValueError(f"{both} are declared learnable and not learnable")


@dataclass(frozen=True)
class Ref:
    """A keyword argument that is the builder's array ``name`` (``sample_weight=Ref("weight")``)."""

    name: str

    def __repr__(self) -> str:
        return f"Ref({self.name!r})"


class Params:
    """One parameter set: the keyword arguments (a :class:`Ref` stands for a builder array), the
    builder arrays passed positionally when they are not the case's ``args``, and whether the
    gradient is checked against finite differences.

    ``finite_differences=False`` marks a set that holds a ``stop_gradient`` by design: its
    gradient is not the derivative of its value, so it is checked against the peer's (or by the
    function's own tests) instead. ``unswept`` (a reason) leaves the set out of the hostile
    sweep's NaN and empty-batch kinds, which run on every parameter set that passes other
    arrays: a set whose batch is not the leading axis, or whose NaN lands where the function
    documents that it does not count (an ignored label, a removed accidental hit).
    """

    __slots__ = ("args", "finite_differences", "kwargs", "unswept")

    args: tuple[str, ...] | None
    finite_differences: bool
    kwargs: Mapping[str, Any]
    unswept: str

    def __init__(
        self,
        *,
        args: tuple[str, ...] | None = None,
        finite_differences: bool = True,
        unswept: str = "",
        **kwargs: Any,
    ) -> None:
        self.args = args
        self.finite_differences = finite_differences
        self.unswept = unswept
        self.kwargs = dict(kwargs)

    def with_(self, **kwargs: Any) -> Params:
        """These parameters with ``kwargs`` added (replacing the same keywords)."""
        return Params(
            args=self.args,
            finite_differences=self.finite_differences,
            unswept=self.unswept,
            **{**self.kwargs, **kwargs},
        )

    def refs(self) -> dict[str, str]:
        """``{keyword: builder array name}`` of the keywords that are arrays."""
        return {k: v.name for k, v in self.kwargs.items() if isinstance(v, Ref)}

    def static(self) -> dict[str, Any]:
        """The keywords that are not arrays (Python values, passed as they are)."""
        return {k: v for k, v in self.kwargs.items() if not isinstance(v, Ref)}

    @property
    def label(self) -> str:
        parts = [f"args={self.args}"] if self.args is not None else []
        parts += [f"{k}={v}" for k, v in self.kwargs.items()]
        if not self.finite_differences:
            parts.append("finite_differences=False")
        return ", ".join(parts) or "defaults"

    def __repr__(self) -> str:
        return f"Params({self.label})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Params):
            return NotImplemented
        return (self.args, self.finite_differences, self.kwargs) == (
            other.args,
            other.finite_differences,
            other.kwargs,
        )

    __hash__ = None  # type: ignore[assignment]


def _public_name(fn: Callable[..., Any]) -> str:
    """``"huber_loss"``, or ``"metrics.r2_score"`` for a function of :mod:`arraylosses.metrics`."""
    module = getattr(fn, "__module__", "") or ""
    prefix = "metrics." if module.startswith("arraylosses.metrics") else ""
    return prefix + fn.__name__


@dataclass(frozen=True, kw_only=True)
class Case:
    """How to exercise one public function.

    ``inputs(rng)`` returns named NumPy arrays (a builder of :mod:`arraylosses.testing.inputs`);
    the arrays named in ``args`` are passed positionally unless a parameter set names its own.
    ``grad`` lists the arrays to differentiate (those a parameter set does not use are skipped).
    ``public`` is the public object when ``fn`` is a registry wrapper around it (matryoshka,
    which builds a loss). The case's ``name`` is the public object's ``__name__``,
    ``"metrics."``-prefixed for :mod:`arraylosses.metrics`; pass ``name`` only for an alias
    (``mae_loss = l1_loss``).
    """

    fn: Callable[..., Any]
    inputs: Callable[[np.random.Generator], Arrays]
    args: tuple[str, ...]
    params: tuple[Params, ...] = (Params(),)
    grad: tuple[str, ...] = ()
    public: Callable[..., Any] | None = None
    no_grad: str = ""  # why there is no gradient to check (piecewise-constant metrics)
    notes: str = ""
    peers: tuple[str, ...] = ()
    # the peer calls themselves (arraylosses.testing._peer.peer); their columns are added to
    # ``peers``. The older families keep theirs in the source tree's conformance/peers/.
    checks: tuple[PeerCheck, ...] = ()
    name: str = ""  # only for an alias, whose function object carries the other name
    kind: str = "loss"
    traits: tuple[str, ...] = ()
    hostile: Hostile = Hostile()
    adapter: Adapter = Adapter()
    exceptions: Mapping[str, str] = field(default_factory=dict)
    # the name of its by-definition NumPy float64 reference in the source tree's
    # tests/reference.py, which takes the case's call (tests/test_by_definition.py runs it on
    # every parameter set and backend): a function without a peer needs one
    reference: str = ""
    family: str = ""  # the registry module (the docs family): set by the registry

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", _public_name(self.public or self.fn))
        if self.checks:
            named = tuple(dict.fromkeys((*self.peers, *(c.column for c in self.checks))))
            object.__setattr__(self, "peers", named)
            object.__setattr__(
                self, "checks", tuple(replace(c, function=self.name) for c in self.checks)
            )
        for params in self.params:
            if not isinstance(params, Params):
                raise TypeError(f"{self.name}: parameter sets must be Params; got {params!r}")
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {KINDS}; got {self.kind!r}")
        for what, names, known in (
            ("traits", self.traits, TRAITS),
            ("exceptions", tuple(self.exceptions), tuple(EXCEPTIONS)),
        ):
            unknown = [n for n in names if n not in known]
            if unknown:
                raise ValueError(f"{self.name}: unknown {what} {unknown}; known: {known}")
        for name, why in self.exceptions.items():
            if not why.strip():
                raise ValueError(f"{self.name}: the exception {name!r} needs its reason")

    def positional(self, params: Params) -> tuple[str, ...]:
        """The builder arrays ``params`` passes positionally."""
        return self.args if params.args is None else params.args

    def arguments(self, params: Params, arrays: Arrays) -> tuple[tuple, dict[str, Any]]:
        """``(positional arrays, keyword arguments)`` of ``params`` over the builder's
        ``arrays`` (each :class:`Ref` replaced by its array)."""
        kwargs = {k: arrays[v.name] if isinstance(v, Ref) else v for k, v in params.kwargs.items()}
        return tuple(arrays[n] for n in self.positional(params)), kwargs

    def variants(self, rng: np.random.Generator) -> Iterator[tuple[str, tuple, dict]]:
        """``(label, positional arrays, keyword arguments)`` per parameter set, NumPy float64."""
        arrays = self.inputs(rng)
        for params in self.params:
            yield (params.label, *self.arguments(params, arrays))

    def accepts(self, keyword: str) -> bool:
        """Whether ``fn`` takes the keyword argument ``keyword``. A registry wrapper around the
        public object (``public`` set) passes its ``**kwargs`` through to the wrapped loss."""
        parameters = inspect.signature(self.fn).parameters
        if keyword in parameters:
            return True
        var_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        return var_keyword and self.public is not None

    def grad_names(self, params: Params) -> list[tuple[str, int | str]]:
        """``(array name, position or keyword)`` of each input of ``params`` to check against
        finite differences (none where ``params.finite_differences`` is False)."""
        if not params.finite_differences:
            return []
        used: dict[str, int | str] = {n: i for i, n in enumerate(self.positional(params))}
        used.update({name: k for k, name in params.refs().items()})
        return [(n, used[n]) for n in self.grad if n in used]


REDUCTION_PARAMS: tuple[Params, ...] = (
    Params(),
    Params(reduction="sum"),
    Params(reduction="none"),
    Params(sample_weight=Ref("weight")),
)
"""Each reduction, and a per-sample weight (the builder has ``weight``)."""

BROADCAST_WEIGHT_PARAMS: tuple[Params, ...] = (
    Params(sample_weight=Ref("row_weight"), reduction="sum"),
    Params(sample_weight=Ref("weight"), reduction="none"),
)
"""A weight broadcast along the rows, and a weight with ``reduction="none"`` (the builder has
``weight`` and ``row_weight``)."""

ALL_DIRECTIONS = ("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc")
"""Every direction of :func:`arraylosses.multiple_negatives_ranking_loss`."""
