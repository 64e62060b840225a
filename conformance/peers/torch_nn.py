"""Cross-checks against ``torch.nn.functional`` (and ``torch.cdist``): values and gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import arraylosses as al

from ._base import PeerCheck


def _values_and_grads(ours: Callable[..., Any], theirs: Callable[..., Any],
                      *names: str, grad: tuple[str, ...] | None = None
                      ) -> Callable[[dict[str, np.ndarray]], tuple[list[Any], list[Any]]]:
    """Run both on float64 tensors of ``names``; compare the value and the gradient of
    ``Σ out·c`` (fixed random ``c``) with respect to the ``grad`` inputs (default: all)."""

    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        import torch

        results = []
        for fn in (ours, theirs):
            tensors = [torch.tensor(inputs[n], dtype=torch.float64) for n in names]
            wrt = [t.requires_grad_(True) for n, t in zip(names, tensors, strict=True)
                   if grad is None or n in grad]
            out = fn(*tensors)
            c = torch.tensor(np.random.default_rng(0).uniform(0.5, 1.5, size=tuple(out.shape)))
            grads = torch.autograd.grad(torch.sum(out * c), wrt)
            results.append([out.detach().numpy(), *(g.numpy() for g in grads)])
        return results[0], results[1]

    return run


def _elementwise(name: str, ours: Callable[..., Any], theirs: Callable[..., Any], label: str,
                 **params: Any) -> list[PeerCheck]:
    out = []
    for reduction in ("mean", "sum", "none"):
        out.append(PeerCheck(
            name, f"torch.nn.functional.{label}(reduction={reduction!r})", "torch",
            _values_and_grads(lambda p, t, r=reduction: ours(p, t, reduction=r, **params),
                              lambda p, t, r=reduction: theirs(p, t, reduction=r, **params),
                              "pred", "target")))
    return out


def _checks() -> list[PeerCheck]:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return [PeerCheck(n, "torch.nn.functional", "torch", lambda inputs: ([], []))
                for n in ("mse_loss",)]
    import torch
    import torch.nn.functional as F

    checks = [
        *_elementwise("mse_loss", al.mse_loss, F.mse_loss, "mse_loss"),
        *_elementwise("l1_loss", al.l1_loss, F.l1_loss, "l1_loss"),
        *_elementwise("mae_loss", al.mae_loss, F.l1_loss, "l1_loss"),
        *_elementwise("huber_loss", al.huber_loss, F.huber_loss, "huber_loss"),
        *_elementwise("huber_loss", al.huber_loss, F.huber_loss, "huber_loss(delta=0.5)",
                      delta=0.5),
        *_elementwise("smooth_l1_loss", al.smooth_l1_loss, F.smooth_l1_loss, "smooth_l1_loss"),
        *_elementwise("smooth_l1_loss", al.smooth_l1_loss, F.smooth_l1_loss,
                      "smooth_l1_loss(beta=0.5)", beta=0.5),
        *_elementwise("smooth_l1_loss", al.smooth_l1_loss, F.smooth_l1_loss,
                      "smooth_l1_loss(beta=0)", beta=0.0),
    ]
    for log_input in (True, False):
        for full in (False, True):
            pred = "pred" if log_input else "rate"
            for reduction in ("mean", "none"):
                kw = {"log_input": log_input, "full": full, "reduction": reduction}
                checks.append(PeerCheck(
                    "poisson_nll_loss", f"torch.nn.functional.poisson_nll_loss({kw})", "torch",
                    _values_and_grads(lambda p, t, kw=kw: al.poisson_nll_loss(p, t, **kw),
                                      lambda p, t, kw=kw: F.poisson_nll_loss(p, t, **kw),
                                      pred, "target", grad=(pred,))))
    for var in ("var", "var_row", "var_col", "var_tiny"):
        for full in (False, True):
            kw = {"full": full, "reduction": "none" if var == "var_row" else "mean"}
            checks.append(PeerCheck(
                "gaussian_nll_loss",
                f"torch.nn.functional.gaussian_nll_loss(var={var}, {kw})", "torch",
                _values_and_grads(lambda p, t, v, kw=kw: al.gaussian_nll_loss(p, t, v, **kw),
                                  lambda p, t, v, kw=kw: F.gaussian_nll_loss(p, t, v, **kw),
                                  "pred", "target", var)))
    checks += [
        PeerCheck("cosine_similarity", "torch.nn.functional.cosine_similarity(dim=-1)", "torch",
                  _values_and_grads(al.cosine_similarity,
                                    lambda a, b: F.cosine_similarity(a, b, dim=-1), "a", "b")),
        PeerCheck("cosine_similarity", "torch.nn.functional.cosine_similarity(dim=0)", "torch",
                  _values_and_grads(lambda a, b: al.cosine_similarity(a, b, axis=0),
                                    lambda a, b: F.cosine_similarity(a, b, dim=0), "a", "b")),
        PeerCheck("pairwise_cosine_similarity",
                  "torch.nn.functional.cosine_similarity(a[:, None], b[None], dim=-1)", "torch",
                  _values_and_grads(al.pairwise_cosine_similarity,
                                    lambda a, b: F.cosine_similarity(a[:, None], b[None], dim=-1),
                                    "a", "c")),
        PeerCheck("pairwise_dot", "a @ b.T", "torch",
                  _values_and_grads(al.pairwise_dot, lambda a, b: a @ b.T, "a", "c")),
        PeerCheck("pairwise_euclidean_distance",
                  "torch.cdist(a, b, compute_mode='donot_use_mm_for_euclid_dist')", "torch",
                  _values_and_grads(al.pairwise_euclidean_distance, lambda a, b: torch.cdist(
                      a, b, compute_mode="donot_use_mm_for_euclid_dist"), "a", "c"),
                  rtol=1e-10, atol=1e-12,
                  deviation="we expand |a|²+|b|²-2a·b (one matmul); torch's exact mode "
                            "subtracts coordinates: agreement to ~1e-14 relative on these inputs"),
        PeerCheck("l2_normalize", "torch.nn.functional.normalize(dim=-1)", "torch",
                  _values_and_grads(al.l2_normalize, lambda x: F.normalize(x, dim=-1), "a")),
    ]
    return checks


CHECKS = tuple(_checks())
