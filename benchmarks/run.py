"""Every benchmark, ours against the native implementation in the same process and run.

    python benchmarks/run.py [--runs 5] [--repeat 10] [--out benchmarks/results]
                             [--device cpu|cuda] [--compile] [--only NAME]
    python benchmarks/run.py --only memory [--out benchmarks/results] [--device cpu|cuda]
    PYTHONPATH=. python benchmarks/run.py --only wave3 [--out benchmarks/results]

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

The wave-3 groups run only when named (``--only NAME``, or ``--only wave3`` for all four) and
write ``results-NAME.md`` / ``.json`` beside the main results, with the load average:
``metric_learning`` (issue #34: ArcFace, Multi-Similarity against PML; VICReg, Barlow Twins
against lightly; torch eager), ``metrics`` (issue #35: average precision, Spearman and the
calibration error on 10⁶ scores against scikit-learn, SciPy and torchmetrics, NumPy and torch),
``linear_cross_entropy`` (issue #33: time against ``F.linear_cross_entropy``, and the peak
memory of one step at 8,192 × 131,072 × 256 in a fresh process) and ``scale`` (issue #35:
streaming binned AP over 100..1,000 batches, GAUC over 10⁶ impressions). Run them from the
checkout with ``PYTHONPATH=.`` where an installed ``arraylosses`` could shadow it.

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
    rng: np.random.Generator,
    runs: int,
    repeat: int,
    device: str,
    compile_: bool,
    cases: Callable[[np.random.Generator, str], list[Case]] = torch_cases,
) -> list[Row]:
    """Per case one interleaved set: eager ours and native, and with ``compile_`` (for the
    cases marked ``compile``) the ``torch.compile`` of each, all timed round by round."""
    import torch

    rows = []
    group = "torch eager" if device == "cpu" else f"torch eager ({device})"
    for case in cases(rng, device):
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
# wave 3: metric learning and self-supervised losses against their peers (issue #34)


def metric_learning_cases(rng: np.random.Generator, device: str) -> list[Case]:
    """Issue #34's four cases on torch eager, each against its peer library's module: PML's
    ``ArcFaceLoss`` (its ``W`` our proxies' transpose, passed through
    ``torch.func.functional_call`` so that the gradient reaches them, as in the registry) and
    ``MultiSimilarityLoss``, lightly's ``VICRegLoss`` and ``BarlowTwinsLoss`` (loaded by file:
    ``lightly.loss``'s ``__init__`` imports torchvision)."""
    import math

    import torch

    from arraylosses.testing import peer_module

    def leaf(*shape: int) -> Any:
        return torch.tensor(
            rng.normal(size=shape), dtype=torch.float32, device=device, requires_grad=True
        )

    def labels(n: int, c: int) -> Any:
        return torch.tensor(rng.integers(0, c, size=n), device=device)

    cases = []
    try:
        from pytorch_metric_learning.losses import ArcFaceLoss, MultiSimilarityLoss

        arc = ArcFaceLoss(num_classes=1000, embedding_size=512, margin=math.degrees(0.5), scale=64)
        arc = arc.to(device)
        ms = MultiSimilarityLoss()
        cases += [
            Case(
                name="arcface_loss 256x512, C=1000",
                native_name="PML ArcFaceLoss (margin=degrees(0.5), scale=64)",
                ours=lambda x, w, y: al.arcface_loss(x, y, w),
                native=lambda x, w, y: torch.func.functional_call(arc, {"W": w.T}, (x, y)),
                args=(leaf(256, 512), leaf(1000, 512)),
                extra=(labels(256, 1000),),
            ),
            Case(
                name="multi_similarity_loss 256x512",
                native_name="PML MultiSimilarityLoss",
                ours=al.multi_similarity_loss,
                native=ms,
                args=(leaf(256, 512),),
                extra=(labels(256, 32),),  # 32 classes: about 8 rows per class
            ),
        ]
    except ImportError:
        pass
    try:
        vicreg = peer_module("lightly.loss.vicreg_loss").VICRegLoss()
        barlow = peer_module("lightly.loss.barlow_twins_loss").BarlowTwinsLoss()
    except ImportError:
        return cases
    cases += [
        Case(
            name="vicreg_loss 256x2048",
            native_name="lightly VICRegLoss",
            ours=al.vicreg_loss,
            native=vicreg,
            args=(leaf(256, 2048), leaf(256, 2048)),
        ),
        Case(
            name="barlow_twins_loss 256x2048",
            native_name="lightly BarlowTwinsLoss",
            ours=al.barlow_twins_loss,
            native=barlow,
            args=(leaf(256, 2048), leaf(256, 2048)),
        ),
    ]
    return cases


# ---------------------------------------------------------------------------------------------
# wave 3: the metrics at 1e6 scores against their peers (issue #35)


def metric_rows(rng: np.random.Generator, runs: int, repeat: int) -> list[Row]:
    """Issue #35's one-shot metrics on 10⁶ scores (values, no gradient), NumPy against
    scikit-learn / SciPy and torch against torchmetrics. No NumPy library computes the binned
    calibration error, so both of its rows are against torchmetrics (on CPU tensors sharing
    the NumPy data). The torchmetrics calls keep their default ``validate_args=True``."""
    import torch
    import torchmetrics.functional as tm
    from scipy import stats
    from sklearn import metrics as sk

    n = 1_000_000
    scores = rng.uniform(size=n)
    target = (rng.uniform(size=n) < scores).astype(np.int64)  # informative, about half positive
    other = scores + rng.normal(scale=0.3, size=n)
    s_t, y_t, o_t = torch.from_numpy(scores), torch.from_numpy(target), torch.from_numpy(other)
    m = al.metrics
    numpy_cases = [
        Case(
            name="average_precision 1e6",
            native_name="sklearn average_precision_score",
            ours=lambda: m.average_precision(scores, target),
            native=lambda: sk.average_precision_score(target, scores),
            target=1.2,
        ),
        Case(
            name="spearman_corrcoef 1e6",
            native_name="scipy.stats.spearmanr",
            ours=lambda: m.spearman_corrcoef(scores, other),
            native=lambda: stats.spearmanr(scores, other).statistic,
            target=1.2,
        ),
        Case(
            name="calibration_error 1e6, 15 bins",
            native_name="torchmetrics binary_calibration_error (torch CPU)",
            ours=lambda: m.calibration_error(scores, target),
            native=lambda: tm.classification.binary_calibration_error(s_t, y_t, n_bins=15),
            target=1.2,
        ),
    ]
    torch_cases = [
        Case(
            name="average_precision 1e6",
            native_name="torchmetrics binary_average_precision",
            ours=lambda: m.average_precision(s_t, y_t),
            native=lambda: tm.classification.binary_average_precision(s_t, y_t),
            target=1.2,
        ),
        Case(
            name="spearman_corrcoef 1e6",
            native_name="torchmetrics spearman_corrcoef",
            ours=lambda: m.spearman_corrcoef(s_t, o_t),
            native=lambda: tm.spearman_corrcoef(s_t, o_t),
            target=1.2,
        ),
        Case(
            name="calibration_error 1e6, 15 bins",
            native_name="torchmetrics binary_calibration_error",
            ours=lambda: m.calibration_error(s_t, y_t),
            native=lambda: tm.classification.binary_calibration_error(s_t, y_t, n_bins=15),
            target=1.2,
        ),
    ]
    rows = []
    for group, cases in (("NumPy metrics", numpy_cases), ("torch metrics", torch_cases)):
        for case in cases:
            measured = blocks(dict(_candidates(case)), runs, repeat)
            rows += _rows(group, case, measured)
    return rows


# ---------------------------------------------------------------------------------------------
# wave 3: scale (issue #35): streaming binned AP over many batches, GAUC over many users


def _state_bytes(state: Any) -> int:
    return sum(int(np.asarray(x).nbytes) for x in state)


def scale_tables(rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    """Streaming binned average precision: ``update`` over B batches of 10⁴ scores each (10
    pre-drawn batches cycled, so drawing is not timed), B = 100, 300, 1000 (10⁶..10⁷ scores),
    and issue #35's 10⁸ scores in 1,000 batches of 10⁵,
    NumPy and torch: the state's bytes after the last batch (the same at every B: bounded) and
    the time per batch (flat in B: linear time). GAUC: the flat form (``indexes=``) over 10⁶
    impressions of 10⁴ and of 10⁵ users (Poisson-sized), NumPy and torch; the Python calls
    counted by ``cProfile`` are the same at both user counts (no Python loop over users)."""
    import cProfile
    import pstats
    import time

    import torch

    thresholds = 1000
    pools = {
        batch: [
            (rng.uniform(size=batch), rng.integers(0, 2, size=batch).astype(np.int64))
            for _ in range(10)
        ]
        for batch in (10_000, 100_000)
    }
    metric = al.metrics.streaming.average_precision(thresholds=thresholds)
    stream = []
    for backend, convert, xp in (
        ("NumPy", lambda a: a, np),
        ("torch", torch.from_numpy, torch),
    ):
        # issue #35's 1e8 scores in 1,000 batches last (batches of 1e5)
        for batch, batches in ((10_000, 100), (10_000, 300), (10_000, 1000), (100_000, 1000)):
            data = [(convert(s), convert(y)) for s, y in pools[batch]]
            state = metric.init(xp)
            start = time.perf_counter()
            for k in range(batches):
                state = metric.update(state, *data[k % 10])
            value = float(metric.compute(state))
            seconds = time.perf_counter() - start
            stream.append(
                {
                    "backend": backend,
                    "batch": batch,
                    "batches": batches,
                    "scores": batches * batch,
                    "seconds": seconds,
                    "per_batch_ms": seconds / batches * 1e3,
                    "state_bytes": _state_bytes(state),
                    "value": value,
                }
            )
    gauc = []
    n = 1_000_000
    for users in (10_000, 100_000):
        ids = rng.integers(0, users, size=n)
        scores = rng.uniform(size=n)
        target = (rng.uniform(size=n) < scores).astype(np.int64)
        for backend, convert in (("NumPy", lambda a: a), ("torch", torch.from_numpy)):
            args = [convert(a) for a in (scores, target, ids)]

            def call(args: list[Any] = args) -> float:
                return float(al.metrics.gauc(args[0], args[1], indexes=args[2]))

            call()
            times = []
            for _ in range(3):
                start = time.perf_counter()
                value = call()
                times.append(time.perf_counter() - start)
            profiler = cProfile.Profile()
            profiler.runcall(call)
            calls = pstats.Stats(profiler).total_calls
            gauc.append(
                {
                    "backend": backend,
                    "impressions": n,
                    "users": users,
                    "max_per_user": int(np.bincount(ids).max()),
                    "seconds": float(np.median(times)),
                    "python_calls": calls,
                    "value": value,
                }
            )
    lines = [
        "Streaming binned average precision (`al.metrics.streaming.average_precision("
        f"thresholds={thresholds})`), ``update`` per batch:",
        "",
        "| backend | batch | batches | scores | time | per batch | state bytes |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['backend']} | {r['batch']:,} | {r['batches']} | {r['scores']:,} | "
        f"{r['seconds']:.2f} s | "
        f"{r['per_batch_ms']:.2f} ms | {r['state_bytes']:,} |"
        for r in stream
    ]
    lines += [
        "",
        "GAUC, flat form (`al.metrics.gauc(scores, target, indexes=users)`), one call:",
        "",
        "| backend | impressions | users | most rows of a user | time | Python calls (cProfile) |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['backend']} | {r['impressions']:,} | {r['users']:,} | {r['max_per_user']} | "
        f"{_time(r['seconds'])} | {r['python_calls']:,} |"
        for r in gauc
    ]
    return "\n".join(lines) + "\n", {"streaming_average_precision": stream, "gauc": gauc}


# ---------------------------------------------------------------------------------------------
# wave 3: linear_cross_entropy against F.linear_cross_entropy, time and memory (issue #33)


def linear_cross_entropy_cases(rng: np.random.Generator, device: str) -> list[Case]:
    """Time at a size where both fit (N = 1,024 rows, C = 16,384 classes, D = 256; the dense
    logits are 64 MiB): ours chunked over classes (``chunk_size=4096``) and ours dense,
    against torch's ``F.linear_cross_entropy`` with its defaults."""
    import torch
    import torch.nn.functional as F

    n, c, d = 1024, 16384, 256

    def leaf(*shape: int, scale: float = 1.0) -> Any:
        return torch.tensor(
            rng.normal(size=shape) * scale, dtype=torch.float32, device=device, requires_grad=True
        )

    h, w = leaf(n, d), leaf(c, d, scale=d**-0.5)
    t = torch.tensor(rng.integers(0, c, size=n), device=device)
    return [
        Case(
            name=f"linear_cross_entropy N={n}, C={c}, D={d}, chunk_size=4096",
            native_name="F.linear_cross_entropy",
            ours=lambda h, w, t: al.linear_cross_entropy(h, w, t, chunk_size=4096),
            native=F.linear_cross_entropy,
            args=(h, w),
            extra=(t,),
            target=1.3,  # issue #33
        ),
        Case(
            name=f"linear_cross_entropy N={n}, C={c}, D={d}, dense (chunk_size=None)",
            native_name="F.linear_cross_entropy",
            ours=al.linear_cross_entropy,
            native=F.linear_cross_entropy,
            args=(h, w),
            extra=(t,),
            target=None,  # a reference: the target is on the chunked path
        ),
    ]


LCE_MEMORY = {"n": 8192, "c": 131072, "d": 256}  # issue #33


def lce_memory_worker(chunk: int) -> dict[str, Any]:
    """One forward+backward of ``linear_cross_entropy`` at issue #33's size in this process
    (CPU, float32): the peak resident set above the resident set once the inputs exist
    (``VmHWM`` after resetting it through ``/proc/self/clear_refs``, as ``memory.py``). The
    gradients of ``hidden`` and ``linear_weight`` (136 MiB) are part of the step."""
    import time

    import torch
    from memory import _status_kib

    n, c, d = LCE_MEMORY["n"], LCE_MEMORY["c"], LCE_MEMORY["d"]
    gen = torch.Generator().manual_seed(0)
    h = torch.randn(n, d, generator=gen).requires_grad_()
    w = (torch.randn(c, d, generator=gen) * d**-0.5).requires_grad_()
    t = torch.randint(0, c, (n,), generator=gen)
    inputs = sum(x.numel() * x.element_size() for x in (h, w, t))
    before = _status_kib("VmRSS")
    pathlib.Path("/proc/self/clear_refs").write_text("5")
    start = time.perf_counter()
    loss = al.linear_cross_entropy(h, w, t, chunk_size=chunk)
    loss.backward()
    seconds = time.perf_counter() - start
    peak = max(_status_kib("VmHWM") - before, 0) * 1024
    return {
        **LCE_MEMORY,
        "chunk_size": chunk,
        "input_bytes": inputs,
        "peak_above_inputs_bytes": peak,
        "dense_logits_bytes": n * c * 4,
        "seconds": seconds,
        "value": float(loss.detach()),
        "threads": torch.get_num_threads(),
    }


def lce_memory_table(chunk: int = 4096) -> tuple[str, dict[str, Any]]:
    """:func:`lce_memory_worker` in a fresh process."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, __file__, "--lce-memory-worker", str(chunk)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    gib = 2**30
    text = (
        f"linear_cross_entropy memory, CPU float32, N = {result['n']:,} rows × C = "
        f"{result['c']:,} classes × D = {result['d']}, chunk_size={chunk}, one forward + "
        f"backward in a fresh process: peak resident set above the inputs "
        f"{result['peak_above_inputs_bytes'] / gib:.3f} GiB (target ≤ 1 GiB; inputs "
        f"{result['input_bytes'] / 2**20:.0f} MiB; the dense logits alone would be "
        f"{result['dense_logits_bytes'] / gib:.0f} GiB), {result['seconds']:.1f} s, "
        f"{result['threads']} torch threads.\n"
    )
    return text, result


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


WAVE3 = ("metric_learning", "metrics", "linear_cross_entropy", "scale")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="blocks per case (ratio range)")
    parser.add_argument("--repeat", type=int, default=10, help="interleaved rounds per block")
    parser.add_argument("--out", type=pathlib.Path, default=None)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--compile", action="store_true", help="also torch.compile rows")
    parser.add_argument(
        "--only",
        default=None,
        help="torch, matryoshka, jax, numpy, overhead or memory; the wave-3 groups "
        "metric_learning, metrics, linear_cross_entropy, scale, or wave3 (all four)",
    )
    parser.add_argument("--lce-memory-worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lce_memory_worker is not None:
        print(json.dumps(lce_memory_worker(args.lce_memory_worker)))
        return
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
        "metric_learning": lambda: torch_rows(
            rng, args.runs, args.repeat, args.device, False, metric_learning_cases
        ),
        "metrics": lambda: metric_rows(rng, args.runs, args.repeat),
        "linear_cross_entropy": lambda: torch_rows(
            rng, args.runs, args.repeat, args.device, False, linear_cross_entropy_cases
        ),
    }
    wave3 = args.only == "wave3" or args.only in WAVE3
    chosen = WAVE3 if args.only == "wave3" else (args.only,)
    rows: list[Row] = []
    for name, run in groups.items():
        if (args.only is None and name not in WAVE3) or name in chosen:
            rows += run()
    machine = machine_name(args.device)
    table = markdown(rows, machine, args.runs, args.repeat) if rows else ""
    tables: dict[str, Any] = {}
    if "linear_cross_entropy" in chosen and args.device == "cpu":
        text, tables["linear_cross_entropy_memory"] = lce_memory_table()
        table += "\n" + text
    if "scale" in chosen:
        text, scale = scale_tables(rng)
        tables.update(scale)
        table += "\n" + text
    print(table)
    if args.out is not None:
        import os

        args.out.mkdir(parents=True, exist_ok=True)
        # the wave-3 groups write results-<group>.md / .json beside the main results
        stem = f"results-{args.only}" if wave3 else "results"
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        (args.out / f"{stem}.md").write_text(
            table if not wave3 else f"Load average (1, 5, 15 min) at the end: {load}\n\n{table}"
        )
        (args.out / f"{stem}.json").write_text(
            json.dumps(
                {
                    "machine": machine,
                    "runs": args.runs,
                    "repeat": args.repeat,
                    "load_average": os.getloadavg(),
                    "rows": [asdict(r) | {"ratio": r.ratio, "verdict": r.verdict} for r in rows],
                    **tables,
                },
                indent=1,
            )
        )
        if not wave3:
            plot(rows, args.out / "ratios.png", machine)


if __name__ == "__main__":
    main()
