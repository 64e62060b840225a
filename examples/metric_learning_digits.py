"""Metric learning on scikit-learn's digits: the same small network trained with
``arcface_loss`` and with ``multi_similarity_loss``, in PyTorch and in JAX, beside the same
network trained with pytorch-metric-learning's ``ArcFaceLoss`` and ``MultiSimilarityLoss``.

Every run starts from the same weights (drawn once in NumPy) and sees the same batches, so the
columns differ only by the framework and the loss implementation. ArcFace's margin is 0.5 rad
(the paper's); PML takes degrees, so its loss gets ``margin=math.degrees(0.5)`` (28.648°; its
default 28.6° is 0.4992 rad). The class proxies are arrays that the caller owns and trains
beside the network (PML's loss owns them as ``W``, the transpose). Recall@1: a held-out
digit's nearest training digit (cosine) has its label, ``hit_rate_at_k(k=1)``.

    python examples/metric_learning_digits.py [--steps 400] [--framework both|torch|jax]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import arraylosses as al

HIDDEN, DIM, CLASSES, LR = 128, 32, 10, 1e-3
LOSSES = ("arcface_loss", "multi_similarity_loss")
MARGIN, SCALE = 0.5, 64.0  # ArcFace, radians (the paper's and our default)


def init(seed: int = 0) -> dict[str, np.ndarray]:
    """The starting weights of every run, float32 (He-style network, unit-normal proxies)."""
    rng = np.random.default_rng(seed)
    shapes = {"w1": (64, HIDDEN), "w2": (HIDDEN, DIM)}
    params = {k: rng.normal(size=s) * np.sqrt(2.0 / s[0]) for k, s in shapes.items()}
    params |= {"b1": np.zeros(HIDDEN), "b2": np.zeros(DIM)}
    params["proxies"] = rng.normal(size=(CLASSES, DIM))
    return {k: v.astype(np.float32) for k, v in params.items()}


def recall_at_1(test_emb, y_test, train_emb, y_train) -> float:
    """Held-out digits query the training digits; relevant = same label."""
    scores = al.pairwise_cosine_similarity(np.asarray(test_emb), np.asarray(train_emb))
    relevance = (y_test[:, None] == y_train[None, :]).astype(np.int64)
    return float(al.metrics.hit_rate_at_k(scores, relevance, k=1))


def train_torch(loss_name: str, impl: str, data, batches, start) -> float:
    import torch

    x_train, y_train, x_test, y_test = data
    torch.manual_seed(0)
    prm = {k: torch.nn.Parameter(torch.from_numpy(v.copy())) for k, v in start.items()}

    def embed(x):
        return torch.relu(x @ prm["w1"] + prm["b1"]) @ prm["w2"] + prm["b2"]

    trained = [prm[k] for k in ("w1", "b1", "w2", "b2")]
    if impl == "PML":
        from pytorch_metric_learning import losses

        if loss_name == "arcface_loss":
            pml = losses.ArcFaceLoss(CLASSES, DIM, margin=math.degrees(MARGIN), scale=SCALE)
            with torch.no_grad():
                pml.W.copy_(prm["proxies"].T)  # PML's W is (D, C)
            trained += list(pml.parameters())
        else:
            pml = losses.MultiSimilarityLoss(alpha=2.0, beta=50.0, base=0.5)
        loss_fn = pml
    elif loss_name == "arcface_loss":
        trained.append(prm["proxies"])

        def loss_fn(e, y):
            return al.arcface_loss(e, y, prm["proxies"], scale=SCALE, margin=MARGIN)
    else:
        loss_fn = al.multi_similarity_loss
    optimizer = torch.optim.Adam(trained, lr=LR)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for i, idx in enumerate(batches):
        idx = torch.from_numpy(idx)
        loss = loss_fn(embed(xt[idx]), yt[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i == len(batches) - 1:
            print(f"  torch {impl:<11} {loss_name:<22} step {i:4d}  loss {loss.item():.4f}")
    with torch.no_grad():
        return recall_at_1(embed(torch.from_numpy(x_test)), y_test, embed(xt), y_train)


def train_jax(loss_name: str, data, batches, start) -> float:
    import jax
    import jax.numpy as jnp
    import optax

    x_train, y_train, x_test, y_test = data
    params = {k: jnp.asarray(v) for k, v in start.items()}
    if loss_name != "arcface_loss":
        del params["proxies"]

    def embed(p, x):
        return jax.nn.relu(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]

    def objective(p, x, y):
        e = embed(p, x)
        if loss_name == "arcface_loss":
            return al.arcface_loss(e, y, p["proxies"], scale=SCALE, margin=MARGIN)
        return al.multi_similarity_loss(e, y)

    optimizer = optax.adam(LR)
    state = optimizer.init(params)

    @jax.jit
    def step(p, state, x, y):
        loss, grads = jax.value_and_grad(objective)(p, x, y)
        updates, state = optimizer.update(grads, state)
        return optax.apply_updates(p, updates), state, loss

    for i, idx in enumerate(batches):
        params, state, loss = step(params, state, x_train[idx], y_train[idx])
        if i == len(batches) - 1:
            print(
                f"  JAX   {'arraylosses':<11} {loss_name:<22} step {i:4d}  loss {float(loss):.4f}"
            )
    return recall_at_1(embed(params, x_test), y_test, embed(params, x_train), y_train)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--framework", choices=("both", "torch", "jax"), default="both")
    args = parser.parse_args()
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.3, random_state=0, stratify=digits.target
    )
    data = (x_train, y_train, x_test, y_test)
    start = init()
    rng = np.random.default_rng(1)
    batches = [rng.choice(len(y_train), size=args.batch, replace=False) for _ in range(args.steps)]

    def embed_np(x):
        return np.maximum(x @ start["w1"] + start["b1"], 0.0) @ start["w2"] + start["b2"]

    untrained = recall_at_1(embed_np(x_test), y_test, embed_np(x_train), y_train)
    pixels = recall_at_1(x_test, y_test, x_train, y_train)
    columns = []
    if args.framework in ("both", "torch"):
        columns += [("arraylosses, PyTorch", "torch"), ("PML, PyTorch", "PML")]
    if args.framework in ("both", "jax"):
        columns.insert(1 if columns else 0, ("arraylosses, JAX", "jax"))
    results: dict[tuple[str, str], float] = {}
    for loss_name in LOSSES:
        for title, impl in columns:
            t0 = time.perf_counter()
            if impl == "jax":
                results[loss_name, title] = train_jax(loss_name, data, batches, start)
            else:
                impl_name = "arraylosses" if impl == "torch" else impl
                results[loss_name, title] = train_torch(loss_name, impl_name, data, batches, start)
            print(f"    {time.perf_counter() - t0:.1f} s")
    print(
        f"\nrecall@1 of {len(y_test)} held-out digits among {len(y_train)} training digits "
        f"(cosine), after {args.steps} Adam steps of batch {args.batch}; raw pixels: {pixels:.3f}, "
        f"the untrained network: {untrained:.3f}"
    )
    print("| loss | " + " | ".join(title for title, _ in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for loss_name in LOSSES:
        cells = [f"{results[loss_name, title]:.3f}" for title, _ in columns]
        print(f"| {loss_name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
