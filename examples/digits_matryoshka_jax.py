"""The same Matryoshka MNRL training as ``digits_matryoshka_torch.py``, in JAX with optax:
the loss code is the same function, traced under ``jax.jit`` and differentiated by
``jax.grad``.

    python examples/digits_matryoshka_jax.py [--steps 400]
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import arraylosses as al

DIMS = (64, 32, 16, 8)


def init(key: jax.Array) -> dict[str, jax.Array]:
    k1, k2 = jax.random.split(key)
    return {
        "w1": jax.random.normal(k1, (64, 256)) / 8.0,
        "b1": jnp.zeros(256),
        "w2": jax.random.normal(k2, (256, DIMS[0])) / 16.0,
        "b2": jnp.zeros(DIMS[0]),
    }


def embed(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    return jax.nn.relu(x @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"]


def evaluate(params, x_query, y_query, x_base, y_base) -> dict[int, tuple]:
    q, b = embed(params, jnp.asarray(x_query)), embed(params, jnp.asarray(x_base))
    relevance = jnp.asarray(y_query[:, None] == y_base[None, :], dtype=jnp.int32)
    out = {}
    for d in DIMS:
        scores = al.pairwise_cosine_similarity(q[:, :d], b[:, :d])
        out[d] = (
            float(al.metrics.recall_at_k(scores, relevance, k=10)),
            float(al.metrics.ndcg_at_k(scores, relevance, k=10)),
            float(al.metrics.precision_at_k(scores, relevance, k=10)),
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.3, random_state=0, stratify=digits.target
    )
    by_class = [np.flatnonzero(y_train == c) for c in range(10)]
    loss_fn = al.matryoshka(al.multiple_negatives_ranking_loss, DIMS)
    optimizer = optax.adam(1e-3)
    params = init(jax.random.PRNGKey(0))
    state = optimizer.init(params)

    @jax.jit
    def step(params, state, a, p):
        loss, grads = jax.value_and_grad(lambda prm: loss_fn(embed(prm, a), embed(prm, p)))(params)
        updates, state = optimizer.update(grads, state)
        return optax.apply_updates(params, updates), state, loss

    before = evaluate(params, x_test, y_test, x_train, y_train)
    for i in range(args.steps):
        classes = rng.choice(10, size=args.batch)
        a = x_train[[rng.choice(by_class[c]) for c in classes]]
        p = x_train[[rng.choice(by_class[c]) for c in classes]]
        params, state, loss = step(params, state, jnp.asarray(a), jnp.asarray(p))
        if i % 100 == 0 or i == args.steps - 1:
            print(f"step {i:4d}  matryoshka MNRL {float(loss):.4f}")
    after = evaluate(params, x_test, y_test, x_train, y_train)
    print("\nretrieval of test digits among training digits (k=10), before -> after training")
    print("| width | recall@10 | ndcg@10 | precision@10 |")
    print("|---|---|---|---|")
    for d in DIMS:
        cells = [f"{b:.3f} -> {a:.3f}" for b, a in zip(before[d], after[d], strict=True)]
        print(f"| {d} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
