"""XLA's CPU compiler settings for the checks' own processes (the test suite, the matrix).

Most of the time of the suite and of the matrix on a CPU is XLA compiling small programs: an
eager JAX call compiles each primitive at each new shape and dtype, and every ``jax.jit`` of a
fresh wrapper compiles its program. With LLVM's optimisation passes off and the older loop
emitters (``FAST_CPU_FLAGS``), a compilation takes about a third of the time: 16 against 45 ms
a primitive on a 2-core machine (``python -m conformance.xla`` measures it here). The programs
compute the same operations (XLA enables no fast-math either way), less optimised, but a jitted
float32 program can round differently (at -O0 LLVM fuses no multiply and add into one
rounding, for one). Eager JAX calls, one primitive each, are unaffected;
the one check that saw it pins XLA's own settings (:data:`XLA_DEFAULTS`). The package itself
never sets them: they are the checking processes' choice, recorded in the matrix's report.
"""

from __future__ import annotations

import os
import time
from collections.abc import MutableMapping

__all__ = ["FAST_CPU_FLAGS", "XLA_DEFAULTS", "use_fast_cpu_compiler"]

FAST_CPU_FLAGS = "--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false"
#: XLA's own values of the options FAST_CPU_FLAGS sets, for ``jax.jit(...,
#: compiler_options=XLA_DEFAULTS)``: a check whose float32 result depends on how the compiled
#: program rounds. A jitted float32 loss at logits of 1e8 (scale 1e4, temperature 1e-4) moved
#: by 1e-4 relative at -O0 (tests/test_hostile_inbatch.py's ties; which of LLVM's passes makes
#: the difference was not isolated), and is exact with these, as in a user's program.
XLA_DEFAULTS = {"xla_backend_optimization_level": 3, "xla_cpu_use_fusion_emitters": True}


def use_fast_cpu_compiler(environ: MutableMapping[str, str] = os.environ) -> bool:
    """Put :data:`FAST_CPU_FLAGS` in front of ``XLA_FLAGS`` (flags already there come after
    them and win), before JAX starts its backend in this process; its child processes inherit
    them. ``ARRAYLOSSES_XLA_FAST=0`` keeps XLA's defaults. Returns whether it set them."""
    if environ.get("ARRAYLOSSES_XLA_FAST", "1") == "0":
        return False
    current = environ.get("XLA_FLAGS", "")
    if FAST_CPU_FLAGS not in current:
        environ["XLA_FLAGS"] = f"{FAST_CPU_FLAGS} {current}".strip()
    return True


def _per_primitive_ms(shapes: int = 60) -> float:
    """Milliseconds per eager primitive at a new shape (each shape compiles five)."""
    import jax.numpy as jnp

    jnp.ones(2).block_until_ready()
    start = time.perf_counter()
    for n in range(3, 3 + shapes):
        a = jnp.ones((n,))
        jnp.sum(jnp.exp(a) * 2.0 + a).block_until_ready()
    return (time.perf_counter() - start) / shapes / 5 * 1e3


if __name__ == "__main__":  # one process per setting: XLA reads its flags once
    import subprocess
    import sys

    code = "from conformance.xla import _per_primitive_ms as f; print(f'{f():.1f}')"
    for label, fast in (("XLA defaults", "0"), ("FAST_CPU_FLAGS", "1")):
        env = {**os.environ, "ARRAYLOSSES_XLA_FAST": fast}
        if fast == "1":
            use_fast_cpu_compiler(env)
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        print(f"{label}: {out.stdout.strip()} ms per eager primitive compilation")
