"""Embedding and contrastive losses: pairs and triplets (:mod:`.pairs`) and in-batch
softmax/sigmoid losses (:mod:`.inbatch`), decoupled contrastive learning (:mod:`.decoupled`),
MNRL (:mod:`.mnrl`), online triplet mining (:mod:`.triplet_mining`), GIST (:mod:`.gist`) and
late-interaction ranking (:mod:`.maxsim`)."""

from .decoupled import dcl_loss, dclw_loss
from .gist import gist_embed_loss
from .inbatch import (
    clip_loss,
    entropy_adaptive_info_nce,
    info_nce,
    nt_xent_loss,
    siglip_loss,
    supcon_loss,
)
from .matryoshka import matryoshka
from .maxsim import maxsim_ranking_loss
from .mnrl import multiple_negatives_ranking_loss, multiple_negatives_symmetric_ranking_loss
from .pairs import (
    angle_loss,
    contrastive_loss,
    cosent_loss,
    cosine_embedding_loss,
    online_contrastive_loss,
    triplet_margin_loss,
)
from .triplet_mining import (
    batch_all_triplet_loss,
    batch_hard_soft_margin_triplet_loss,
    batch_hard_triplet_loss,
    batch_semi_hard_triplet_loss,
)

__all__ = [
    "angle_loss",
    "batch_all_triplet_loss",
    "batch_hard_soft_margin_triplet_loss",
    "batch_hard_triplet_loss",
    "batch_semi_hard_triplet_loss",
    "clip_loss",
    "contrastive_loss",
    "cosent_loss",
    "cosine_embedding_loss",
    "dcl_loss",
    "dclw_loss",
    "entropy_adaptive_info_nce",
    "gist_embed_loss",
    "info_nce",
    "matryoshka",
    "maxsim_ranking_loss",
    "multiple_negatives_ranking_loss",
    "multiple_negatives_symmetric_ranking_loss",
    "nt_xent_loss",
    "online_contrastive_loss",
    "siglip_loss",
    "supcon_loss",
    "triplet_margin_loss",
]
