"""What the in-batch losses (:mod:`.inbatch`, :mod:`.mnrl`) share: the similarity matrix, the
embedding checks and the rows of one device among every device's (``offset``)."""

from __future__ import annotations

from typing import Any, NamedTuple

from .._backend import Array, Namespace, as_dtype, device_of, index_dtype
from .._ops import normalize
from .._validate import (
    check_floating,
    check_ndim,
    check_option,
    check_values,
    integer,
    is_array,
    options,
    unused,
)
from ..typing import Similarity

__all__ = [
    "SIMILARITIES",
    "Offset",
    "Shards",
    "check_offset",
    "check_rows",
    "check_same_width",
    "check_similarity",
    "diagonal_targets",
    "floating",
    "gathered",
    "hardness_rule",
    "local_rows",
    "offset_int",
    "own_documents",
    "scores",
    "sharded_rows",
]

SIMILARITIES: tuple[str, ...] = options(Similarity)

Offset = Any  # a Python int, or a 0-d integer array (traced under shard_map / pmap)

_OFFSET_TYPE = "offset must be an int or a 0-d integer array"


def check_similarity(similarity: Any) -> str:
    return check_option("similarity", similarity, SIMILARITIES)


def scores(xp: Namespace, a: Array, b: Array, *, similarity: Similarity) -> Array:
    """``(N, D), (M, D) → (N, M)`` similarities."""
    if similarity == "cosine":
        a, b = normalize(xp, a), normalize(xp, b)
    return xp.matmul(a, xp.permute_dims(b, (1, 0)))


def floating(xp: Namespace, dtype: Any, name: str, x: Array) -> Array:
    """An embedding other than the prediction: real floating, cast to the compute ``dtype``."""
    check_floating(xp, name, x)
    return as_dtype(xp, x, dtype)


def check_rows(**arrays: Array) -> None:
    """Every array is ``(N, D)``: one embedding per row."""
    for name, x in arrays.items():
        check_ndim(name, x, 2, "(N, D)")


def check_same_width(first: tuple[str, Array], *others: tuple[str, Array]) -> None:
    """The ``others`` have the embedding width ``D`` (last axis) of ``first``."""
    name, x = first
    for other_name, y in others:
        if y.shape[-1] != x.shape[-1]:
            raise ValueError(
                f"{other_name} must have the embedding width D={x.shape[-1]} of "
                f"{name}; got shape {tuple(y.shape)}"
            )


def diagonal_targets(xp: Namespace, like: Array, *, n: int, offset: Offset) -> Array:
    """``offset + [0, n)``: the global index of each local row's positive."""
    idx = xp.arange(n, dtype=index_dtype(xp, like), device=device_of(like))
    return idx + offset if isinstance(offset, int) else idx + xp.astype(offset, idx.dtype)


def offset_int(offset: Any) -> int:
    """A Python or NumPy integer offset as an int; a bool, a float or anything else is a
    TypeError."""
    try:
        return integer("offset", offset)
    except TypeError:
        raise TypeError(f"{_OFFSET_TYPE}; got {type(offset).__name__}") from None


def check_offset(xp: Namespace, offset: Any, *, n: int, m: int) -> Offset:
    """The global index of this device's first row among ``m`` gathered rows, for ``n`` local
    rows: a Python int or NumPy integer (range-checked, returned as an int) or a 0-d integer
    array of the inputs' library (``jax.lax.axis_index(...) * n`` inside ``shard_map``; its
    range is checked when its value can be read). A bool or a float is a TypeError."""
    if not is_array(offset):
        value = offset_int(offset)
        if not 0 <= value <= m - n:
            raise ValueError(
                f"offset must be in [0, {m - n}] (the gathered candidates hold {m} "
                f"rows for {n} local rows); got {value}"
            )
        return value
    if offset.ndim != 0 or not xp.isdtype(offset.dtype, "integral"):
        raise TypeError(
            f"{_OFFSET_TYPE}; got an array of shape {tuple(offset.shape)} and dtype {offset.dtype}"
        )
    check_values(
        xp,
        (offset >= 0) & (offset <= m - n),
        f"offset must be in [0, {m - n}] (the gathered candidates hold {m} "
        f"rows for {n} local rows)",
    )
    return offset


def local_rows(xp: Namespace, x: Array, *, offset: Offset, n: int) -> Array:
    """Rows ``[offset, offset + n)`` of ``x`` (a dynamic slice when ``offset`` is an array)."""
    if isinstance(offset, int):
        return x[offset : offset + n, ...]
    return xp.take(x, diagonal_targets(xp, x, n=n, offset=offset), axis=0)


def gathered(
    xp: Namespace,
    dtype: Any,
    *,
    name: str,
    every: Array | None,
    local: tuple[str, Array],
    default: Array,
) -> Array:
    """``every`` (the argument ``name``, ``all_<local>``: the local argument gathered from
    every device), checked against the local argument's width and cast to ``dtype``, or
    ``default`` when it is not given."""
    if every is None:
        return default
    local_name, x = local
    check_ndim(name, every, 2, "(W, D)")
    if every.shape[1] != x.shape[1] or every.shape[0] < x.shape[0]:
        raise ValueError(
            f"{name} ({local_name} gathered from every device) must have shape "
            f"(W >= {x.shape[0]}, D={x.shape[1]}); got {tuple(every.shape)}"
        )
    return floating(xp, dtype, name, every)


def own_documents(i: Array, j: Array, *, w: int) -> Array:
    """MNRL: whether document column ``j`` (``[positives; negatives[:, 0]; ...]``, ``w`` rows
    each) is anchor ``i``'s own positive or one of its own negatives (``i``: global index)."""
    return (j % w) == i


def hardness_rule(mode: Any, *, w: int) -> Any:
    """MNRL's ``hardness_mode`` as an index rule ``(i, j) -> bool``: the query-to-document
    entries that get the penalty (``None`` for no mode). The positive is never penalised."""
    if mode is None:
        return None
    if mode == "hard_negatives":
        return lambda i, j: own_documents(i, j, w=w) & (j >= w)
    if mode == "in_batch_negatives":
        return lambda i, j: ~own_documents(i, j, w=w)
    return lambda i, j: ~(own_documents(i, j, w=w) & (j < w))  # "all_negatives"


class Shards(NamedTuple):
    """A sharded in-batch loss's rows (:func:`sharded_rows`)."""

    offset: Offset  # the global index of this device's first row
    local_b: Array  # this device's rows of the second side, (N, D)
    every_a: Array  # the first side gathered from every device (W, D), or its local rows


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def sharded_rows(
    xp: Namespace,
    dtype: Any,
    *,
    first: tuple[str, Array, Array],
    second: tuple[str, Array, Array],
    all_first: Array | None,
    offset: Any,
    back: str,
    back_used: bool,
) -> Shards:
    """The sharded in-batch rule, written once (info_nce, clip_loss, siglip_loss,
    nt_xent_loss, MNRL and MNSRL read it).

    The second side may hold every device's rows (W >= N gathered rows, this device's N at
    ``offset``); the first side holds this device's N rows. A direction that scores this
    device's second-side rows against every first-side row (``back``: ``"the symmetric
    direction"``, say; ``back_used``: whether this call has one) needs the first side
    gathered the same way, ``all_<first>``, when the second side is gathered; without such a
    direction ``all_<first>`` is an error, not ignored. ``first`` and ``second`` are ``(name,
    array as given, array cast to dtype)``.
    """
    (name_a, a, a_cast), (name_b, b, b_cast) = first, second
    name_all = f"all_{name_a}"
    n, w = a.shape[0], b.shape[0]
    if w < n:
        raise ValueError(
            f"{name_b} must have at least {_possessive(name_a)} {n} rows (one per {name_a} row, "
            f"or every device's); got shape {tuple(b.shape)}"
        )
    unused(name_all, all_first, unless=back_used, because=f"by {back} only")
    if back_used and w != n and all_first is None:
        raise ValueError(
            f"{back} with gathered {name_b} ({w} rows for {n} rows of {name_a}) needs "
            f"{name_all}, {name_a} gathered the same way"
        )
    offset = check_offset(xp, offset, n=n, m=w)
    local_b = b_cast if w == n else local_rows(xp, b_cast, offset=offset, n=n)
    every_a = gathered(xp, dtype, name=name_all, every=all_first, local=(name_a, a), default=a_cast)
    if all_first is not None and every_a.shape[0] != w:
        raise ValueError(
            f"{name_all} must have as many rows as {name_b} ({w}); got {tuple(all_first.shape)}"
        )
    return Shards(offset, local_b, every_a)
