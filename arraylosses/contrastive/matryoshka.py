"""Matryoshka representation learning (Kusupati et al. 2022) around any embedding loss."""

from __future__ import annotations

import functools
import inspect
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .._backend import Array, Namespace, const, device_of, finalize, namespace
from .._ops import reduce_loss
from .._validate import integer, number, renamed
from ..similarity import l2_normalize
from . import mnrl
from .mnrl import (
    mnrl_rows,
    multiple_negatives_ranking_loss,
    multiple_negatives_symmetric_ranking_loss,
    prepare_mnrl,
)

__all__ = ["matryoshka"]

_NORM_EPS = 1e-12  # sentence-transformers' shrink: torch.nn.functional.normalize's eps


def _as_list(name: str, value: Any, what: str) -> list[Any]:
    """A sequence argument (list, tuple, 1-d NumPy array, ...) as a list; a string or anything
    not iterable is a TypeError."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a sequence of {what}; got {type(value).__name__}")
    return list(value)


def _check_dims(dims: Any, dim_weights: Any) -> tuple[list[int], list[float]]:
    dims = _as_list("dims", dims, "positive ints")
    if not dims:
        raise ValueError("dims must be a non-empty sequence of positive ints; got none")
    try:  # NumPy integers count as ints; a bool or a float is a TypeError
        checked = [integer("dims entry", d) for d in dims]
    except TypeError:
        raise TypeError(f"dims must be positive ints; got {dims}") from None
    if any(d < 1 for d in checked):
        raise ValueError(f"dims must be positive ints; got {dims}")
    dims = checked
    if len(set(dims)) != len(dims):
        raise ValueError(f"dims must not repeat; got {dims}")
    expected = f"{len(dims)} floats (one per dim)"
    if dim_weights is None:
        dim_weights = [1.0] * len(dims)
    dim_weights = _as_list("dim_weights", dim_weights, expected)
    if len(dim_weights) != len(dims):
        raise ValueError(f"dim_weights must be a sequence of {expected}; got {dim_weights!r}")
    dim_weights = [number("dim_weights entry", w, low=0.0) for w in dim_weights]
    pairs = sorted(zip(dims, dim_weights, strict=True), key=lambda dw: -dw[0])  # largest first
    return [d for d, _ in pairs], [w for _, w in pairs]


def _is_embedding(x: Any, width: int) -> bool:
    return (
        hasattr(x, "shape")
        and hasattr(x, "dtype")
        and x.ndim >= 2
        and x.shape[-1] == width
        and namespace(x=x).isdtype(x.dtype, "real floating")
    )


@renamed(weights="dim_weights")
def matryoshka(
    loss_fn: Callable[..., Any], dims: Sequence[int], *, dim_weights: Sequence[float] | None = None
) -> Callable[..., Any]:
    r"""Wrap an embedding loss so that it trains every prefix of the embedding:

    In plain text: ``L = sum_k w_k * loss_fn(normalize(x[..., :d_k]), ...)``.

    .. math:: \mathcal L = \sum_k w_k\, \mathcal L\big(\mathrm{normalize}(x_{[:d_k]}), \dots\big)

    The returned function has ``loss_fn``'s signature. Its embedding arguments (the floating
    arrays of at least 2 dimensions whose last axis has the first argument's width ``D``) are
    truncated to each of ``dims``, L2-normalised (as sentence-transformers' ``shrink``) and
    scored; other arguments pass through unchanged. ``dim_weights`` default to 1 per dim (summed,
    not averaged, as sentence-transformers' ``MatryoshkaLoss``, the peer); they must be finite
    and ``>= 0``. Dims (ints, NumPy integers too) larger than ``D`` raise when called.

    For :func:`multiple_negatives_ranking_loss` (and its symmetric preset) the similarities are
    not recomputed per dim: the embedding is cut into consecutive slices
    ``[0, d_K), [d_K, d_{K-1}), ..., [d_2, d_1)``, each slice's dot products and squared norms
    are computed once, and their running sums give every dim's cosine. The matrix products
    then cost one full-width similarity, whatever the number of dims. With ``chunk_size``
    (the in-batch losses' tiles), each dim's loss is called with it, as any other argument.

    Args:
        loss_fn: the embedding loss to wrap (any function of this library taking embeddings,
            or one with the same conventions).
        dims: the prefix widths :math:`d_k`, ints (NumPy integers too), each at most the embedding
            width ``D``.
        dim_weights: optional weights :math:`w_k \ge 0`, one per dim, finite. Default ``None``:
            1 per dim (summed, as sentence-transformers).

    Returns:
        A function with ``loss_fn``'s signature returning
        ``sum_k w_k * loss_fn(prefix_k, ...)``, an array of ``loss_fn``'s result shape and dtype.

    References:
        - A. Kusupati, G. Bhatt, A. Rege, M. Wallingford, A. Sinha, V. Ramanujan,
          W. Howard-Snyder, K. Chen, S. Kakade, P. Jain and A. Farhadi (2022), "Matryoshka
          Representation Learning", NeurIPS. arXiv:2205.13147.
        - Peer implementation followed: sentence-transformers ``MatryoshkaLoss``.

    .. rubric:: Paper settings

    - Kusupati et al. (2022, arXiv:2205.13147) nest the sizes 8, 16, 32, ..., 1024, 2048 of a
      ResNet-50's 2048-dimensional representation, weight every size 1 and feed each prefix,
      unnormalised, to its own linear classifier (the authors' code, RAIVNLab/MRL: ``README.md``,
      ``MRL.py``). ``dims`` has no default here and ``dim_weights`` defaults to 1 per dim, as
      theirs: ``dims=[2048, 1024, 512, 256, 128, 64, 32, 16, 8]`` gives the paper's nesting.
      The prefixes are always L2-normalised here (as sentence-transformers'), which changes
      nothing for a cosine-based loss but differs from the paper's unnormalised prefixes for a
      loss that is not scale-invariant.

    Example:
        >>> import numpy as np
        >>> from arraylosses import mse_loss, cosine_distance_loss
        >>> x = np.array([[3.0, 4.0, 1.0]])
        >>> loss = matryoshka(cosine_distance_loss, dims=[3, 1])
        >>> float(loss(x, x))  # identical embeddings: 0 at every width
        0.0
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable; got {type(loss_fn).__name__}")
    dims_desc, weights_desc = _check_dims(dims, dim_weights)
    signature = inspect.signature(loss_fn)

    @functools.wraps(loss_fn)
    def loss(*args: Any, **kwargs: Any) -> Any:
        if not args or not hasattr(args[0], "shape"):
            raise TypeError("the first argument must be an embedding array (..., D)")
        width = args[0].shape[-1]
        if dims_desc[0] > width:
            raise ValueError(
                f"Matryoshka dims must not exceed the embedding width D={width}; got {dims_desc[0]}"
            )
        if loss_fn in _FAST and kwargs.get("chunk_size") is None:
            # (with chunk_size, each dim's loss walks its own tiles: the per-dim loop below)
            if kwargs.keys() - signature.parameters.keys():
                # an unknown (or renamed, e.g. weight=) argument: the loss's own TypeError
                return loss_fn(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return _FAST[loss_fn](dict(bound.arguments), dims_desc, weights_desc)
        total, xp, dtype = None, None, None
        for d, w in zip(dims_desc, weights_desc, strict=True):

            def cut(x: Any, d: int = d) -> Any:
                if not _is_embedding(x, width):
                    return x
                return l2_normalize(x[..., :d], eps=_NORM_EPS)

            term = loss_fn(*(cut(a) for a in args), **{k: cut(v) for k, v in kwargs.items()})
            if xp is None:
                xp, dtype = namespace(loss=term), term.dtype
            total = w * term if total is None else total + w * term
        # NumPy's arithmetic on 0-d arrays gives a NumPy scalar (numpy.float64): finalize makes
        # the sum a 0-d array again, as every loss returns
        return finalize(xp, total, dtype)

    return loss


class _SliceSimilarities:
    """Cosine similarities at every Matryoshka dim from one pass over the embedding.

    The embedding (cut at the largest dim) is split into blocks of ``g = gcd(dims)`` columns
    by a reshape: one batched matmul gives every block's dot products, and one contraction
    with a 0/1 selector sums the blocks below each dim (the same for squared norms). Views
    and one matmul keep autograd's backward to one pass as well; slicing the embedding per
    dim instead makes every slice's backward write a zero-filled copy of the whole input.
    When the dims share no useful block (more than ``MAX_BLOCKS`` blocks), consecutive slices
    ``[0, d_K), [d_K, d_{K-1}), ...`` are used, with running sums.
    """

    MAX_BLOCKS = 64

    def __init__(self, xp: Namespace, embeddings: dict[str, Array], dims_desc: list[int]):
        self.xp = xp
        self.embeddings = embeddings
        self.dims = dims_desc
        self.block = functools.reduce(math.gcd, dims_desc)
        self.blocks = dims_desc[0] // self.block
        bounds = [0, *sorted(dims_desc)]  # ascending: [0, d_K, ..., d_1]
        self.slices = list(itertools.pairwise(bounds))
        self._dots: dict[tuple[str, str], Array] = {}
        self._norms: dict[str, Array] = {}
        self._selector: Array | None = None

    @property
    def by_blocks(self) -> bool:
        return self.blocks <= self.MAX_BLOCKS

    def selector(self, like: Array) -> Array:
        """``(K, blocks)``: row k sums the blocks below dims[k]."""
        if self._selector is None:
            xp = self.xp
            j = xp.arange(self.blocks, dtype=like.dtype, device=device_of(like))
            ends = xp.asarray(
                [d // self.block for d in self.dims], dtype=like.dtype, device=device_of(like)
            )
            self._selector = xp.astype(j[None, :] < ends[:, None], like.dtype)
        return self._selector

    def _split(self, x: Array) -> Array:
        """``(N, D) → (blocks, N, g)``: the columns below the largest dim, as blocks."""
        xp = self.xp
        head = x if x.shape[1] == self.dims[0] else x[:, : self.dims[0]]
        return xp.permute_dims(xp.reshape(head, (x.shape[0], self.blocks, self.block)), (1, 0, 2))

    def inverse_norms(self, name: str) -> Array:
        """``(K, N)``: ``1 / max(‖x‖, eps)`` for every row at every dim."""
        if name not in self._norms:
            xp, x = self.xp, self.embeddings[name]
            if self.by_blocks:
                blocks = self._split(x)
                squares = xp.tensordot(self.selector(x), xp.sum(blocks * blocks, axis=2), axes=1)
            else:
                parts = self._running(
                    [xp.sum(x[:, lo:hi] * x[:, lo:hi], axis=1) for lo, hi in self.slices]
                )
                squares = xp.stack(parts[::-1])  # largest dim first
            # max(‖x‖, eps) as sqrt(max(‖x‖², eps²)), as similarity.clamped_norm: sqrt never
            # sees 0, so a zero prefix gets a zero gradient, not sqrt'(0)·0 = NaN. Inverted here
            # so that cosine multiplies: dividing by the product of two clamped norms (1e-24)
            # has a backward through its square (1e-48), 0 in float32: 0/0 = NaN on JAX.
            norm = xp.sqrt(xp.maximum(squares, const(xp, _NORM_EPS**2, squares)))
            self._norms[name] = 1 / norm
        return self._norms[name]

    def dots(self, x: str, y: str) -> Array:
        """``(K, N, M)``: the dot products of the rows of ``x`` and ``y`` at every dim."""
        if (x, y) not in self._dots:
            xp = self.xp
            a, b = self.embeddings[x], self.embeddings[y]
            if self.by_blocks:
                per_block = xp.matmul(self._split(a), xp.permute_dims(self._split(b), (0, 2, 1)))
                self._dots[(x, y)] = xp.tensordot(self.selector(a), per_block, axes=1)
            else:
                parts = self._running(
                    [
                        xp.matmul(a[:, lo:hi], xp.permute_dims(b[:, lo:hi], (1, 0)))
                        for lo, hi in self.slices
                    ]
                )
                self._dots[(x, y)] = xp.stack(parts[::-1])
        return self._dots[(x, y)]

    @staticmethod
    def _running(parts: list[Array]) -> list[Array]:
        out, running = [], None
        for part in parts:
            running = part if running is None else running + part
            out.append(running)
        return out

    def cosines(self, x: str, y: str) -> Array:
        """``(K, N, M)``: the cosine similarities at every dim, largest first."""
        return (
            self.dots(x, y) * self.inverse_norms(x)[:, :, None] * self.inverse_norms(y)[:, None, :]
        )


def _mnrl_defaults() -> dict[str, Any]:
    """The defaults of :func:`multiple_negatives_ranking_loss`, read from its signature at each
    call: they fill the options a preset's signature lacks (``hardness_mode``, ...), as the
    preset's call to the loss does."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(multiple_negatives_ranking_loss).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def _mnrl_matryoshka(
    arguments: dict[str, Any],
    dims_desc: list[int],
    dim_weights: list[float],
    *,
    symmetric: bool = False,
) -> Array:
    """The fast path for MNRL and, with ``symmetric``, its symmetric preset, whose options are
    :data:`arraylosses.contrastive.mnrl.SYMMETRIC` (read at each call, as the loss reads it)."""
    given = {**_mnrl_defaults(), **arguments, **(mnrl.SYMMETRIC._asdict() if symmetric else {})}
    m = prepare_mnrl(
        given["anchors"],
        given["positives"],
        given["negatives"],
        scale=given["scale"],
        similarity=given["similarity"],
        directions=given["directions"],
        partition_mode=given["partition_mode"],
        hardness_mode=given["hardness_mode"],
        hardness_strength=given["hardness_strength"],
        offset=given["offset"],
        all_anchors=given["all_anchors"],
        sample_weight=given["sample_weight"],
        reduction=given["reduction"],
    )
    xp = m.xp
    # on L2-normalised truncations, "dot" and "cosine" are the same score: the cosine
    # every dim in one pass: (K, B) per-anchor losses from the (K, B, n_docs) similarities, the
    # K softmaxes batched (one kernel each way instead of K; issue #19)
    sims = _SliceSimilarities(xp, m.embeddings, dims_desc)
    per_dim = mnrl_rows(
        xp, similarity_of=sims.cosines, like=m.embeddings["query"], chosen=m.options
    )
    weights = xp.asarray(dim_weights, dtype=per_dim.dtype, device=device_of(per_dim))
    total = xp.sum(weights[:, None] * per_dim, axis=0)
    return reduce_loss(
        xp,
        total,
        reduction=given["reduction"],
        sample_weight=given["sample_weight"],
        out_dtype=m.out_dtype,
    )


_FAST: dict[Callable[..., Any], Callable[..., Any]] = {
    multiple_negatives_ranking_loss: _mnrl_matryoshka,
    multiple_negatives_symmetric_ranking_loss: functools.partial(_mnrl_matryoshka, symmetric=True),
}
