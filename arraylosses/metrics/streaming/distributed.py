"""Merge the streaming states of every process or device with one collective.

Each rank updates its own state over however many batches it has (none is fine), then calls
the merge once. The collective has fixed-size operands (the state's shapes do not depend on
the data), so ranks that ran different numbers of batches cannot deadlock, as torchmetrics'
list states did when ranks saw different numbers of updates (its #3336).

* torch.distributed: :func:`torch_merge` (every rank receives the merged state);
* JAX, inside ``shard_map`` (or ``pmap``): :func:`jax_merge`, a ``psum`` for the metrics whose
  states add up (all but ``r2_score`` and ``explained_variance_score``), else an
  ``all_gather`` then a fold of ``merge``.

``merge`` may also be a plain function ``merge(a, b)`` (for instance
:func:`arraylosses.metrics.top_k_merge` for a corpus sharded across ranks).

This module is the one place that calls the frameworks' collectives; each is imported only
when its function is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._core import StreamingMetric

__all__ = ["jax_merge", "torch_merge"]


def _fold(merge: StreamingMetric | Callable[[Any, Any], Any], stacked: Any, ranks: int) -> Any:
    """Merge states stacked along a leading axis of length ``ranks``."""
    if isinstance(merge, StreamingMetric):
        return merge.merge_stacked(stacked)
    merged = type(stacked)(*(x[0, ...] for x in stacked))
    for i in range(1, ranks):
        merged = merge(merged, type(stacked)(*(x[i, ...] for x in stacked)))
    return merged


def torch_merge(
    merge: StreamingMetric | Callable[[Any, Any], Any], state: Any, *, group: Any = None
) -> Any:
    """The merge of every rank's ``state`` (a NamedTuple of torch tensors), on every rank.

    One ``torch.distributed.all_gather`` of the state packed into one byte tensor (its fields
    may have different dtypes: floating sums, integer counts), then a fold of ``merge`` in rank
    order: the same result on every rank. Every rank must build its state with the same
    ``dtype`` and ``device`` (an idle rank's ``init`` too), so the buffers have one size.
    """
    import torch
    import torch.distributed as dist

    fields = [x.reshape(-1).contiguous() for x in state]
    sizes = [x.numel() * x.element_size() for x in fields]
    packed = torch.cat([x.view(torch.uint8) for x in fields])
    world = dist.get_world_size(group)
    received = [torch.empty_like(packed) for _ in range(world)]
    dist.all_gather(received, packed, group=group)
    per_rank = []
    for buffer in received:
        parts = torch.split(buffer, sizes)
        per_rank.append(
            # clone: a field's byte offset in the buffer need not be a multiple of its size
            [
                part.clone().view(x.dtype).reshape(x.shape)
                for part, x in zip(parts, state, strict=True)
            ]
        )
    stacked = type(state)(*(torch.stack(column) for column in zip(*per_rank, strict=True)))
    return _fold(merge, stacked, world)


def jax_merge(
    merge: StreamingMetric | Callable[[Any, Any], Any], state: Any, axis_name: Any
) -> Any:
    """The merge of the ``state`` of every device along the mapped axis ``axis_name``, to be
    called inside ``jax.shard_map`` (or ``pmap``): ``jax.lax.psum`` of the state when
    ``merge`` is a summable :class:`StreamingMetric`, else ``jax.lax.all_gather`` then a fold
    of ``merge``."""
    import inspect

    from jax import lax

    if isinstance(merge, StreamingMetric) and merge.summable:
        return lax.psum(state, axis_name)
    # the gathered states are the same on every device: JAX versions that track it
    # (shard_map's replication check) are told so, and the result can be P()-replicated
    invariant = {"to": "invarying"} if "to" in inspect.signature(lax.all_gather).parameters else {}
    gathered = lax.all_gather(state, axis_name, **invariant)
    return _fold(merge, gathered, gathered[0].shape[0])
