"""No host read on an accelerator (issue #32): every registry case, called eagerly with torch
tensors off the CPU, reads nothing back to the host.

On the CPU the check runs with inputs on torch's ``meta`` device, which holds shapes and dtypes
but no values: any read (``int(t)``, ``bool(t)``, ``t.item()``...) raises there, and a
``TorchFunctionMode`` counts the reads a function attempts (a caught exception would hide
one). Every result must be a ``meta`` tensor. The CUDA variant runs the same cases under
``torch.cuda.set_sync_debug_mode("error")``, where any synchronising call raises; it runs only
where CUDA exists.

Besides reads, the count includes Python numbers turned into tensors on the device
(``torch.asarray(0.5, device=...)``): on CUDA that is a blocking copy (pytorch/pytorch#190217),
where ``torch.full`` is a queued fill.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from arraylosses.testing.cases import CASES, Case

from .conftest import use_backend

_READS = (
    "item",
    "__bool__",
    "__int__",
    "__float__",
    "__index__",
    "tolist",
    "numpy",
    "cpu",
)
_FACTORIES = ("asarray", "tensor", "as_tensor", "scalar_tensor")


def _torch() -> Any:
    use_backend("torch")  # skips, or fails where CI requires torch
    import torch

    return torch


class _CountReads:
    """A ``TorchFunctionMode`` recording every host read and every Python number copied onto a
    device other than the CPU."""

    def __init__(self, torch: Any) -> None:
        reads = {getattr(torch.Tensor, name) for name in _READS}
        factories = {getattr(torch, name) for name in _FACTORIES}
        found: list[str] = []

        class Mode(torch.overrides.TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
                kwargs = kwargs or {}
                if func in reads:
                    found.append(f"Tensor.{func.__name__}")
                elif func in factories and args and isinstance(args[0], int | float | bool):
                    device = kwargs.get("device")
                    if device is not None and torch.device(device).type != "cpu":
                        found.append(f"torch.{func.__name__}({args[0]!r}, device={device})")
                return func(*args, **kwargs)

        self.mode = Mode()
        self.found = found


def _leaves(out: Any) -> Iterator[Any]:
    """The arrays of a result: an array, or tuples, named tuples and dicts of them."""
    if isinstance(out, dict):
        for v in out.values():
            yield from _leaves(v)
    elif isinstance(out, tuple | list):
        for v in out:
            yield from _leaves(v)
    else:
        yield out


def _calls(case: Case, torch: Any, device: str) -> Iterator[tuple[str, tuple, dict]]:
    """Each parameter set of ``case`` with its arrays as torch tensors on ``device`` (float64
    stays float64, integers int64, booleans bool), made before any counting starts."""

    def move(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            return torch.asarray(x).to(device)
        return x

    for label, args, kwargs in case.variants(np.random.default_rng(0)):
        yield label, tuple(move(a) for a in args), {k: move(v) for k, v in kwargs.items()}


def _run_counted(case: Case, torch: Any, device: str) -> None:
    for label, args, kwargs in _calls(case, torch, device):
        counter = _CountReads(torch)
        try:
            with counter.mode:
                out = case.fn(*args, **kwargs)
        except Exception as error:
            raise AssertionError(
                f"{case.name} ({label}) on {device}: {type(error).__name__}: {error}; "
                f"host reads {counter.found}"
            ) from error
        assert counter.found == [], f"{case.name} ({label}) on {device}: {counter.found}"
        devices = {str(getattr(x, "device", type(x).__name__)) for x in _leaves(out)}
        assert devices <= {device}, f"{case.name} ({label}): results on {devices}, not {device}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_no_host_read_on_the_meta_device(case: Case) -> None:
    _run_counted(case, _torch(), "meta")


def test_the_counter_sees_a_read() -> None:
    """The counting mode itself: ``int()`` of a tensor and a scalar tensor made on the device
    are both counted (a mode that saw nothing would pass every case above)."""
    torch = _torch()
    counter = _CountReads(torch)
    x = torch.zeros(2).to("meta")
    with counter.mode:
        with pytest.raises(RuntimeError, match="meta"):
            int(x.sum())
        torch.asarray(0.5, device="meta")
        torch.full((), 0.5, device="meta")  # a fill: not counted
    assert counter.found == ["Tensor.__int__", "torch.asarray(0.5, device=meta)"]


def test_value_checks_still_raise_on_the_cpu() -> None:
    """On the CPU the value checks read and raise a ValueError naming the argument (the
    mechanism did not turn them off): labels out of range, a negative variance, an ROC
    target that is not 0/1."""
    torch = _torch()
    import arraylosses as al

    z = torch.zeros(2, 3)
    with pytest.raises(ValueError, match=r"target holds class indices outside \[0, 3\).*max 3"):
        al.cross_entropy(z, torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="var must be non-negative"):
        al.gaussian_nll_loss(torch.zeros(2), torch.zeros(2), torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="binary labels"):
        al.metrics.roc_auc(torch.zeros(2), torch.tensor([0.0, 2.0]))


def test_value_checks_are_device_asserts_on_meta() -> None:
    """Off the CPU a failing check is queued as ``torch._assert_async`` with the message (on
    meta it cannot fire: there are no values); the call returns a meta result."""
    torch = _torch()
    import arraylosses as al

    asserted: list[str] = []
    real = torch._assert_async

    def record(condition: Any, message: str = "") -> None:
        asserted.append(message)
        real(condition, message)

    z = torch.zeros(2, 3).to("meta")
    y = torch.tensor([0, 3]).to("meta")
    torch._assert_async = record
    try:
        out = al.cross_entropy(z, y, ignore_index=-100)
    finally:
        torch._assert_async = real
    assert out.device.type == "meta"
    assert asserted == ["target holds class indices outside [0, 3) that are not ignore_index=-100"]


def _cuda_or_skip() -> Any:
    torch = _torch()
    if not torch.cuda.is_available():
        pytest.skip("CUDA is not available: the sync-debug-mode variant needs a CUDA device")
    return torch


# Host data copied onto the device inside the call, a blocking copy from pageable memory (not
# a read, and not counted on meta, which counts Python numbers only): found on meta with a
# counter of every factory call from host data; not run on CUDA yet (no GPU here).
_HOST_COPIES = {
    "matryoshka": "copies its list of dims to the device (once per loss object)",
    "metrics.roc_auc": "copies the thresholds tuple to the device",
}
_STREAMING_HARNESS = (
    "the registry's streaming harness (testing/cases/streaming.py: batch_states) copies its "
    "batch index and mask from NumPy to the device"
)


def _cuda_param(case: Case) -> Any:
    reason = _HOST_COPIES.get(case.name)
    if case.name.startswith("metrics.streaming."):
        reason = _STREAMING_HARNESS
    if reason is None:
        return case
    return pytest.param(case, marks=pytest.mark.xfail(strict=False, reason=reason))


@pytest.mark.parametrize("case", [_cuda_param(c) for c in CASES], ids=lambda c: c.name)
def test_no_sync_on_cuda(case: Case) -> None:
    """Every case eagerly on CUDA under ``set_sync_debug_mode("error")``: any synchronising
    call (a read, a blocking copy) raises. The inputs are copied to the device first."""
    torch = _cuda_or_skip()
    for label, args, kwargs in _calls(case, torch, "cuda"):
        torch.cuda.synchronize()
        previous = torch.cuda.get_sync_debug_mode()
        torch.cuda.set_sync_debug_mode("error")
        try:
            out = case.fn(*args, **kwargs)
        except RuntimeError as error:
            raise AssertionError(f"{case.name} ({label}) synchronised: {error}") from error
        finally:
            torch.cuda.set_sync_debug_mode(previous)
        devices = {getattr(x, "device", None) for x in _leaves(out)}
        assert all(d is not None and d.type == "cuda" for d in devices), (case.name, devices)
