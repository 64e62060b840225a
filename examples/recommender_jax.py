"""The recommender of ``recommender_torch.py`` in JAX with optax: the same losses
(``bpr_loss``, ``sampled_softmax_loss`` with logQ and accidental-hit removal, the
full-catalogue softmax through the chunked ``linear_cross_entropy``), the same generated data,
each training step under ``jax.jit``.

    python examples/recommender_jax.py [--steps 600]
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax
from _implicit_feedback import Interactions, generate, print_results

import arraylosses as al

DIM, BATCH, BPR_NEGATIVES, SAMPLED = 32, 512, 4, 64
NO_LOG_Q = "sampled_softmax_loss without logQ"  # the same negatives, uncorrected
FULL = "linear_cross_entropy (full catalogue)"  # softmax over every item, chunked
CHUNK = 128  # items per chunk: the (BATCH, items) logits are never stored


def evaluate(users: jax.Array, items: jax.Array, data: Interactions) -> tuple[float, ...]:
    scores = jnp.where(jnp.asarray(data.train_mask), -1e9, users @ items.T)  # seen items out
    relevance = jnp.asarray(data.held_out)
    return (
        float(al.metrics.recall_at_k(scores, relevance, k=10)),
        float(al.metrics.ndcg_at_k(scores, relevance, k=10)),
    )


def objective(
    params: dict[str, jax.Array],
    loss_name: str,
    user_ids: jax.Array,
    pos_ids: jax.Array,
    neg_ids: jax.Array,
    log_q: jax.Array,
) -> jax.Array:
    u, items = params["users"][user_ids], params["items"]
    pos = jnp.sum(u * items[pos_ids], axis=1)
    if loss_name == "bpr_loss":
        loss = al.bpr_loss(pos, jnp.sum(u[:, None, :] * items[neg_ids], axis=-1))
    elif loss_name == FULL:  # the softmax over every item, CHUNK items at a time
        loss = al.linear_cross_entropy(u, items, pos_ids, chunk_size=CHUNK)
    else:
        loss = al.sampled_softmax_loss(
            pos, u @ items[neg_ids].T, log_q=log_q, pos_ids=pos_ids, neg_ids=neg_ids
        )
    return loss + 1e-4 * (jnp.sum(u**2) + jnp.sum(items[pos_ids] ** 2)) / BATCH


def train(loss_name: str, data: Interactions, steps: int, seed: int = 0) -> tuple[float, ...]:
    rng = np.random.default_rng(seed)
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    params = {
        "users": 0.1 * jax.random.normal(k1, (data.num_users, DIM)),
        "items": 0.1 * jax.random.normal(k2, (data.num_items, DIM)),
    }
    optimizer = optax.adam(0.02)
    state = optimizer.init(params)
    log_frequency = np.log(data.item_frequency)

    @jax.jit
    def step(params, state, user_ids, pos_ids, neg_ids, log_q):
        loss, grads = jax.value_and_grad(objective)(
            params, loss_name, user_ids, pos_ids, neg_ids, log_q
        )
        updates, state = optimizer.update(grads, state)
        return optax.apply_updates(params, updates), state, loss

    for i in range(steps):
        batch = rng.integers(0, data.train_items.size, size=BATCH)
        if loss_name == "bpr_loss":
            neg_ids = rng.integers(0, data.num_items, size=(BATCH, BPR_NEGATIVES))
            log_q = np.zeros(BPR_NEGATIVES)  # unused by BPR
        else:
            neg_ids = rng.choice(data.num_items, size=SAMPLED, p=data.item_frequency)
            log_q = np.log(SAMPLED) + log_frequency[neg_ids]  # Q: expected count in the draw
            if loss_name == NO_LOG_Q:
                log_q = np.zeros_like(log_q)
        params, state, loss = step(
            params,
            state,
            jnp.asarray(data.train_users[batch]),
            jnp.asarray(data.train_items[batch]),
            jnp.asarray(neg_ids),
            jnp.asarray(log_q, dtype=jnp.float32),
        )
        if i % 200 == 0 or i == steps - 1:
            print(f"{loss_name:>37}  step {i:4d}  loss {float(loss):.4f}")
    return evaluate(params["users"], params["items"], data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    data = generate()
    results = {
        "popularity (no training)": evaluate(
            jnp.ones((data.num_users, 1)), jnp.asarray(data.item_frequency)[:, None], data
        )
    }
    results.update(
        {
            name: train(name, data, args.steps)
            for name in ("bpr_loss", "sampled_softmax_loss", NO_LOG_Q, FULL)
        }
    )
    print_results(results, data, args.steps)


if __name__ == "__main__":
    main()
