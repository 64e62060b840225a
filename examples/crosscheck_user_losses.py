"""Check your own loss implementations against arraylosses with ``crosscheck``.

A hand-written torch InfoNCE and a hand-written JAX sigmoid focal loss are checked against
``arraylosses.info_nce`` and ``arraylosses.sigmoid_focal_loss`` (values and gradients, float64
and float32, on torch for the first, on JAX for the second; each against ours on the same
backend and against ours on NumPy float64); then each with a planted 1e-3 relative bug, which
``crosscheck`` reports with the input, backend, dtype and quantity where it appears.

    python examples/crosscheck_user_losses.py
"""

from __future__ import annotations

import argparse

import numpy as np

from arraylosses.testing import crosscheck


def torch_info_nce(bug: float = 0.0):
    import torch
    import torch.nn.functional as F

    def info_nce(query, positive, temperature=0.1):
        q, p = F.normalize(query, dim=-1), F.normalize(positive, dim=-1)
        return F.cross_entropy(q @ p.T / temperature, torch.arange(len(q))) * (1 + bug)

    return info_nce


def jax_focal(bug: float = 0.0):
    import jax
    import jax.numpy as jnp

    def focal(logits, target, alpha=0.25, gamma=2.0):
        p = jax.nn.sigmoid(logits)
        ce = jnp.logaddexp(0.0, logits) - target * logits
        pt = p * target + (1 - p) * (1 - target)
        at = alpha * target + (1 - alpha) * (1 - target)
        return jnp.mean(at * (1 - pt) ** gamma * ce * (1 + bug * (target > 0.5)))

    return focal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=0, help="unused (uniform example CLI)")
    parser.parse_args()
    rng = np.random.default_rng(0)
    query, positive = rng.normal(size=(8, 16)), rng.normal(size=(8, 16))
    logits, target = rng.normal(scale=2.0, size=(8, 4)), rng.integers(0, 2, (8, 4)) * 1.0
    checks = [
        ("torch InfoNCE", torch_info_nce, "info_nce", [((query, positive), {})], "torch"),
        ("JAX focal loss", jax_focal, "sigmoid_focal_loss", [((logits, target), {})], "jax"),
    ]
    for title, make, reference, inputs, backend in checks:
        print(f"== {title} vs arraylosses.{reference}")
        print(crosscheck(make(), reference, inputs=inputs, backends=[backend]))
        try:
            crosscheck(make(bug=1e-3), reference, inputs=inputs, backends=[backend])
        except AssertionError as err:
            print(f"planted 1e-3 bug caught:\n  {err}\n")
        else:
            raise SystemExit("the planted bug was not caught")


if __name__ == "__main__":
    main()
