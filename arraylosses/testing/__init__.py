"""The shipped test kit: check your own loss against ours, and our functions across backends.

- :func:`crosscheck` runs a user's implementation (any framework) against one of ours on
  every backend it runs on, values and gradients, against ours on the same backend and
  against ours on NumPy float64 (generic array-API code, an independent reference);
  :func:`adapt` maps a peer's argument order, names, reduction and one-hot labels to ours.
- :func:`assert_backends_agree` is the check the conformance matrix runs for every registry
  case: the NumPy float64 result is the oracle, and every other backend and dtype must
  reproduce it within the tolerance of its dtype, with the right namespace, dtype, shape and
  device.
- :data:`BACKENDS` (:class:`Backend`: load, convert, context), :data:`TOLERANCES`,
  :func:`value_and_grads` (the one autodiff helper), :func:`finite_differences`,
  :class:`PeerCheck` with :func:`peer`, :func:`pair`, :func:`jax_pair` and :func:`peer_module`
  (a record's peer calls), and the
  registry of every public function's inputs (:mod:`arraylosses.testing.cases`, builders in
  :mod:`arraylosses.testing.inputs`, plain NumPy) are what the repository's own tests and
  conformance matrix use.

Nothing here changes the caller's process: JAX's x64 and matmul precision are set with
context managers around the work (:meth:`Backend.context`), never written to ``jax.config``;
no torch default or environment variable is touched. It imports only arraylosses, NumPy and
array-api-compat/-extra; torch, JAX, CuPy and array-api-strict load when a backend is used.
"""

from ._adapt import adapt
from ._agree import assert_backends_agree
from ._autodiff import (
    ValueAndGrads,
    finite_difference_gradient,
    finite_differences,
    parts,
    value_and_grads,
)
from ._backends import (
    BACKENDS,
    Backend,
    BackendUnavailable,
    available_backends,
    generic_kernels,
    jax_context,
    to_numpy,
)
from ._compare import FINITE_DIFFERENCES, TOLERANCES, assert_close, max_errors, tolerance
from ._crosscheck import CandidateError, CrosscheckReport, Row, crosscheck
from ._peer import PeerCheck, PeerRun, jax_pair, pair, pair_dtype, peer, peer_module

__all__ = [
    "BACKENDS",
    "FINITE_DIFFERENCES",
    "TOLERANCES",
    "Backend",
    "BackendUnavailable",
    "CandidateError",
    "CrosscheckReport",
    "PeerCheck",
    "PeerRun",
    "Row",
    "ValueAndGrads",
    "adapt",
    "assert_backends_agree",
    "assert_close",
    "available_backends",
    "crosscheck",
    "finite_difference_gradient",
    "finite_differences",
    "generic_kernels",
    "jax_context",
    "jax_pair",
    "max_errors",
    "pair",
    "pair_dtype",
    "parts",
    "peer",
    "peer_module",
    "to_numpy",
    "tolerance",
    "value_and_grads",
]
