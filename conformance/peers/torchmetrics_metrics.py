"""Cross-checks against torchmetrics' functional metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from arraylosses import metrics

from ._base import PeerCheck


def _cosine(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
    import torch
    from torchmetrics.functional import cosine_similarity

    p, t = (torch.tensor(inputs[n], dtype=torch.float64) for n in ("pred", "target"))
    return ([metrics.mean_cosine_similarity(p, t).numpy()],
            [cosine_similarity(p, t, reduction="mean").numpy()])


CHECKS = (
    PeerCheck("metrics.mean_cosine_similarity",
              "torchmetrics.functional.cosine_similarity(reduction='mean')", "torchmetrics",
              _cosine, rtol=1e-6,
              deviation="torchmetrics computes in float32 whatever the input dtype "
                        "(preds.float()) and does not clamp the norms; its default reduction is "
                        "'sum'. Agreement is to float32 rounding (~2e-8 relative here)."),
)
