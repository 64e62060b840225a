"""The ``torch.autograd.Function`` behind :func:`arraylosses._backend.custom_gradient` on torch.

Its own module so that the class is defined once, when this module is first imported (which
needs torch): ``torch.compile`` before torch 2.13 cannot trace a class statement, and a class
built per call is one.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["CustomGradient"]


class CustomGradient(torch.autograd.Function):
    """``apply(forward, backward, *arrays)``: ``forward(*arrays) -> (outputs, residuals)``;
    ``backward(residuals, cotangents) -> one gradient per array``. Only the residuals are
    saved (tensors through ``save_for_backward``), never ``forward``'s intermediates."""

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        # one starred parameter, not (ctx, forward, backward, *arrays): with no input requiring
        # grad, Dynamo (torch 2.13, variables/misc.py ``call_apply``) drops ``ctx`` whenever the
        # call has one argument fewer than the signature has parameters, which the four-parameter
        # form matched for two arrays (SigLIP's chunked path: ``backward`` was called as
        # ``forward``). ``(ctx, *args)`` has two parameters and the call at least three arguments.
        forward, backward, *arrays = args
        outputs, residuals = forward(*arrays)
        ctx.save_for_backward(*[r for r in residuals if isinstance(r, torch.Tensor)])
        ctx.layout = [isinstance(r, torch.Tensor) for r in residuals]
        ctx.others = [r for r in residuals if not isinstance(r, torch.Tensor)]
        ctx.shapes = [(o.shape, o.dtype, o.device) for o in outputs]
        ctx.backward_fn = backward
        return outputs

    @staticmethod
    def backward(ctx: Any, *cotangents: Any) -> Any:
        saved, others = iter(ctx.saved_tensors), iter(ctx.others)
        residuals = tuple(next(saved) if t else next(others) for t in ctx.layout)
        cots = tuple(
            torch.zeros(s, dtype=d, device=v) if c is None else c
            for c, (s, d, v) in zip(cotangents, ctx.shapes, strict=True)
        )
        return (None, None, *ctx.backward_fn(residuals, cots))
