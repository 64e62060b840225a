"""Metric-learning losses: embeddings learned from class labels.

The proxy losses (:mod:`.proxies`) take ``(embeddings, labels, proxies)``, one learned proxy
per class (``(C, D)``, or ``(C, K, D)`` sub-centres) that the caller owns; the pair losses
(:mod:`.pairs`) take ``(embeddings, labels)`` and score each anchor against the other rows of
the batch (or of every device's batch: ``all_embeddings``, ``all_labels``, ``offset``).
"""

from .pairs import (
    circle_loss,
    generalized_lifted_structure_loss,
    lifted_structure_loss,
    multi_similarity_loss,
)
from .proxies import (
    arcface_loss,
    cosface_loss,
    normalized_softmax_loss,
    proxy_anchor_loss,
    sub_center_arcface_loss,
)

__all__ = [
    "arcface_loss",
    "circle_loss",
    "cosface_loss",
    "generalized_lifted_structure_loss",
    "lifted_structure_loss",
    "multi_similarity_loss",
    "normalized_softmax_loss",
    "proxy_anchor_loss",
    "sub_center_arcface_loss",
]
