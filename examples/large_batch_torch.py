"""Contrastive training at batch 65,536 on a CPU: GradCache with a chunked CLIP loss, in PyTorch.

A batch this large does not fit the usual way, for two reasons. The encoders' activations for
65,536 examples are large, and the dense loss keeps the 65,536 × 65,536 similarity matrix and
its softmax for the backward pass (about 64 GiB in float32). Each training step here avoids
both in three phases (GradCache, Gao et al. 2021, arXiv 2101.06983):

1. embed the whole batch without gradients, ``--mini-batch`` rows at a time;
2. take the loss on those embeddings with ``chunk_size``, which walks the similarity matrix in
   ``chunk × chunk`` tiles and recomputes them in the backward pass. Its gradient with respect
   to the embeddings (leaf tensors) costs O(N·D + chunk²) memory;
3. embed each mini-batch again, now with gradients, and back-propagate the cached embedding
   gradient into the encoders (``emb.backward(grad)``). Then take one optimizer step.

The parameter gradients are those of the plain full-batch step, up to rounding. ``--check``
shows it in float64 at a batch where the plain step fits: it prints the largest relative
difference between the two. The encoders must compute the same function in phases 1 and 3.
With dropout, record the RNG state of each mini-batch in phase 1 and restore it in phase 3
(GradCache's ``RandContext``).

The data is generated: each pair is two noisy linear views ("image", "text") of one latent
vector. Two small MLP towers learn to map matching views together. One step at 65,536 takes
a few minutes on 2 CPU cores, most of it in the loss. The peak resident memory is printed per
phase.

    python examples/large_batch_torch.py [--batch 65536] [--chunk-size 1024] [--steps 3]
    python examples/large_batch_torch.py --check [--batch 2048]
"""

from __future__ import annotations

import argparse
import pathlib
import time

import torch

import arraylosses as al

LATENT, IMAGE_IN, TEXT_IN, HIDDEN = 32, 128, 96, 512


def peak_rss_gib() -> float:
    """The process's peak resident memory since the last :func:`reset_peak` (Linux)."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def reset_peak() -> None:
    try:
        pathlib.Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # not Linux: the peak is then the process's peak since it started
        pass


def towers(dim: int, dtype: torch.dtype) -> tuple[torch.nn.Module, torch.nn.Module]:
    def mlp(inputs: int) -> torch.nn.Module:
        return torch.nn.Sequential(
            torch.nn.Linear(inputs, HIDDEN), torch.nn.GELU(), torch.nn.Linear(HIDDEN, dim)
        ).to(dtype)

    return mlp(IMAGE_IN), mlp(TEXT_IN)


class Pairs:
    """Generated (image, text) pairs: two noisy linear views of one latent vector."""

    def __init__(self, seed: int, dtype: torch.dtype) -> None:
        self.gen = torch.Generator().manual_seed(seed)
        self.dtype = dtype
        self.to_image = torch.randn(LATENT, IMAGE_IN, generator=self.gen, dtype=dtype)
        self.to_text = torch.randn(LATENT, TEXT_IN, generator=self.gen, dtype=dtype)

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.randn(n, LATENT, generator=self.gen, dtype=self.dtype)

        def noise(width: int) -> torch.Tensor:
            return 0.5 * torch.randn(n, width, generator=self.gen, dtype=self.dtype)

        return z @ self.to_image + noise(IMAGE_IN), z @ self.to_text + noise(TEXT_IN)


def gradcache_step(
    image_tower: torch.nn.Module,
    text_tower: torch.nn.Module,
    images: torch.Tensor,
    texts: torch.Tensor,
    *,
    chunk_size: int,
    mini_batch: int,
    report: dict[str, tuple[float, float]] | None = None,
) -> float:
    """Fills the towers' ``.grad`` with the gradient of the full-batch CLIP loss; returns the
    loss. ``report`` receives ``{phase: (seconds, peak resident GiB)}``."""
    slices = [slice(i, i + mini_batch) for i in range(0, images.shape[0], mini_batch)]

    def phase(name: str, start: float) -> None:
        if report is not None:
            report[name] = (time.perf_counter() - start, peak_rss_gib())
        reset_peak()

    # 1. embed without gradients, mini-batch by mini-batch
    reset_peak()
    start = time.perf_counter()
    with torch.no_grad():
        image_emb = torch.cat([image_tower(images[s]) for s in slices])
        text_emb = torch.cat([text_tower(texts[s]) for s in slices])
    phase("embed (no grad)", start)

    # 2. the chunked loss, and its gradient with respect to the embeddings (leaf tensors)
    start = time.perf_counter()
    image_emb.requires_grad_(True)
    text_emb.requires_grad_(True)
    loss = al.clip_loss(image_emb, text_emb, chunk_size=chunk_size)
    loss.backward()
    phase("loss + embedding grads", start)

    # 3. embed again with gradients; back-propagate the cached embedding gradients
    start = time.perf_counter()
    for s in slices:
        image_tower(images[s]).backward(image_emb.grad[s])
        text_tower(texts[s]).backward(text_emb.grad[s])
    phase("re-embed + backward", start)
    return float(loss.detach())


def dense_step(
    image_tower: torch.nn.Module,
    text_tower: torch.nn.Module,
    images: torch.Tensor,
    texts: torch.Tensor,
) -> float:
    """The plain step: the whole batch through the towers and the dense loss, one backward."""
    loss = al.clip_loss(image_tower(images), text_tower(texts))
    loss.backward()
    return float(loss.detach())


def parameter_grads(*modules: torch.nn.Module) -> list[torch.Tensor]:
    return [p.grad.clone() for m in modules for p in m.parameters()]


def max_relative_difference(got: list[torch.Tensor], want: list[torch.Tensor]) -> float:
    """max over parameters of max|got - want| / max|want|."""
    return max(float((g - w).abs().max() / w.abs().max()) for g, w in zip(got, want, strict=True))


def check(batch: int, dim: int, chunk_size: int, mini_batch: int) -> float:
    """One step's parameter gradients, GradCache + chunked loss against the plain dense step,
    in float64; returns the largest relative difference."""
    torch.manual_seed(0)
    image_tower, text_tower = towers(dim, torch.float64)
    images, texts = Pairs(1, torch.float64).batch(batch)
    dense_step(image_tower, text_tower, images, texts)
    want = parameter_grads(image_tower, text_tower)
    for p in [*image_tower.parameters(), *text_tower.parameters()]:
        p.grad = None
    gradcache_step(
        image_tower, text_tower, images, texts, chunk_size=chunk_size, mini_batch=mini_batch
    )
    return max_relative_difference(parameter_grads(image_tower, text_tower), want)


def train(
    batch: int, dim: int, chunk_size: int, mini_batch: int, steps: int, dtype: torch.dtype
) -> list[float]:
    """``steps`` GradCache steps with Adam; prints a line per step; returns the losses."""
    torch.manual_seed(0)
    image_tower, text_tower = towers(dim, dtype)
    params = [*image_tower.parameters(), *text_tower.parameters()]
    optimizer = torch.optim.Adam(params, lr=1e-3)
    data = Pairs(2, dtype)
    losses, peak = [], 0.0
    for step in range(1, steps + 1):
        images, texts = data.batch(batch)
        optimizer.zero_grad()
        report: dict[str, tuple[float, float]] = {}
        loss = gradcache_step(
            image_tower,
            text_tower,
            images,
            texts,
            chunk_size=chunk_size,
            mini_batch=mini_batch,
            report=report,
        )
        optimizer.step()
        losses.append(loss)
        peak = max([peak] + [m for _, m in report.values()])
        phases = ", ".join(f"{k} {t:.1f} s (peak {m:.2f} GiB)" for k, (t, m) in report.items())
        print(f"step {step}: loss {loss:.4f}; {phases}", flush=True)
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}; peak resident memory {peak:.2f} GiB")
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=None, help="65536 (2048 with --check)")
    parser.add_argument("--dim", type=int, default=256, help="embedding width")
    parser.add_argument("--chunk-size", type=int, default=1024)
    parser.add_argument("--mini-batch", type=int, default=4096, help="rows per encoder pass")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument(
        "--check", action="store_true", help="compare one step with the dense step (float64)"
    )
    args = parser.parse_args()
    batch = args.batch or (2048 if args.check else 65536)
    sizes = (
        f"batch {batch:,}, dim {args.dim}, chunk {args.chunk_size}, mini-batch {args.mini_batch}"
    )
    if args.check:
        difference = check(batch, args.dim, args.chunk_size, args.mini_batch)
        print(f"check ({sizes}, float64): GradCache + chunked vs the dense step,")
        print(f"max relative difference of parameter gradients: {difference:.3e} (tolerance 1e-10)")
        if not difference < 1e-10:
            raise SystemExit("the gradients differ")
    dtype = torch.float64 if args.check else torch.float32
    print(f"training ({sizes}, {str(dtype).removeprefix('torch.')}):")
    train(batch, args.dim, args.chunk_size, args.mini_batch, args.steps, dtype)


if __name__ == "__main__":
    main()
