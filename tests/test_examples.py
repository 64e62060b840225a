"""The examples run (a few steps), so they cannot rot; nox -s examples runs them in full."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted(
    p
    for p in (pathlib.Path(__file__).parent.parent / "examples").glob("*.py")
    # _*.py: helpers the examples import; distributed_*.py: tests/test_distributed.py;
    # large_batch_*.py (minutes at its default batch): tests/test_large_batch_example.py;
    # corpus_retrieval_eval.py (1M documents by default): test_corpus_example_small below;
    # streaming_metrics_*.py: tests/test_streaming_distributed.py
    if not p.name.startswith(
        ("_", "distributed_", "large_batch_", "corpus_retrieval_", "streaming_metrics_")
    )
)


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script):
    pytest.importorskip("sklearn")
    if script.name.startswith("metric_learning"):
        modules: tuple[str, ...] = ("torch", "optax", "pytorch_metric_learning")
    elif script.name.startswith(("crosscheck", "distill")):
        modules = ("torch", "optax")
    else:
        modules = ("torch",) if "torch" in script.name else ("optax",)
    for module in modules:
        pytest.importorskip(module)
    done = subprocess.run(
        [sys.executable, str(script), "--steps", "3"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    if script.name.startswith("crosscheck"):
        assert done.stdout.count("planted 1e-3 bug caught") == 2
    elif script.name.startswith("recommender"):
        for row in (
            "| popularity (no training) |",
            "| bpr_loss |",
            "| sampled_softmax_loss |",
            "| linear_cross_entropy (full catalogue) |",
        ):
            assert row in done.stdout
    elif script.name.startswith("metric_learning"):
        assert "| arcface_loss |" in done.stdout
        assert "| multi_similarity_loss |" in done.stdout
        assert "PML, PyTorch" in done.stdout
    elif script.name.startswith("distill"):
        assert "| margin_mse_loss |" in done.stdout
        assert "| distill_kl_div_loss |" in done.stdout
    else:
        assert "| 8 |" in done.stdout  # the table reached its last width


@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
def test_corpus_example_small(backend):
    """The corpus example at a small size: the chunked search's metrics equal the dense ones
    (the script exits non-zero otherwise) and the figures are printed."""
    pytest.importorskip(backend)
    script = pathlib.Path(__file__).parent.parent / "examples" / "corpus_retrieval_eval.py"
    args = ["--queries", "120", "--docs", "3000", "--dim", "16", "--k", "10"]
    args += ["--check-queries", "40", "--check-docs", "1000", "--chunk-size", "700"]
    done = subprocess.run(
        [sys.executable, str(script), *args, "--backend", backend],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "search metrics equal to the dense one-shot metrics" in done.stdout
    for line in ("peak memory above the corpus:", "| ndcg |", "| recall |"):
        assert line in done.stdout
