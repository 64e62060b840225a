"""Cross-checks against rax (JAX learning-to-rank): values and ``jax.grad``."""

from __future__ import annotations

from typing import Any

import arraylosses as al

from ._base import PeerCheck, jax_pair


def _checks() -> list[PeerCheck]:
    import importlib.util

    if importlib.util.find_spec("rax") is None:
        return [
            PeerCheck(n, "rax", "rax", lambda inputs: ([], []))
            for n in ("bpr_loss", "listnet_loss")
        ]
    import jax
    import jax.numpy as jnp
    import rax

    def pairwise_logistic(pos: Any, neg: Any) -> Any:
        """rax on the lists ``[s⁺, s⁻_1..s⁻_K]`` with labels ``[1, 0..0]``: per list, the mean
        over its K pairs."""
        neg = neg if neg.ndim == 2 else neg[:, None]
        scores = jnp.concatenate([pos[:, None], neg], axis=1)
        labels = jnp.zeros_like(scores).at[:, 0].set(1.0)
        return jax.vmap(lambda s, y: rax.pairwise_logistic_loss(s, y, reduce_fn=jnp.mean))(
            scores, labels
        )

    def softmax_of_labels(scores: Any, relevance: Any, where: Any = None) -> Any:
        target = jax.nn.softmax(
            jnp.where(where, relevance, -jnp.inf) if where is not None else relevance, axis=-1
        )
        if where is not None:
            target = jnp.where(where, target, 0.0)
        return rax.softmax_loss(scores, target, where=where, reduce_fn=None)

    def listnet(scores: Any, relevance: Any, where: Any = None) -> Any:
        return al.listnet_loss(scores, relevance, where=where, reduction="none")

    return [
        *(
            PeerCheck(
                "bpr_loss",
                "rax.pairwise_logistic_loss([s⁺, s⁻...], [1, 0...])",
                "rax",
                jax_pair(
                    lambda p, n: al.bpr_loss(p, n, reduction="none"),
                    pairwise_logistic,
                    "pos",
                    negatives,
                ),
            )
            for negatives in ("neg_1", "neg_k")
        ),
        PeerCheck(
            "listnet_loss",
            "rax.softmax_loss(scores, softmax(relevance))",
            "rax",
            jax_pair(listnet, softmax_of_labels, "list_scores", "relevance"),
        ),
        PeerCheck(
            "listnet_loss",
            "rax.softmax_loss(scores, softmax(relevance), where=where)",
            "rax",
            jax_pair(listnet, softmax_of_labels, "list_scores", "relevance", "where"),
        ),
    ]


CHECKS = tuple(_checks())
