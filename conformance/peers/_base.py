"""The peer-check kit lives in :mod:`arraylosses.testing` (``PeerCheck``, ``pair``,
``jax_pair``: a record carries its own peer calls); the modules here import it from this name."""

from arraylosses.testing import PeerCheck, jax_pair, pair
from arraylosses.testing import PeerRun as Run

__all__ = ["PeerCheck", "Run", "jax_pair", "pair"]
