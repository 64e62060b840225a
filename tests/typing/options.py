"""Checked by mypy (``nox -s typecheck``), never run: option strings are ``Literal`` types.

Each ``type: ignore[arg-type]`` below must be needed: with ``warn_unused_ignores`` (set in
pyproject.toml), an ignore that mypy does not need is itself an error, so if an option lost its
``Literal`` type, this file would fail the session.
"""

from __future__ import annotations

import numpy as np

import arraylosses as al
from arraylosses import metrics

# multioutput= is not here: it also takes an array of output weights, and Array is Any
x = np.ones((4, 3))
labels = np.array([0, 1, 2, 0])

al.mse_loss(x, x, reduction="sum")
al.mse_loss(x, x, reduction="avg")  # type: ignore[arg-type]
al.cross_entropy(x, labels, reduction="Mean")  # type: ignore[arg-type]
al.info_nce(x, x, similarity="dot")
al.info_nce(x, x, similarity="cos")  # type: ignore[arg-type]
al.contrastive_loss(x, x, labels, distance="manhattan")  # type: ignore[arg-type]
metrics.precision_recall_f1(labels, labels, num_classes=3, average="mean")  # type: ignore[arg-type]
