"""The ``torch.autograd.Function`` classes of :mod:`arraylosses._backend` on torch:
:class:`CustomGradient` behind :func:`~arraylosses._backend.custom_gradient`, and
:class:`SigmoidCrossEntropy`, torch's routed :func:`~arraylosses._backend.sigmoid_cross_entropy`.

Their own module so that each class is defined once, when this module is first imported (which
needs torch): ``torch.compile`` before torch 2.13 cannot trace a class statement, and a class
built per call is one.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["CustomGradient", "SigmoidCrossEntropy"]


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


class SigmoidCrossEntropy(torch.autograd.Function):
    """``apply(z, t)``: ``max(z, 0) - t·z + log1p(e^-|z|)`` elementwise (``z`` and ``t`` of one
    shape and floating dtype), exact in both tails, with the gradients ``g·(σ(z) - t)`` for
    ``z`` (``F.binary_cross_entropy_with_logits``' own) and ``-g·z`` for ``t``.

    For eager speed: the forward records no autograd graph and saves only ``z`` and ``t``,
    where the same operations under autograd save their intermediates and run a backward pass
    for each (benchmarks/run.py's BCE case times both, against ``F.*``). The forward works in
    place only on its own temporaries, each into one batched whenever its operand is, so that
    it holds under every ``torch.func`` transform (an in-place op on a batched tensor needs
    every operand's batch dimensions); the backward is out of place, for a double backward
    (``create_graph=True``).
    ``setup_context`` and ``generate_vmap_rule`` make it usable under ``torch.func``
    (``grad``, ``vmap``, ``jacrev``) and ``torch.compile``."""

    generate_vmap_rule = True

    @staticmethod
    def forward(z: Any, t: Any) -> Any:
        # the kinks of max and |z| at 0 do not matter here: the gradient is backward's.
        # log1p(e^-|z|) in place on its own temporary, then added in place to the one that
        # holds t·z: each destination is batched (torch.func.vmap) whenever its operand is,
        # so no transform meets an in-place op it rejects; the same operations in the same
        # order as out of place, the same value to the bit, 1 µs less at 4x3 and 256x10
        tail = torch.abs(z).neg_().exp_().log1p_()
        return (torch.clamp_min(z, 0) - t * z).add_(tail)

    @staticmethod
    def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        z, t = ctx.saved_tensors
        grad_z = (_sigmoid(z) - t) * g if ctx.needs_input_grad[0] else None
        grad_t = -(z * g) if ctx.needs_input_grad[1] else None
        return grad_z, grad_t


def _sigmoid(z: Any) -> Any:
    """``σ(z)`` for the backward. Under ``create_graph=True`` (grad mode on in a backward)
    as ``exp(logsigmoid(z))``, whose own derivative keeps its relative accuracy in the tails
    (``torch.sigmoid``'s is ``y(1 - y)``: 1e-3 off at 30, 0 beyond 37 in float64);
    ``torch.sigmoid``, one kernel, otherwise."""
    if torch.is_grad_enabled():
        return torch.exp(torch.nn.functional.logsigmoid(z))
    return torch.sigmoid(z)
