"""Types for annotating code that calls arraylosses.

``Array`` is any array of a supported library (NumPy, CuPy, PyTorch, JAX, array-api-strict):
arraylosses accepts whatever the `array API standard <https://data-apis.org/array-api/>`_
calls an array, so the alias is ``Any`` to a type checker and documents intent to a reader.
Option strings are ``Literal`` types, so a type checker catches ``reduction="avg"`` before
the ``ValueError`` at run time does. Each option's allowed values are read from these types
by the argument checks, so the annotation and the check cannot disagree.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = [
    "Array",
    "Reduction",
]

Array = Any
"""An array of any supported library; the result has the first array's library and device."""

Reduction = Literal["mean", "sum", "none"]
"""How per-sample losses are reduced: weighted mean, weighted sum, or none (per-sample)."""

# ---------------------------------------------------------------------------------------------
# Options of the classification, regression, ranking and metric functions


# ---------------------------------------------------------------------------------------------
# Options of the contrastive (pair and in-batch) losses
