"""arraylosses.testing.crosscheck: correct implementations pass, planted bugs are caught (value,
gradient, missing gradient, a bug shared with ours on the same backend), the candidate's own
exception and an unavailable backend are reported as such, JAX settings are left alone, and
the README's peer cross-checks run."""

from __future__ import annotations

import functools
import importlib.util
import pathlib
import re

import numpy as np
import pytest

import arraylosses as al
from arraylosses.testing import (
    BackendUnavailable,
    CandidateError,
    adapt,
    assert_close,
    crosscheck,
    tolerance,
)

ROOT = pathlib.Path(__file__).parent.parent


def _example():
    """The hand-written losses of examples/crosscheck_user_losses.py (one copy of them)."""
    path = ROOT / "examples" / "crosscheck_user_losses.py"
    spec = importlib.util.spec_from_file_location("crosscheck_user_losses", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def torch_info_nce(bug: float = 0.0):
    return _example().torch_info_nce(bug)


def jax_focal(bug: float = 0.0):
    return _example().jax_focal(bug)


def _focal_inputs():
    rng = np.random.default_rng(0)
    return [
        ((rng.normal(scale=2.0, size=(6, 3)), rng.integers(0, 2, (6, 3)) * 1.0), {})
        for _ in range(2)
    ]


# The tolerances the README ("crosscheck") and docs/design.md ("Tests") document, written here
# rather than read from arraylosses.testing.TOLERANCES: loosening the table, or its use by a
# comparison, must fail a test. Every planted bug below is 1e-3 relative, 10^7 times the float64
# tolerance; these tests sit at the boundary.
DOCUMENTED = {"float64": (1e-10, 1e-12), "float32": (2e-5, 1e-6)}
# a candidate this many tolerances off must fail, one at half a tolerance must pass
BOUNDARY = [pytest.param(3.0, False, id="3x-fails"), pytest.param(0.5, True, id="half-passes")]


def test_the_tolerance_table_is_the_documented_one():
    assert {d: tolerance(d) for d in DOCUMENTED} == DOCUMENTED


def _off_by(*, relative: float = 0.0, absolute: float = 0.0):
    """mse_loss, its value (and so its gradients) times ``1 + relative``, plus ``absolute``."""

    def candidate(pred, target):
        return al.mse_loss(pred, target) * (1 + relative) + absolute

    return candidate


def _boundary_inputs(kind: str):
    rng = np.random.default_rng(3)
    pred = rng.normal(size=(6, 3))
    # "relative": a loss of about 2, where rtol decides; "absolute": a loss of exactly 0 (and
    # zero gradients), where only atol can
    target = rng.normal(size=(6, 3)) if kind == "relative" else pred.copy()
    return [((pred, target), {})]


@pytest.mark.parametrize("kind", ["relative", "absolute"])
@pytest.mark.parametrize(("tolerances", "passes"), BOUNDARY)
@pytest.mark.parametrize("dtype", list(DOCUMENTED))
def test_crosscheck_fails_past_the_tolerance_and_passes_within(
    backend, dtype, kind, tolerances, passes
):
    """Values and (torch, JAX) gradients, same backend and independent: the candidate is off
    by ``tolerances`` times the dtype's rtol (a loss of about 2) or atol (a loss of 0)."""
    if dtype not in backend.dtypes:
        pytest.skip(f"{backend.name} has no {dtype}")
    rtol, atol = DOCUMENTED[dtype]
    off = {kind: tolerances * (rtol if kind == "relative" else atol)}
    run = functools.partial(
        crosscheck,
        _off_by(**off),
        "mse_loss",
        inputs=_boundary_inputs(kind),
        backends=[backend.name],
        dtypes=[dtype],
    )
    if passes:
        rows = run().ran()
        assert {r.comparison for r in rows} == {"same backend", "independent"}
        if kind == "relative":  # the row reports the error it was given
            same = next(r for r in rows if r.comparison == "same backend")
            assert same.errors["value"][1] == pytest.approx(off[kind], rel=0.05)
        return
    cell = f"{backend.name}/{dtype}"
    with pytest.raises(
        AssertionError, match=re.escape(f"inputs[0], {cell} (vs ours on {cell}), value: max abs")
    ):
        run()


@pytest.mark.parametrize("kind", ["relative", "absolute"])
@pytest.mark.parametrize(("tolerances", "passes"), BOUNDARY)
@pytest.mark.parametrize("dtype", list(DOCUMENTED))
def test_assert_close_fails_past_the_tolerance_and_passes_within(dtype, kind, tolerances, passes):
    """Default tolerances (the dtype of ``actual``): off by ``tolerances`` times its rtol
    (values of order 1, exact in float32) or its atol (expected 0)."""
    rtol, atol = DOCUMENTED[dtype]
    if kind == "relative":
        expected = np.array([1.5, -2.25, 3.0, 0.75])
        actual = (expected * (1 + tolerances * rtol)).astype(dtype)
    else:
        expected = np.zeros(4)
        actual = np.full(4, tolerances * atol, dtype=dtype)
    if passes:
        assert_close(actual, expected)
    else:
        with pytest.raises(AssertionError, match="max abs error"):
            assert_close(actual, expected)


def test_correct_torch_info_nce_passes_against_both_references():
    pytest.importorskip("torch")
    report = crosscheck(torch_info_nce(), "info_nce")
    ran = report.ran()
    assert {(r.backend, r.dtype) for r in ran} == {("torch", "float64"), ("torch", "float32")}
    assert {r.comparison for r in ran} == {"same backend", "independent"}
    assert all({"value", "d/d query", "d/d positives"} <= set(r.errors) for r in ran)
    assert all(r.errors["value"][1] < 1e-5 for r in ran)
    # a torch-only loss is skipped on NumPy, and the row says why
    numpy_row = next(r for r in report.skipped() if r.backend == "numpy")
    assert "the candidate raised" in numpy_row.skipped and "numpy/float64" in numpy_row.skipped
    assert "vs ours, generic array-API code, NumPy float64" in str(report)


def test_planted_bug_in_torch_info_nce_is_caught():
    pytest.importorskip("torch")
    with pytest.raises(
        AssertionError,
        match=r"candidate differs from arraylosses.info_nce on "
        r"registry inputs, seed 0, torch/float64 \(vs ours "
        r"on torch/float64\), value",
    ):
        crosscheck(torch_info_nce(bug=1e-3), "info_nce")


def test_correct_jax_focal_passes_and_a_bug_is_caught():
    pytest.importorskip("jax")
    inputs = _focal_inputs()
    report = crosscheck(jax_focal(), "sigmoid_focal_loss", inputs=inputs, backends=["jax"])
    assert {r.inputs for r in report} == {"inputs[0]", "inputs[1]"}
    assert all({"d/d logits", "d/d target"} <= set(r.errors) for r in report)
    with pytest.raises(
        AssertionError,
        match=r"on inputs\[0\], jax/float64 \(vs ours on "
        r"jax/float64\), value: max abs error",
    ):
        crosscheck(jax_focal(bug=1e-3), "sigmoid_focal_loss", inputs=inputs, backends=["jax"])


def test_a_gradient_only_bug_is_caught():
    torch = pytest.importorskip("torch")

    def detached_mse(p, t):  # right value, wrong gradient: detaches half the batch
        d = p - t
        return torch.cat([d[:1], d[1:].detach()]).pow(2).mean()

    x, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[0.0, 2.5], [1.0, 1.0]])
    with pytest.raises(
        AssertionError,
        match=r"torch/float64 \(vs ours on torch/float64\), "
        r"d/d pred:",
    ):
        crosscheck(detached_mse, "mse_loss", inputs=[((x, y), {})], backends=["torch"])


def test_a_detached_input_is_a_failure_naming_it():
    """The issue's case: an InfoNCE that detaches ``positive`` entirely. Its value is right;
    torch returns no gradient (None) for ``positive``, which must fail, not be skipped."""
    pytest.importorskip("torch")
    info_nce = torch_info_nce()

    def detached(query, positive, temperature=0.1):
        return info_nce(query, positive.detach(), temperature)

    with pytest.raises(
        AssertionError,
        match=r"torch/float64 \(vs ours on torch/float64\), "
        r"d/d positives: the candidate has no gradient",
    ):
        crosscheck(detached, "info_nce", backends=["torch"])


def test_a_bug_shared_with_ours_on_the_same_backend_is_caught_independently(monkeypatch):
    """A wrong torch kernel used by ours (on torch, plain cross entropy is one
    ``F.cross_entropy`` call) and by the candidate: the same-backend comparison agrees
    exactly, the independent NumPy float64 reference does not."""
    torch = pytest.importorskip("torch")
    from arraylosses import _backend

    real = torch.nn.functional.cross_entropy

    def wrong(x, labels, reduction="mean"):
        return real(x, labels, reduction=reduction) * (1 + 1e-3)

    monkeypatch.setattr(torch.nn.functional, "cross_entropy", wrong)
    monkeypatch.setattr(_backend, "_NATIVE", {})  # ours binds the torch kernels afresh

    def ce(logits, labels):
        return torch.nn.functional.cross_entropy(logits, labels)

    with pytest.raises(AssertionError) as info:
        crosscheck(ce, "cross_entropy", backends=["torch"], grad=False)
    assert "(vs ours, generic array-API code, NumPy float64), value" in str(info.value)
    assert "vs ours on torch/float64" not in str(info.value)


def test_torch_cross_entropy_is_checked_against_numpy_not_only_torch():
    pytest.importorskip("torch")
    import torch.nn.functional as F

    report = crosscheck(F.cross_entropy, "cross_entropy", backends=["torch"])
    same = [r for r in report if r.comparison == "same backend"]
    independent = [r for r in report if r.comparison == "independent"]
    assert len(same) == len(independent) == 6
    assert all("NumPy float64" in r.reference for r in independent)
    assert all(set(r.errors) == {"value", "d/d logits"} for r in independent)


def test_the_candidates_exception_is_chained_with_where_it_was_raised():
    pytest.importorskip("torch")
    info_nce = torch_info_nce()

    def wrong_keyword(query, positive):
        return info_nce(query, positive, tau=0.1)

    with pytest.raises(
        CandidateError,
        match=r"the candidate raised TypeError on torch/float64, "
        r"registry inputs, seed 0: .*tau",
    ) as info:
        crosscheck(wrong_keyword, "info_nce", backends=["torch"])
    assert isinstance(info.value.__cause__, TypeError)


def test_a_candidate_that_runs_nowhere_shows_every_reason():
    def broken(query, positive):
        raise RuntimeError("boom")

    with pytest.raises(
        AssertionError,
        match=r"ran on none of the backends:[\s\S]*numpy/\* "
        r"\[\*\]: skipped: the candidate raised "
        r"RuntimeError on numpy/float64.*boom",
    ) as info:
        crosscheck(broken, "info_nce")
    assert isinstance(info.value.__cause__, CandidateError)
    assert isinstance(info.value.__cause__.__cause__, RuntimeError)


def test_a_candidate_that_ran_once_and_then_raises_is_not_skipped():
    """Only a first-call failure means "does not run on this backend": a candidate that ran on
    numpy/float64 and raises on numpy/float32 is a failure, even with the default backends."""

    def float64_only(p, t):
        if p.dtype != np.float64:
            raise RuntimeError(f"no {p.dtype}")
        return np.mean((p - t) ** 2)

    x, y = np.array([[1.0, 2.0]]), np.array([[0.0, 2.5]])
    with pytest.raises(
        CandidateError, match=r"the candidate raised RuntimeError on numpy/float32, inputs\[0\]"
    ):
        crosscheck(float64_only, "mse_loss", inputs=[((x, y), {})])


def test_an_unavailable_backend_is_named_with_its_reason():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(BackendUnavailable, match=r"torch-cuda: no CUDA device"):
        crosscheck(torch_info_nce(), "info_nce", backends=["torch-cuda"])


def test_skipped_dtypes_say_why():
    report = crosscheck(
        lambda p, t: ((p - t) ** 2).mean(),
        "mse_loss",
        backends=["numpy"],
        dtypes=["float64", "bfloat16"],
    )
    assert [r.skipped for r in report.skipped()] == ["numpy has no bfloat16"]


def test_float64_rows_are_float64_and_jax_settings_are_left_alone():
    """With x64 turned off by the caller, the float64 rows still run in float64 (inside
    jax.enable_x64), float32 rows keep the caller's setting, and nothing outlives the call."""
    jax = pytest.importorskip("jax")
    focal = jax_focal()
    seen = []

    def recording(logits, target):
        seen.append(
            (str(logits.dtype), jax.config.jax_enable_x64, jax.config.jax_default_matmul_precision)
        )
        return focal(logits, target)

    with jax.enable_x64(False), jax.default_matmul_precision("float32"):
        report = crosscheck(
            recording, "sigmoid_focal_loss", inputs=_focal_inputs(), backends=["jax"]
        )
        assert jax.config.jax_enable_x64 is False
        assert jax.config.jax_default_matmul_precision == "float32"
    assert {r.dtype for r in report} == {"float64", "float32"}
    assert set(seen) == {("float64", True, "highest"), ("float32", False, "highest")}


def test_reference_by_name_errors():
    with pytest.raises(ValueError, match="is not a public function"):
        crosscheck(lambda x: x, "no_such_loss", inputs=[((np.ones(2),), {})])
    with pytest.raises(ValueError, match=r"unknown backend\(s\) \['tpu'\]"):
        crosscheck(lambda x: x, "mse_loss", backends=["tpu"])


def test_adapt_maps_order_names_one_hot_and_reduction():
    def peer(target, pred, *, weights=None, scale=1.0):  # per-row, other order
        w = np.ones(len(pred)) if weights is None else weights
        return scale * w * ((pred - target) ** 2).sum(axis=-1)

    p, t = np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[0.0, 0.0], [0.0, 0.0]])
    f = adapt(
        peer,
        args=(1, 0),
        kwargs_map={"sample_weight": "weights", "reduction": None},
        extra_kwargs={"scale": 2.0},
        reduction="sum",
    )
    assert float(f(p, t, sample_weight=np.array([1.0, 3.0]), reduction="mean")) == 2 * (5 + 3)
    assert f.__name__ == "adapt(test_adapt_maps_order_names_one_hot_and_reduction.<locals>.peer)"
    hot = adapt(lambda z, y: y, one_hot=1)(np.zeros((3, 4), dtype=np.float32), np.array([2, 0, 3]))
    assert hot.dtype == np.float32 and hot.tolist() == np.eye(4)[[2, 0, 3]].tolist()
    packed = adapt(
        lambda embeddings, labels: (embeddings, labels), args=lambda q, p: ([q, p], None)
    )
    assert packed(1, 2) == ([1, 2], None)
    with pytest.raises(ValueError, match="reduction must be one of"):
        adapt(peer, reduction="average")


def test_adapted_optax_with_one_hot_labels():
    optax = pytest.importorskip("optax")
    report = crosscheck(
        adapt(optax.softmax_cross_entropy, one_hot=1, reduction="mean"),
        "cross_entropy",
        backends=["jax"],
    )
    assert len(report.ran()) == 12


def _readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- crosscheck-example -->\s*```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2, "README: the crosscheck examples lost their markers"
    return blocks


def test_readme_crosscheck_examples_run(capsys):
    """The README's cross-checks (a hand-written InfoNCE, then torch, optax, scikit-learn and
    sentence-transformers, each in at most 3 lines), as the wheel session runs them."""
    for module in ("torch", "optax", "sklearn", "sentence_transformers"):
        pytest.importorskip(module)
    namespace: dict = {}
    for block in _readme_blocks():
        exec(compile(block, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "my_info_nce vs arraylosses.info_nce" in out
    for name in (
        "cross_entropy vs arraylosses.cross_entropy",
        "adapt(softmax_cross_entropy_with_integer_labels)",
        "adapt(log_loss) vs arraylosses.metrics.log_loss",
        "adapt(MultipleNegativesRankingLoss.compute_loss_from_embeddings)",
    ):
        assert name in out
