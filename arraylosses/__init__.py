"""arraylosses: losses and metrics written once against the Python array API standard.

The same function runs on NumPy, CuPy, PyTorch, JAX and any other array-API namespace; the
result is an array of the inputs' library, on the inputs' device.

>>> import numpy as np, arraylosses as al
>>> float(al.huber_loss(np.array([0.5, 3.0]), np.zeros(2)))
1.3125
"""

from . import metrics, regression, similarity
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
from .similarity import (
    cosine_similarity,
    l2_normalize,
    pairwise_cosine_similarity,
    pairwise_dot,
    pairwise_euclidean_distance,
)

__version__ = "0.1.0"

__all__ = [
    "cosine_distance_loss",
    "cosine_similarity",
    "gaussian_nll_loss",
    "huber_loss",
    "l1_loss",
    "l2_normalize",
    "log_cosh_loss",
    "mae_loss",
    "metrics",
    "mse_loss",
    "pairwise_cosine_similarity",
    "pairwise_dot",
    "pairwise_euclidean_distance",
    "poisson_nll_loss",
    "quantile_loss",
    "regression",
    "similarity",
    "smooth_l1_loss",
]
