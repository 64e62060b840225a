"""Distil a cross-encoder into a bi-encoder on generated query-document data, in PyTorch and
in JAX: the same two-tower student trained with ``margin_mse_loss`` (the teacher's margins
between a positive and 7 negatives) and with ``distill_kl_div_loss`` (the teacher's
distribution over the 8 candidates), from a fixed teacher score matrix.

The data (NumPy, no download): queries and documents have hidden 16-dimensional topics and
are observed through different random nonlinear maps (48 features each, with noise). The true
relevance is the scaled topic inner product; the "cross-encoder" teacher is a fixed score
matrix, the true relevance plus noise. Evaluation: held-out queries rank the whole collection
by the student's dot product, nDCG@10 against graded labels from the true relevance (3 for a
query's top 3 documents, 2 for ranks 4-10, 1 for ranks 11-30). Every run starts from the same
weights (drawn once in NumPy) and sees the same candidates.

    python examples/distill_cross_encoder.py [--steps 2000] [--framework both|torch|jax]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import arraylosses as al

TOPICS, FEATURES, HIDDEN, DIM = 16, 48, 128, 32
DOCS, TRAIN_QUERIES, TEST_QUERIES = 2000, 2000, 300
BATCH, HARD, RANDOM, LR = 64, 4, 3, 1e-3
LOSSES = ("margin_mse_loss", "distill_kl_div_loss")


def generate(seed: int = 0):
    """Features of the queries and the documents, the teacher's score matrix (all queries x
    all documents) and the graded test labels."""
    rng = np.random.default_rng(seed)
    topics_q = rng.normal(size=(TRAIN_QUERIES + TEST_QUERIES, TOPICS))
    topics_d = rng.normal(size=(DOCS, TOPICS))

    def observe(z):
        mix = rng.normal(size=(TOPICS, FEATURES)) / np.sqrt(TOPICS)
        return np.tanh(1.5 * z @ mix) + 0.1 * rng.normal(size=(len(z), FEATURES))

    x_q, x_d = observe(topics_q), observe(topics_d)
    true = 3.0 * topics_q @ topics_d.T / np.sqrt(TOPICS)
    teacher = true + 0.5 * rng.normal(size=true.shape)
    rank = np.argsort(np.argsort(-true[TRAIN_QUERIES:], axis=1), axis=1)  # 0 = most relevant
    grades = np.select([rank < 3, rank < 10, rank < 30], [3, 2, 1], 0)
    f32 = np.float32
    return x_q.astype(f32), x_d.astype(f32), teacher.astype(f32), grades.astype(np.int64)


def candidates(teacher: np.ndarray, steps: int, seed: int = 1):
    """Per step: (BATCH,) training queries and (BATCH, 1 + HARD + RANDOM) documents, the
    teacher's best first, then hard negatives (teacher ranks 2-100), then random ones."""
    rng = np.random.default_rng(seed)
    order = np.argsort(-teacher[:TRAIN_QUERIES], axis=1)[:, :100]
    out = []
    for _ in range(steps):
        q = rng.choice(TRAIN_QUERIES, size=BATCH, replace=False)
        hard = np.stack([rng.choice(order[i, 1:], size=HARD, replace=False) for i in q])
        docs = np.concatenate(
            [order[q, :1], hard, rng.integers(0, DOCS, size=(BATCH, RANDOM))], axis=1
        )
        out.append((q, docs))
    return out


def init(seed: int = 0) -> dict[str, np.ndarray]:
    """The student's starting weights, float32: two towers (query, document), one hidden layer."""
    rng = np.random.default_rng(seed)
    params = {}
    for tower in ("q", "d"):
        params[tower + "w1"] = rng.normal(size=(FEATURES, HIDDEN)) * np.sqrt(2.0 / FEATURES)
        params[tower + "b1"] = np.zeros(HIDDEN)
        params[tower + "w2"] = rng.normal(size=(HIDDEN, DIM)) * np.sqrt(1.0 / HIDDEN)
        params[tower + "b2"] = np.zeros(DIM)
    return {k: v.astype(np.float32) for k, v in params.items()}


def ndcg(q_emb, d_emb, grades) -> float:
    return float(al.metrics.ndcg_at_k(np.asarray(q_emb) @ np.asarray(d_emb).T, grades, k=10))


def train_torch(loss_name, data, batches, start) -> float:
    import torch

    x_q, x_d, teacher, grades = data
    torch.manual_seed(0)
    prm = {k: torch.nn.Parameter(torch.from_numpy(v.copy())) for k, v in start.items()}

    def embed(tower, x):
        h = torch.relu(x @ prm[tower + "w1"] + prm[tower + "b1"])
        return h @ prm[tower + "w2"] + prm[tower + "b2"]

    optimizer = torch.optim.Adam(prm.values(), lr=LR)
    xq, xd, t = torch.from_numpy(x_q), torch.from_numpy(x_d), torch.from_numpy(teacher)
    for i, (q, docs) in enumerate(batches):
        q, docs = torch.from_numpy(q), torch.from_numpy(docs)
        scores = torch.einsum("nd,nkd->nk", embed("q", xq[q]), embed("d", xd[docs]))
        t_scores = t[q[:, None], docs]
        if loss_name == "margin_mse_loss":
            margins = t_scores[:, :1] - t_scores[:, 1:]
            loss = al.margin_mse_loss(scores[:, 0], scores[:, 1:], margins)
        else:
            loss = al.distill_kl_div_loss(scores, t_scores)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i == len(batches) - 1:
            print(f"  torch {loss_name:<20} step {i:4d}  loss {loss.item():.4f}")
    with torch.no_grad():
        return ndcg(embed("q", xq[TRAIN_QUERIES:]), embed("d", xd), grades)


def train_jax(loss_name, data, batches, start) -> float:
    import jax
    import jax.numpy as jnp
    import optax

    x_q, x_d, teacher, grades = data
    params = {k: jnp.asarray(v) for k, v in start.items()}

    def embed(p, tower, x):
        h = jax.nn.relu(x @ p[tower + "w1"] + p[tower + "b1"])
        return h @ p[tower + "w2"] + p[tower + "b2"]

    def objective(p, xq, xd, t_scores):
        scores = jnp.einsum("nd,nkd->nk", embed(p, "q", xq), embed(p, "d", xd))
        if loss_name == "margin_mse_loss":
            margins = t_scores[:, :1] - t_scores[:, 1:]
            return al.margin_mse_loss(scores[:, 0], scores[:, 1:], margins)
        return al.distill_kl_div_loss(scores, t_scores)

    optimizer = optax.adam(LR)
    state = optimizer.init(params)

    @jax.jit
    def step(p, state, xq, xd, t_scores):
        loss, grads = jax.value_and_grad(objective)(p, xq, xd, t_scores)
        updates, state = optimizer.update(grads, state)
        return optax.apply_updates(p, updates), state, loss

    for i, (q, docs) in enumerate(batches):
        params, state, loss = step(params, state, x_q[q], x_d[docs], teacher[q[:, None], docs])
        if i == len(batches) - 1:
            print(f"  JAX   {loss_name:<20} step {i:4d}  loss {float(loss):.4f}")
    return ndcg(embed(params, "q", x_q[TRAIN_QUERIES:]), embed(params, "d", x_d), grades)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--framework", choices=("both", "torch", "jax"), default="both")
    args = parser.parse_args()
    data = generate()
    x_q, x_d, teacher, grades = data
    batches = candidates(teacher, args.steps)
    start = init()

    def embed_np(tower, x):
        h = np.maximum(x @ start[tower + "w1"] + start[tower + "b1"], 0.0)
        return h @ start[tower + "w2"] + start[tower + "b2"]

    before = ndcg(embed_np("q", x_q[TRAIN_QUERIES:]), embed_np("d", x_d), grades)
    teacher_ndcg = float(al.metrics.ndcg_at_k(teacher[TRAIN_QUERIES:], grades, k=10))
    columns = {"both": ("PyTorch", "JAX"), "torch": ("PyTorch",), "jax": ("JAX",)}
    columns = columns[args.framework]
    results = {}
    for loss_name in LOSSES:
        for framework in columns:
            t0 = time.perf_counter()
            train = train_torch if framework == "PyTorch" else train_jax
            results[loss_name, framework] = train(loss_name, data, batches, start)
            print(f"    {time.perf_counter() - t0:.1f} s")
    print(
        f"\nnDCG@10 of {TEST_QUERIES} held-out queries over {DOCS} documents, before -> after "
        f"{args.steps} Adam steps ({BATCH} queries x {1 + HARD + RANDOM} candidates); "
        f"the teacher's score matrix: {teacher_ndcg:.3f}"
    )
    print("| loss | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for loss_name in LOSSES:
        cells = [f"{before:.3f} -> {results[loss_name, f]:.3f}" for f in columns]
        print(f"| {loss_name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
