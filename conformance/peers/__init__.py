"""Cross-checks against the peer libraries named in docs/spec.md.

Each module lists :class:`PeerCheck` entries: one of our functions, the peer it must match,
the parameter translation, and (where a peer differs by design) the documented deviation.
``tests/test_peers.py`` runs them all; ``conformance/matrix.py`` adds them as columns.
"""

from __future__ import annotations

from arraylosses.testing.cases import CASES

from ._base import PeerCheck
from .keras_losses import CHECKS as KERAS
from .metric_learning_losses import CHECKS as METRIC_LEARNING
from .optax_losses import CHECKS as OPTAX
from .rax_losses import CHECKS as RAX
from .sentence_transformers_losses import CHECKS as SENTENCE_TRANSFORMERS
from .sklearn_metrics import CHECKS as SKLEARN
from .torch_nn import CHECKS as TORCH
from .torchmetrics_metrics import CHECKS as TORCHMETRICS
from .trec_eval_metrics import CHECKS as TREC_EVAL

ALL: tuple[PeerCheck, ...] = (
    *TORCH,
    *OPTAX,
    *KERAS,
    *SKLEARN,
    *TORCHMETRICS,
    *TREC_EVAL,
    *SENTENCE_TRANSFORMERS,
    *METRIC_LEARNING,
    *RAX,
    *(check for case in CASES for check in case.checks),  # the calls a record carries
)

__all__ = ["ALL", "PeerCheck"]
