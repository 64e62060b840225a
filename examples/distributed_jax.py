"""Multiple negatives ranking loss on eight (host) devices with JAX, two ways:

1. ``jax.jit`` on a batch sharded over a mesh: the loss is written for the global batch and
   XLA partitions it (the gather is implicit);
2. ``jax.shard_map`` with an explicit ``jax.lax.all_gather`` of the positives (and, for the
   symmetric preset, of the anchors): each device scores its own anchors against every
   positive with ``offset = axis_index * local_batch``, then ``pmean`` averages the devices'
   losses.

Both are checked on float64 against the single-device loss on the concatenated batch (value
and gradients w.r.t. every device's embeddings), then a small encoder trains with (2).

    python examples/distributed_jax.py [--steps 50]
"""

from __future__ import annotations

import os

# eight CPU devices unless XLA_FLAGS already says how many (other flags there are kept)
if "--xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    _flags = os.environ.get("XLA_FLAGS", "")
    os.environ["XLA_FLAGS"] = f"{_flags} --xla_force_host_platform_device_count=8".strip()

import argparse

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import arraylosses as al

jax.config.update("jax_enable_x64", True)
DEVICES, LOCAL, FEATURES, DIM = 8, 4, 16, 8


def sharded_loss(mesh: Mesh, symmetric: bool):
    """The loss of ``(anchors, positives)`` (global arrays, rows sharded over ``"batch"``)
    computed per device with an explicit all-gather."""

    def per_device(a: jax.Array, p: jax.Array) -> jax.Array:
        offset = jax.lax.axis_index("batch") * a.shape[0]
        every_p = jax.lax.all_gather(p, "batch", tiled=True)
        if symmetric:
            every_a = jax.lax.all_gather(a, "batch", tiled=True)
            loss = al.multiple_negatives_symmetric_ranking_loss(
                a, every_p, offset=offset, all_anchors=every_a
            )
        else:
            loss = al.multiple_negatives_ranking_loss(a, every_p, offset=offset)
        return jax.lax.pmean(loss, "batch")

    return jax.shard_map(per_device, mesh=mesh, in_specs=(P("batch"), P("batch")), out_specs=P())


def global_loss(symmetric: bool):
    return (
        al.multiple_negatives_symmetric_ranking_loss
        if symmetric
        else al.multiple_negatives_ranking_loss
    )


def check(mesh: Mesh) -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(DEVICES * LOCAL, DIM))
    p = a + 0.3 * rng.normal(size=a.shape)
    rows = NamedSharding(mesh, P("batch"))
    a_sharded, p_sharded = jax.device_put(a, rows), jax.device_put(p, rows)
    one_device = jax.devices()[0]
    for symmetric in (False, True):
        fn = global_loss(symmetric)
        value, grads = jax.value_and_grad(fn, argnums=(0, 1))(
            jax.device_put(a, one_device), jax.device_put(p, one_device)
        )
        for label, candidate in (
            (f"jit on a mesh of {DEVICES} devices", jax.jit(fn)),
            (
                f"shard_map + all_gather on {DEVICES} devices",
                jax.jit(sharded_loss(mesh, symmetric)),
            ),
        ):
            v, g = jax.value_and_grad(candidate, argnums=(0, 1))(a_sharded, p_sharded)
            np.testing.assert_allclose(float(v), float(value), rtol=1e-12)
            for ours, theirs in zip(g, grads, strict=True):
                np.testing.assert_allclose(
                    np.asarray(ours), np.asarray(theirs), rtol=1e-10, atol=1e-15
                )
            if symmetric:
                print(f"{label} == single device (MNRL and its symmetric preset, float64)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    if len(jax.devices()) < DEVICES:
        raise SystemExit(
            f"needs {DEVICES} devices; got {len(jax.devices())} (set XLA_FLAGS="
            f"--xla_force_host_platform_device_count={DEVICES} before JAX starts)"
        )
    mesh = Mesh(np.array(jax.devices()[:DEVICES]), ("batch",))
    check(mesh)

    rng = np.random.default_rng(0)
    key1, key2 = jax.random.split(jax.random.PRNGKey(0))
    params = {
        "w1": jax.random.normal(key1, (FEATURES, 32)) / 4,
        "w2": jax.random.normal(key2, (32, DIM)) / 6,
    }
    loss_fn = sharded_loss(mesh, symmetric=False)
    rows = NamedSharding(mesh, P("batch"))

    @jax.jit
    def step(params, xa, xp):
        def objective(prm):
            encode = lambda x: jnp.tanh(x @ prm["w1"]) @ prm["w2"]  # noqa: E731
            return loss_fn(encode(xa), encode(xp))

        loss, grads = jax.value_and_grad(objective)(params)
        return jax.tree.map(lambda w, g: w - 0.1 * g, params, grads), loss

    for i in range(args.steps):
        xa = rng.normal(size=(DEVICES * LOCAL, FEATURES))
        xp = xa + 0.3 * rng.normal(size=xa.shape)
        params, loss = step(params, jax.device_put(xa, rows), jax.device_put(xp, rows))
        if i % 10 == 0 or i == args.steps - 1:
            print(f"step {i:3d}  loss {float(loss):.4f}")


if __name__ == "__main__":
    main()
