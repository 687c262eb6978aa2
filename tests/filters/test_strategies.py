"""Every strategy against brute force on small data: exact where it should be, never a failing item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tests.filters.conftest import K, context
from vecbench.bench.filter_plan import pass_rate_expr
from vecbench.datasets import Dataset
from vecbench.errors import ConfigError
from vecbench.filters import ActiveFilter, QueryFilter, evaluate, parse_filter
from vecbench.filters.ground_truth import compute_filtered
from vecbench.filters.strategies.base import CheckTarget, FilteredSearch, Strategy
from vecbench.filters.strategies.registry import make_strategy
from vecbench.indexes.base import IndexAdapter
from vecbench.metrics.distances import pairwise_distances

EXACT_STRATEGIES: list[Any] = [
    "pre",
    "post",
    "exact-subset",
    "auto",
    {"name": "partition", "attribute": "category"},
    {"name": "partition", "attribute": "uniform_band", "exact_below": 50},
]
RATES = [0.001, 0.01, 0.1, 0.5, 0.9]


def brute_force(dataset: Dataset, allowed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances of the k nearest allowed items per query (sorted), by a full distance matrix."""
    d = pairwise_distances(dataset.queries, dataset.base, dataset.metric).astype(np.float64)
    d[:, ~allowed] = np.inf
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(d, order, axis=1)


def run(
    strategy: Strategy, dataset: Dataset, adapter: IndexAdapter, active: ActiveFilter
) -> tuple[FilteredSearch, FilteredSearch]:
    strategy.check(
        CheckTarget(type(adapter), adapter.build_params, dataset.metric, dataset.dim, dataset.attributes)
    )
    strategy.prepare(context(dataset, adapter), active)
    strategy.apply_query_params(adapter.query_params)
    batch = strategy.search_batch(np.arange(dataset.n_queries), K)
    singles = [strategy.search_one(row, K) for row in range(dataset.n_queries)]
    one = FilteredSearch(
        np.concatenate([s.ids for s in singles]),
        np.concatenate([s.distances for s in singles]),
        np.concatenate([s.candidates for s in singles]),
    )
    return batch, one


def true_distances(dataset: Dataset, ids: np.ndarray) -> np.ndarray:
    d = pairwise_distances(dataset.queries, dataset.base, dataset.metric).astype(np.float64)
    return np.where(ids >= 0, np.take_along_axis(d, np.maximum(ids, 0), axis=1), np.inf)


@pytest.mark.parametrize("correlated", [False, True])
@pytest.mark.parametrize(
    "spec", EXACT_STRATEGIES, ids=lambda s: s if isinstance(s, str) else f"{s['name']}-{s['attribute']}"
)
def test_exact_adapter_is_exact_under_every_strategy(
    small: Dataset, built: Callable[[str], IndexAdapter], spec: Any, correlated: bool
) -> None:
    adapter = built("exact")
    assert small.attributes is not None
    for rate in RATES:
        mask = evaluate(pass_rate_expr(rate, correlated), small.attributes)
        assert mask.sum() == round(rate * small.n_base)  # the named pass-rate is exact
        _, want = brute_force(small, mask, K)
        for result in run(make_strategy(spec), small, adapter, ActiveFilter(mask)):
            got = true_distances(small, result.ids)
            assert mask[result.ids[result.ids >= 0]].all(), (spec, rate)
            # Same neighbours up to ties: the sorted true distances agree.
            np.testing.assert_allclose(
                np.sort(got, axis=1), want, rtol=1e-5, atol=1e-5, err_msg=f"{spec} {rate}"
            )


@pytest.mark.parametrize("name", ["faiss-hnsw", "faiss-ivf", "hnswlib", "annoy"])
def test_approximate_adapters_never_return_failing_items(
    small: Dataset, built: Callable[[str], IndexAdapter], name: str
) -> None:
    adapter = built(name)
    assert small.attributes is not None
    native = type(adapter).capabilities.native_filter
    mask = evaluate(
        parse_filter({"and": [{"category": {"in": ["c0", "c2"]}}, {"available": True}]}), small.attributes
    )
    truth, _ = brute_force(small, mask, K)
    specs: list[Any] = ["post", "exact-subset", "auto", {"name": "post", "overfetch": "fixed", "factor": 1}]
    specs += ["pre"] if native else []
    for spec in specs:
        batch, one = run(make_strategy(spec), small, adapter, ActiveFilter(mask))
        for result in (batch, one):
            valid = result.ids >= 0
            assert mask[result.ids[valid]].all(), spec
            assert all(len(set(row[row >= 0].tolist())) == int((row >= 0).sum()) for row in result.ids)
        recall = np.mean([len(set(r) & set(t)) / K for r, t in zip(batch.ids, truth, strict=True)])
        if spec == "exact-subset":
            assert recall == 1.0
        elif isinstance(spec, str):  # pre, adaptive post and auto with thorough search settings
            assert recall > 0.9, (name, spec, recall)


def test_post_without_overfetch_collapses_and_adaptive_recovers(
    small: Dataset, built: Callable[[str], IndexAdapter]
) -> None:
    adapter = built("hnswlib")
    assert small.attributes is not None
    mask = evaluate(pass_rate_expr(0.01, False), small.attributes)
    fixed, _ = run(
        make_strategy({"name": "post", "overfetch": "fixed", "factor": 1}), small, adapter, ActiveFilter(mask)
    )
    adaptive, _ = run(make_strategy("post"), small, adapter, ActiveFilter(mask))
    assert (fixed.ids >= 0).sum(axis=1).mean() < 1.0  # about k * 1% survive from k candidates
    assert (fixed.candidates == K).all()
    assert (adaptive.ids >= 0).all() and adaptive.candidates.mean() > 10 * K


def test_auto_picks_by_estimated_pass_rate(small: Dataset, built: Callable[[str], IndexAdapter]) -> None:
    assert small.attributes is not None
    chosen = {}
    for name in ("faiss-hnsw", "annoy"):
        for rate in RATES:
            auto = make_strategy({"name": "auto", "exact_below": 0.02, "post_above": 0.5})
            auto.prepare(
                context(small, built(name)),
                ActiveFilter(evaluate(pass_rate_expr(rate, True), small.attributes)),
            )
            chosen[name, rate] = auto.label()
    assert [chosen["faiss-hnsw", r] for r in RATES] == [
        "exact-subset",
        "exact-subset",
        "pre",
        "post-adaptive",
        "post-adaptive",
    ]
    assert [chosen["annoy", r] for r in RATES] == [
        "exact-subset",
        "exact-subset",
        "post-adaptive",
        "post-adaptive",
        "post-adaptive",
    ]


def test_strategies_refuse_what_cannot_run(small: Dataset) -> None:
    from vecbench.indexes.registry import get_adapter_class

    def target(name: str, **build: Any) -> CheckTarget:
        return CheckTarget(get_adapter_class(name), build, small.metric, small.dim, small.attributes)

    with pytest.raises(
        ConfigError, match="'pre' needs native filtered search, which adapter 'annoy' does not declare"
    ):
        make_strategy("pre").check(target("annoy"))
    with pytest.raises(
        ConfigError, match=r"partition 'p0.001' of 'uniform_band' has 3 items: .*exact_below above 3"
    ):
        make_strategy({"name": "partition", "attribute": "uniform_band"}).check(target("faiss-ivf", nlist=16))
    with pytest.raises(ConfigError, match="'uniform' is numeric; partitions need a categorical attribute"):
        make_strategy({"name": "partition", "attribute": "uniform"}).check(target("exact"))
    with pytest.raises(ConfigError, match="unknown strategy 'prefilter'"):
        make_strategy("prefilter")
    with pytest.raises(ConfigError, match="strategy 'post': parameter 'overfetch'='some'"):
        make_strategy({"name": "post", "overfetch": "some"})


@pytest.mark.parametrize(
    "spec", ["pre", "post", "exact-subset", {"name": "partition", "attribute": "category"}], ids=str
)
@pytest.mark.parametrize("form", ["excluded", "masks"])
def test_per_query_exclusion_is_honoured_and_exact(
    small: Dataset, built: Callable[[str], IndexAdapter], spec: Any, form: str
) -> None:
    """Exclude, per query, its five nearest passing items: what "exclude seen" does to a user."""
    assert small.attributes is not None
    mask = evaluate(parse_filter({"category": {"in": ["c0", "c1"]}}), small.attributes)
    nearest, _ = brute_force(small, mask, 5)
    if form == "excluded":
        per_query = QueryFilter.exclude(list(nearest))
    else:
        masks = np.ones((small.n_queries, small.n_base), dtype=bool)
        np.put_along_axis(masks, nearest, False, axis=1)
        per_query = QueryFilter.from_masks(masks)
    active = ActiveFilter(mask, per_query)
    allowed = np.ones((small.n_queries, small.n_base), dtype=bool) & mask
    np.put_along_axis(allowed, nearest, False, axis=1)
    for result in run(make_strategy(spec), small, built("exact"), active):
        for q in range(small.n_queries):
            ids = result.ids[q][result.ids[q] >= 0]
            assert not set(ids.tolist()) & set(nearest[q].tolist())
            d = pairwise_distances(small.queries[q : q + 1], small.base, small.metric)[0].astype(np.float64)
            d[~allowed[q]] = np.inf
            want = np.sort(d)[:K]
            np.testing.assert_allclose(np.sort(d[ids]), want, rtol=1e-5, atol=1e-5)
    # The ground truth under the same per-query filter agrees with brute force too.
    ids, _ = compute_filtered(small, active, K)
    for q in range(small.n_queries):
        assert not set(ids[q].tolist()) & set(nearest[q].tolist())
        assert allowed[q][ids[q]].all()
