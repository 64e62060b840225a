"""Cross-checks against ``optax.losses`` (per-element losses; optax has no reduction)."""

from __future__ import annotations

import arraylosses as al

from ._base import PeerCheck, jax_pair


def _checks() -> list[PeerCheck]:
    import importlib.util

    if importlib.util.find_spec("optax") is None:
        return [PeerCheck("mse_loss", "optax.losses", "optax", lambda inputs: ([], []))]
    import optax

    none = {"reduction": "none"}
    return [
        PeerCheck(
            "mse_loss",
            "optax.losses.squared_error",
            "optax",
            jax_pair(
                lambda p, t: al.mse_loss(p, t, **none), optax.losses.squared_error, "pred", "target"
            ),
        ),
        PeerCheck(
            "huber_loss",
            "optax.losses.huber_loss(delta=1.0)",
            "optax",
            jax_pair(
                lambda p, t: al.huber_loss(p, t, **none),
                lambda p, t: optax.losses.huber_loss(p, t, delta=1.0),
                "pred",
                "target",
            ),
        ),
        PeerCheck(
            "huber_loss",
            "optax.losses.huber_loss(delta=0.5)",
            "optax",
            jax_pair(
                lambda p, t: al.huber_loss(p, t, delta=0.5, **none),
                lambda p, t: optax.losses.huber_loss(p, t, delta=0.5),
                "pred",
                "target",
            ),
        ),
        PeerCheck(
            "log_cosh_loss",
            "optax.losses.log_cosh",
            "optax",
            jax_pair(
                lambda p, t: al.log_cosh_loss(p, t, **none), optax.losses.log_cosh, "pred", "target"
            ),
        ),
        PeerCheck(
            "cosine_distance_loss",
            "optax.losses.cosine_distance(epsilon=1e-16)",
            "optax",
            jax_pair(
                lambda p, t: al.cosine_distance_loss(p, t, **none),
                lambda p, t: optax.losses.cosine_distance(p, t, epsilon=1e-16),
                "pred",
                "target",
            ),
            deviation="optax clamps the squared norm at epsilon (default 0), we clamp the "
            "norm at eps=1e-8: epsilon=1e-16 is the same clamp",
        ),
    ]


CHECKS = tuple(_checks())


def _classification() -> list[PeerCheck]:
    import importlib.util

    if importlib.util.find_spec("optax") is None:
        return []
    import optax

    none = {"reduction": "none"}

    def log_softmax_kl(z, t):
        import jax

        return optax.losses.kl_divergence(jax.nn.log_softmax(z), t)

    return [
        PeerCheck(
            "cross_entropy",
            "optax.losses.softmax_cross_entropy_with_integer_labels",
            "optax",
            jax_pair(
                lambda z, y: al.cross_entropy(z, y, **none),
                optax.losses.softmax_cross_entropy_with_integer_labels,
                "logits",
                "labels",
            ),
        ),
        PeerCheck(
            "cross_entropy",
            "optax.losses.softmax_cross_entropy",
            "optax",
            jax_pair(
                lambda z, q: al.cross_entropy(z, q, **none),
                optax.losses.softmax_cross_entropy,
                "logits",
                "probs",
            ),
        ),
        PeerCheck(
            "poly1_cross_entropy",
            "optax.losses.poly_loss_cross_entropy(epsilon=2.0)",
            "optax",
            jax_pair(
                lambda z, q: al.poly1_cross_entropy(z, q, epsilon=2.0, **none),
                lambda z, q: optax.losses.poly_loss_cross_entropy(z, q, epsilon=2.0),
                "logits",
                "probs",
                grad=("logits",),
            ),
        ),
        PeerCheck(
            "kl_divergence",
            "optax.losses.kl_divergence(log_softmax(z), t)",
            "optax",
            jax_pair(
                lambda z, q: al.kl_divergence(z, q, **none),
                log_softmax_kl,
                "logits",
                "probs_with_zero",
                grad=("logits",),
            ),
        ),
        PeerCheck(
            "binary_cross_entropy_with_logits",
            "optax.losses.sigmoid_binary_cross_entropy",
            "optax",
            jax_pair(
                lambda z, t: al.binary_cross_entropy_with_logits(z, t, **none),
                optax.losses.sigmoid_binary_cross_entropy,
                "logits",
                "soft_targets",
            ),
        ),
        PeerCheck(
            "sigmoid_focal_loss",
            "optax.losses.sigmoid_focal_loss(alpha=0.25, gamma=2)",
            "optax",
            jax_pair(
                lambda z, t: al.sigmoid_focal_loss(z, t, **none),
                lambda z, t: optax.losses.sigmoid_focal_loss(z, t, alpha=0.25, gamma=2.0),
                "logits",
                "targets",
                grad=("logits",),
            ),
        ),
        PeerCheck(
            "sigmoid_focal_loss",
            "optax.losses.sigmoid_focal_loss(alpha=None, gamma=1.5)",
            "optax",
            jax_pair(
                lambda z, t: al.sigmoid_focal_loss(z, t, alpha=None, gamma=1.5, **none),
                lambda z, t: optax.losses.sigmoid_focal_loss(z, t, gamma=1.5),
                "logits",
                "soft_targets",
                grad=("logits",),
            ),
        ),
    ]


CHECKS = CHECKS + tuple(_classification())


def _embedding() -> list[PeerCheck]:
    import importlib.util

    if importlib.util.find_spec("optax") is None:
        return []
    import jax.numpy as jnp
    import optax

    return [
        PeerCheck(
            "triplet_margin_loss",
            f"optax.losses.triplet_margin_loss(norm_degree={p}, eps=0)",
            "optax",
            jax_pair(
                lambda a, b, c, p=p: al.triplet_margin_loss(
                    a, b, c, p=p, eps=0.0, reduction="none"
                ),
                lambda a, b, c, p=p: optax.losses.triplet_margin_loss(
                    a, b, c, norm_degree=p, eps=0.0
                ),
                "a",
                "b",
                "c",
            ),
            deviation="optax adds eps inside the norm, (Σ(x-y)^p + eps)^(1/p), torch and "
            "we add it to the difference: identical at eps=0. optax also omits "
            "the absolute value, so an odd or fractional norm_degree gives NaN "
            "for negative differences (seen with 1.5); only p=2 is compared",
        )
        for p in (2.0,)
    ] + [
        PeerCheck(
            "triplet_margin_loss",
            "optax.losses.triplet_margin_loss(margin=3, eps=0)",
            "optax",
            jax_pair(
                lambda a, b, c: al.triplet_margin_loss(
                    a, b, c, margin=3.0, eps=0.0, reduction="none"
                ),
                lambda a, b, c: (
                    optax.losses.triplet_margin_loss(a, b, c, margin=3.0, eps=0.0) * jnp.ones(())
                ),
                "a",
                "b",
                "c",
            ),
        )
    ]


CHECKS = CHECKS + tuple(_embedding())


def _ntxent() -> list[PeerCheck]:
    import importlib.util

    if importlib.util.find_spec("optax") is None:
        return []
    import jax.numpy as jnp
    import optax

    def theirs(q, p, t):
        n = q.shape[0]
        labels = jnp.concatenate([jnp.arange(n)] * 2)
        return optax.losses.ntxent(jnp.concatenate([q, p]), labels, temperature=t)

    return [
        PeerCheck(
            "nt_xent_loss",
            f"optax.losses.ntxent(pair labels, temperature={t})",
            "optax",
            jax_pair(
                lambda q, p, t=t: al.nt_xent_loss(q, p, temperature=t),
                lambda q, p, t=t: theirs(q, p, t),
                "q",
                "p",
            ),
        )
        for t in (0.07, 0.5)
    ]


CHECKS = CHECKS + tuple(_ntxent())
