"""The peer-check kit lives in :mod:`arraylosses.testing` (``PeerCheck``, ``pair``,
``jax_pair``: a record carries its own peer calls); the modules here import it from this name."""

from collections.abc import Callable
from typing import Any

import numpy as np

from arraylosses.testing import PeerCheck, jax_pair, pair

Run = Callable[[dict[str, np.ndarray]], tuple[list[Any], list[Any]]]

__all__ = ["PeerCheck", "Run", "jax_pair", "pair"]
