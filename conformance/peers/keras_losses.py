"""Cross-checks against Keras 3 on its JAX backend (``KERAS_BACKEND=jax``).

Keras' ``hinge``, ``squared_hinge`` and ``categorical_crossentropy`` return one value per
sample, averaging (hinge) or summing (cross entropy) over the last axis; we compare that with
our per-element losses averaged over the last axis, and with our per-row cross entropy.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

import arraylosses as al

from ._base import PeerCheck

# Keras picks its backend at import: these checks run it on JAX
os.environ.setdefault("KERAS_BACKEND", "jax")


def _keras() -> Any:
    """Keras on JAX in float64 (its floatx is Keras' own global; JAX's x64 is on in the test
    and matrix processes, tests/conftest.py and conformance/matrix.py)."""
    import keras

    if keras.backend.backend() != "jax":
        raise ImportError(f"keras runs on {keras.backend.backend()}, the checks need jax")
    keras.config.set_floatx("float64")  # Keras casts inputs to floatx (float32 by default)
    return keras


def _hinge(squared: bool, target: str) -> Any:
    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        keras = _keras()
        s, y = inputs["scores"], inputs[target]
        fn = al.squared_hinge_loss if squared else al.hinge_loss
        ours = np.asarray(fn(s, y, reduction="none")).mean(axis=-1)
        peer = keras.losses.squared_hinge if squared else keras.losses.hinge
        return [ours], [np.asarray(peer(y.astype(np.float64), s))]

    return run


def _categorical(smoothing: float) -> Any:
    def run(inputs: dict[str, np.ndarray]) -> tuple[list[Any], list[Any]]:
        keras = _keras()
        z, q = inputs["logits"], inputs["probs"]
        ours = np.asarray(al.cross_entropy(z, q, label_smoothing=smoothing, reduction="none"))
        theirs = keras.losses.categorical_crossentropy(
            q, z, from_logits=True, label_smoothing=smoothing
        )
        return [ours], [np.asarray(theirs)]

    return run


MEAN_IN_FLOAT32 = (
    "Keras 3's ops.mean (used by hinge and squared_hinge) computes float64 input in float32 "
    "(keras.ops.mean([1.0000001234567, 2.0000001234567]) gives 1.50000024): agreement to "
    "float32 rounding, ~1e-7 relative; the formulas are the same"
)

CHECKS = (
    *(
        PeerCheck(
            f"{name}_loss",
            f"keras.losses.{name} (labels {labels}), mean over last axis",
            "keras",
            _hinge(name == "squared_hinge", target),
            rtol=1e-6,
            deviation=MEAN_IN_FLOAT32,
        )
        for name in ("hinge", "squared_hinge")
        for labels, target in (("-1/1", "signs"), ("0/1", "bits"))
    ),
    *(
        PeerCheck(
            "cross_entropy",
            f"keras.losses.categorical_crossentropy(from_logits=True, label_smoothing={ls})",
            "keras",
            _categorical(ls),
            rtol=1e-12,
        )
        for ls in (0.0, 0.2)
    ),
)
