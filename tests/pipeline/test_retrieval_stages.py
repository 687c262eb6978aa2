"""Stage-1 retrieval (exclude seen, attribute filter, each strategy), scoring and re-ranking on
small hand-made data, checked against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.datasets.logs.split import Ragged
from vecbench.errors import ConfigError
from vecbench.filters.strategies.registry import make_strategy
from vecbench.indexes.base import IndexAdapter, Metric
from vecbench.indexes.exact import ExactAdapter
from vecbench.indexes.faiss_indexes import FaissHNSWAdapter
from vecbench.indexes.hnswlib_index import HnswlibAdapter
from vecbench.metrics.distances import normalised
from vecbench.pipeline.reranking import CategoryCapReranker, MMRReranker, RerankSpec, make_reranker
from vecbench.pipeline.retrieval import (
    Candidates,
    StageFilter,
    bind_strategy,
    exact_candidates,
    popularity_candidates,
    retrieve,
)
from vecbench.pipeline.scoring import LearnedScorer, PopularityBlendScorer, ScorerSpec, make_scorer
from vecbench.pipeline.training import TrainingSet

RNG = np.random.default_rng(0)
ITEMS = np.arange(0, 1000, 2)  # index rows map to even dense item ids
VECTORS = RNG.normal(size=(500, 16)).astype(np.float32)
USERS = RNG.normal(size=(30, 16)).astype(np.float32)
HISTORIES = Ragged.from_rows([RNG.choice(1000, size=RNG.integers(1, 120), replace=False) for _ in range(30)])


# A stage filter over the 1000 dense items: items whose id is divisible by 3 pass (a third of the index).
ALLOWED = np.arange(1000) % 3 == 0


def brute_force(k: int, allowed: np.ndarray | None = None, exclude_seen: bool = True) -> np.ndarray:
    scores = USERS @ VECTORS.T
    out = np.full((30, k), -1, dtype=np.int64)
    for r in range(30):
        ranked = ITEMS[np.argsort(-scores[r], kind="stable")]
        if exclude_seen:
            ranked = ranked[~np.isin(ranked, HISTORIES.row(r))]
        if allowed is not None:
            ranked = ranked[allowed[ranked]]
        out[r, : min(k, ranked.size)] = ranked[:k]
    return out


def through(
    adapter: IndexAdapter, strategy: str, k: int, rule: StageFilter, has_vector: np.ndarray | None = None
) -> Candidates:
    chosen = make_strategy(strategy)
    active = rule.active(ITEMS, HISTORIES)
    bind_strategy(chosen, adapter, type(adapter), {}, VECTORS, USERS, Metric.INNER_PRODUCT, active)
    return retrieve(chosen, ITEMS, np.ones(30, bool) if has_vector is None else has_vector, k)


def exact(k: int, rule: StageFilter) -> Candidates:
    return exact_candidates(VECTORS, ITEMS, USERS, np.ones(30, bool), HISTORIES, k, Metric.INNER_PRODUCT, rule)


def test_exact_exclude_seen_equals_filtered_brute_force() -> None:
    found = exact(25, StageFilter())
    assert np.array_equal(found.items, brute_force(25))
    assert (found.latency_ns > 0).all() and (found.fetched == -1).all()


def test_exact_with_an_attribute_filter_equals_brute_force_over_passing_unseen_items() -> None:
    assert np.array_equal(exact(25, StageFilter(ALLOWED)).items, brute_force(25, ALLOWED))
    kept_seen = exact(25, StageFilter(ALLOWED, exclude_seen=False)).items
    assert np.array_equal(kept_seen, brute_force(25, ALLOWED, exclude_seen=False))


def test_every_strategy_on_exact_search_is_exact_under_the_filter() -> None:
    adapter = ExactAdapter(Metric.INNER_PRODUCT)
    adapter.build(VECTORS)
    truth = brute_force(20, ALLOWED)
    for strategy in ("post", "pre", "exact-subset", "auto"):
        found = through(adapter, strategy, 20, StageFilter(ALLOWED))
        assert np.array_equal(found.items, truth), strategy


@pytest.mark.parametrize("strategy", ["post", "pre"])
def test_ann_strategies_return_only_passing_unseen_items_and_fill_k(strategy: str) -> None:
    for adapter in (
        HnswlibAdapter(Metric.INNER_PRODUCT, M=16, ef_construction=64, build_threads=1),
        FaissHNSWAdapter(Metric.INNER_PRODUCT, M=16, ef_construction=64),
    ):
        adapter.build(VECTORS)
        adapter.set_query_params(**{"ef" if isinstance(adapter, HnswlibAdapter) else "ef_search": 32})
        found = through(adapter, strategy, 20, StageFilter(ALLOWED))
        truth = brute_force(20, ALLOWED)
        for r in range(30):
            row = found.items[r][found.items[r] >= 0]
            assert ALLOWED[row].all(), (adapter.name, strategy)
            assert not np.isin(row, HISTORIES.row(r)).any()
            assert len(set(row.tolist())) == row.size
        overlap = np.mean([np.isin(found.items[r], truth[r]).mean() for r in range(30)])
        assert overlap > 0.5, (adapter.name, strategy, overlap)
        if strategy == "post":
            assert (found.fetched >= 20).all()


def test_post_filtering_an_ann_index_still_fills_k_with_unseen_items() -> None:
    index = HnswlibAdapter(Metric.INNER_PRODUCT, M=4, ef_construction=8, build_threads=1)
    index.build(VECTORS)
    index.set_query_params(ef=1)
    found = through(index, "post", 40, StageFilter())
    for r in range(30):
        assert (found.items[r] >= 0).all() and len(set(found.items[r])) == 40
        assert not np.isin(found.items[r], HISTORIES.row(r)).any()
        assert np.isin(found.items[r], ITEMS).all()
    overlap = np.mean([np.isin(found.items[r], brute_force(40)[r]).mean() for r in range(30)])
    assert overlap > 0.5


def test_native_filter_is_refused_by_an_adapter_without_one() -> None:
    from vecbench.filters.strategies.base import CheckTarget
    from vecbench.indexes.annoy_index import AnnoyAdapter

    with pytest.raises(ConfigError, match="native filtered search"):
        make_strategy("pre").check(CheckTarget(AnnoyAdapter, {}, Metric.INNER_PRODUCT, 16, None))


def test_requests_without_a_user_vector_get_no_candidates() -> None:
    adapter = ExactAdapter(Metric.INNER_PRODUCT)
    adapter.build(VECTORS)
    mask = np.ones(30, bool)
    mask[3] = False
    found = through(adapter, "post", 5, StageFilter(), has_vector=mask)
    assert (found.items[3] == -1).all() and (found.items[4] >= 0).all() and found.fetched[3] == 0


def test_a_filter_leaving_fewer_than_k_items_pads_with_minus_one() -> None:
    few = np.zeros(1000, dtype=bool)
    few[ITEMS[:5]] = True  # five indexed items pass
    found = exact(10, StageFilter(few, exclude_seen=False))
    assert ((found.items >= 0).sum(axis=1) == 5).all() and (found.items[:, 5:] == -1).all()


def test_popularity_baseline_skips_seen_items() -> None:
    counts = np.array([5.0, 9.0, 0.0, 7.0, 1.0])
    histories = Ragged.from_rows([np.array([1]), np.array([], dtype=np.int64)])
    found = popularity_candidates(counts, histories, 3)
    assert found.items.tolist() == [[3, 0, 4], [1, 3, 0]]


def test_popularity_baseline_honours_the_stage_filter() -> None:
    counts = np.array([5.0, 9.0, 0.0, 7.0, 1.0])
    histories = Ragged.from_rows([np.array([1]), np.array([3])])
    allowed = np.array([True, True, True, True, False])
    found = popularity_candidates(counts, histories, 3, StageFilter(allowed))
    assert found.items.tolist() == [[3, 0, -1], [1, 0, -1]]
    kept_seen = popularity_candidates(counts, histories, 2, StageFilter(allowed, exclude_seen=False))
    assert kept_seen.items.tolist() == [[1, 3], [1, 3]]


def test_mmr_keeps_order_at_lambda_one_and_diversifies_at_lower_lambda() -> None:
    items = np.arange(4)
    scores = np.array([1.0, 0.99, 0.98, 0.5])
    unit = normalised(np.array([[1, 0], [1, 0.01], [1, 0.02], [0, 1]], dtype=np.float32))
    kept, _ = MMRReranker(**{"lambda": 1.0}).rerank(items, scores, unit, [()] * 4)
    assert kept.tolist() == [0, 1, 2, 3]
    diverse, _ = MMRReranker(**{"lambda": 0.3}).rerank(items, scores, unit, [()] * 4)
    assert diverse.tolist()[:2] == [0, 3], "the orthogonal item moves up"


def test_category_cap_limits_each_category_and_keeps_length() -> None:
    categories = [("a",), ("a",), ("a", "b"), ("b",), ("c",)]
    items = np.arange(5)
    out, _ = CategoryCapReranker(max_per_category=1, length=3).rerank(items, -items.astype(float), np.zeros((5, 2)), categories)
    assert out.tolist()[:3] == [0, 3, 4] and sorted(out.tolist()) == [0, 1, 2, 3, 4]


def examples(x: np.ndarray, y: np.ndarray, per_request: int = 10) -> TrainingSet:
    """Rows of x as requests of ``per_request`` candidates in retrieval order, one user each."""
    n = x.shape[0] // per_request
    x = x.copy()
    x[:, 5] = np.tile(np.arange(per_request) / per_request, n)  # the retrieval rank column
    return TrainingSet(x, y, np.repeat(np.arange(n), per_request), np.arange(n), np.arange(n),
                       np.maximum(y.reshape(n, per_request).sum(axis=1), 1))  # fmt: skip


def test_learned_scorer_is_kept_only_where_it_beats_retrieval_order() -> None:
    x = RNG.random((2000, 6))
    popular = examples(x, x[:, 2] > 0.8)  # the target is what is popular, whatever the retrieval rank
    helped = LearnedScorer(max_iter=30)
    helped.fit(popular)
    assert not helped.fallback and "used" in helped.note
    first = np.tile(np.arange(10) == 0, 200)  # the first candidate in retrieval order is the target
    order = LearnedScorer(max_iter=30)
    order.fit(examples(x, first))
    assert order.fallback and "kept retrieval order" in order.note
    ranks = examples(x, first).features
    assert np.argsort(-order.score(ranks[:10]), kind="stable").tolist() == list(range(10))


def test_scorers() -> None:
    features = np.array([[1.0, 0, 0.0, 0, 0, 0], [0.0, 0, 5.0, 0, 0, 0]])
    blend = PopularityBlendScorer(weight=0.9).score(features)
    assert blend[1] > blend[0]
    assert make_scorer(ScorerSpec(kind="similarity")).score(features).tolist() == [1.0, 0.0]
    learned = LearnedScorer(max_iter=20, validate=False)
    x = RNG.random((400, 6))
    y = x[:, 0] > 0.7
    learned.fit(examples(x, y))
    scores = learned.score(x)
    assert scores[y].mean() > scores[~y].mean() + 0.5
    with pytest.raises(ConfigError, match="one class"):
        LearnedScorer(validate=False).fit(examples(x, np.zeros(400, bool)))
    with pytest.raises(ConfigError, match="did you mean 'mmr'"):
        make_reranker(RerankSpec(kind="mmmr"))
    with pytest.raises(ConfigError, match="unknown parameter 'lambd'"):
        make_reranker(RerankSpec(kind="mmr", lambd=0.5))
