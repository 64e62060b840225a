"""Run the README's crosscheck examples against the installed wheel (``nox -s wheel``).

Run from a temporary directory, with README.md beside this script: arraylosses must come
from site-packages, the source tree (``conformance``, ``tests``) must not be importable, and
JAX's x64 and matmul-precision settings must be the same after the examples as before, with
x64 as a user leaves it (off) and turned on.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re
import sys
import time


def settings() -> tuple[bool, object]:
    import jax

    return bool(jax.config.jax_enable_x64), jax.config.jax_default_matmul_precision


def main() -> int:
    import arraylosses
    import arraylosses.testing

    here = pathlib.Path(__file__).resolve().parent
    location = pathlib.Path(arraylosses.__file__).resolve()
    assert "site-packages" in location.parts, f"arraylosses imported from {location}"
    leaked = [m for m in ("conformance", "tests") if importlib.util.find_spec(m) is not None]
    assert not leaked, f"source tree on sys.path: {leaked} importable ({sys.path})"
    print(f"arraylosses from {location.parent}; conformance/ and tests/ not importable")

    text = (here / "README.md").read_text()
    blocks = re.findall(r"<!-- crosscheck-example -->\s*```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2, f"expected the README's 2 crosscheck examples, found {len(blocks)}"
    import jax

    namespace: dict = {}
    before = settings()
    start = time.perf_counter()
    for i, block in enumerate(blocks):
        exec(compile(block, f"README.md (crosscheck example {i + 1})", "exec"), namespace)
    print(f"README crosscheck examples ran in {time.perf_counter() - start:.1f} s")
    after = settings()
    assert after == before, f"JAX settings changed: {before} -> {after}"
    print(f"JAX (x64, matmul precision) before {before}, after {after}: unchanged")

    # the user turns x64 on, then off again: neither call may change it, and float64 rows
    # must really be float64 with x64 off (asserted inside crosscheck, and recorded here)
    crosscheck = namespace["crosscheck"]
    for x64 in (True, False):
        jax.config.update("jax_enable_x64", x64)
        seen: list[str] = []

        def focal(logits, target, seen=seen):
            seen.append(str(logits.dtype))
            return arraylosses.sigmoid_focal_loss(logits, target)

        before = settings()
        report = crosscheck(focal, "sigmoid_focal_loss", backends=["jax"])
        assert settings() == before, f"JAX settings changed: {before} -> {settings()}"
        assert {"float64", "float32"} <= set(seen), seen
        print(
            f"x64 {'on' if x64 else 'off'} by the user: {len(report.ran())} rows, candidate "
            f"saw {sorted(set(seen))}, settings unchanged {settings()}"
        )
    print("wheel smoke test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
