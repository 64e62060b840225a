"""Registry cases of :mod:`arraylosses.ranking` (recommendation and ranking losses)."""

from __future__ import annotations

import arraylosses as al

from .. import inputs
from .._peer import jax_pair, pair, peer
from ._case import Adapter, Case, Hostile, Params, Ref

__all__ = ["CASES"]


TITLE = "Recommendation and ranking losses"  # its docs section
MODULE = "arraylosses.ranking"  # the public module its functions live in

CASES: tuple[Case, ...] = (
    Case(
        fn=al.bpr_loss,
        hostile=Hostile(scale=(("pos", 1e4), ("neg_k", 1e4))),
        inputs=inputs.ranking,
        args=("pos", "neg_k"),
        params=(
            Params(),
            Params(args=("pos", "neg_1")),
            Params(reduction="none"),
            Params(sample_weight=Ref("weight"), reduction="sum"),
        ),
        grad=("pos", "neg_1", "neg_k"),
        peers=("torch", "rax"),
    ),
    Case(
        fn=al.dynamic_margin_bpr_loss,
        adapter=Adapter(
            not_learnable={
                "alpha": "dynamic_margin_bpr_loss holds alpha under stop_gradient by design: "
                "it would never move"
            }
        ),
        hostile=Hostile(scale=(("pos", 1e4), ("neg_k", 1e4))),
        inputs=inputs.ranking,
        args=("pos", "neg_k"),
        params=(
            Params(finite_differences=False),
            Params(args=("pos", "neg_1"), alpha=0.3, finite_differences=False),
            Params(alpha=Ref("alpha"), reduction="none", finite_differences=False),
            Params(sample_weight=Ref("weight"), finite_differences=False),
        ),
        grad=("pos", "neg_1", "neg_k"),
        notes="defined in docs/spec.md (no peer); checked by definition. Its margin is under "
        "stop_gradient, so finite differences of the value are not its gradient: "
        "tests/test_ranking.py checks that its gradient is BPR's with a constant margin",
    ),
    Case(
        fn=al.sampled_softmax_loss,
        # a padded negative scored -inf
        hostile=Hostile(scale=(("pos", 1e4), ("neg_k", 1e4)), minus_inf=(("neg_k", "column", ""),)),
        adapter=Adapter(per_batch=("log_q", "pos_log_q", "pos_ids", "neg_ids", "sample_weight")),
        inputs=inputs.ranking,
        args=("pos", "neg_k"),
        params=(
            Params(),
            Params(log_q=Ref("log_q")),
            Params(log_q=Ref("log_q_nk"), pos_log_q=Ref("pos_log_q"), reduction="none"),
            Params(num_items=50, sample_weight=Ref("weight")),
            Params(
                pos_ids=Ref("pos_ids"),
                neg_ids=Ref("neg_ids"),
                log_q=Ref("log_q"),
                unswept="the first negative is an accidental hit, removed (documented): "
                "its NaN does not count",
            ),
            Params(
                pos_ids=Ref("pos_ids"),
                neg_ids=Ref("shared_neg_ids"),
                num_items=9,
                reduction="sum",
            ),
        ),
        grad=("pos", "neg_k"),
        notes="peers TensorFlow sampled_softmax_loss / KerasRS (not installed: TensorFlow); "
        "by definition",
    ),
    Case(
        fn=al.normalized_sampled_softmax_loss,
        hostile=Hostile(
            batch=(("square", (0, 1)), "square_weight"),
            skip=(
                (
                    "minus_inf",
                    "softmax-based, but its scores are centred by their mean over the whole "
                    "matrix (docs/spec.md): a -inf score is no masked logit, it makes every "
                    "centred score undefined",
                ),
            ),
        ),
        inputs=inputs.ranking,
        args=("square",),
        params=(
            Params(num_items=5),
            Params(num_items=1000),
            Params(num_items=40, reduction="none"),
            Params(num_items=40, sample_weight=Ref("square_weight"), eps=1e-3),
        ),
        grad=("square",),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    Case(
        fn=al.csar_loss,
        hostile=Hostile(
            skip=(
                (
                    "minus_inf",
                    "softmax-based, but over non-negative energies (logits log(e + eps)): -inf "
                    "is no energy (negative energies raise); a masked class is e = 0",
                ),
            )
        ),
        adapter=Adapter(index_target=True),
        inputs=inputs.ranking,
        args=("energies", "labels"),
        params=(
            Params(),
            Params(reduction="none", eps=1e-3),
            Params(args=("energies", "label_probs")),
            Params(sample_weight=Ref("weight"), ignore_index=2),
        ),
        grad=("energies", "label_probs"),
        notes="defined in docs/spec.md (no peer); checked by definition",
    ),
    Case(
        fn=al.listnet_loss,
        hostile=Hostile(
            scale=(("list_scores", 1e4),),
            minus_inf=(("list_scores", "masked", "where"), ("relevance", "masked", "where")),
        ),
        adapter=Adapter(per_batch=("where", "sample_weight")),
        inputs=inputs.ranking,
        args=("list_scores", "relevance"),
        params=(
            Params(),
            Params(reduction="none"),
            Params(where=Ref("where")),
            Params(where=Ref("where"), sample_weight=Ref("list_weight"), reduction="none"),
            Params(sample_weight=Ref("list_weight")),
        ),
        grad=("list_scores", "relevance"),
        peers=("rax",),
    ),
)


# ---------------------------------------------------------------------------------------------
# Wave 3: distillation and learning to rank (arraylosses/listwise.py)

_ST_LISTWISE = "sentence-transformers computes in float32 (logits.float())"
_PAIR_MEAN = (
    "losses normalised by a count of pairs: 'mean' is Σ w·l / Σ w·n over the pairs of the "
    "batch (the peers' mean over every pair), 'none' each list's sum over its pairs"
)


def _st_margin_mse(q, docs, margins):
    from sentence_transformers.sentence_transformer.losses import MarginMSELoss

    columns = [docs[:, c] for c in range(docs.shape[1])]
    return MarginMSELoss(None).compute_loss_from_embeddings([q, *columns], margins)


def _dot_scores(q, docs):
    return (q[:, None, :] * docs).sum(-1)


def _ours_margin_mse(q, docs, margins):
    s = _dot_scores(q, docs)
    neg = s[:, 1:] if margins.ndim == 2 else s[:, 1]
    return al.margin_mse_loss(s[:, 0], neg, margins)


def _margin_mse_checks() -> tuple:
    def teacher_form(q, docs, t):
        return _ours_margin_mse(q, docs, t[:, :1] - t[:, 1:])

    return (
        peer(
            "sentence_transformers MarginMSELoss(model, pairwise_dot_score), K = 1 and 3",
            "sentence_transformers",
            pair(
                lambda q, d, m1, mk: (
                    _ours_margin_mse(q, d[:, :2], m1),
                    _ours_margin_mse(q, d, mk),
                ),
                lambda q, d, m1, mk: (_st_margin_mse(q, d[:, :2], m1), _st_margin_mse(q, d, mk)),
                "q",
                "docs",
                "margins_1",
                "margins_k",
            ),
            rtol=1e-10,
        ),
        peer(
            "sentence_transformers MarginMSELoss with teacher scores (N, 1 + K)",
            "sentence_transformers",
            pair(teacher_form, _st_margin_mse, "q", "docs", "teacher_k"),
            rtol=1e-10,
        ),
    )


def _distill_checks() -> tuple:
    def st(**temperatures):
        def run(q, docs, teacher):
            import warnings

            from sentence_transformers.sentence_transformer.losses import DistillKLDivLoss

            loss = DistillKLDivLoss(None, **temperatures)
            columns = [docs[:, c] for c in range(docs.shape[1])]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return loss.compute_loss_from_embeddings([q, *columns], teacher)

        return run

    def ours(**temperatures):
        return lambda q, docs, t: al.distill_kl_div_loss(_dot_scores(q, docs), t, **temperatures)

    settings: tuple[dict[str, float], ...] = (
        {},
        {"temperature": 2.0},
        {"temperature": 1.0, "student_temperature": 0.5, "teacher_temperature": 3.0},
    )
    return tuple(
        peer(
            f"sentence_transformers DistillKLDivLoss(model, pairwise_dot_score, {s})",
            "sentence_transformers",
            pair(ours(**s), st(**s), "q", "docs", "teacher_k"),
            rtol=1e-10,
        )
        for s in settings
    )


def _three(fn, **fixed):
    """Ours with the three reductions, as one result of three parts."""
    return lambda s, y, w: tuple(
        fn(s, y, where=w, reduction=r, **fixed) for r in ("mean", "sum", "none")
    )


def _rax_three(loss, **fixed):
    """rax with reduce_fn mean, sum and None (summed over its pairs or items: our "none")."""

    def run(s, y, w):
        import jax.numpy as jnp

        none = loss(s, y, where=w, reduce_fn=None, **fixed)
        if none.shape != s.shape[:-1]:  # the pairwise losses: (..., L·L)
            none = jnp.sum(none, axis=-1)
        return (
            loss(s, y, where=w, reduce_fn=jnp.mean, **fixed),
            loss(s, y, where=w, reduce_fn=jnp.sum, **fixed),
            none,
        )

    return run


def _rax(name: str):
    def call(*args, **kwargs):
        import rax

        fixed = dict(kwargs)
        if isinstance(fixed.get("lambdaweight_fn"), str):
            fixed["lambdaweight_fn"] = getattr(rax, fixed["lambdaweight_fn"])
        return getattr(rax, name)(*args, **fixed)

    return call


class _Lookup:
    """A stand-in sentence-transformers cross-encoder whose score for (query i, document j) is
    ``scores[i, j]``, so that ST's list losses run on given scores (with their gradient)."""

    num_labels = 1

    def __init__(self, scores) -> None:
        import torch

        self.scores, self.device = scores, torch.device("cpu")
        self.pairs: list[tuple[str, str]] = []

    def preprocess(self, pairs, prompt=None, task=None):
        import torch

        self.pairs = pairs
        return {"n": torch.tensor(len(pairs))}

    def __call__(self, tokens):
        import torch

        return {"scores": torch.stack([self.scores[int(q), int(d)] for q, d in self.pairs])}


def _st_list_loss(make, scores, labels, prefix):
    """ST's cross-encoder list loss ``make(model)`` on variable-length lists: list i holds the
    ``prefix[i].sum()`` first items."""
    lengths = [int(n) for n in prefix.sum(-1)]
    queries = [str(i) for i in range(len(lengths))]
    docs = [[str(j) for j in range(n)] for n in lengths]
    labels = [labels[i, :n] for i, n in enumerate(lengths)]
    return make(_Lookup(scores))([queries, docs], labels)


def _st_list_mle(scores, labels, prefix):
    from sentence_transformers.cross_encoder.losses import ListMLELoss

    return _st_list_loss(
        lambda m: ListMLELoss(m, respect_input_order=False), scores, labels, prefix
    )


def _st_lambda(scheme: str | None, **options):
    def run(scores, labels, prefix):
        from sentence_transformers.cross_encoder.losses import LambdaLoss, RankNetLoss
        from sentence_transformers.cross_encoder.losses import lambda_loss as st

        if scheme == "ranknet":
            return _st_list_loss(lambda m: RankNetLoss(m, **options), scores, labels, prefix)
        mu = options.pop("mu", 10.0)
        weighting = {
            None: None,
            "ndcg_loss1": st.NDCGLoss1Scheme(),
            "ndcg_loss2": st.NDCGLoss2Scheme(),
            "lambdarank": st.LambdaRankScheme(),
            "ndcg_loss2pp": st.NDCGLoss2PPScheme(mu=mu),
        }[scheme]
        return _st_list_loss(
            lambda m: LambdaLoss(m, weighting_scheme=weighting, **options), scores, labels, prefix
        )

    return run


_LAMBDA_SETTINGS: tuple[tuple[str | None, dict], ...] = (
    ("ndcg_loss2pp", {}),
    ("ndcg_loss2", {"k": 2}),
    ("lambdarank", {"sigma": 0.7}),
    ("ndcg_loss1", {"reduction_log": "natural"}),
    (None, {}),
    ("ndcg_loss2pp", {"mu": 3.0, "k": 3, "sigma": 1.5}),
)


def _lambda_checks() -> tuple:
    checks = []
    for scheme, options in _LAMBDA_SETTINGS:
        checks.append(
            peer(
                f"sentence_transformers LambdaLoss(weighting_scheme={scheme}, {options})",
                "sentence_transformers",
                pair(
                    lambda s, y, w, scheme=scheme, options=options: al.lambda_loss(
                        s, y, where=w, weighting_scheme=scheme, **options
                    ),
                    _st_lambda(scheme, **options),
                    "list_scores",
                    "list_labels",
                    "prefix",
                    grad=("list_scores",),
                ),
                rtol=2e-5,
                atol=2e-6,
                deviation=_ST_LISTWISE,
            )
        )
    checks.append(
        peer(
            "sentence_transformers RankNetLoss(k=3)",
            "sentence_transformers",
            pair(
                lambda s, y, w: al.lambda_loss(s, y, where=w, weighting_scheme=None, k=3),
                _st_lambda("ranknet", k=3),
                "list_scores",
                "list_labels",
                "prefix",
                grad=("list_scores",),
            ),
            rtol=2e-5,
            atol=2e-6,
            deviation=_ST_LISTWISE,
        )
    )
    return tuple(checks)


def _pairwise_checks(fn, rax_name: str) -> tuple:
    weights = {
        None: None,
        "labeldiff": "labeldiff_lambdaweight",
        "dcg": "dcg_lambdaweight",
        "dcg2": "dcg2_lambdaweight",
    }
    return tuple(
        peer(
            f"rax.{rax_name}(scores, labels, where=where, lambdaweight_fn={ours_name})",
            "rax",
            jax_pair(
                _three(fn, lambdaweight=ours_name),
                _rax_three(_rax(rax_name), lambdaweight_fn=theirs),
                "list_scores",
                "list_labels",
                "where",
                grad=("list_scores",),
            ),
            rtol=1e-10,
            deviation="rax's lambda weights pass a gradient to the labels; ours are constants",
        )
        for ours_name, theirs in weights.items()
    )


def _approx_ndcg_checks() -> tuple:
    def theirs(temperature: float, gain: str):
        def metric(s, y, *, where, reduce_fn):
            import functools

            import jax
            import rax

            def step(x):
                return jax.nn.sigmoid(x / temperature)

            extra = {} if gain == "exponential" else {"gain_fn": lambda label: label}
            return -rax.ndcg_metric(
                s,
                y,
                where=where,
                rank_fn=functools.partial(rax.utils.approx_ranks, step_fn=step),
                cutoff_fn=functools.partial(rax.utils.approx_cutoff, step_fn=step),
                reduce_fn=reduce_fn,
                **extra,
            )

        return metric

    return tuple(
        peer(
            f"-rax.ndcg_metric(rank_fn=approx_ranks, cutoff_fn=approx_cutoff, step σ(x/{t}), "
            f"{g} gain) (the body of approx_t12n, which fails on current JAX)",
            "rax",
            jax_pair(
                _three(al.approx_ndcg_loss, temperature=t, gain=g),
                _rax_three(theirs(t, g)),
                "list_scores",
                "list_labels",
                "where",
                grad=("list_scores",),
            ),
            rtol=1e-10,
        )
        for t, g in ((1.0, "exponential"), (0.3, "linear"), (2.0, "exponential"))
    )


_LISTWISE_ADAPTER = Adapter(per_batch=("where", "sample_weight"))

CASES += (
    Case(
        fn=al.margin_mse_loss,
        inputs=inputs.listwise,
        args=("pos", "neg_k", "margins_k"),
        params=(
            Params(),
            Params(args=("pos", "neg_1", "margins_1"), reduction="none"),
            Params(sample_weight=Ref("weight"), reduction="sum"),
        ),
        grad=("pos", "neg_k", "neg_1"),
        checks=_margin_mse_checks(),
    ),
    Case(
        fn=al.distill_kl_div_loss,
        hostile=Hostile(
            minus_inf=(("list_scores", "masked", "where"), ("teacher", "masked", "where"))
        ),
        inputs=inputs.listwise,
        args=("list_scores", "teacher"),
        params=(
            Params(),
            Params(where=Ref("where"), temperature=Ref("tau"), reduction="none"),
            Params(
                student_temperature=0.5, teacher_temperature=2.0, sample_weight=Ref("list_weight")
            ),
        ),
        grad=("list_scores", "tau"),
        adapter=Adapter(
            per_batch=("where", "sample_weight"),
            learnable=("temperature",),
            positive=("temperature",),
        ),
        checks=_distill_checks(),
    ),
    Case(
        fn=al.list_mle_loss,
        inputs=inputs.listwise,
        args=("list_scores", "list_labels"),
        params=(
            Params(),
            Params(where=Ref("where"), reduction="none"),
            Params(where=Ref("where"), sample_weight=Ref("list_weight")),
        ),
        grad=("list_scores",),
        hostile=Hostile(nan=("list_scores",), minus_inf=(("list_scores", "masked", "where"),)),
        adapter=_LISTWISE_ADAPTER,
        checks=(
            peer(
                "rax.listmle_loss(scores, labels, where=where), reduce_fn mean, sum and None",
                "rax",
                jax_pair(
                    _three(al.list_mle_loss),
                    _rax_three(_rax("listmle_loss")),
                    "list_scores",
                    "list_labels",
                    "where",
                ),
                rtol=1e-10,
            ),
            peer(
                "sentence_transformers ListMLELoss(respect_input_order=False), "
                "variable-length lists",
                "sentence_transformers",
                pair(
                    lambda s, y, w: al.list_mle_loss(s, y, where=w),
                    _st_list_mle,
                    "list_scores",
                    "distinct",
                    "prefix",
                    grad=("list_scores",),
                ),
                rtol=2e-5,
                atol=2e-6,
                deviation=_ST_LISTWISE,
            ),
        ),
    ),
    Case(
        fn=al.pairwise_hinge_loss,
        inputs=inputs.listwise,
        args=("list_scores", "list_labels"),
        params=(
            Params(lambdaweight="labeldiff"),
            Params(where=Ref("where"), lambdaweight="dcg", reduction="none"),
            Params(where=Ref("where"), lambdaweight="dcg2", sample_weight=Ref("list_weight")),
        ),
        grad=("list_scores",),
        hostile=Hostile(nan=("list_scores",), minus_inf=(("list_scores", "masked", "where"),)),
        adapter=_LISTWISE_ADAPTER,
        exceptions={"mean_over_units": _PAIR_MEAN},
        checks=_pairwise_checks(al.pairwise_hinge_loss, "pairwise_hinge_loss"),
    ),
    Case(
        fn=al.pairwise_logistic_loss,
        inputs=inputs.listwise,
        args=("list_scores", "list_labels"),
        params=(
            Params(),
            Params(where=Ref("where"), lambdaweight="dcg", reduction="none"),
            Params(where=Ref("where"), lambdaweight="dcg2", sample_weight=Ref("list_weight")),
        ),
        grad=("list_scores",),
        hostile=Hostile(nan=("list_scores",), minus_inf=(("list_scores", "masked", "where"),)),
        adapter=_LISTWISE_ADAPTER,
        exceptions={"mean_over_units": _PAIR_MEAN},
        checks=_pairwise_checks(al.pairwise_logistic_loss, "pairwise_logistic_loss"),
    ),
    Case(
        fn=al.lambda_loss,
        inputs=inputs.listwise,
        args=("list_scores", "list_labels"),
        params=(
            Params(where=Ref("where")),
            Params(
                where=Ref("where"),
                weighting_scheme="ndcg_loss1",
                k=2,
                sigma=Ref("tau"),
                reduction="none",
            ),
            Params(
                weighting_scheme=None,
                reduction_log="natural",
                sample_weight=Ref("list_weight"),
            ),
        ),
        grad=("list_scores", "tau"),
        hostile=Hostile(nan=("list_scores",), minus_inf=(("list_scores", "masked", "where"),)),
        adapter=_LISTWISE_ADAPTER,
        exceptions={"mean_over_units": _PAIR_MEAN},
        reference="lambda_loss",
        checks=_lambda_checks(),
    ),
    Case(
        fn=al.approx_ndcg_loss,
        inputs=inputs.listwise,
        args=("list_scores", "list_labels"),
        params=(
            Params(),
            Params(where=Ref("where"), temperature=Ref("tau"), reduction="none"),
            Params(where=Ref("where"), gain="linear", sample_weight=Ref("list_weight")),
        ),
        grad=("list_scores", "tau"),
        hostile=Hostile(nan=("list_scores",), minus_inf=(("list_scores", "masked", "where"),)),
        adapter=Adapter(
            per_batch=("where", "sample_weight"),
            learnable=("temperature",),
            positive=("temperature",),
        ),
        checks=_approx_ndcg_checks(),
    ),
)
