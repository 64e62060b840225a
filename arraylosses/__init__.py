"""arraylosses: losses and metrics written once against the Python array API standard.

The same function runs on NumPy, CuPy, PyTorch, JAX and any other array-API namespace; the
result is an array of the inputs' library, on the inputs' device.

>>> import numpy as np, arraylosses as al
>>> float(al.huber_loss(np.array([0.5, 3.0]), np.zeros(2)))
1.3125
"""

from . import (
    classification,
    contrastive,
    metrics,
    ranking,
    regression,
    regularizers,
    similarity,
)
from .classification import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    kl_divergence,
    margin_ranking_loss,
    nll_loss,
    poly1_cross_entropy,
    sigmoid_focal_loss,
    softmax_focal_loss,
    squared_hinge_loss,
)
from .contrastive import (
    angle_loss,
    clip_loss,
    contrastive_loss,
    cosent_loss,
    cosine_embedding_loss,
    entropy_adaptive_info_nce,
    info_nce,
    matryoshka,
    multiple_negatives_ranking_loss,
    multiple_negatives_symmetric_ranking_loss,
    nt_xent_loss,
    online_contrastive_loss,
    siglip_loss,
    supcon_loss,
    triplet_margin_loss,
)
from .ranking import (
    bpr_loss,
    csar_loss,
    dynamic_margin_bpr_loss,
    listnet_loss,
    normalized_sampled_softmax_loss,
    sampled_softmax_loss,
)
from .regression import (
    cosine_distance_loss,
    gaussian_nll_loss,
    huber_loss,
    l1_loss,
    log_cosh_loss,
    mae_loss,
    mse_loss,
    poisson_nll_loss,
    quantile_loss,
    smooth_l1_loss,
)
from .regularizers import (
    exclusiveness_loss,
    global_orthogonal_regularization,
    inclusiveness_loss,
    orthogonal_loss,
)
from .similarity import (
    cosine_similarity,
    l2_normalize,
    maxsim,
    pairwise_cosine_similarity,
    pairwise_dot,
    pairwise_euclidean_distance,
    pairwise_maxsim,
)

__version__ = "0.1.0"

__all__ = [
    "angle_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "bpr_loss",
    "classification",
    "clip_loss",
    "contrastive",
    "contrastive_loss",
    "cosent_loss",
    "cosine_distance_loss",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "csar_loss",
    "dynamic_margin_bpr_loss",
    "entropy_adaptive_info_nce",
    "exclusiveness_loss",
    "gaussian_nll_loss",
    "global_orthogonal_regularization",
    "hinge_loss",
    "huber_loss",
    "inclusiveness_loss",
    "info_nce",
    "kl_divergence",
    "l1_loss",
    "l2_normalize",
    "listnet_loss",
    "log_cosh_loss",
    "mae_loss",
    "margin_ranking_loss",
    "matryoshka",
    "maxsim",
    "metrics",
    "mse_loss",
    "multiple_negatives_ranking_loss",
    "multiple_negatives_symmetric_ranking_loss",
    "nll_loss",
    "normalized_sampled_softmax_loss",
    "nt_xent_loss",
    "online_contrastive_loss",
    "orthogonal_loss",
    "pairwise_cosine_similarity",
    "pairwise_dot",
    "pairwise_euclidean_distance",
    "pairwise_maxsim",
    "poisson_nll_loss",
    "poly1_cross_entropy",
    "quantile_loss",
    "ranking",
    "regression",
    "regularizers",
    "sampled_softmax_loss",
    "siglip_loss",
    "sigmoid_focal_loss",
    "similarity",
    "smooth_l1_loss",
    "softmax_focal_loss",
    "squared_hinge_loss",
    "supcon_loss",
    "triplet_margin_loss",
]
