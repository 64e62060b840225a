"""``torch.nn.Module`` forms of arraylosses' losses and streaming metrics.

Importing this module imports torch (importing :mod:`arraylosses` does not); install from a
clone with ``pip install ".[torch]"``. The classes are
generated from the catalogue, one per public loss function, by :func:`loss_module`: the
constructor takes the function's keyword hyperparameters, ``forward(*arrays, **kw)`` calls
the function (keywords given to ``forward`` override the constructor's)::

    import torch, arraylosses.torch as alt

    loss = alt.InfoNCE(temperature=0.05, symmetric=True, learnable=("temperature",))
    loss(query, positive).backward()  # loss.temperature is an nn.Parameter

Class names are the function names in CamelCase (``info_nce`` -> ``InfoNCE``,
``multiple_negatives_ranking_loss`` -> ``MultipleNegativesRankingLoss``; :data:`LOSSES` maps
each class name to its function). ``learnable=`` makes named hyperparameters trainable
(initialised at the given value, float32; :attr:`LossModule.learnable_names` lists them):

* the positive scales, ``temperature`` (InfoNCE, NT-Xent), ``logit_scale`` (CLIP, SigLIP) and
  ``scale`` (MNRL, CoSENT, AnglE), are learned in log space, as CLIP learns its logit scale:
  the ``nn.Parameter`` is ``log_temperature`` (``log_scale``...), the loss gets its ``exp``, so
  the value stays positive whatever the optimiser does; ``clamp={"logit_scale": (None, 100.0)}``
  bounds the value (CLIP's clamp at 100; the gradient is 0 beyond the bound).
  ``module.temperature`` reads the current value;
* SigLIP's ``logit_bias`` is learned as it is (any real number is in its domain).

The other scalar hyperparameters (margins, ``delta``, ``beta``, ``quantile``, focal
``alpha``, poly-1 ``epsilon``, SupCon's ``temperature`` and ``base_temperature``) are not
offered: the loss is monotone in each, so minimising it over one only runs it to the end of its
range (measured, 300 Adam steps at lr 0.05: Huber's ``delta`` 1 -> -22.7, the triplet margin
1 -> -2.7, SupCon's temperature 0.07 -> -15.7 with the loss at -356, since SupCon multiplies
the loss by ``temperature / base_temperature``). Pass a tensor for them if you train one with a
term of your own.

Streaming metrics (:mod:`arraylosses.metrics.streaming`) are :class:`MetricModule`
modules with ``update``, ``compute``, ``reset`` and ``sync`` (one collective across ranks
with :func:`arraylosses.metrics.streaming.distributed.torch_merge` when torch.distributed is
initialised); :data:`METRICS` maps each class name to its factory.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import nn

import arraylosses as _al
from arraylosses._validate import integer, number
from arraylosses.metrics import streaming as _streaming
from arraylosses.metrics.streaming.distributed import torch_merge as _torch_merge

__all__ = ["LOSSES", "METRICS", "LossModule", "Matryoshka", "MetricModule", "loss_module"]

_ACRONYMS = {
    "nce": "NCE",
    "bpr": "BPR",
    "nll": "NLL",
    "mse": "MSE",
    "mae": "MAE",
    "clip": "CLIP",
    "siglip": "SigLIP",
    "kl": "KL",
    "csar": "CSAR",
    "nt": "NT",
    "l1": "L1",
    "f1": "F1",
    "mrr": "MRR",
    "ndcg": "NDCG",
    "map": "MAP",
    "r2": "R2",
    "roc": "ROC",
    "auc": "AUC",
    "supcon": "SupCon",
    "listnet": "ListNet",
    "cosent": "CoSENT",
    "angle": "AnglE",
    "dcl": "DCL",
    "dclw": "DCLW",
    "vicreg": "VICReg",
    "koleo": "KoLeo",
    "arcface": "ArcFace",
    "cosface": "CosFace",
    "gist": "GIST",
    "mle": "MLE",
    "maxsim": "MaxSim",
}


# renamed: arraylosses.metrics.streaming.StreamingMetric and arraylosses.sentence_transformers.
# ArrayLoss are other classes; one public name, one class
_RENAMED = {"ArrayLoss": "LossModule", "StreamingMetric": "MetricModule"}


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        raise AttributeError(
            f"arraylosses.torch.{name} is now arraylosses.torch.{_RENAMED[name]} "
            f"({name} names another class of arraylosses)"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _camel(name: str) -> str:
    return "".join(_ACRONYMS.get(p, p.capitalize()) for p in name.split("_"))


class _Facts:
    """What a module needs to know about its function: its record's :class:`Adapter` (a function
    outside the catalogue gets the defaults), with what :func:`loss_module` was given in place
    of the record's fields."""

    def __init__(
        self,
        fn: Callable[..., Any],
        per_batch: tuple[str, ...] | None = None,
        learnable: tuple[str, ...] | None = None,
        positive: tuple[str, ...] | None = None,
    ) -> None:
        from arraylosses.testing.cases import Adapter, record_of

        record = record_of(fn)
        given = {"per_batch": per_batch, "learnable": learnable, "positive": positive}
        changes: dict[str, Any] = {k: tuple(v) for k, v in given.items() if v is not None}
        adapter = dataclasses.replace(
            record.adapter if record is not None else Adapter(), **changes
        )  # Adapter checks that the positive names are learnable
        self.per_batch = adapter.per_batch
        self.learnable = adapter.learnable
        self.positive = adapter.positive
        self.not_learnable = dict(adapter.not_learnable)
        self.owned = dict(adapter.owned)

    def why_not(self, name: str) -> str:
        """Why the hyperparameter ``name`` is not learnable."""
        from arraylosses.testing.cases import MONOTONE

        return self.not_learnable.get(name, MONOTONE)


def _check_clamp(cls_name: str, clamp: Any, log_space: tuple[str, ...]) -> dict[str, Any]:
    """``clamp`` as ``{name: (log low or None, log high or None)}``, checked."""
    out: dict[str, Any] = {}
    for key, bounds in dict(clamp or {}).items():
        if key not in log_space:
            raise ValueError(
                f"{cls_name}: clamp applies to the learnable positive scales "
                f"{list(log_space) or '(none learnable here)'}; got {key!r}"
            )
        if not isinstance(bounds, tuple | list) or len(bounds) != 2:
            raise TypeError(f"{cls_name}: clamp[{key!r}] must be (low, high); got {bounds!r}")
        low, high = (None if b is None else number(f"clamp[{key!r}]", b) for b in bounds)
        if (low is not None and low <= 0) or (high is not None and high <= 0):
            raise ValueError(f"{cls_name}: clamp[{key!r}] bounds must be positive; got {bounds}")
        if low is not None and high is not None and not low < high:
            raise ValueError(f"{cls_name}: clamp[{key!r}] needs low < high; got {bounds}")
        out[key] = tuple(None if b is None else math.log(b) for b in (low, high))
    return out


class LossModule(nn.Module):
    """Base class of the generated loss modules: ``fn`` with fixed keyword hyperparameters.

    Tensors given as hyperparameters are buffers (they follow ``.to(device)``); the names in
    ``learnable`` are trained: a positive scale (``temperature``, ``scale``, ``logit_scale``)
    as the ``nn.Parameter`` ``log_<name>``, whose ``exp`` (bounded by ``clamp``, if given) the
    loss receives and ``module.<name>`` returns; ``logit_bias`` as the ``nn.Parameter``
    ``logit_bias``.

    Array arguments the record says the module owns (the proxies of a proxy loss) are
    ``nn.Parameter`` s sized by constructor arguments (``num_classes``, ``embedding_size``...)
    and initialised as the peer initialises them; ``forward`` passes them.

    Args:
        learnable: names of hyperparameters to train (:attr:`learnable_names`).
        clamp: ``{name: (low, high)}``, bounds of a learnable positive scale's value (``None``:
            unbounded on that side), e.g. ``{"logit_scale": (None, 100.0)}`` as CLIP. The
            gradient is 0 beyond a bound.
        **hyperparameters: the function's keyword hyperparameters (initial values of the
            learnable ones).
    """

    fn: ClassVar[Callable[..., Any]]
    hyperparameter_names: ClassVar[tuple[str, ...]] = ()
    learnable_names: ClassVar[tuple[str, ...]] = ()
    _facts: ClassVar[_Facts]

    def __init__(
        self,
        *,
        learnable: tuple[str, ...] | list[str] = (),
        clamp: dict[str, tuple[float | None, float | None]] | None = None,
        **hyperparameters: Any,
    ):
        super().__init__()
        name = type(self).__name__
        sizes = {n: hyperparameters.pop(n) for n in self._size_names() if n in hyperparameters}
        unknown = set(hyperparameters) - set(self.hyperparameter_names)
        if unknown:
            raise TypeError(
                f"{name} takes the hyperparameters {list(self.hyperparameter_names)}; got "
                f"{sorted(unknown)} (per-batch arrays such as sample_weight go to forward)"
            )
        if isinstance(learnable, str):
            learnable = (learnable,)
        bad = [n for n in learnable if n not in self.learnable_names]
        if bad:
            why = "; ".join(
                f"{n}: {self._facts.why_not(n)}" for n in bad if n in self.hyperparameter_names
            )
            raise ValueError(
                f"{name}: {bad} cannot be learnable{' (' + why + ')' if why else ''}; learnable "
                f"hyperparameters of {self.fn.__name__}: {list(self.learnable_names) or 'none'}"
            )
        defaults = {
            p.name: p.default
            for p in inspect.signature(self.fn).parameters.values()
            if p.name in self.hyperparameter_names
        }
        self._static: dict[str, Any] = {}
        self._tensors: list[str] = []
        self._learnable = tuple(learnable)
        self._log_space = tuple(n for n in self._learnable if n in self._facts.positive)
        self._clamp = _check_clamp(name, clamp, self._log_space)
        for key, value in hyperparameters.items():
            if key in learnable:
                continue
            if isinstance(value, torch.Tensor):
                self.register_buffer(key, value)
                self._tensors.append(key)
            else:
                self._static[key] = value
        self._owned = tuple(self._facts.owned)
        for key, owned in self._facts.owned.items():
            setattr(self, key, _owned_parameter(name, owned, sizes))
        for key in self._learnable:
            value = hyperparameters.get(key, defaults[key])
            if value is None:
                raise ValueError(f"{name}: learnable {key!r} needs an initial value")
            init = torch.as_tensor(value, dtype=torch.get_default_dtype()).detach().clone()
            if init.ndim != 0:
                raise ValueError(
                    f"{name}: learnable {key!r} must be a scalar; got {tuple(init.shape)}"
                )
            if key in self._log_space:
                if not bool(init > 0):
                    raise ValueError(
                        f"{name}: learnable {key!r} is learned in log space and must start "
                        f"positive; got {float(init)}"
                    )
                setattr(self, f"log_{key}", nn.Parameter(torch.log(init)))
            else:
                setattr(self, key, nn.Parameter(init))

    @classmethod
    def _size_names(cls) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for o in cls._facts.owned.values() for n in o.shape))

    def _learned(self, key: str) -> Any:
        """The value given to ``fn`` for the learnable ``key``."""
        if key not in self._log_space:
            return getattr(self, key)
        log_value = getattr(self, f"log_{key}")
        low, high = self._clamp.get(key, (None, None))
        if low is not None or high is not None:
            log_value = torch.clamp(log_value, min=low, max=high)
        return torch.exp(log_value)

    def __getattr__(self, key: str) -> Any:
        if key in self.__dict__.get("_log_space", ()):
            return self._learned(key)
        return super().__getattr__(key)

    def hyperparameters(self) -> dict[str, Any]:
        """The keyword arguments this module passes to ``fn`` (parameters and buffers too)."""
        out = dict(self._static)
        for key in self._tensors:
            out[key] = getattr(self, key)
        for key in self._learnable:
            out[key] = self._learned(key)
        return out

    def forward(self, *arrays: Any, **kwargs: Any) -> Any:
        owned = {key: getattr(self, key) for key in self._owned}
        return type(self).fn(*arrays, **{**owned, **self.hyperparameters(), **kwargs})

    def extra_repr(self) -> str:
        parts = [f"{k}=Parameter{tuple(getattr(self, k).shape)}" for k in self._owned]
        parts += [f"{k}={v!r}" for k, v in self._static.items()]
        parts += [f"{k}=tensor{tuple(getattr(self, k).shape)}" for k in self._tensors]
        for k in self._learnable:
            value = f"{k}={float(self._learned(k).detach()):.6g} (learnable"
            if k in self._clamp:
                low, high = (math.exp(b) if b is not None else None for b in self._clamp[k])
                value += f", clamped to [{low or 0:g}, {high or math.inf:g}]"
            parts.append(value + ")")
        return ", ".join(parts)


def _owned_parameter(cls_name: str, owned: Any, sizes: dict[str, Any]) -> nn.Parameter:
    """The ``nn.Parameter`` of an owned array, sized from the constructor's ``sizes``."""
    shape = []
    for n in owned.shape:
        value = sizes.get(n, owned.defaults.get(n))
        if value is None:
            raise TypeError(f"{cls_name} needs {n}= (the size of its owned {list(owned.shape)})")
        shape.append(integer(n, value, low=1))
    tensor = torch.empty(shape, dtype=torch.get_default_dtype())
    if owned.init == "kaiming_normal_fan_out":
        nn.init.kaiming_normal_(tensor, mode="fan_out")
    else:
        nn.init.normal_(tensor)
    return nn.Parameter(tensor)


def loss_module(
    fn: Callable[..., Any],
    name: str | None = None,
    *,
    per_batch: tuple[str, ...] | None = None,
    learnable: tuple[str, ...] | None = None,
    positive: tuple[str, ...] | None = None,
) -> type[LossModule]:
    """A :class:`LossModule` subclass for the loss function ``fn`` (how every class here is
    made; works for your own array-API function too).

    For a function of the catalogue, what the module needs comes from its registry record
    (``arraylosses.testing.cases``, the ``adapter`` field); for your own, pass it: ``per_batch``,
    the keyword arrays that go to ``forward`` (default ``("sample_weight",)``); ``learnable``,
    the scalar hyperparameters ``learnable=`` may train (default none); ``positive``, those of
    them learned in log space.
    """
    facts = _Facts(fn, per_batch, learnable, positive)
    params = inspect.signature(fn).parameters.values()
    hyper = tuple(
        p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name not in facts.per_batch
    )
    cls_name = name or _camel(fn.__name__)
    offered = [n for n in facts.learnable if n in hyper]
    doc = (
        f"``torch.nn.Module`` form of :func:`{fn.__module__}.{fn.__name__}`: keyword "
        f"hyperparameters {list(hyper)} in the constructor (``learnable=`` any of "
        f"{offered}), arrays in ``forward``."
    )
    for key, owned in facts.owned.items():
        doc += (
            f" Owns ``{key}`` as an ``nn.Parameter`` of shape ``({', '.join(owned.shape)})``, "
            f"from the constructor's size arguments ({owned.init} init, as the peer's module)."
        )
    if facts.not_learnable:
        doc += (
            " Not learnable: "
            + "; ".join(f"``{n}``: {why}" for n, why in facts.not_learnable.items())
            + "."
        )
    return type(
        cls_name,
        (LossModule,),
        {
            "fn": staticmethod(fn),
            "_facts": facts,
            "hyperparameter_names": hyper,
            "learnable_names": tuple(offered),
            "__doc__": doc,
            "__module__": __name__,
            "__qualname__": cls_name,
        },
    )


class Matryoshka(nn.Module):
    """:func:`arraylosses.matryoshka` around a loss module: the inner loss (and its learnable
    hyperparameters) at every dim of ``dims``, weighted by ``dim_weights`` and summed. MNRL
    keeps :func:`~arraylosses.matryoshka`'s one-pass fast path."""

    def __init__(self, loss: LossModule, dims: Any, dim_weights: Any = None) -> None:
        super().__init__()
        if not isinstance(loss, LossModule):
            raise TypeError(f"loss must be an arraylosses.torch module; got {type(loss).__name__}")
        self.loss = loss
        self.dims = list(dims)
        self.dim_weights = None if dim_weights is None else list(dim_weights)
        self._fn = _al.matryoshka(type(loss).fn, self.dims, dim_weights=self.dim_weights)

    def forward(self, *arrays: Any, **kwargs: Any) -> Any:
        return self._fn(*arrays, **{**self.loss.hyperparameters(), **kwargs})

    def extra_repr(self) -> str:
        return f"dims={self.dims}, dim_weights={self.dim_weights}"


class MetricModule(nn.Module):
    """A streaming metric of :mod:`arraylosses.metrics.streaming` as a module.

    ``update(*data, **kw)`` adds a batch (the streaming metric's data arguments, which are
    the one-shot metric's; no gradient), ``compute()`` gives the metric
    of everything counted on this rank, ``sync()`` replaces the state by the merge of every
    rank's (one ``all_gather``; a no-op unless torch.distributed is initialised), ``reset()``
    empties it; ``forward`` updates and returns the metric of that batch alone. ``dtype`` sets
    the floating dtype of the state's sums (default: the first batch's); pass it where a rank
    may see no batch before ``sync`` (its empty state is then made in ``dtype``, float32 if
    None, on ``device``).
    """

    factory: ClassVar[Callable[..., Any]]

    def __init__(self, *, dtype: Any = None, device: Any = None, **hyperparameters: Any):
        super().__init__()
        self.metric = type(self).factory(**hyperparameters)
        self._hyper = hyperparameters
        self.dtype = dtype
        self.device = device
        self.state: Any = None

    def reset(self) -> None:
        self.state = None

    def _empty(self, like: Any = None) -> Any:
        if like is not None:
            return self.metric.init(like, dtype=self.dtype)
        return self.metric.init(torch, dtype=self.dtype or torch.float32, device=self.device)

    @torch.no_grad()
    def update(self, *data: Any, **kwargs: Any) -> None:
        state = self._empty(data[0]) if self.state is None else self.state
        self.state = self.metric.update(state, *data, **kwargs)

    @torch.no_grad()
    def compute(self) -> Any:
        return self.metric.compute(self._empty() if self.state is None else self.state)

    @torch.no_grad()
    def sync(self, group: Any = None) -> MetricModule:
        """Merge every rank's state into this one (all ranks must call it)."""
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            state = self._empty() if self.state is None else self.state
            self.state = _torch_merge(self.metric, state, group=group)
        return self

    @torch.no_grad()
    def forward(self, *data: Any, **kwargs: Any) -> Any:
        batch = self.metric.update(self._empty(data[0]), *data, **kwargs)
        state = batch if self.state is None else self.metric.merge(self.state, batch)
        self.state = state
        return self.metric.compute(batch)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self._hyper.items())


def _metric_module(factory: Callable[..., Any]) -> type[MetricModule]:
    cls_name = _camel(factory.__name__)
    return type(
        cls_name,
        (MetricModule,),
        {
            "factory": staticmethod(factory),
            "__doc__": f"Module form of :func:`arraylosses.metrics.streaming.{factory.__name__}`"
            " (see :class:`MetricModule`).",
            "__module__": __name__,
            "__qualname__": cls_name,
        },
    )


def _catalogue_losses() -> dict[str, Callable[..., Any]]:
    """Class name -> function for every loss whose record asks for a module."""
    from arraylosses.testing.cases import CASES

    return {
        _camel(c.name): c.public or c.fn
        for c in CASES
        if c.kind in ("loss", "in_batch") and c.adapter.module
    }


#: class name -> loss function, for every generated loss module
LOSSES: dict[str, Callable[..., Any]] = _catalogue_losses()
#: class name -> streaming metric factory, for every generated metric module
METRICS: dict[str, Callable[..., Any]] = {
    _camel(n): getattr(_streaming, n)
    for n in _streaming.__all__
    if inspect.isfunction(getattr(_streaming, n))
}
for _cls_name, _fn in LOSSES.items():
    globals()[_cls_name] = loss_module(_fn, _cls_name)
for _cls_name, _factory in METRICS.items():
    globals()[_cls_name] = _metric_module(_factory)
__all__ += sorted([*LOSSES, *METRICS])
del _cls_name, _fn, _factory
