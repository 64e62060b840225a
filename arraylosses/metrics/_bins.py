"""Per-bin sums with fixed shapes (no scatter-add, no data-dependent shape): what the binned
curves (:mod:`.ranking_curves`) and the calibration error (:mod:`.calibration`) count.

One stable sort of the bin indices, one cumulative sum per summed array and two searches:
``O(N log N + B)`` time and ``O(N + B)`` memory, not an ``(N, B)`` one-hot. Every function
here traces under ``jax.jit`` / ``vmap`` and compiles under ``torch.compile``.
"""

from __future__ import annotations

from .._backend import Array, Namespace, device_of, native_bin_sums

__all__ = ["bin_sums", "suffix_sums"]


def bin_sums(xp: Namespace, bins: Array, num_bins: int, *values: Array) -> tuple[Array, ...]:
    """``Σ v`` over the rows in each bin ``0..num_bins-1``, for each ``v`` of ``values`` (each
    ``(N,)``, summed in its own dtype); ``bins`` ``(N,)`` integer indices in that range.
    NumPy and torch scatter-add (``_backend.native_bin_sums``: ``bincount``, ``index_add``,
    ``O(N)``; the sort below was 1.6-1.9x torchmetrics' calibration error at 1e6 rows)."""
    native = native_bin_sums(xp, bins, num_bins, values)
    if native is not None:
        return native
    order = xp.argsort(bins, stable=True)
    ordered = xp.take(bins, order)
    edges = xp.arange(num_bins, dtype=bins.dtype, device=device_of(bins))
    left = xp.searchsorted(ordered, edges, side="left")
    right = xp.searchsorted(ordered, edges, side="right")
    out = []
    for v in values:
        total = xp.cumulative_sum(xp.take(v, order), include_initial=True)
        out.append(xp.take(total, right) - xp.take(total, left))
    return tuple(out)


def suffix_sums(xp: Namespace, x: Array) -> Array:
    """``out[k] = Σ_{j >= k} x[j]`` of a 1-D ``x``, with one more entry ``out[len(x)] = 0``."""
    backward = xp.cumulative_sum(xp.flip(x), include_initial=True)
    return xp.flip(backward)
