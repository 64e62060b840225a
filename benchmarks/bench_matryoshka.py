"""Matryoshka over MNRL, forward + backward, torch eager, against one full-width MNRL in the
same run: dims (768, 512, 256, 128, 64), batch 256, one hard negative per anchor.

    python benchmarks/bench_matryoshka.py [--batch 256] [--repeat 11]

Rows: one full-width MNRL (the reference, 1.00); ``matryoshka`` (partial dot products over
consecutive slices); the same loss called once per dim on truncated, normalised embeddings
(what a plain wrapper does); sentence-transformers' MNRL per dim on ``shrink``-ed embeddings
(the work its MatryoshkaLoss does once the model's output is cached).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from _timing import median_seconds

DIMS = (768, 512, 256, 128, 64)




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()

    import torch

    import arraylosses as al

    rng = np.random.default_rng(0)
    b, d = args.batch, DIMS[0]
    leaves = [torch.tensor(rng.normal(size=shape), dtype=torch.float32, requires_grad=True)
              for shape in ((b, d), (b, d), (b, 1, d))]

    def step(loss: Callable[[], torch.Tensor]) -> Callable[[], None]:
        def run() -> None:
            for x in leaves:
                x.grad = None
            loss().backward()
        return run

    q, p, n = leaves
    fast = al.matryoshka(al.multiple_negatives_ranking_loss, DIMS)
    per_dim = al.matryoshka(lambda *a, **k: al.multiple_negatives_ranking_loss(*a, **k), DIMS)
    rows = {
        "one full-width MNRL": step(lambda: al.multiple_negatives_ranking_loss(q, p, n)),
        "matryoshka(MNRL), partial dot products": step(lambda: fast(q, p, n)),
        "MNRL called once per dim": step(lambda: per_dim(q, p, n)),
    }
    try:
        from sentence_transformers.sentence_transformer import losses
        from sentence_transformers.sentence_transformer.losses.matryoshka import shrink

        inner = losses.MultipleNegativesRankingLoss(torch.nn.Module())
        rows["sentence-transformers MNRL per dim (shrink)"] = step(lambda: sum(
            inner.compute_loss_from_embeddings([shrink(x, k) for x in (q, p, n[:, 0])], None)
            for k in DIMS))
        rows["sentence-transformers one full-width MNRL"] = step(
            lambda: inner.compute_loss_from_embeddings([q, p, n[:, 0]], None))
    except ImportError:
        pass
    times = {name: median_seconds(fn, args.repeat) for name, fn in rows.items()}
    base = times["one full-width MNRL"]
    print(f"Matryoshka MNRL, batch {b}, dims {DIMS}, forward+backward, torch "
          f"{torch.__version__} eager, float32, {torch.get_num_threads()} threads")
    print("| case | ms | ratio to one full-width MNRL |")
    print("|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {t * 1e3:.2f} | {t / base:.2f} |")


if __name__ == "__main__":
    main()
