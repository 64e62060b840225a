"""Generated evaluation data shared by the streaming-metrics examples (no download)."""

from __future__ import annotations

import numpy as np


def evaluation_data(
    rows: int, seed: int, *, classes: int, candidates: int
) -> dict[str, np.ndarray]:
    """``rows`` samples of each kind of metric input: regression (``pred``, ``target``),
    classification (``logits``, ``labels``), binary scores (``score``, ``binary``) and one
    query per row for retrieval (``ranking``, graded ``relevance`` 0 to 2)."""
    rng = np.random.default_rng(seed)
    target = rng.normal(size=rows)
    logits = rng.normal(size=(rows, classes))
    return {
        "pred": target + 0.5 * rng.normal(size=rows),
        "target": target,
        "logits": logits,
        "labels": np.argmax(logits + rng.normal(size=logits.shape), axis=1),
        "score": logits[:, 0],
        "binary": (logits[:, 0] + rng.normal(size=rows) > 0).astype(np.int64),
        "ranking": rng.normal(size=(rows, candidates)),
        "relevance": rng.integers(0, 3, size=(rows, candidates)),
    }
