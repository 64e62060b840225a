"""examples/large_batch_torch.py: GradCache with a chunked CLIP loss gives the plain step's
gradients, and it trains.

The expected gradients come from a hand-written CLIP loss (``F.normalize``, a matmul and
``F.cross_entropy`` both ways) on the whole batch in one backward: no arraylosses, no caching,
no chunks. A planted bug (an encoder that differs by 1e-6 between the two embedding passes,
which is what unrestored dropout does) must be caught.
"""

from __future__ import annotations

import copy
import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

SCRIPT = pathlib.Path(__file__).parent.parent / "examples" / "large_batch_torch.py"


def _example():
    spec = importlib.util.spec_from_file_location("large_batch_torch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _clip_by_hand(image_emb, text_emb, logit_scale=1 / 0.07):
    import torch.nn.functional as F

    logits = logit_scale * F.normalize(image_emb, dim=1) @ F.normalize(text_emb, dim=1).T
    target = torch.arange(logits.shape[0])
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def _grads(*modules):
    return [p.grad.clone() for m in modules for p in m.parameters()]


def _max_relative(got, want):
    return max(float((g - w).abs().max() / w.abs().max()) for g, w in zip(got, want, strict=True))


class _DiffersWithGrad(torch.nn.Module):
    """The wrapped tower, its output scaled by 1 + 1e-6 when gradients are on: phase 3's
    encoder is then not phase 1's."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        out = self.inner(x)
        return out * (1 + 1e-6) if torch.is_grad_enabled() else out


def _cached_and_by_hand(planted_bug: bool):
    ex = _example()
    torch.manual_seed(0)
    image_tower, text_tower = ex.towers(32, torch.float64)
    images, texts = ex.Pairs(3, torch.float64).batch(256)
    image_ref, text_ref = copy.deepcopy(image_tower), copy.deepcopy(text_tower)
    want_loss = _clip_by_hand(image_ref(images), text_ref(texts))
    want_loss.backward()
    if planted_bug:
        text_tower = _DiffersWithGrad(text_tower)
    loss = ex.gradcache_step(image_tower, text_tower, images, texts, chunk_size=48, mini_batch=40)
    return loss, float(want_loss), _grads(image_tower, text_tower), _grads(image_ref, text_ref)


def test_gradcache_step_equals_the_plain_full_batch_step():
    # 256 rows: chunk 48 leaves a partial tile, mini-batch 40 a partial mini-batch
    loss, want_loss, got, want = _cached_and_by_hand(planted_bug=False)
    assert abs(loss - want_loss) <= 1e-12 * abs(want_loss)
    assert _max_relative(got, want) < 1e-10


def test_an_encoder_that_changes_between_passes_is_caught():
    _, _, got, want = _cached_and_by_hand(planted_bug=True)
    assert _max_relative(got, want) > 1e-8


def test_check_mode_passes_and_the_loss_decreases():
    sizes = ["--batch", "512", "--chunk-size", "128", "--mini-batch", "64", "--steps", "4"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", *sizes],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = re.search(r"max relative difference of parameter gradients: (\S+)", done.stdout)
    assert found is not None, done.stdout
    assert float(found.group(1)) < 1e-10
    losses = [float(x) for x in re.findall(r"^step \d+: loss (\S+);", done.stdout, re.M)]
    assert len(losses) == 4, done.stdout
    assert losses[-1] < 0.8 * losses[0]
    assert "peak" in done.stdout
