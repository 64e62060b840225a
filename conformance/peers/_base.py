"""The peer-check kit lives in :mod:`arraylosses.testing._peer` (a record carries its own
peer calls); the modules here import it from this name."""

from arraylosses.testing._peer import PeerCheck, Run, jax_pair, pair

__all__ = ["PeerCheck", "Run", "jax_pair", "pair"]
