"""Sharded in-batch losses equal the single-device loss on the concatenated batch.

Each "device" s holds rows [s·n, (s+1)·n) and receives every device's rows (what an
all-gather with gradients gives it). The per-sample losses it computes must be the global
ones, and the gradient of the sum over devices, w.r.t. the global arrays from which the local
rows and the gathered copies both come, must be the global gradient (float64, tight). The
real collectives (torch.distributed on gloo, JAX shard_map) run in
``examples/distributed_*.py``, which the last two tests run.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import arraylosses as al
from arraylosses.testing import BACKENDS

from .conftest import JAX, SELECTED, use_backend
from .helpers import close

SHARDS, ROWS = 4, 2  # 4 devices of 2 rows: W = 8
ALL_DIRECTIONS = ("query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc")
EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def _sl(x, s):
    return x[s * ROWS : (s + 1) * ROWS, ...]


# name -> (global call, local call on device s with gathered arrays, offset)
LOSSES = {
    "info_nce": (
        lambda q, p, n: al.info_nce(q, p, reduction="none"),
        lambda q, p, n, s, o: al.info_nce(_sl(q, s), p, offset=o, reduction="none"),
    ),
    "info_nce symmetric": (
        lambda q, p, n: al.info_nce(q, p, symmetric=True, reduction="none"),
        lambda q, p, n, s, o: al.info_nce(
            _sl(q, s), p, symmetric=True, all_query=q, offset=o, reduction="none"
        ),
    ),
    "multiple_negatives_ranking_loss, every direction": (
        lambda q, p, n: al.multiple_negatives_ranking_loss(
            q, p, n, directions=ALL_DIRECTIONS, reduction="none"
        ),
        lambda q, p, n, s, o: al.multiple_negatives_ranking_loss(
            _sl(q, s), p, n, directions=ALL_DIRECTIONS, all_anchors=q, offset=o, reduction="none"
        ),
    ),
    "multiple_negatives_symmetric_ranking_loss": (
        lambda q, p, n: al.multiple_negatives_symmetric_ranking_loss(q, p, n, reduction="none"),
        lambda q, p, n, s, o: al.multiple_negatives_symmetric_ranking_loss(
            _sl(q, s), p, n, all_anchors=q, offset=o, reduction="none"
        ),
    ),
    "matryoshka(multiple_negatives_ranking_loss)": (
        lambda q, p, n: al.matryoshka(al.multiple_negatives_ranking_loss, (4, 2))(
            q, p, n, directions=ALL_DIRECTIONS, reduction="none"
        ),
        lambda q, p, n, s, o: al.matryoshka(al.multiple_negatives_ranking_loss, (4, 2))(
            _sl(q, s), p, n, directions=ALL_DIRECTIONS, all_anchors=q, offset=o, reduction="none"
        ),
    ),
    "clip_loss": (
        lambda q, p, n: al.clip_loss(q, p, reduction="none"),
        lambda q, p, n, s, o: al.clip_loss(
            _sl(q, s), p, all_image_emb=q, offset=o, reduction="none"
        ),
    ),
    "siglip_loss": (
        lambda q, p, n: al.siglip_loss(q, p, reduction="none"),
        lambda q, p, n, s, o: al.siglip_loss(_sl(q, s), p, offset=o, reduction="none"),
    ),
    "nt_xent_loss": (
        lambda q, p, n: al.nt_xent_loss(q, p, reduction="none"),
        lambda q, p, n, s, o: al.nt_xent_loss(_sl(q, s), p, all_z1=q, offset=o, reduction="none"),
    ),
}


def _inputs(rng):
    return (
        rng.normal(size=(SHARDS * ROWS, 4)),
        rng.normal(size=(SHARDS * ROWS, 4)),
        rng.normal(size=(SHARDS * ROWS, 2, 4)),
    )


def _offset(backend, s, as_array):
    if not as_array:
        return s * ROWS
    return backend.asarray(np.asarray(s * ROWS, dtype=np.int64))


@pytest.mark.parametrize("as_array", [False, True], ids=["int offset", "array offset"])
@pytest.mark.parametrize("name", LOSSES)
def test_sharded_rows_equal_global_rows(backend, rng, name, as_array):
    whole, local = LOSSES[name]
    (q, p, n), _ = backend.convert(_inputs(rng), dtype="float64")
    expected = backend.to_numpy(whole(q, p, n))
    parts = [
        backend.to_numpy(local(q, p, n, s, _offset(backend, s, as_array))) for s in range(SHARDS)
    ]
    close(np.concatenate(parts), expected, "float64", rtol=1e-12, atol=1e-14)


def _value_and_grads(backend, fn, arrays):
    if backend.name.startswith("torch"):
        import torch

        leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*leaves)
        grads = torch.autograd.grad(out, leaves, allow_unused=True)  # n: MNRL's only
        return out.item(), [
            np.zeros(a.shape) if g is None else g.numpy()
            for a, g in zip(arrays, grads, strict=True)
        ]
    import jax

    # under jax.jit, as a training step runs (one compilation, where eager autodiff compiles
    # each primitive and its transpose); the offsets are Python ints, static (a traced one:
    # test_traced_offset_under_jit)
    values, _ = backend.convert(arrays, dtype="float64")
    out, grads = jax.jit(jax.value_and_grad(fn, argnums=(0, 1, 2)))(*values)
    return float(out), [np.asarray(g) for g in grads]


@pytest.mark.parametrize("name", LOSSES)
def test_sharded_gradients_equal_global_gradients(ad_backend, rng, name):
    """Σ over devices of each device's summed loss, differentiated through the local slices
    and the gathered copies (what the all-gather's backward sums across devices), equals the
    global summed loss's gradient, for every row of every device."""
    whole, local = LOSSES[name]
    xp = ad_backend.xp

    def global_sum(q, p, n):
        return xp.sum(whole(q, p, n))

    def sharded_sum(q, p, n):
        return sum(xp.sum(local(q, p, n, s, s * ROWS)) for s in range(SHARDS))

    arrays = _inputs(rng)
    value, grads = _value_and_grads(ad_backend, global_sum, arrays)
    sharded_value, sharded_grads = _value_and_grads(ad_backend, sharded_sum, arrays)
    close(sharded_value, value, "float64", rtol=1e-12)
    for g_sharded, g in zip(sharded_grads, grads, strict=True):
        close(g_sharded, g, "float64", rtol=1e-11, atol=1e-14)


def test_traced_offset_under_jit(rng):
    """``offset`` as a traced integer (``jax.lax.axis_index(...) * n`` inside shard_map): the
    same rows as with a Python int."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    q, p, n = (jnp.asarray(x) for x in _inputs(rng))
    _, local = LOSSES["multiple_negatives_ranking_loss, every direction"]
    jitted = jax.jit(lambda o: local(q, p, n, 1, o))
    close(
        np.asarray(jitted(jnp.asarray(2))), np.asarray(local(q, p, n, 1, 2)), "float64", rtol=1e-13
    )


def test_sharding_errors(backend):
    x = backend.asarray(np.ones((4, 3)), "float64")
    gathered = backend.asarray(np.ones((8, 3)), "float64")
    with pytest.raises(
        ValueError,
        match=r"the symmetric direction with gathered text_emb \(8 rows for 4 rows of "
        r"image_emb\) needs all_image_emb",
    ):
        al.clip_loss(x, gathered, offset=4)
    with pytest.raises(
        ValueError,
        match=r"symmetric direction with gathered z2 \(8 rows for 4 rows of z1\) needs all_z1",
    ):
        al.nt_xent_loss(x, gathered)
    with pytest.raises(
        ValueError,
        match=r"all_image_emb must have as many rows as text_emb "
        r"\(8\)",
    ):
        al.clip_loss(x, gathered, all_image_emb=gathered[:6, ...])
    with pytest.raises(ValueError, match=r"offset must be in \[0, 4\]"):
        al.clip_loss(x, gathered, all_image_emb=gathered, offset=5)
    with pytest.raises(ValueError, match=r"offset must be in \[0, 0\]"):
        al.nt_xent_loss(x, x, offset=2)
    with pytest.raises(ValueError, match=r"text_emb must have at least image_emb's 4 rows"):
        al.siglip_loss(x, gathered[:2, ...])
    with pytest.raises(ValueError, match=r"offset must be in \[0, 4\]"):
        al.siglip_loss(x, gathered, offset=backend.asarray(np.asarray(7, dtype=np.int64)))
    with pytest.raises(TypeError, match="offset must be an int or a 0-d integer array; got bool"):
        al.siglip_loss(x, x, offset=True)


def _run_example(script: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--steps", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_torch_distributed_example_matches_the_global_batch():
    """Two processes on gloo, all_gather with gradients: loss and every rank's embedding
    gradients equal the single-process ones (the example asserts it, float64)."""
    pytest.importorskip("torch")
    out = _run_example("distributed_torch.py")
    assert "sharded loss and gradients == single-process (2 processes)" in out


def test_jax_distributed_example_matches_the_global_batch():
    """Eight host devices: jit on a sharded batch, and shard_map with all_gather."""
    pytest.importorskip("jax")
    out = _run_example("distributed_jax.py")
    assert "jit on a mesh of 8 devices == single device" in out
    assert "shard_map + all_gather on 8 devices == single device" in out


# --- chunk_size (issue #15): each device walks its rows against the gathered ones in tiles ---

C_SHARDS, C_ROWS = 3, 3  # 3 devices of 3 rows: W = 9
C_CHUNKS = (2, 4)  # 2 divides neither 3 nor 9 (nor 18, 27); 4 >= the local rows, < W


@pytest.fixture
def one_torch_thread():
    """The tiles are many small ops: on a shared CPU, torch's OpenMP threads spin-waiting at
    every op dominate; one intra-op thread for these tests, restored after."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _csl(x, s):
    return x[s * C_ROWS : (s + 1) * C_ROWS, ...]


# name -> (global dense call, local chunked call: this device's rows ql, the gathered q, p, n,
# offset o, chunk k)
CHUNKED = {
    "info_nce": (
        lambda q, p, n: al.info_nce(q, p, reduction="none"),
        lambda ql, q, p, n, o, k: al.info_nce(ql, p, offset=o, chunk_size=k, reduction="none"),
    ),
    "info_nce symmetric": (
        lambda q, p, n: al.info_nce(q, p, symmetric=True, reduction="none"),
        lambda ql, q, p, n, o, k: al.info_nce(
            ql, p, symmetric=True, all_query=q, offset=o, chunk_size=k, reduction="none"
        ),
    ),
    "clip_loss": (
        lambda q, p, n: al.clip_loss(q, p, logit_scale=3.0, reduction="none"),
        lambda ql, q, p, n, o, k: al.clip_loss(
            ql, p, logit_scale=3.0, all_image_emb=q, offset=o, chunk_size=k, reduction="none"
        ),
    ),
    "siglip_loss": (
        lambda q, p, n: al.siglip_loss(q, p, reduction="none"),
        lambda ql, q, p, n, o, k: al.siglip_loss(ql, p, offset=o, chunk_size=k, reduction="none"),
    ),
    "nt_xent_loss": (
        lambda q, p, n: al.nt_xent_loss(q, p, reduction="none"),
        lambda ql, q, p, n, o, k: al.nt_xent_loss(
            ql, p, all_z1=q, offset=o, chunk_size=k, reduction="none"
        ),
    ),
    "multiple_negatives_ranking_loss, every direction": (
        lambda q, p, n: al.multiple_negatives_ranking_loss(
            q, p, n, directions=ALL_DIRECTIONS, reduction="none"
        ),
        lambda ql, q, p, n, o, k: al.multiple_negatives_ranking_loss(
            ql,
            p,
            n,
            directions=ALL_DIRECTIONS,
            all_anchors=q,
            offset=o,
            chunk_size=k,
            reduction="none",
        ),
    ),
    "multiple_negatives_ranking_loss, in_batch_negatives hardness, per_direction": (
        lambda q, p, n: al.multiple_negatives_ranking_loss(
            q,
            p,
            n,
            directions=("query_to_doc", "doc_to_query"),
            partition_mode="per_direction",
            hardness_mode="in_batch_negatives",
            hardness_strength=1.0,
            reduction="none",
        ),
        lambda ql, q, p, n, o, k: al.multiple_negatives_ranking_loss(
            ql,
            p,
            n,
            directions=("query_to_doc", "doc_to_query"),
            partition_mode="per_direction",
            hardness_mode="in_batch_negatives",
            hardness_strength=1.0,
            all_anchors=q,
            offset=o,
            chunk_size=k,
            reduction="none",
        ),
    ),
    "multiple_negatives_ranking_loss, hard_negatives hardness": (
        lambda q, p, n: al.multiple_negatives_ranking_loss(
            q, p, n, hardness_mode="hard_negatives", hardness_strength=2.0, reduction="none"
        ),
        lambda ql, q, p, n, o, k: al.multiple_negatives_ranking_loss(
            ql,
            p,
            n,
            hardness_mode="hard_negatives",
            hardness_strength=2.0,
            offset=o,
            chunk_size=k,
            reduction="none",
        ),
    ),
    "multiple_negatives_symmetric_ranking_loss": (
        lambda q, p, n: al.multiple_negatives_symmetric_ranking_loss(q, p, n, reduction="none"),
        lambda ql, q, p, n, o, k: al.multiple_negatives_symmetric_ranking_loss(
            ql, p, n, all_anchors=q, offset=o, chunk_size=k, reduction="none"
        ),
    ),
}


def _chunked_inputs():
    rng = np.random.default_rng(15)
    w = C_SHARDS * C_ROWS
    return rng.normal(size=(w, 4)), rng.normal(size=(w, 4)), rng.normal(size=(w, 2, 4))


def _chunked_offset(backend, s, as_array):
    if not as_array:
        return s * C_ROWS
    return backend.asarray(np.asarray(s * C_ROWS, dtype=np.int64))


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("as_array", [False, True], ids=["int offset", "array offset"])
@pytest.mark.parametrize("chunk", C_CHUNKS, ids=lambda k: f"chunk={k}")
@pytest.mark.parametrize("name", CHUNKED)
@pytest.mark.parametrize("backend_name", [b for b in SELECTED if b not in JAX])
def test_sharded_chunked_rows_equal_global_dense_rows(backend_name, name, chunk, as_array):
    """Each device's chunked rows (its rows against the gathered ones, in tiles) are the
    global dense loss's rows, float64. JAX: the next test, under jax.jit (one compile per
    loss, the offset a traced array as under shard_map)."""
    backend = use_backend(backend_name)
    whole, local = CHUNKED[name]
    q, p, n = (backend.asarray(x, "float64") for x in _chunked_inputs())
    expected = backend.to_numpy(whole(q, p, n))
    parts = [
        backend.to_numpy(local(_csl(q, s), q, p, n, _chunked_offset(backend, s, as_array), chunk))
        for s in range(C_SHARDS)
    ]
    close(np.concatenate(parts), expected, "float64", rtol=1e-12, atol=1e-14)


def _torch_sharded(backend, name, chunk, as_array, cot):
    import torch

    whole, local = CHUNKED[name]
    leaves = [
        x.requires_grad_(True) for x in backend.convert(_chunked_inputs(), dtype="float64")[0]
    ]
    c = backend.asarray(cot, "float64")
    expected = whole(*leaves)
    expected_grads = torch.autograd.grad(expected, leaves, grad_outputs=c, allow_unused=True)
    q, p, n = leaves
    parts = [
        local(_csl(q, s), q, p, n, _chunked_offset(backend, s, as_array), chunk)
        for s in range(C_SHARDS)
    ]
    rows = torch.cat(parts)
    grads = torch.autograd.grad(rows, leaves, grad_outputs=c, allow_unused=True)
    numpy = [backend.to_numpy(x.detach()) for x in (rows, expected)]
    return numpy, [
        [np.zeros(x.shape) if g is None else backend.to_numpy(g) for x, g in zip(leaves, gs)]
        for gs in (grads, expected_grads)
    ]


def _jax_sharded(backend, name, chunk, cot):
    """One jitted local step (this device's rows ql, the gathered q, p, n and a traced
    offset), called per device; the gradient w.r.t. the global arrays is what the all-gather's
    backward gives: ql's gradient into its rows plus the gathered copies' gradients, summed
    over devices."""
    import jax
    import jax.numpy as jnp

    whole, local = CHUNKED[name]
    with backend.context("float64"):
        (q, p, n), _ = backend.convert(_chunked_inputs(), dtype="float64")
        c = backend.asarray(cot, "float64")

        def weighted(fn, c):
            def f(*xs):
                rows = fn(*xs)
                return jnp.sum(c * rows), rows

            return f

        run_whole = jax.jit(jax.value_and_grad(weighted(whole, c), argnums=(0, 1, 2), has_aux=True))
        (_, expected), expected_grads = run_whole(q, p, n)

        def step(ql, q, p, n, o, c):
            return weighted(lambda *xs: local(*xs, o, chunk), c)(ql, q, p, n)

        run_local = jax.jit(jax.value_and_grad(step, argnums=(0, 1, 2, 3), has_aux=True))
        parts, grads = [], [np.zeros(q.shape), np.zeros(p.shape), np.zeros(n.shape)]
        for s in range(C_SHARDS):
            offset = backend.asarray(np.asarray(s * C_ROWS, dtype=np.int64))
            (_, rows), (g_ql, g_q, g_p, g_n) = run_local(_csl(q, s), q, p, n, offset, _csl(c, s))
            parts.append(np.asarray(rows))
            grads[0] += np.asarray(g_q)
            grads[0][s * C_ROWS : (s + 1) * C_ROWS] += np.asarray(g_ql)
            grads[1] += np.asarray(g_p)
            grads[2] += np.asarray(g_n)
    values = [np.concatenate(parts), np.asarray(expected)]
    return values, [grads, [np.asarray(g) for g in expected_grads]]


# under jax.jit (one compile each, seconds on a shared CPU): one loss per code path of the
# chunked form (two directions with an offset, SigLIP, NT-Xent's views, MNRL's rules)
C_JAX = [
    "info_nce symmetric",
    "siglip_loss",
    "nt_xent_loss",
    "multiple_negatives_ranking_loss, every direction",
    "multiple_negatives_ranking_loss, in_batch_negatives hardness, per_direction",
]


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize(
    ("backend_name", "name"),
    [
        pytest.param(b, name, id=f"{b}-{name}")
        for b in SELECTED
        if BACKENDS[b].differentiable
        for name in CHUNKED
        if b not in JAX or name in C_JAX
    ],
)
def test_sharded_chunked_gradients_equal_global_dense_gradients(backend_name, name):
    """The gradient of Σ c·rows over every device's chunked rows, w.r.t. the global arrays
    (through the local slices and the gathered copies), is the global dense one. torch: both
    chunk sizes, int and 0-d tensor offsets; JAX: chunk 2 under jax.jit, offset a traced
    0-d array (C_JAX)."""
    ad_backend = use_backend(backend_name)
    cot = np.random.default_rng(1).uniform(0.5, 1.5, size=C_SHARDS * C_ROWS)
    runs = []
    if ad_backend.is_jax:
        runs.append(_jax_sharded(ad_backend, name, 2, cot))
    else:
        for chunk in C_CHUNKS:
            for as_array in (False, True):
                runs.append(_torch_sharded(ad_backend, name, chunk, as_array, cot))
    for (values, expected), (grads, expected_grads) in runs:
        close(values, expected, "float64", rtol=1e-12, atol=1e-14)
        for g, e in zip(grads, expected_grads, strict=True):
            close(g, e, "float64", rtol=1e-11, atol=1e-14)
