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

__all__ = ["CustomGradient", "SigmoidCrossEntropy", "custom_gradient_apply"]


class CustomGradient(torch.autograd.Function):
    """``apply(forward, backward, layout, *arrays)``: ``forward(*arrays) -> (outputs,
    residuals)``; ``backward(residuals, cotangents) -> one gradient per array``; ``layout`` a
    fresh :class:`_Layout` that records which residuals are tensors (and holds the others).
    Only the residuals are saved (tensors through ``save_for_backward``), never
    ``forward``'s intermediates; :func:`custom_gradient_apply` is the call.

    The ``setup_context`` form, with ``generate_vmap_rule``, so that ``torch.func``
    (``grad``, ``vmap``, ``jacrev``) runs the chunked losses: ``forward`` takes no ``ctx``, so
    the tensor residuals leave it as extra outputs, marked non-differentiable, and
    ``setup_context`` saves them; the non-tensor ones travel in ``layout``."""

    generate_vmap_rule = True

    @staticmethod
    def forward(*args: Any) -> Any:
        forward, _, layout, *arrays = args
        outputs, residuals = forward(*arrays)
        layout.items = [(isinstance(r, torch.Tensor), r) for r in residuals]
        # a residual that is an input goes out as a view: an output of the Function that is
        # one of its inputs would alias it
        tensors = [r.view_as(r) for r in residuals if isinstance(r, torch.Tensor)]
        return (*outputs, *tensors)

    @staticmethod
    def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
        _, backward, layout, *_ = inputs
        count = sum(is_tensor for is_tensor, _ in layout.items)
        outputs, tensors = output[: len(output) - count], output[len(output) - count :]
        ctx.mark_non_differentiable(*tensors)
        ctx.save_for_backward(*tensors)
        ctx.layout = [is_tensor for is_tensor, _ in layout.items]
        ctx.others = [r for is_tensor, r in layout.items if not is_tensor]
        ctx.shapes = [(o.shape, o.dtype, o.device) for o in outputs]
        ctx.backward_fn = backward

    @staticmethod
    def backward(ctx: Any, *cotangents: Any) -> Any:
        saved, others = iter(ctx.saved_tensors), iter(ctx.others)
        residuals = tuple(next(saved) if t else next(others) for t in ctx.layout)
        cots = tuple(
            torch.zeros(s, dtype=d, device=v) if c is None else c
            for c, (s, d, v) in zip(cotangents, ctx.shapes, strict=False)
        )
        return (None, None, None, *ctx.backward_fn(residuals, cots))


class _Layout:
    """``items``: ``(is a tensor, residual)`` per residual of one call's ``forward``. A plain
    object, not a list: ``torch.func`` flattens a list argument and passes a copy, which the
    forward would fill in vain."""

    items: list[tuple[bool, Any]]

    def __init__(self) -> None:
        self.items = []


def custom_gradient_apply(forward: Any, backward: Any, *arrays: Any) -> tuple[Any, ...]:
    """``forward``'s outputs through :class:`CustomGradient` (the residual outputs dropped);
    ``forward``'s outputs alone where nothing is differentiated (no array requires grad, or
    grad mode is off): there is no backward to route, and Dynamo (torch 2.13) traces a
    ``setup_context`` Function with no input requiring grad by passing its ``ctx`` to
    ``forward`` as if it took one."""
    if not torch.is_grad_enabled() or not any(
        isinstance(a, torch.Tensor) and a.requires_grad for a in arrays
    ):
        return tuple(forward(*arrays)[0])
    layout = _Layout()
    out = CustomGradient.apply(forward, backward, layout, *arrays)
    count = sum(is_tensor for is_tensor, _ in layout.items)
    return tuple(out[: len(out) - count])


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
        # max(z, 0) - t·z as c·|z|, c = 1 - t for z >= 0 and t below: the same at finite z
        # (exact where c is 0: t = 1 for z > 0, t = 0 for z < 0), and no 0·inf or inf - inf
        # at z = ±inf (audit row O03): 0 where c is 0 (the label the logit predicts), else
        # +inf; the gradient is backward's (σ(z) - t, 0 there). In place only on its own
        # temporaries (batched whenever an operand is: torch.func.vmap). The tail
        # log1p(e^-|z|) is -log σ(|z|): one kernel (ATen's log_sigmoid is min(x, 0) -
        # log1p(e^-|x|), the same operations) where neg, exp and log1p were three; torch.rsub
        # skips Tensor.__rsub__'s Python wrapper. 9 kernels, 11 before (#32)
        a = torch.abs(z)
        c = torch.where(z >= 0, torch.rsub(t, 1), t)
        return torch.where(c == 0, 0.0, c * a).sub_(torch.nn.functional.logsigmoid(a))

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
