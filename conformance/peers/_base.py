"""The shape of a peer cross-check."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from arraylosses.testing.cases import BY_NAME


@dataclass(frozen=True)
class PeerCheck:
    """``run(inputs)`` returns ``(ours, theirs)``: lists of NumPy arrays (values, gradients)
    computed from the same float64 inputs, which must agree within ``rtol``/``atol``."""

    function: str  # our public name, as in the case registry
    peer: str  # the peer call, with its parameters translated
    library: str  # the module that must import (for availability)
    run: Callable[[dict[str, np.ndarray]], tuple[list[Any], list[Any]]]
    rtol: float = 1e-12
    atol: float = 1e-12
    deviation: str = ""  # where the peer differs by design, how and by how much

    @property
    def column(self) -> str:
        return self.library.split(".")[0].replace("_", "-")

    def available(self) -> str | None:
        try:
            importlib.import_module(self.library)
        except ImportError as err:
            return f"{self.library} is not installed ({err})"
        return None

    def inputs(self, seed: int = 7) -> dict[str, np.ndarray]:
        return BY_NAME[self.function].make(np.random.default_rng(seed))
