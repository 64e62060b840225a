"""GISTEmbed (sentence-transformers' ``GISTEmbedLoss`` and ``CachedGISTEmbedLoss``): MNRL in
which a guide model's similarities remove the likely false negatives."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .._backend import (
    Array,
    Namespace,
    as_dtype,
    const,
    device_of,
    index_dtype,
    logaddexp,
    nll_at,
    stop_gradient,
)
from .._ops import normalize, reduce_loss
from .._tiled import Guide, tiled_logsumexp
from .._validate import (
    check_ndim,
    check_option,
    check_sample_weight,
    flag,
    hyperparameter,
    number,
    prepare,
    sample_weighted,
)
from ..typing import Reduction
from ._chunked import check_chunk_size, chunk_for
from ._common import Offset, check_offset, diagonal_targets, floating, local_rows

__all__ = ["gist_embed_loss"]

MARGIN_STRATEGIES = ("absolute", "relative")
_EPS = 1e-8  # torch.nn.CosineSimilarity's, the peer's similarity


class _Sides(NamedTuple):
    """The normalised model (``a``, ``p``, ``n``) and guide (``ga``, ``gp``, ``gn``) rows."""

    a: Array  # (B, D) this device's anchors
    p: Array  # (W, D) every device's positives
    n: Array | None  # (W·K, D) every negative, column by column
    ga: Array
    gp: Array
    gn: Array | None


def _columns(xp: Namespace, x: Array) -> Array:
    """``(W, K, D)`` negatives as ``(K·W, D)``: column ``k`` of every row, then the next."""
    return xp.concat([x[:, k, :] for k in range(x.shape[1])], axis=0)


def _guide_rows(
    xp: Namespace, dtype: Any, name: str, x: Array | None, model: tuple[str, Array | None]
) -> Array | None:
    """A guide array: the model array's rows (any width), normalised, under stop_gradient."""
    model_name, m = model
    if (x is None) != (m is None):
        given, missing = (name, model_name) if m is None else (model_name, name)
        raise ValueError(f"{given} is given without {missing}: pass both or neither")
    if x is None or m is None:
        return None
    if x.ndim != m.ndim or tuple(x.shape[:-1]) != tuple(m.shape[:-1]):
        raise ValueError(
            f"{name} must hold the rows of {model_name}, shape {tuple(m.shape[:-1])} + (any "
            f"width,); got {tuple(x.shape)}"
        )
    return stop_gradient(xp, normalize(xp, floating(xp, dtype, name, x), eps=_EPS))


@sample_weighted
def gist_embed_loss(
    anchors: Array,
    positives: Array,
    negatives: Array | None = None,
    *,
    guide_anchors: Array,
    guide_positives: Array,
    guide_negatives: Array | None = None,
    temperature: Any = 0.01,
    margin_strategy: str = "absolute",
    margin: float = 0.0,
    contrast_anchors: bool = True,
    contrast_positives: bool = True,
    offset: Offset = 0,
    chunk_size: int | None = None,
    sample_weight: Array | None = None,
    reduction: Reduction = "mean",
) -> Array:
    r"""GISTEmbed loss (Solatorio 2024): in-batch softmax cross entropy over cosine
    similarities, in which every candidate that a guide model scores above the anchor's own
    positive (less a margin) is removed as a likely false negative.

    For anchor ``i`` with global index ``g = offset + i``, the guide's positive similarity
    ``θ_i = cos(ga_i, gp_g)`` sets the threshold ``thr_i = θ_i − margin`` (``"absolute"``) or
    ``θ_i − |θ_i|·margin`` (``"relative"``). The logits are ``cos/temperature`` over these
    blocks; an entry whose guide similarity is strictly above ``thr_i`` is ``−inf``:

    * anchor–positive ``cos(a_i, p_j)``, ``j < W``, guide ``cos(ga_i, gp_j)``; the positive
      ``j = g`` is never removed;
    * anchor–anchor (``contrast_anchors``) ``cos(a_i, a_j)``, this device's anchors, guide
      ``cos(ga_i, ga_j)``; ``j = i`` is always removed;
    * positive–positive (``contrast_positives``) ``cos(p_g, p_j)``, guide ``cos(gp_g, gp_j)``;
      ``j = g`` is always removed;
    * anchor–negative, every negative column: ``cos(a_i, n_jk)``, guide ``cos(ga_i, gn_jk)``.

    In plain text: ``l_i = −log softmax(logits_i)[g]``.

    .. math:: \ell_i = -\log \frac{e^{\cos(a_i, p_g)/\tau}}{\sum_{c \in C_i} e^{s_c/\tau}}

    where :math:`C_i` is the candidates the guide keeps. A row whose every candidate but the
    positive is removed has loss 0. The guide is passed as its embeddings (``guide_*``: the
    same rows as the model arrays, any width), under stop_gradient; all cosines clamp each
    norm at ``1e-8`` (``torch.nn.CosineSimilarity``). ``temperature`` gets a gradient when it
    is a 0-d array; ``margin`` only decides the masks.

    Several devices (the peer's ``gather_across_devices``): ``positives``, ``negatives`` and
    their guide arrays gathered from every device, ``anchors`` and ``guide_anchors`` this
    device's, ``offset`` the global index of its first anchor. The anchor–anchor block stays
    local, as in the peer (only candidates are gathered). ``chunk_size`` (an int): the blocks
    are walked in ``chunk_size × chunk_size`` tiles with a running log-sum-exp and recomputed in
    the backward pass (memory O((B + W·(K + 1))·D + chunk_size²)), with the dense path's values
    and gradients.

    Peer quirks: ``GISTEmbedLoss`` takes at most one negative column
    (``CachedGISTEmbedLoss`` any number: the same loss); both compare strictly (``>``), and
    ``"relative"`` uses ``|θ|``, so a negative guide similarity moves the threshold down.

    Args:
        anchors: ``(B, D)`` floating, this device's anchors.
        positives: ``(W, D)`` floating, ``W >= B`` (every device's positives).
        negatives: optional ``(W, D)`` or ``(W, K, D)`` floating hard negatives. Default ``None``.
        guide_anchors: the guide model's embeddings of the anchors, ``(B, G)``.
        guide_positives: ``(W, G)``.
        guide_negatives: ``(W, G)`` or ``(W, K, G)``, exactly when ``negatives`` is given.
        temperature: :math:`\tau > 0`, a float or a 0-d array. Default ``0.01``, as the peer.
        margin_strategy: ``"absolute"`` (default) or ``"relative"``.
        margin: a Python float. Default ``0.0``, as the peer.
        contrast_anchors: include the anchor–anchor block. Default ``True``.
        contrast_positives: include the positive–positive block. Default ``True``.
        offset: global index of this device's first anchor (an int, a NumPy integer or a 0-d
            integer array). Default ``0``.
        chunk_size: tile size of the memory-bounded path, an int ``>= 1``. Default ``None``
            (the dense matrices).
        sample_weight: optional ``(B,)`` per-anchor weights. Default ``None``.
        reduction: ``"mean"`` (default, the peer's), ``"sum"`` or ``"none"``.

    Returns:
        The loss in the embeddings' floating dtype, 0-d for ``"mean"``/``"sum"``, ``(B,)`` for
        ``"none"``.

    References:
        - A. V. Solatorio (2024), "GISTEmbed: Guided In-sample Selection of Training Negatives
          for Text Embedding Fine-tuning". arXiv:2402.16829.
        - Peer implementation followed: sentence-transformers ``GISTEmbedLoss``,
          ``CachedGISTEmbedLoss``.

    Example:
        >>> import numpy as np, math
        >>> e = np.eye(2)
        >>> v = gist_embed_loss(e, e, guide_anchors=e, guide_positives=e, temperature=1.0,
        ...                     contrast_anchors=False, contrast_positives=False)
        >>> math.isclose(v, math.log1p(math.exp(-1.0)))
        True
    """
    xp, out_dtype, dtype = prepare(
        "anchors",
        anchors,
        reduction=reduction,
        hyper={"temperature": temperature, "offset": offset},
        positives=positives,
        negatives=negatives,
        guide_anchors=guide_anchors,
        guide_positives=guide_positives,
        guide_negatives=guide_negatives,
        sample_weight=sample_weight,
    )
    check_option("margin_strategy", margin_strategy, MARGIN_STRATEGIES)
    margin = number("margin", margin, expected="a Python float")
    contrast_anchors = flag("contrast_anchors", contrast_anchors)
    contrast_positives = flag("contrast_positives", contrast_positives)
    check_ndim("anchors", anchors, 2, "(B, D)")
    check_ndim("positives", positives, 2, "(W, D)")
    b, width = anchors.shape
    w = positives.shape[0]
    if positives.shape[1] != width or w < b:
        raise ValueError(
            f"positives must have shape (W >= {b}, D={width}); got {tuple(positives.shape)}"
        )
    if negatives is not None and negatives.ndim == 2:
        negatives = negatives[:, None, :]
    if guide_negatives is not None and guide_negatives.ndim == 2:
        guide_negatives = guide_negatives[:, None, :]
    if negatives is not None and (
        negatives.ndim != 3 or negatives.shape[0] != w or negatives.shape[2] != width
    ):
        raise ValueError(
            f"negatives must have shape ({w}, D={width}) or ({w}, K, D={width}); got "
            f"{tuple(negatives.shape)}"
        )
    check_sample_weight(xp, sample_weight, (b,))
    offset = check_offset(xp, offset, n=b, m=w)
    a = normalize(xp, as_dtype(xp, anchors, dtype), eps=_EPS)
    lam = 1 / hyperparameter(xp, "temperature", temperature, a, low=0.0, low_inclusive=False)
    neg = None if negatives is None else floating(xp, dtype, "negatives", negatives)
    sides = _Sides(
        a=a,
        p=normalize(xp, floating(xp, dtype, "positives", positives), eps=_EPS),
        n=None if neg is None else normalize(xp, _columns(xp, neg), eps=_EPS),
        ga=_guide_rows(xp, dtype, "guide_anchors", guide_anchors, ("anchors", anchors)),
        gp=_guide_rows(xp, dtype, "guide_positives", guide_positives, ("positives", positives)),
        gn=_guide_rows(xp, dtype, "guide_negatives", guide_negatives, ("negatives", negatives)),
    )
    if sides.gn is not None:
        sides = sides._replace(gn=_columns(xp, sides.gn))
    if guide_anchors.shape[-1] != guide_positives.shape[-1] or (
        guide_negatives is not None and guide_negatives.shape[-1] != guide_anchors.shape[-1]
    ):
        raise ValueError("guide_anchors, guide_positives and guide_negatives must share a width")
    g = diagonal_targets(xp, a, n=b, offset=offset)
    assert sides.ga is not None and sides.gp is not None
    theta = xp.sum(sides.ga * local_rows(xp, sides.gp, offset=offset, n=b), axis=1)
    if margin_strategy == "absolute":
        threshold = theta - margin
    else:
        threshold = theta - xp.abs(theta) * margin
    options = (contrast_anchors, contrast_positives)
    chunk = chunk_for(check_chunk_size(chunk_size), b)
    if chunk is None:
        loss = _dense(xp, sides, lam, g, threshold, offset, options)
    else:
        loss = _tiled(xp, sides, lam, threshold, offset, options, chunk)
    return reduce_loss(
        xp, loss, reduction=reduction, sample_weight=sample_weight, out_dtype=out_dtype
    )


def _block(
    xp: Namespace, rows: Array, cols: Array, guide: tuple[Array, Array], threshold: Array
) -> tuple[Array, Array]:
    """The raw similarities and the guide's removals of one block."""
    sims = rows @ xp.matrix_transpose(cols)
    removed = guide[0] @ xp.matrix_transpose(guide[1]) > threshold[:, None]
    return sims, removed


def _dense(
    xp: Namespace,
    s: _Sides,
    lam: Any,
    g: Array,
    threshold: Array,
    offset: Offset,
    options: tuple[bool, bool],
) -> Array:
    assert s.ga is not None and s.gp is not None
    b = s.a.shape[0]
    idx = index_dtype(xp, s.a)
    dev = device_of(s.a)
    minus_inf = const(xp, -math.inf, s.a)
    w_cols = xp.arange(s.p.shape[0], dtype=idx, device=dev)[None, :]
    sims, removed = _block(xp, s.a, s.p, (s.ga, s.gp), threshold)
    blocks = [xp.where(removed & (w_cols != g[:, None]), minus_inf, lam * sims)]
    if options[0]:
        sims, removed = _block(xp, s.a, s.a, (s.ga, s.ga), threshold)
        local = xp.arange(b, dtype=idx, device=dev)
        blocks.append(xp.where(removed | (local[None, :] == local[:, None]), minus_inf, lam * sims))
    if options[1]:
        p_g = local_rows(xp, s.p, offset=offset, n=b)
        gp_g = local_rows(xp, s.gp, offset=offset, n=b)
        sims, removed = _block(xp, p_g, s.p, (gp_g, s.gp), threshold)
        blocks.append(xp.where(removed | (w_cols == g[:, None]), minus_inf, lam * sims))
    if s.n is not None and s.gn is not None:
        sims, removed = _block(xp, s.a, s.n, (s.ga, s.gn), threshold)
        blocks.append(xp.where(removed, minus_inf, lam * sims))
    logits = blocks[0] if len(blocks) == 1 else xp.concat(blocks, axis=1)
    return nll_at(xp, logits, g, axis=-1)


def _tiled(
    xp: Namespace,
    s: _Sides,
    lam: Any,
    threshold: Array,
    offset: Offset,
    options: tuple[bool, bool],
    chunk: int,
) -> Array:
    """:func:`_dense`'s rows from one tiled log-sum-exp per block, shifted by the positive's
    logit (a constant) so that each is of the size of the loss."""
    assert s.ga is not None and s.gp is not None
    b = s.a.shape[0]
    p_g = local_rows(xp, s.p, offset=offset, n=b)
    gp_g = local_rows(xp, s.gp, offset=offset, n=b)
    shift = stop_gradient(xp, lam * xp.sum(s.a * p_g, axis=1))

    def lse(rows: Array, cols: Array, guide: Guide, at: Offset, **rules: Any) -> Any:
        return tiled_logsumexp(
            xp, rows, cols, lam, chunk=chunk, offset=at, row_shift=shift, guide=guide, **rules
        )

    def positive(i: Array, j: Array) -> Array:
        return i == j

    ap = lse(
        s.a,
        s.p,
        Guide(s.ga, s.gp, threshold, keep=positive),
        offset,
        select=positive,
    )
    assert ap.selected is not None
    total = ap.rows
    if options[0]:
        total = logaddexp(
            xp, total, lse(s.a, s.a, Guide(s.ga, s.ga, threshold), 0, exclude=positive).rows
        )
    if options[1]:
        pp = lse(p_g, s.p, Guide(gp_g, s.gp, threshold), offset, exclude=positive)
        total = logaddexp(xp, total, pp.rows)
    if s.n is not None and s.gn is not None:
        total = logaddexp(xp, total, lse(s.a, s.n, Guide(s.ga, s.gn, threshold), 0).rows)
    return total - (lam * ap.selected - shift)
