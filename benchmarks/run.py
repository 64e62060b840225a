"""Every benchmark, ours against the native implementation in the same process and run.

    python benchmarks/run.py [--repeat 15] [--out benchmarks/results] [--device cpu|cuda]
                             [--compile] [--only NAME]

Forward + backward for losses (values only for NumPy metrics); the medians of interleaved
runs (``_timing.interleaved``), and the ratio ours/native: lower is better, 1.00 is parity.
Memory: for torch, the bytes autograd keeps for the backward pass (``saved_tensors_hooks``),
ours/native; for JAX, XLA's temporary buffers of the compiled step (``memory_analysis``).
Per-call overhead: the time of one call on a tiny input, in µs. ``--out`` writes
``results.md``, ``results.json`` and ``ratios.png``.

The natives: ``torch.nn.functional`` (eager, and ``torch.compile`` with ``--compile``), optax
(under ``jax.jit``), scikit-learn (NumPy), sentence-transformers (MNRL, CoSENT), and, for
InfoNCE, the two-line PyTorch everyone writes (normalise, matmul, ``F.cross_entropy``).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from _timing import interleaved

import arraylosses as al


@dataclass
class Row:
    group: str  # "torch eager", "torch.compile", "JAX jit", "NumPy", "overhead", "Matryoshka"
    case: str
    native: str
    ours_s: float
    native_s: float
    ours_bytes: float | None = None
    native_bytes: float | None = None
    target: float | None = None

    @property
    def ratio(self) -> float:
        return self.ours_s / self.native_s

    @property
    def memory_ratio(self) -> float | None:
        if not self.ours_bytes or not self.native_bytes:
            return None
        return self.ours_bytes / self.native_bytes


# ---------------------------------------------------------------------------------------------
# torch


def _saved_bytes(fn: Callable[[], Any]) -> int:
    """Bytes of the tensors autograd saves for the backward pass of ``fn()`` (each storage
    counted once): what a forward+backward holds at its peak beyond inputs and outputs."""
    import torch

    seen: dict[int, int] = {}

    def pack(t: Any) -> Any:
        storage = t.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return sum(seen.values())


def _torch_step(fn: Callable[..., Any], leaves: list[Any], *args: Any) -> Callable[[], None]:
    import torch

    sync = torch.cuda.synchronize if leaves[0].is_cuda else (lambda: None)

    def run() -> None:
        for x in leaves:
            x.grad = None
        fn(*leaves, *args).backward()
        sync()

    return run


def torch_cases(
    rng: np.random.Generator, device: str
) -> list[tuple[str, str, Any, Any, list, tuple]]:
    """``(case, native name, ours, native, leaves, extra args)``."""
    import torch
    import torch.nn.functional as F

    def leaf(*shape: int) -> Any:
        return torch.tensor(
            rng.normal(size=shape), dtype=torch.float32, device=device, requires_grad=True
        )

    def labels(n: int, c: int) -> Any:
        return torch.tensor(rng.integers(0, c, size=n), device=device)

    def info_nce_native(q: Any, p: Any) -> Any:
        logits = F.normalize(q, dim=1) @ F.normalize(p, dim=1).T / 0.1
        return F.cross_entropy(logits, torch.arange(q.shape[0], device=q.device))

    cases = [
        (
            "cross_entropy 4096x1000",
            "F.cross_entropy",
            al.cross_entropy,
            F.cross_entropy,
            [leaf(4096, 1000)],
            (labels(4096, 1000),),
        ),
        (
            "cross_entropy 65536x32",
            "F.cross_entropy",
            al.cross_entropy,
            F.cross_entropy,
            [leaf(65536, 32)],
            (labels(65536, 32),),
        ),
        (
            "binary_cross_entropy_with_logits 4096x1000",
            "F.binary_cross_entropy_with_logits",
            al.binary_cross_entropy_with_logits,
            F.binary_cross_entropy_with_logits,
            [leaf(4096, 1000)],
            (torch.tensor(rng.uniform(size=(4096, 1000)), dtype=torch.float32, device=device),),
        ),
        (
            "mse_loss 4096x1000",
            "F.mse_loss",
            al.mse_loss,
            F.mse_loss,
            [leaf(4096, 1000), leaf(4096, 1000)],
            (),
        ),
        (
            "triplet_margin_loss 4096x128",
            "F.triplet_margin_loss",
            al.triplet_margin_loss,
            F.triplet_margin_loss,
            [leaf(4096, 128), leaf(4096, 128), leaf(4096, 128)],
            (),
        ),
        (
            "info_nce 1024x768",
            "normalize + matmul + F.cross_entropy",
            al.info_nce,
            info_nce_native,
            [leaf(1024, 768), leaf(1024, 768)],
            (),
        ),
    ]
    try:
        from sentence_transformers.sentence_transformer import losses as st
    except ImportError:
        return cases
    mnrl = st.MultipleNegativesRankingLoss(torch.nn.Module())
    cosent = st.CoSENTLoss(torch.nn.Module())
    gold = torch.tensor(rng.uniform(size=4096), dtype=torch.float32, device=device)
    cases += [
        (
            "multiple_negatives_ranking_loss 1024x768",
            "sentence-transformers MNRL",
            al.multiple_negatives_ranking_loss,
            lambda q, p: mnrl.compute_loss_from_embeddings([q, p], None),
            [leaf(1024, 768), leaf(1024, 768)],
            (),
        ),
        (
            "multiple_negatives_ranking_loss 1024x768, 1 hard negative",
            "sentence-transformers MNRL",
            al.multiple_negatives_ranking_loss,
            lambda q, p, n: mnrl.compute_loss_from_embeddings([q, p, n], None),
            [leaf(1024, 768), leaf(1024, 768), leaf(1024, 768)],
            (),
        ),
        (
            "cosent_loss N=4096, D=768",
            "sentence-transformers CoSENT (O(N log N))",
            al.cosent_loss,
            lambda a, b, s: cosent.compute_loss_from_embeddings([a, b], s),
            [leaf(4096, 768), leaf(4096, 768)],
            (gold,),
        ),
    ]
    return cases


def torch_rows(rng: np.random.Generator, repeat: int, device: str, compile_: bool) -> list[Row]:
    import torch

    rows = []
    for case, native_name, ours, native, leaves, extra in torch_cases(rng, device):
        t = interleaved(
            {
                "ours": _torch_step(ours, leaves, *extra),
                "native": _torch_step(native, leaves, *extra),
            },
            repeat,
        )
        mem = [_saved_bytes(lambda f=f, a=(*leaves, *extra): f(*a)) for f in (ours, native)]
        group = "torch eager" if device == "cpu" else f"torch eager ({device})"
        rows.append(Row(group, case, native_name, t["ours"], t["native"], *mem, target=1.1))
        if compile_ and case.startswith(
            ("cross_entropy 4096", "info_nce", "mse_loss", "binary_cross_entropy")
        ):
            c_ours, c_native = torch.compile(ours), torch.compile(native)
            t = interleaved(
                {
                    "ours": _torch_step(c_ours, leaves, *extra),
                    "native": _torch_step(c_native, leaves, *extra),
                },
                repeat,
            )
            rows.append(Row("torch.compile", case, native_name, t["ours"], t["native"], target=1.1))
    return rows


def matryoshka_rows(rng: np.random.Generator, repeat: int, device: str) -> list[Row]:
    import torch

    dims = (768, 512, 256, 128, 64)
    leaves = [
        torch.tensor(rng.normal(size=shape), dtype=torch.float32, device=device, requires_grad=True)
        for shape in ((256, 768), (256, 768), (256, 1, 768))
    ]
    fast = al.matryoshka(al.multiple_negatives_ranking_loss, dims)
    steps = {
        "full": _torch_step(al.multiple_negatives_ranking_loss, leaves),
        "ours": _torch_step(fast, leaves),
    }
    try:
        from sentence_transformers.sentence_transformer import losses as st
        from sentence_transformers.sentence_transformer.losses.matryoshka import shrink

        inner = st.MultipleNegativesRankingLoss(torch.nn.Module())
        steps["st"] = _torch_step(
            lambda q, p, n: sum(
                inner.compute_loss_from_embeddings([shrink(x, k) for x in (q, p, n[:, 0])], None)
                for k in dims
            ),
            leaves,
        )
    except ImportError:
        pass
    t = interleaved(steps, repeat)
    rows = [
        Row(
            "Matryoshka",
            "matryoshka(MNRL), batch 256, dims 768..64",
            "one full-width MNRL (ours)",
            t["ours"],
            t["full"],
            target=1.3,
        )
    ]
    if "st" in t:
        rows.append(
            Row(
                "Matryoshka",
                "sentence-transformers MatryoshkaLoss work (shrink, MNRL per dim)",
                "one full-width MNRL (ours)",
                t["st"],
                t["full"],
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# JAX


def jax_rows(rng: np.random.Generator, repeat: int) -> list[Row]:
    import jax
    import jax.numpy as jnp
    import optax

    def arr(*shape: int) -> Any:
        return jnp.asarray(rng.normal(size=shape), dtype=jnp.float32)

    z, y = arr(4096, 1000), jnp.asarray(rng.integers(0, 1000, size=4096))
    z2, y2 = arr(65536, 32), jnp.asarray(rng.integers(0, 32, size=65536))
    t01 = jnp.asarray(rng.uniform(size=(4096, 1000)), dtype=jnp.float32)
    a, b = arr(4096, 1000), arr(4096, 1000)
    ta, tp, tn = arr(4096, 128), arr(4096, 128), arr(4096, 128)
    cases = [
        (
            "cross_entropy 4096x1000",
            "optax softmax_cross_entropy_with_integer_labels",
            lambda z: al.cross_entropy(z, y),
            lambda z: optax.losses.softmax_cross_entropy_with_integer_labels(z, y).mean(),
            (z,),
        ),
        (
            "cross_entropy 65536x32",
            "optax softmax_cross_entropy_with_integer_labels",
            lambda z: al.cross_entropy(z, y2),
            lambda z: optax.losses.softmax_cross_entropy_with_integer_labels(z, y2).mean(),
            (z2,),
        ),
        (
            "binary_cross_entropy_with_logits 4096x1000",
            "optax sigmoid_binary_cross_entropy",
            lambda z: al.binary_cross_entropy_with_logits(z, t01),
            lambda z: optax.losses.sigmoid_binary_cross_entropy(z, t01).mean(),
            (z,),
        ),
        (
            "mse_loss 4096x1000",
            "optax squared_error",
            al.mse_loss,
            lambda p, t: optax.losses.squared_error(p, t).mean(),
            (a, b),
        ),
        (
            "triplet_margin_loss 4096x128",
            "optax triplet_margin_loss",
            lambda a, p, n: al.triplet_margin_loss(a, p, n, eps=1e-6),
            lambda a, p, n: optax.losses.triplet_margin_loss(a, p, n, eps=1e-6).mean(),
            (ta, tp, tn),
        ),
    ]
    rows = []
    for case, native_name, ours, native, args in cases:
        argnums = tuple(range(len(args)))
        steps, mem = {}, []
        for name, fn in (("ours", ours), ("native", native)):
            step = jax.jit(jax.value_and_grad(fn, argnums=argnums))
            compiled = step.lower(*args).compile()
            analysis = compiled.memory_analysis()
            mem.append(getattr(analysis, "temp_size_in_bytes", None) if analysis else None)
            steps[name] = lambda step=step, a=args: jax.block_until_ready(step(*a))
        t = interleaved(steps, repeat)
        rows.append(Row("JAX jit", case, native_name, t["ours"], t["native"], *mem, target=1.1))
    return rows


# ---------------------------------------------------------------------------------------------
# NumPy metrics against scikit-learn (values)


def numpy_rows(rng: np.random.Generator, repeat: int) -> list[Row]:
    from sklearn import metrics as sk

    pred, true = rng.normal(size=(100_000, 8)), rng.normal(size=(100_000, 8))
    scores, rel = rng.normal(size=(512, 1000)), rng.integers(0, 4, size=(512, 1000))
    cases = [
        (
            "mean_squared_error 100000x8",
            "sklearn mean_squared_error",
            lambda: al.metrics.mean_squared_error(pred, true),
            lambda: sk.mean_squared_error(true, pred),
        ),
        (
            "mean_absolute_error 100000x8",
            "sklearn mean_absolute_error",
            lambda: al.metrics.mean_absolute_error(pred, true),
            lambda: sk.mean_absolute_error(true, pred),
        ),
        (
            "r2_score 100000x8",
            "sklearn r2_score",
            lambda: al.metrics.r2_score(pred, true),
            lambda: sk.r2_score(true, pred),
        ),
        (
            "ndcg_at_k 512x1000, k=10",
            "sklearn ndcg_score (ties averaged)",
            lambda: al.metrics.ndcg_at_k(scores, rel, k=10),
            lambda: sk.ndcg_score(rel, scores, k=10),
        ),
    ]
    rows = []
    for case, native_name, ours, native in cases:
        t = interleaved({"ours": ours, "native": native}, repeat)
        rows.append(Row("NumPy", case, native_name, t["ours"], t["native"], target=1.2))
    return rows


# ---------------------------------------------------------------------------------------------
# per-call overhead on tiny inputs


def overhead_rows(repeat: int) -> list[Row]:
    import torch
    import torch.nn.functional as F

    z, y = torch.zeros(4, 3), torch.tensor([0, 1, 2, 0])
    a, b = torch.zeros(4, 3), torch.ones(4, 3)
    calls = 200

    def per_call(fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(calls):
                fn()

        return run

    rows = []
    for case, native_name, ours, native in (
        (
            "cross_entropy 4x3, forward",
            "F.cross_entropy",
            lambda: al.cross_entropy(z, y),
            lambda: F.cross_entropy(z, y),
        ),
        (
            "mse_loss 4x3, forward",
            "F.mse_loss",
            lambda: al.mse_loss(a, b),
            lambda: F.mse_loss(a, b),
        ),
    ):
        t = interleaved({"ours": per_call(ours), "native": per_call(native)}, repeat)
        rows.append(
            Row(
                "overhead (torch, per call)",
                case,
                native_name,
                t["ours"] / calls,
                t["native"] / calls,
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# report


def _time(s: float) -> str:
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def markdown(rows: list[Row], machine: str) -> str:
    lines = [
        f"Machine: {machine}",
        "",
        "| group | case | native | ours | native | ours/native | target | memory ours/native |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        target = "" if r.target is None else f"≤ {r.target}"
        ok = "" if r.target is None else (" ✓" if r.ratio <= r.target else " ✗")
        mem = r.memory_ratio
        mem_text = (
            ""
            if mem is None
            else (
                f"{mem:.2f} ({r.ours_bytes / 2**20:.1f} / {r.native_bytes / 2**20:.1f} MiB)"
                if r.ours_bytes and r.native_bytes
                else ""
            )
        )
        lines.append(
            f"| {r.group} | {r.case} | {r.native} | {_time(r.ours_s)} | "
            f"{_time(r.native_s)} | {r.ratio:.2f}{ok} | {target} | {mem_text} |"
        )
    return "\n".join(lines) + "\n"


def plot(rows: list[Row], path: pathlib.Path, machine: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in rows if not r.group.startswith("overhead")]
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(timed) + 1.5))
    labels = [f"{r.group}: {r.case}" for r in timed]
    ratios = [r.ratio for r in timed]
    colors = [
        "tab:gray" if r.target is None else "tab:green" if r.ratio <= r.target else "tab:red"
        for r in timed
    ]
    ax.barh(range(len(timed)), ratios, color=colors)
    for i, r in enumerate(timed):
        if r.target is not None:
            ax.plot([r.target, r.target], [i - 0.4, i + 0.4], color="black", lw=1)
    ax.axvline(1.0, color="gray", ls="--", lw=1)
    ax.set_yticks(range(len(timed)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time ours / native (lower is better; black ticks: targets)")
    ax.set_title(
        "arraylosses vs native, forward+backward (gray: a reference, no target)\n"
        + machine.replace(", torch", ",\ntorch", 1),
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def machine_name(device: str) -> str:
    import os

    name = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    try:
        import torch

        name += f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
        if device == "cuda":
            name += f", {torch.cuda.get_device_name()}"
    except ImportError:
        pass
    try:
        import jax

        name += f", JAX {jax.__version__} ({jax.devices()[0].platform})"
    except ImportError:
        pass
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--out", type=pathlib.Path, default=None)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--compile", action="store_true", help="also torch.compile rows")
    parser.add_argument("--only", default=None, help="torch, matryoshka, jax, numpy or overhead")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    groups: dict[str, Callable[[], list[Row]]] = {
        "torch": lambda: torch_rows(rng, args.repeat, args.device, args.compile),
        "matryoshka": lambda: matryoshka_rows(rng, args.repeat, args.device),
        "jax": lambda: jax_rows(rng, args.repeat),
        "numpy": lambda: numpy_rows(rng, args.repeat),
        "overhead": lambda: overhead_rows(args.repeat),
    }
    rows: list[Row] = []
    for name, run in groups.items():
        if args.only in (None, name):
            rows += run()
    machine = machine_name(args.device)
    table = markdown(rows, machine)
    print(table)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.md").write_text(table)
        (args.out / "results.json").write_text(
            json.dumps(
                {"machine": machine, "rows": [asdict(r) | {"ratio": r.ratio} for r in rows]},
                indent=1,
            )
        )
        plot(rows, args.out / "ratios.png", machine)


if __name__ == "__main__":
    main()
