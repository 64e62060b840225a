"""Every benchmark, ours against the native implementation in the same process and run.

    python benchmarks/run.py [--runs 5] [--repeat 10] [--out benchmarks/results]
                             [--device cpu|cuda] [--compile] [--only NAME]
    python benchmarks/run.py --only memory [--out benchmarks/results] [--device cpu|cuda]

Forward + backward for losses (values only for NumPy metrics). Each case is **one interleaved
set**: its eager rows and (with ``--compile``) its ``torch.compile`` rows, ours and native,
run round by round in the same loop (``_timing.interleaved``), in ``--runs`` blocks of
``--repeat`` rounds (``_timing.blocks``). Each block gives a ratio ours/native (the medians of
its rounds); a row reports the ratios' min-median-max over the blocks, lower is better, 1.00
is parity. Verdict: ✓ when even the worst block meets the target, ✗ when even the best block
misses it, ~ when the blocks straddle it (the host's noise is as large as the gap).
Memory: for torch, the bytes autograd keeps for the backward pass (``saved_tensors_hooks``),
ours/native; for JAX, XLA's temporary buffers of the compiled step (``memory_analysis``).
Per-call overhead: the time of one call on a tiny input, in µs. ``--out`` writes
``results.md``, ``results.json`` and ``ratios.png``.

The natives: ``torch.nn.functional`` (eager, and ``torch.compile`` with ``--compile``), optax
(under ``jax.jit``), scikit-learn (NumPy), sentence-transformers (MNRL, CoSENT), and, for
InfoNCE, the two-line PyTorch everyone writes (normalise, matmul, ``F.cross_entropy``).

The ``memory`` group (only with ``--only memory``: it takes tens of minutes on a small CPU) is
``benchmarks/memory.py`` with its defaults: peak memory and time of the in-batch losses' step,
dense against ``chunk_size``, N = 4,096..65,536; it writes ``memory.md``, ``memory.json`` and
``memory.png``. ``benchmarks/memory.py --help`` for other sizes, chunks and losses.
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
from _timing import blocks

import arraylosses as al


@dataclass
class Row:
    group: str  # "torch eager", "torch.compile", "JAX jit", "NumPy", "overhead", "Matryoshka"
    case: str
    native: str
    ours_s: float  # the median over blocks of each block's median time
    native_s: float
    ratios: list[float]  # ours/native in each block
    ours_bytes: float | None = None
    native_bytes: float | None = None
    target: float | None = None

    @property
    def ratio(self) -> float:
        """The median of the blocks' ratios."""
        return float(np.median(self.ratios))

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if max(self.ratios) <= self.target:
            return "✓"
        return "✗" if min(self.ratios) > self.target else "~"

    @property
    def memory_ratio(self) -> float | None:
        if not self.ours_bytes or not self.native_bytes:
            return None
        return self.ours_bytes / self.native_bytes


@dataclass(frozen=True, kw_only=True)
class Case:
    """One benchmark: ours against the native implementation on the same arguments.

    ``args`` are differentiated (torch leaves; every JAX argument); ``extra`` are passed
    after them and not differentiated. For NumPy and the overhead rows ``ours`` and ``native``
    take no arguments. ``compile`` puts a torch case in the ``--compile`` subset."""

    name: str  # the table's "case" column
    native_name: str  # the table's "native" column
    ours: Callable[..., Any]
    native: Callable[..., Any]
    args: tuple[Any, ...] = ()
    extra: tuple[Any, ...] = ()
    compile: bool = False
    target: float | None = 1.1  # docs/design.md's default; None: a reference row, no target
    # further like-for-like natives timed in the same set: (name, native, target), a row each
    also: tuple[tuple[str, Callable[..., Any], float | None], ...] = ()


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


def torch_cases(rng: np.random.Generator, device: str) -> list[Case]:
    """The torch cases; ``args`` are the leaves (``requires_grad``)."""
    import torch
    import torch.nn.functional as F

    def leaf(*shape: int) -> Any:
        return torch.tensor(
            rng.normal(size=shape), dtype=torch.float32, device=device, requires_grad=True
        )

    def labels(n: int, c: int) -> Any:
        return torch.tensor(rng.integers(0, c, size=n), device=device)

    from arraylosses.testing import generic_kernels

    def bce_generic(z: Any, t: Any) -> Any:
        with generic_kernels():
            return al.binary_cross_entropy_with_logits(z, t)

    def info_nce_native(q: Any, p: Any) -> Any:
        logits = F.normalize(q, dim=1) @ F.normalize(p, dim=1).T / 0.1
        return F.cross_entropy(logits, torch.arange(q.shape[0], device=q.device))

    cases = [
        Case(
            name="cross_entropy 4096x1000",
            native_name="F.cross_entropy",
            ours=al.cross_entropy,
            native=F.cross_entropy,
            args=(leaf(4096, 1000),),
            extra=(labels(4096, 1000),),
            compile=True,
        ),
        Case(
            name="cross_entropy 65536x32",
            native_name="F.cross_entropy",
            ours=al.cross_entropy,
            native=F.cross_entropy,
            args=(leaf(65536, 32),),
            extra=(labels(65536, 32),),
        ),
        Case(
            name="binary_cross_entropy_with_logits 4096x1000",
            native_name="F.binary_cross_entropy_with_logits",
            ours=al.binary_cross_entropy_with_logits,
            native=F.binary_cross_entropy_with_logits,
            args=(leaf(4096, 1000),),
            extra=(
                torch.tensor(rng.uniform(size=(4096, 1000)), dtype=torch.float32, device=device),
            ),
            compile=True,
            target=1.4,  # docs/design.md: eager elementwise losses <= 1.4x F.* (fused kernels)
            # ours runs one autograd.Function on torch; the same formula in torch ops under
            # autograd, for what that routing is worth
            also=(("the same formula under autograd (ours, generic)", bce_generic, None),),
        ),
        Case(
            name="mse_loss 4096x1000",
            native_name="F.mse_loss",
            ours=al.mse_loss,
            native=F.mse_loss,
            args=(leaf(4096, 1000), leaf(4096, 1000)),
            compile=True,
            target=1.4,  # docs/design.md: eager elementwise losses (BCE, MSE) <= 1.4x F.*
        ),
        Case(
            name="triplet_margin_loss 4096x128",
            native_name="F.triplet_margin_loss",
            ours=al.triplet_margin_loss,
            native=F.triplet_margin_loss,
            args=(leaf(4096, 128), leaf(4096, 128), leaf(4096, 128)),
        ),
        Case(
            name="info_nce 1024x768",
            native_name="normalize + matmul + F.cross_entropy",
            ours=al.info_nce,
            native=info_nce_native,
            args=(leaf(1024, 768), leaf(1024, 768)),
            compile=True,
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
        Case(
            name="multiple_negatives_ranking_loss 1024x768",
            native_name="sentence-transformers MNRL",
            ours=al.multiple_negatives_ranking_loss,
            native=lambda q, p: mnrl.compute_loss_from_embeddings([q, p], None),
            args=(leaf(1024, 768), leaf(1024, 768)),
        ),
        Case(
            name="multiple_negatives_ranking_loss 1024x768, 1 hard negative",
            native_name="sentence-transformers MNRL",
            ours=al.multiple_negatives_ranking_loss,
            native=lambda q, p, n: mnrl.compute_loss_from_embeddings([q, p, n], None),
            args=(leaf(1024, 768), leaf(1024, 768), leaf(1024, 768)),
        ),
        Case(
            name="cosent_loss N=4096, D=768",
            native_name="sentence-transformers CoSENT (all N×N pairs)",
            ours=al.cosent_loss,
            native=lambda a, b, s: cosent.compute_loss_from_embeddings([a, b], s),
            args=(leaf(4096, 768), leaf(4096, 768)),
            extra=(gold,),
        ),
    ]
    return cases


def row(
    group: str,
    case: str,
    native: str,
    measured: list[dict[str, float]],
    ours_key: str = "ours",
    native_key: str = "native",
    **extra: Any,
) -> Row:
    """A row from the blocks of one interleaved set: median times and the per-block ratios."""
    return Row(
        group,
        case,
        native,
        float(np.median([m[ours_key] for m in measured])),
        float(np.median([m[native_key] for m in measured])),
        [m[ours_key] / m[native_key] for m in measured],
        **extra,
    )


def torch_rows(
    rng: np.random.Generator, runs: int, repeat: int, device: str, compile_: bool
) -> list[Row]:
    """Per case one interleaved set: eager ours and native, and with ``compile_`` (for the
    cases marked ``compile``) the ``torch.compile`` of each, all timed round by round."""
    import torch

    rows = []
    group = "torch eager" if device == "cpu" else f"torch eager ({device})"
    for case in torch_cases(rng, device):
        leaves = list(case.args)
        steps = {
            "ours": _torch_step(case.ours, leaves, *case.extra),
            "native": _torch_step(case.native, leaves, *case.extra),
        }
        steps.update({name: _torch_step(fn, leaves, *case.extra) for name, fn, _ in case.also})
        compiled = compile_ and case.compile
        if compiled:
            steps["ours compiled"] = _torch_step(torch.compile(case.ours), leaves, *case.extra)
            steps["native compiled"] = _torch_step(torch.compile(case.native), leaves, *case.extra)
        measured = blocks(steps, runs, repeat)
        every = (*case.args, *case.extra)
        mem = {name: _saved_bytes(lambda f=f, a=every: f(*a)) for name, f in _candidates(case)}
        rows += _rows(group, case, measured, mem)  # eager: the native, then the ``also`` rows
        if compiled:
            compile_group = "torch.compile" if device == "cpu" else f"torch.compile ({device})"
            rows.append(
                row(
                    compile_group,
                    case.name,
                    case.native_name,
                    measured,
                    "ours compiled",
                    "native compiled",
                    target=1.1,
                )
            )
    return rows


def matryoshka_rows(rng: np.random.Generator, runs: int, repeat: int, device: str) -> list[Row]:
    """Ours against one full-width MNRL (ours) and sentence-transformers' per-dimension work,
    the three interleaved in one set."""
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
    measured = blocks(steps, runs, repeat)
    rows = [
        row(
            "Matryoshka",
            "matryoshka(MNRL), batch 256, dims 768..64",
            "one full-width MNRL (ours)",
            measured,
            "ours",
            "full",
            target=None,  # a reference: 5 softmaxes against 1 are the floor (docs/design.md)
        )
    ]
    if "st" in steps:
        rows.append(
            row(
                "Matryoshka",
                "matryoshka(MNRL), batch 256, dims 768..64",
                "sentence-transformers MatryoshkaLoss work (shrink, MNRL per dim)",
                measured,
                "ours",
                "st",
                target=0.6,  # issue #19
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# JAX


def jax_rows(rng: np.random.Generator, runs: int, repeat: int) -> list[Row]:
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
        Case(
            name="cross_entropy 4096x1000",
            native_name="optax softmax_cross_entropy_with_integer_labels",
            ours=lambda z: al.cross_entropy(z, y),
            native=lambda z: optax.losses.softmax_cross_entropy_with_integer_labels(z, y).mean(),
            args=(z,),
        ),
        Case(
            name="cross_entropy 65536x32",
            native_name="optax softmax_cross_entropy_with_integer_labels",
            ours=lambda z: al.cross_entropy(z, y2),
            native=lambda z: optax.losses.softmax_cross_entropy_with_integer_labels(z, y2).mean(),
            args=(z2,),
        ),
        Case(
            name="binary_cross_entropy_with_logits 4096x1000",
            native_name="optax sigmoid_binary_cross_entropy (two log_sigmoid)",
            ours=lambda z: al.binary_cross_entropy_with_logits(z, t01),
            native=lambda z: optax.losses.sigmoid_binary_cross_entropy(z, t01).mean(),
            args=(z,),
            also=(
                (
                    "one-softplus JAX: mean(softplus(z) - z·t)",
                    lambda z: jnp.mean(jax.nn.softplus(z) - z * t01),
                    1.1,
                ),
            ),
        ),
        Case(
            name="mse_loss 4096x1000",
            native_name="optax squared_error",
            ours=al.mse_loss,
            native=lambda p, t: optax.losses.squared_error(p, t).mean(),
            args=(a, b),
        ),
        Case(
            name="triplet_margin_loss 4096x128",
            native_name="optax triplet_margin_loss",
            ours=lambda a, p, n: al.triplet_margin_loss(a, p, n, eps=1e-6),
            native=lambda a, p, n: optax.losses.triplet_margin_loss(a, p, n, eps=1e-6).mean(),
            args=(ta, tp, tn),
        ),
    ]
    rows = []
    for case in cases:
        argnums = tuple(range(len(case.args)))
        steps, mem = {}, {}
        for name, fn in _candidates(case):
            step = jax.jit(jax.value_and_grad(fn, argnums=argnums))
            compiled = step.lower(*case.args).compile()
            analysis = compiled.memory_analysis()
            mem[name] = getattr(analysis, "temp_size_in_bytes", None) if analysis else None
            steps[name] = lambda step=step, a=case.args: jax.block_until_ready(step(*a))
        measured = blocks(steps, runs, repeat)
        rows += _rows("JAX jit", case, measured, mem)
    return rows


def _candidates(case: Case) -> list[tuple[str, Callable[..., Any]]]:
    """Ours, the native and the further natives of ``case``, keyed by name."""
    return [("ours", case.ours), ("native", case.native)] + [
        (name, fn) for name, fn, _ in case.also
    ]


def _rows(
    group: str,
    case: Case,
    measured: list[dict[str, float]],
    mem: dict[str, Any] | None = None,
) -> list[Row]:
    """One row per native of ``case`` (the main one, then ``also``), from the same blocks."""
    natives = [("native", case.native_name, case.target)] + [
        (name, name, target) for name, _, target in case.also
    ]
    mem = mem or {}
    return [
        row(
            group,
            case.name,
            label,
            measured,
            "ours",
            key,
            ours_bytes=mem.get("ours"),
            native_bytes=mem.get(key),
            target=target,
        )
        for key, label, target in natives
    ]


# ---------------------------------------------------------------------------------------------
# NumPy metrics against scikit-learn (values)


def numpy_rows(rng: np.random.Generator, runs: int, repeat: int) -> list[Row]:
    """scikit-learn's metrics, and beside the MSE/MAE ones the NumPy one-liner: sklearn's
    time there is mostly its input validation (``check_array``, dtype and finiteness checks,
    ``_check_reg_targets``), not arithmetic. nDCG: sklearn's default averages the gains of
    tied scores in a Python loop per query, which ours (ties broken by index) does not do;
    ``ignore_ties=True`` is the like-for-like row."""
    from sklearn import metrics as sk

    pred, true = rng.normal(size=(100_000, 8)), rng.normal(size=(100_000, 8))
    scores, rel = rng.normal(size=(512, 1000)), rng.integers(0, 4, size=(512, 1000))
    cases = [
        Case(
            name="mean_squared_error 100000x8",
            native_name="sklearn mean_squared_error",
            ours=lambda: al.metrics.mean_squared_error(pred, true),
            native=lambda: sk.mean_squared_error(true, pred),
            target=1.2,
            also=(
                ("NumPy one-liner np.mean((p - t)**2)", lambda: np.mean((pred - true) ** 2), 1.2),
            ),
        ),
        Case(
            name="mean_absolute_error 100000x8",
            native_name="sklearn mean_absolute_error",
            ours=lambda: al.metrics.mean_absolute_error(pred, true),
            native=lambda: sk.mean_absolute_error(true, pred),
            target=1.2,
            also=(
                ("NumPy one-liner np.mean(abs(p - t))", lambda: np.mean(np.abs(pred - true)), 1.2),
            ),
        ),
        Case(
            name="r2_score 100000x8",
            native_name="sklearn r2_score",
            ours=lambda: al.metrics.r2_score(pred, true),
            native=lambda: sk.r2_score(true, pred),
            target=1.2,
        ),
        Case(
            name="ndcg_at_k 512x1000, k=10",
            native_name="sklearn ndcg_score (ties averaged)",
            ours=lambda: al.metrics.ndcg_at_k(scores, rel, k=10),
            native=lambda: sk.ndcg_score(rel, scores, k=10),
            target=None,  # not like for like: the row below is
            also=(
                (
                    "sklearn ndcg_score(ignore_ties=True)",
                    lambda: sk.ndcg_score(rel, scores, k=10, ignore_ties=True),
                    1.2,
                ),
            ),
        ),
    ]
    rows = []
    for case in cases:
        measured = blocks(dict(_candidates(case)), runs, repeat)
        rows += _rows("NumPy", case, measured)
    return rows


# ---------------------------------------------------------------------------------------------
# per-call overhead on tiny inputs


def overhead_rows(runs: int, repeat: int) -> list[Row]:
    """The forward of one call on small inputs (no gradient), ours against ``F.*``: at 4x3 the
    time is all per-call overhead (argument checks, namespace and dtype decisions, Python
    between kernels); at 256x10 a batch of a small classifier. Targets from issue #32."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    calls = 200

    def per_call(fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(calls):
                fn()

        return run

    cases = []
    for n, c, target in ((4, 3, 5.0), (256, 10, 2.0)):
        z = torch.tensor(rng.normal(size=(n, c)), dtype=torch.float32)
        y = torch.tensor(rng.integers(0, c, size=n))
        t = torch.tensor(rng.uniform(size=(n, c)), dtype=torch.float32)
        cases += [
            Case(
                name=f"cross_entropy {n}x{c}, forward",
                native_name="F.cross_entropy",
                ours=lambda z=z, y=y: al.cross_entropy(z, y),
                native=lambda z=z, y=y: F.cross_entropy(z, y),
                target=target,
            ),
            Case(
                name=f"mse_loss {n}x{c}, forward",
                native_name="F.mse_loss",
                ours=lambda z=z, t=t: al.mse_loss(z, t),
                native=lambda z=z, t=t: F.mse_loss(z, t),
                target=target,
            ),
            Case(
                name=f"binary_cross_entropy_with_logits {n}x{c}, forward",
                native_name="F.binary_cross_entropy_with_logits",
                ours=lambda z=z, t=t: al.binary_cross_entropy_with_logits(z, t),
                native=lambda z=z, t=t: F.binary_cross_entropy_with_logits(z, t),
                target=target,
            ),
        ]
    rows = []
    for case in cases:
        measured = blocks(
            {"ours": per_call(case.ours), "native": per_call(case.native)}, runs, repeat
        )
        per = [{k: v / calls for k, v in m.items()} for m in measured]
        rows += _rows("overhead (torch, per call)", case, per)
    return rows


# ---------------------------------------------------------------------------------------------
# report


def _time(s: float) -> str:
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def ratio_range(r: Row) -> str:
    """``min–median–max`` of the blocks' ratios, and the verdict."""
    spread = f"{min(r.ratios):.2f}–{r.ratio:.2f}–{max(r.ratios):.2f}"
    return f"{spread} {r.verdict}".rstrip()


def markdown(rows: list[Row], machine: str, runs: int, repeat: int) -> str:
    lines = [
        f"Machine: {machine}",
        "",
        f"Each case one interleaved set, {runs} blocks × {repeat} rounds; times are the median "
        "of the blocks' medians; ours/native is min–median–max over the blocks (✓ every block "
        "meets the target, ✗ none does, ~ the blocks straddle it).",
        "",
        "| group | case | native | ours | native | ours/native (min–median–max) | target "
        "| memory ours/native |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        target = "" if r.target is None else f"≤ {r.target}"
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
            f"{_time(r.native_s)} | {ratio_range(r)} | {target} | {mem_text} |"
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
    spread = np.array([[r.ratio - min(r.ratios), max(r.ratios) - r.ratio] for r in timed]).T
    palette = {"": "tab:gray", "✓": "tab:green", "~": "tab:orange", "✗": "tab:red"}
    colors = [palette[r.verdict] for r in timed]
    ax.barh(range(len(timed)), ratios, xerr=spread, color=colors, capsize=2)
    for i, r in enumerate(timed):
        if r.target is not None:
            ax.plot([r.target, r.target], [i - 0.4, i + 0.4], color="black", lw=1)
    ax.axvline(1.0, color="gray", ls="--", lw=1)
    ax.set_yticks(range(len(timed)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(
        "time ours / native: median and min–max over blocks (lower is better; black ticks: "
        "targets)",
        fontsize=8,
    )
    ax.set_title(
        "arraylosses vs native, forward+backward (green: every block meets the target, orange: "
        "straddles, red: misses; gray: a reference)\n" + machine.replace(", torch", ",\ntorch", 1),
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
    parser.add_argument("--runs", type=int, default=5, help="blocks per case (ratio range)")
    parser.add_argument("--repeat", type=int, default=10, help="interleaved rounds per block")
    parser.add_argument("--out", type=pathlib.Path, default=None)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--compile", action="store_true", help="also torch.compile rows")
    parser.add_argument(
        "--only", default=None, help="torch, matryoshka, jax, numpy, overhead or memory"
    )
    args = parser.parse_args()
    if args.only == "memory":
        import memory

        argv = ["--device", args.device]
        if args.out is not None:
            argv += ["--out", str(args.out)]
        memory.main(argv, command="python benchmarks/run.py --only memory " + " ".join(argv))
        return
    rng = np.random.default_rng(0)
    groups: dict[str, Callable[[], list[Row]]] = {
        "torch": lambda: torch_rows(rng, args.runs, args.repeat, args.device, args.compile),
        "matryoshka": lambda: matryoshka_rows(rng, args.runs, args.repeat, args.device),
        "jax": lambda: jax_rows(rng, args.runs, args.repeat),
        "numpy": lambda: numpy_rows(rng, args.runs, args.repeat),
        "overhead": lambda: overhead_rows(args.runs, args.repeat),
    }
    rows: list[Row] = []
    for name, run in groups.items():
        if args.only in (None, name):
            rows += run()
    machine = machine_name(args.device)
    table = markdown(rows, machine, args.runs, args.repeat)
    print(table)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.md").write_text(table)
        (args.out / "results.json").write_text(
            json.dumps(
                {
                    "machine": machine,
                    "runs": args.runs,
                    "repeat": args.repeat,
                    "rows": [asdict(r) | {"ratio": r.ratio, "verdict": r.verdict} for r in rows],
                },
                indent=1,
            )
        )
        plot(rows, args.out / "ratios.png", machine)


if __name__ == "__main__":
    main()
