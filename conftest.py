"""Root pytest configuration, loaded before anything is collected (tests/ and the doctests of
arraylosses/ alike).

``arraylosses.keras`` imports keras, whose backend is fixed at keras' first import; Keras'
default backend, TensorFlow, is the one arraylosses refuses (array-api-compat does not support
its tensors), and where TensorFlow is not installed keras cannot even be imported with it. So
the test process uses JAX unless KERAS_BACKEND says otherwise (the peers' Keras checks use JAX
too); tests that need another backend run keras in a subprocess
(tests/test_adapter_keras.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
