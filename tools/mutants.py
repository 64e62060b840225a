"""Plant behaviour-changing mutants and show that the test suite kills each one (issue #30).

Each mutant replaces one snippet of the package's source (it must occur exactly once) and runs
the tests that a change to that function must fail: ``pytest tests -k <selection>`` (every test
whose id names the function, in every file of ``nox -s tests``: not tests/test_peers.py, whose
checks are the conformance matrix's peer cells) plus the files named. A mutant is *killed* when
pytest fails; *survived* when it passes; *stale* when its snippet is not in the source (the code
moved: update the mutant). The source is restored after each mutant, also when interrupted.

    python tools/mutants.py [--repo DIR] [--only ID,ID] [--backends numpy,torch,jax]
                            [--report FILE]

``--repo`` runs against another checkout (a worktree of an older commit: "before"). The
selection is a subset of the suite, so a kill here is a kill by the suite; a survivor here may
still be killed by a test outside the selection (widen the selection to find it).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import pathlib
import subprocess
import sys
import time


@dataclasses.dataclass(frozen=True)
class Mutant:
    id: str
    what: str
    path: str  # relative to the repository root
    old: str
    new: str
    select: str  # pytest -k expression over test ids
    files: tuple[str, ...] = ("tests",)


MUTANTS = (
    Mutant(
        "sign-quantile",
        "quantile (pinball) loss with the residual's sign flipped",
        "arraylosses/regression.py",
        "    r = t - p\n    loss = xp.maximum(q * r, (q - 1) * r)",
        "    r = p - t\n    loss = xp.maximum(q * r, (q - 1) * r)",
        "quantile_loss",
    ),
    Mutant(
        "dropped-term-gaussian-nll",
        "Gaussian NLL without its log-variance term",
        "arraylosses/regression.py",
        "    loss = 0.5 * (xp.log(v) + r * r / v)",
        "    loss = 0.5 * (r * r / v)",
        "gaussian_nll",
    ),
    Mutant(
        "wrong-reduction",
        "the unweighted mean divides by n + 1",
        "arraylosses/_ops.py",
        "        out = mean_all(xp, loss, n)\n",
        "        out = mean_all(xp, loss, n) * (n / (n + 1))\n",
        "mse_loss or cross_entropy",
    ),
    Mutant(
        "triplet-margin-sign",
        "triplet margin loss subtracts the margin",
        "arraylosses/contrastive/pairs.py",
        "    loss = xp.maximum(d_ap - d_an + m, xp.zeros_like(d_ap))",
        "    loss = xp.maximum(d_ap - d_an - m, xp.zeros_like(d_ap))",
        "triplet",
    ),
    Mutant(
        "nt-xent-offset-exclusion",
        "NT-Xent (dense) excludes the local index, not the global one, when offset != 0",
        "arraylosses/contrastive/inbatch.py",
        "        self_index = xp.concat([own, own + w])",
        "        self_index = xp.concat([own - sh.offset, own - sh.offset + w])",
        "nt_xent",
    ),
    Mutant(
        "chunked-tile-exclusion",
        "NT-Xent's chunked tiles exclude the local view index, not the global one (offset lost)",
        "arraylosses/contrastive/_chunked.py",
        "        return j == own(k)",
        "        return j == k",
        "nt_xent",
    ),
    Mutant(
        "arcface-margin-sign",
        "ArcFace's target logit cos(θ - m) instead of cos(θ + m)",
        "arraylosses/metric_learning/proxies.py",
        "c * cos_m - sin_theta * sin_m",
        "c * cos_m + sin_theta * sin_m",
        "arcface",
    ),
    Mutant(
        "keras-reduced-twice",
        "the Keras Loss reduces inside the function and Keras reduces again",
        "arraylosses/keras.py",
        '            kwargs["reduction"] = "none"',
        '            kwargs["reduction"] = "mean"',
        "keras",
    ),
    Mutant(
        "streaming-merge-twice",
        "a summable streaming merge counts the first state twice",
        "arraylosses/metrics/streaming/_core.py",
        "        return type(a)(*(x + y for x, y in zip(a, b, strict=True)))",
        "        return type(a)(*(x + x + y for x, y in zip(a, b, strict=True)))",
        "streaming",
    ),
    Mutant(
        "retrieval-cutoff-off-by-one",
        "the retrieval metrics' top-k ranks start at 0 (an off-by-one in the cutoff's ranks)",
        "arraylosses/metrics/retrieval.py",
        "    return r.xp.arange(1, r.k + 1, dtype=like.dtype, device=device_of(like))",
        "    return r.xp.arange(0, r.k, dtype=like.dtype, device=device_of(like))",
        "ndcg or map_at_k or mrr or precision_at_k",
    ),
    Mutant(
        "listnet-mask-ignored",
        "listnet_loss ignores its where mask",
        "arraylosses/ranking.py",
        "    keep = where | ~valid\n",
        "    keep = where | ~valid | True\n",
        "listnet",
    ),
    Mutant(
        "semi-hard-not-strict",
        "semi-hard triplet loss takes negatives at the positive distance, not strictly beyond",
        "arraylosses/contrastive/triplet_mining.py",
        "    farther = b.negative[:, None, :] & (d_an > d_ap)  # (a, p, n)",
        "    farther = b.negative[:, None, :] & (d_an >= d_ap)  # (a, p, n)",
        "triplet_loss",
    ),
    Mutant(
        "gist-tiles-keep-lost",
        "GIST's chunked tiles let the guide remove the anchor's own positive",
        "arraylosses/_tiled.py",
        "            guided = guided & ~plan.keep(rows, cols)",
        "            guided = guided",
        "gist",
    ),
    Mutant(
        "maxsim-padding-product",
        "MaxSim masks document tokens by a product with 0 (PyLate), so padding wins the max",
        "arraylosses/_late_interaction.py",
        "        best = xp.max(xp.where(d_valid, sims, const(xp, -math.inf, sims)), axis=-1)",
        "        best = xp.max(sims * xp.astype(d_valid, sims.dtype), axis=-1)",
        "maxsim",
    ),
    Mutant(
        "pairwise-ties-kept",
        "the pairwise losses keep pairs of equal labels (y_i >= y_j instead of y_i > y_j)",
        "arraylosses/listwise.py",
        "    kept = both & (_pairs(y) > 0)\n",
        "    kept = both & (_pairs(y) >= 0)\n",
        "pairwise_hinge or pairwise_logistic",
    ),
    Mutant(
        "linear-ce-chunk-gradient",
        "linear_cross_entropy's chunked backward forgets the cotangent of each row",
        "arraylosses/classification.py",
        "            p = xp.exp(logits(hh, x[0], x[1]) - lse[:, None]) * g[:, None]  # (M, chunk)\n",  # noqa: E501
        "            p = xp.exp(logits(hh, x[0], x[1]) - lse[:, None])  # (M, chunk)\n",
        "linear_cross_entropy",
    ),
    Mutant(
        "dcl-positive-in-denominator",
        "dcl_loss (dense) keeps the positive pair in the log-sum-exp, as NT-Xent does",
        "arraylosses/contrastive/decoupled.py",
        "    dropped = itself | (cols[None, :] == partner[:, None])\n",
        "    dropped = itself\n",
        "dcl_loss",
    ),
    Mutant(
        "vicreg-biased-variance",
        "vicreg_loss's variance hinge on the biased column variance (the peers': unbiased)",
        "arraylosses/self_supervised.py",
        "xp.var(z, axis=0, correction=1)",
        "xp.var(z, axis=0, correction=0)",
        "vicreg",
    ),
    Mutant(
        "ap-precision-denominator",
        "average_precision's precision counts each negative twice",
        "arraylosses/metrics/ranking_curves.py",
        "    precision = safe_divide(xp, tp, tp + fp)  # 0/0 only for a row of no weight",
        "    precision = safe_divide(xp, tp, tp + 2 * fp)  # 0/0 only for a row of no weight",
        "average_precision or test_crafted_values",  # the latter: hand-derived values
    ),
    Mutant(
        "mcc-chance-term",
        "matthews_corrcoef without its chance term Σ p_k t_k",
        "arraylosses/metrics/confusion.py",
        "    cov_tp = c * s - xp.sum(p * t)",
        "    cov_tp = c * s",
        "matthews_corrcoef or test_confusion_crafted",  # the latter: hand-derived values
    ),
    # wave 3, metrics 10-20
    Mutant(
        "concordance-sample-moments",
        "Lin's concordance with torchmetrics' N - 1 moments instead of the population ones",
        "arraylosses/metrics/correlation.py",
        "    n = const(xp, xc.shape[0], xc)\n",
        "    n = const(xp, xc.shape[0] - 1, xc)\n",
        "concordance_corrcoef",
    ),
)


def _run_one(repo: pathlib.Path, m: Mutant, backends: str) -> tuple[str, float, str]:
    path = repo / m.path
    source = path.read_text()
    if source.count(m.old) != 1:
        return "stale", 0.0, f"snippet found {source.count(m.old)} times in {m.path}"
    start = time.perf_counter()
    try:
        path.write_text(source.replace(m.old, m.new))
        env = {
            **os.environ,
            "ARRAYLOSSES_BACKENDS": backends,
            "OMP_NUM_THREADS": "1",
            "PYTHONPATH": str(repo),
        }
        command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
        # tests/test_mutants_current.py checks that each snippet occurs in the unmutated source:
        # under a mutant it fails by construction (its ids name the mutants, so -k selects it),
        # which would count as a kill
        ignore = ["--ignore=tests/test_mutants_current.py"]
        # as `nox -s tests`: the peer cross-checks are the conformance matrix's peer cells
        ignore += ["--ignore=tests/test_peers.py"]
        done = subprocess.run(
            [*command, "-n", "0", *ignore, "-k", m.select, *m.files],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        path.write_text(source)
    seconds = time.perf_counter() - start
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("FAILED") or "passed" in ln]
    if done.returncode == 1:
        return "killed", seconds, (lines[0] if lines else "")
    if done.returncode == 0:
        return "survived", seconds, (lines[-1] if lines else "")
    return f"error (pytest exit {done.returncode})", seconds, done.stdout[-300:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", default=str(pathlib.Path(__file__).resolve().parents[1]))
    parser.add_argument("--only", default="")
    parser.add_argument("--backends", default="numpy,torch,jax")
    parser.add_argument("--report", default=None)
    args = parser.parse_args(argv)
    repo = pathlib.Path(args.repo).resolve()
    only = {s for s in args.only.split(",") if s}
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    rows = []
    for m in MUTANTS:
        if only and m.id not in only:
            continue
        status, seconds, detail = _run_one(repo, m, args.backends)
        print(f"{m.id}: {status} ({seconds:.0f} s) {detail}", flush=True)
        rows.append((m, status, seconds, detail))
    date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    lines = [
        f"# Mutants on {head} ({date}, backends {args.backends})",
        "",
        "`python tools/mutants.py` (the selection of each: `pytest -k` over the files that "
        "`nox -s tests` runs).",
        "",
        "| mutant | what | status | seconds | first failing test |",
        "|---|---|---|---|---|",
    ]
    for m, status, seconds, detail in rows:
        cell = detail.replace("|", "\\|")
        lines.append(f"| `{m.id}` | {m.what} | {status} | {seconds:.0f} | {cell} |")
    text = "\n".join(lines) + "\n"
    if args.report:
        pathlib.Path(args.report).write_text(text)
    print(text)
    return 0 if all(s == "killed" for _, s, _, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
