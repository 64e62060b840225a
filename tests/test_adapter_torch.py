"""arraylosses.torch: the generated loss modules equal their functions on the registry's inputs,
learnable hyperparameters get gradients, a short training loop learns, one module compiles,
the streaming metric modules stream and sync across two gloo processes; importing arraylosses
imports none of the frameworks the adapters wrap."""

from __future__ import annotations

import inspect
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import arraylosses as al  # noqa: E402
import arraylosses.torch as alt  # noqa: E402
from arraylosses.testing.cases import BY_NAME, CASES  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_importing_arraylosses_imports_no_framework():
    code = (
        "import sys, arraylosses, arraylosses.metrics.streaming.distributed, arraylosses.testing\n"
        "bad = [m for m in ('torch', 'keras', 'sentence_transformers', 'jax', 'tensorflow')"
        " if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=120
    )
    assert done.returncode == 0, done.stderr


def _t(x):
    return torch.from_numpy(np.asarray(x)) if isinstance(x, np.ndarray) else x


def _inputs(fn):
    case = BY_NAME[fn.__name__]
    for label, args, kwargs in case.variants(np.random.default_rng(0)):
        yield label, [_t(a) for a in args], {k: _t(v) for k, v in kwargs.items()}


def _module(cls, fn, args, **hyper):
    """``cls(**hyper)`` and the call's arrays without those it owns (proxies): the module is
    sized from them and holds their values, so it computes the function on the same arrays."""
    positions = list(inspect.signature(fn).parameters)
    owned = {k: args[positions.index(k)] for k in cls._facts.owned}
    sizes = {n: d for k, o in cls._facts.owned.items() for n, d in zip(o.shape, owned[k].shape)}
    module = cls(**hyper, **sizes)
    if owned:  # the parameters in the arrays' dtype (float64 here)
        module = module.to(next(iter(owned.values())).dtype)
    with torch.no_grad():
        for k, value in owned.items():
            getattr(module, k).copy_(value)
    return module, [a for i, a in enumerate(args) if positions[i] not in owned], list(owned)


@pytest.mark.parametrize("name", sorted(alt.LOSSES))
def test_generated_module_equals_its_function(name):
    cls, fn = getattr(alt, name), alt.LOSSES[name]
    assert issubclass(cls, torch.nn.Module) and cls.fn is fn
    assert cls.__module__ == "arraylosses.torch"
    for label, args, kwargs in _inputs(fn):
        hyper = {k: v for k, v in kwargs.items() if k in cls.hyperparameter_names}
        rest = {k: v for k, v in kwargs.items() if k not in hyper}
        module, call_args, _ = _module(cls, fn, args, **hyper)
        got, want = module(*call_args, **rest), fn(*args, **kwargs)
        for g, w in zip(
            got if isinstance(got, tuple) else (got,),
            want if isinstance(want, tuple) else (want,),
            strict=True,
        ):
            torch.testing.assert_close(g, w, rtol=0, atol=0, msg=f"{name} [{label}]")
        for k in hyper:
            if not isinstance(hyper[k], torch.Tensor):
                assert f"{k}=" in repr(module), (name, k)


LEARNABLE = [(n, p) for n in sorted(alt.LOSSES) for p in getattr(alt, n).learnable_names]
LOG_SPACE = ("temperature", "scale", "logit_scale")


def test_only_scales_and_the_siglip_bias_are_learnable():
    """The positive scales (log space) and SigLIP's bias; nothing the loss is monotone in."""
    assert {p for _, p in LEARNABLE} == {*LOG_SPACE, "logit_bias"}
    assert alt.SupConLoss.learnable_names == ()


@pytest.mark.parametrize(("name", "param"), LEARNABLE)
def test_learnable_hyperparameter_is_a_parameter_with_a_gradient(name, param):
    cls, fn = getattr(alt, name), alt.LOSSES[name]
    _, args, kwargs = next(_inputs(fn))
    default = inspect.signature(fn).parameters[param].default
    init = {"alpha": 0.3, "logit_bias": -1.0}.get(param, default if default is not None else 0.5)
    hyper = {k: v for k, v in kwargs.items() if k in cls.hyperparameter_names}
    hyper[param] = init
    rest = {k: v for k, v in kwargs.items() if k not in hyper}
    module, call_args, owned = _module(cls, fn, args, learnable=(param,), **hyper)
    stored = f"log_{param}" if param in LOG_SPACE else param
    assert [n for n, _ in module.named_parameters()] == [*owned, stored]
    assert "(learnable)" in repr(module)
    value = float(getattr(module, param))
    assert value == pytest.approx(init, rel=1e-6)  # log space: exp(log(init)), float32
    call_args = [a.requires_grad_(True) if a.is_floating_point() else a for a in call_args]
    out = module(*call_args, **rest)
    out.sum().backward()
    grad = getattr(module, stored).grad
    assert grad is not None and torch.isfinite(grad), (name, param, grad)
    # the value equals the function with the plain number
    torch.testing.assert_close(out.detach(), fn(*args, **{**kwargs, param: value}).detach())


CHUNKED = [
    ("InfoNCE", ("temperature",), {"symmetric": True}),
    ("NTXentLoss", ("temperature",), {}),
    ("CLIPLoss", ("logit_scale",), {}),
    ("SigLIPLoss", ("logit_scale", "logit_bias"), {}),
    ("MultipleNegativesRankingLoss", ("scale",), {}),
    ("MultipleNegativesSymmetricRankingLoss", ("scale",), {}),
]


@pytest.mark.parametrize(("name", "learnable", "options"), CHUNKED, ids=[c[0] for c in CHUNKED])
def test_learnable_gradients_are_the_same_dense_and_chunked(name, learnable, options):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(8, 4, generator=g, dtype=torch.float64)
    b = torch.randn(8, 4, generator=g, dtype=torch.float64)
    grads = []
    for chunk_size in (None, 3):
        m = getattr(alt, name)(chunk_size=chunk_size, learnable=learnable, **options)
        m(a, b).backward()
        grads.append([p.grad for p in m.parameters()])
        assert len(grads[-1]) == len(learnable)
        assert all(x is not None and torch.isfinite(x) for x in grads[-1])
    for dense, chunked in zip(*grads, strict=True):
        torch.testing.assert_close(dense, chunked)


def test_bad_arguments_are_clear():
    with pytest.raises(TypeError, match="sample_weight go to forward"):
        alt.MSELoss(sample_weight=torch.ones(2))
    with pytest.raises(ValueError, match="cannot be learnable"):
        alt.InfoNCE(learnable=("symmetric",))
    with pytest.raises(ValueError, match="learnable hyperparameters of mse_loss: none"):
        alt.MSELoss(learnable=("reduction",))
    with pytest.raises(ValueError, match="always pushes temperature down"):
        alt.SupConLoss(learnable=("temperature",))
    with pytest.raises(ValueError, match="monotone in it"):
        alt.HuberLoss(learnable=("delta",))
    with pytest.raises(ValueError, match="must start positive"):
        alt.InfoNCE(temperature=-0.1, learnable=("temperature",))
    with pytest.raises(ValueError, match="clamp applies to the learnable positive scales"):
        alt.SigLIPLoss(learnable=("logit_bias",), clamp={"logit_bias": (None, 1.0)})
    with pytest.raises(ValueError, match="low < high"):
        alt.CLIPLoss(learnable=("logit_scale",), clamp={"logit_scale": (100.0, 1.0)})
    assert "always pushes temperature down" in alt.SupConLoss.__doc__


def test_tensor_hyperparameters_are_buffers():
    m = alt.CrossEntropy(class_weight=torch.tensor([1.0, 2.0, 3.0]))
    assert "class_weight" in dict(m.named_buffers())
    logits, y = torch.randn(5, 3, dtype=torch.float64), torch.tensor([0, 1, 2, 2, 1])
    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    torch.testing.assert_close(m(logits, y), al.cross_entropy(logits, y, class_weight=w))


def test_training_loop_learns_with_a_learnable_temperature():
    """Two towers on a synthetic paired task: symmetric InfoNCE with a learnable temperature;
    the loss halves within 60 Adam steps and the temperature moves."""
    torch.manual_seed(0)
    x = torch.randn(64, 16)
    y = x @ torch.randn(16, 16) + 0.1 * torch.randn(64, 16)
    fq, fd = torch.nn.Linear(16, 8), torch.nn.Linear(16, 8)
    loss_fn = alt.InfoNCE(temperature=0.2, symmetric=True, learnable=("temperature",))
    opt = torch.optim.Adam([*fq.parameters(), *fd.parameters(), *loss_fn.parameters()], lr=0.02)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn(fq(x), fd(y))
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0], losses[::10]
    assert float(loss_fn.temperature) != pytest.approx(0.2)


# (class, hyperparameters, the learnable one, its domain): two towers trained 300 Adam steps at
# lr 0.05 on a noisy paired task. Before the log-space parametrisation InfoNCE's temperature
# reached -0.34 and NT-Xent's -0.32 here (measured); a clamp bounds a scale that keeps growing
# (MNRL's reached 26.6 unclamped, CLIP's 25.8).
DOMAINS = [
    ("InfoNCE", {"temperature": 0.1}, "temperature", (0.0, math.inf)),
    ("NTXentLoss", {"temperature": 0.5}, "temperature", (0.0, math.inf)),
    (
        "InfoNCE",
        {"temperature": 0.1, "clamp": {"temperature": (0.05, None)}},
        "temperature",
        (0.05, math.inf),
    ),
    (
        "MultipleNegativesRankingLoss",
        {"scale": 20.0, "clamp": {"scale": (None, 25.0)}},
        "scale",
        (0.0, 25.0),
    ),
    ("CLIPLoss", {"clamp": {"logit_scale": (None, 20.0)}}, "logit_scale", (0.0, 20.0)),
    ("SigLIPLoss", {}, "logit_scale", (0.0, math.inf)),
]


@pytest.mark.parametrize(("name", "hyper", "param", "domain"), DOMAINS)
def test_adam_keeps_a_learnable_scale_in_its_domain(name, hyper, param, domain):
    torch.manual_seed(0)
    x = torch.randn(64, 16)
    y = x @ torch.randn(16, 16) + 0.5 * torch.randn(64, 16)
    fq, fd = torch.nn.Linear(16, 8), torch.nn.Linear(16, 8)
    loss_fn = getattr(alt, name)(learnable=(param,), **hyper)
    opt = torch.optim.Adam([*fq.parameters(), *fd.parameters(), *loss_fn.parameters()], lr=0.05)
    values, losses = [], []
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(fq(x), fd(y))
        loss.backward()
        opt.step()
        losses.append(float(loss))
        values.append(float(getattr(loss_fn, param)))
    low, high = domain
    # a bound is exp(log(bound)) in float32: within 1e-6 of it
    assert all(low * (1 - 1e-6) <= v <= high * (1 + 1e-6) for v in values), (
        min(values),
        max(values),
    )
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.1 * losses[0], losses[::50]
    assert min(values) != max(values)  # it was learned


def test_matryoshka_module_equals_the_function():
    g = torch.Generator().manual_seed(1)
    a, p = torch.randn(6, 8, generator=g), torch.randn(6, 8, generator=g)
    inner = alt.MultipleNegativesRankingLoss(scale=10.0, learnable="scale")
    m = alt.Matryoshka(inner, dims=[8, 4, 2], dim_weights=[1.0, 0.5, 0.25])
    got = m(a, p)
    want = al.matryoshka(al.multiple_negatives_ranking_loss, [8, 4, 2], dim_weights=[1, 0.5, 0.25])(
        a, p, scale=10.0
    )
    torch.testing.assert_close(got, want)
    got.backward()
    assert inner.log_scale.grad is not None
    assert list(dict(m.named_parameters())) == ["loss.log_scale"]


@pytest.mark.slow  # 17 s on 2 CPU cores (inductor, cold caches)
@pytest.mark.filterwarnings("ignore:.*lru_cache.*:UserWarning")  # dynamo traces compat's caches
def test_torch_compile_of_a_loss_module():
    torch._dynamo.reset()
    m = alt.InfoNCE(temperature=0.1, symmetric=True, learnable="temperature")
    compiled = torch.compile(m, fullgraph=False)
    g = torch.Generator().manual_seed(2)
    q = torch.randn(8, 4, generator=g, requires_grad=True)
    p = torch.randn(8, 4, generator=g)
    out = compiled(q, p)
    out.backward()
    ref_q = q.detach().clone().requires_grad_(True)
    log_t = torch.tensor(0.1).log().requires_grad_(True)
    ref = al.info_nce(ref_q, p, temperature=log_t.exp(), symmetric=True)
    ref.backward()
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(q.grad, ref_q.grad)
    torch.testing.assert_close(m.log_temperature.grad, log_t.grad)


@pytest.mark.parametrize("name", sorted(alt.METRICS))
def test_every_streaming_metric_has_a_module(name):
    cls = getattr(alt, name)
    assert issubclass(cls, alt.MetricModule) and cls.factory is alt.METRICS[name]


def test_streaming_metric_module_streams_like_the_one_shot_metric():
    g = torch.Generator().manual_seed(3)
    pred, target = (
        torch.randn(30, 3, generator=g, dtype=torch.float64),
        torch.randn(30, 3, generator=g, dtype=torch.float64),
    )
    m = alt.R2Score(num_outputs=3)
    for i in range(0, 30, 7):
        m.update(pred[i : i + 7], target[i : i + 7])
    torch.testing.assert_close(m.compute(), al.metrics.r2_score(pred, target))
    m.reset()
    assert m.state is None
    batch = m(pred[:10], target[:10])
    torch.testing.assert_close(batch, al.metrics.r2_score(pred[:10], target[:10]))
    acc = alt.Accuracy()
    logits = torch.randn(20, 4, generator=g)
    labels = torch.randint(0, 4, (20,), generator=g)
    acc.update(logits[:12], labels[:12])
    acc.update(logits[12:], labels[12:])
    torch.testing.assert_close(acc.compute(), al.metrics.accuracy(logits, labels))
    assert acc.sync() is acc  # no process group: a no-op
    assert "num_outputs=3" in repr(m)


_DIST = textwrap.dedent(
    """
    import os, sys, torch, torch.distributed as dist, torch.multiprocessing as mp
    import arraylosses as al, arraylosses.torch as alt

    def worker(rank, path):
        dist.init_process_group("gloo", init_method="file://" + path, rank=rank, world_size=2)
        g = torch.Generator().manual_seed(0)
        pred = torch.randn(40, generator=g, dtype=torch.float64)
        target = torch.randn(40, generator=g, dtype=torch.float64)
        m = alt.MeanSquaredError(dtype=torch.float64)
        batches = [(0, 10), (10, 25), (25, 30)] if rank == 0 else [(30, 40)]
        for a, b in batches:
            m.update(pred[a:b], target[a:b])
        m.sync()
        want = al.metrics.mean_squared_error(pred, target)
        assert torch.allclose(m.compute(), want, rtol=1e-12), (m.compute(), want)
        empty = alt.Accuracy(dtype=torch.float64)  # rank 1 sees nothing
        if rank == 0:
            empty.update(torch.eye(3, dtype=torch.float64), torch.tensor([0, 1, 1]))
        value = empty.sync().compute()
        assert abs(float(value) - 2 / 3) < 1e-12, value
        dist.destroy_process_group()

    if __name__ == "__main__":
        mp.spawn(worker, args=(sys.argv[1],), nprocs=2)
        print("synced")
    """
)


def test_sync_merges_two_gloo_processes(tmp_path):
    script = tmp_path / "dist.py"
    script.write_text(_DIST)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "rendezvous")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=240,
    )
    assert done.returncode == 0 and "synced" in done.stdout, done.stderr[-3000:]


def test_one_public_name_per_class() -> None:
    """The torch module classes are LossModule and MetricModule: ArrayLoss and StreamingMetric
    name other classes of arraylosses (the sentence-transformers adapter, the streaming
    protocol); the old names say so."""
    for old, new in (("ArrayLoss", "LossModule"), ("StreamingMetric", "MetricModule")):
        with pytest.raises(AttributeError, match=rf"arraylosses.torch.{old} is now .*{new}"):
            getattr(alt, old)
    assert issubclass(alt.InfoNCE, alt.LossModule)


def test_the_adapter_facts_come_from_the_record() -> None:
    """A catalogue loss's per-batch keywords and learnable hyperparameters are its record's;
    a function of your own gets them from loss_module's arguments."""
    from arraylosses.testing.cases import BY_NAME

    record = BY_NAME["info_nce"].adapter
    assert alt.InfoNCE.learnable_names == record.learnable
    assert not set(record.per_batch) & set(alt.InfoNCE.hyperparameter_names)

    def my_loss(a, b, *, margin: float = 1.0, scale: float = 2.0, mask=None, reduction="mean"):
        return al.mse_loss(a * scale, b, reduction=reduction)

    cls = alt.loss_module(my_loss, per_batch=("mask",), learnable=("scale",), positive=("scale",))
    assert cls.hyperparameter_names == ("margin", "scale", "reduction")
    assert cls.learnable_names == ("scale",)
    module = cls(learnable=("scale",), scale=3.0)
    assert isinstance(module.log_scale, torch.nn.Parameter)
    with pytest.raises(ValueError, match="margin"):
        cls(learnable=("margin",))


OWNING = [c for c in CASES if c.adapter.owned]


def test_proxy_losses_own_their_proxies() -> None:
    assert {c.name for c in OWNING} >= {
        "arcface_loss",
        "cosface_loss",
        "sub_center_arcface_loss",
        "normalized_softmax_loss",
        "proxy_anchor_loss",
    }


@pytest.mark.parametrize("case", OWNING, ids=[c.name for c in OWNING])
def test_owned_proxies_are_parameters_the_loss_trains(case) -> None:
    """The module owns each array the record names (an nn.Parameter sized by the constructor),
    passes it to the function, and the loss's gradient reaches it."""
    sizes = {"num_classes": 5, "embedding_size": 4, "sub_centers": 2}
    cls = getattr(alt, alt._camel(case.name))
    module = cls(**{n: sizes[n] for o in case.adapter.owned.values() for n in o.shape})
    x = torch.randn(6, 4, dtype=torch.float32)
    labels = torch.tensor([0, 1, 2, 3, 4, 0])
    loss = module(x, labels)
    for key, owned in case.adapter.owned.items():
        param = getattr(module, key)
        assert isinstance(param, torch.nn.Parameter)
        assert tuple(param.shape) == tuple(sizes[n] for n in owned.shape)
        assert any(p is param for p in module.parameters())
    expected = case.fn(x, labels, module.proxies, **module.hyperparameters())
    torch.testing.assert_close(loss, expected, rtol=0, atol=0)
    loss.backward()
    assert float(module.proxies.grad.abs().sum()) > 0
    with pytest.raises(TypeError, match="num_classes"):
        cls(embedding_size=4)


def test_owned_proxies_are_initialised_as_pml_initialises_them() -> None:
    """Proxy Anchor's (C, D) proxies are PML's layout: the same seed gives the same tensor
    (kaiming_normal_, fan_out). ArcFace's W is (D, C) in PML, ours (C, D): both N(0, 1)."""
    from pytorch_metric_learning.losses import ArcFaceLoss, ProxyAnchorLoss

    torch.manual_seed(3)
    ours = alt.ProxyAnchorLoss(num_classes=7, embedding_size=3).proxies.detach()
    torch.manual_seed(3)
    theirs = ProxyAnchorLoss(num_classes=7, embedding_size=3).proxies.detach()
    assert torch.equal(ours, theirs)
    torch.manual_seed(4)
    ours = alt.ArcFaceLoss(num_classes=300, embedding_size=200).proxies.detach()
    torch.manual_seed(4)
    theirs = ArcFaceLoss(num_classes=300, embedding_size=200).W.detach()
    assert ours.shape == theirs.T.shape
    assert abs(float(ours.std()) - float(theirs.std())) < 0.01
    assert abs(float(ours.std()) - 1.0) < 0.01
