"""Exclude-seen retrieval, scoring and re-ranking on small hand-made data."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.datasets.logs.split import Ragged
from vecbench.errors import ConfigError
from vecbench.indexes.base import Metric
from vecbench.indexes.exact import ExactAdapter
from vecbench.indexes.hnswlib_index import HnswlibAdapter
from vecbench.metrics.distances import normalised
from vecbench.pipeline.reranking import CategoryCapReranker, MMRReranker, RerankSpec, make_reranker
from vecbench.pipeline.retrieval import popularity_candidates, retrieve
from vecbench.pipeline.scoring import LearnedScorer, PopularityBlendScorer, ScorerSpec, make_scorer

RNG = np.random.default_rng(0)
ITEMS = np.arange(0, 1000, 2)  # index rows map to even dense item ids
VECTORS = RNG.normal(size=(500, 16)).astype(np.float32)
USERS = RNG.normal(size=(30, 16)).astype(np.float32)
HISTORIES = Ragged.from_rows([RNG.choice(1000, size=RNG.integers(1, 120), replace=False) for _ in range(30)])


def brute_force(k: int) -> np.ndarray:
    scores = USERS @ VECTORS.T
    out = np.empty((30, k), dtype=np.int64)
    for r in range(30):
        order = np.argsort(-scores[r], kind="stable")
        ranked = ITEMS[order]
        out[r] = ranked[~np.isin(ranked, HISTORIES.row(r))][:k]
    return out


def test_exact_exclude_seen_equals_filtered_brute_force() -> None:
    index = ExactAdapter(Metric.INNER_PRODUCT)
    index.build(VECTORS)
    found = retrieve(index, ITEMS, USERS, np.ones(30, bool), HISTORIES, 25)
    assert np.array_equal(found.items, brute_force(25))
    assert (found.latency_ns > 0).all()


def test_ann_exclude_seen_still_fills_k_with_unseen_items() -> None:
    index = HnswlibAdapter(Metric.INNER_PRODUCT, M=4, ef_construction=8, build_threads=1)
    index.build(VECTORS)
    index.set_query_params(ef=1)
    found = retrieve(index, ITEMS, USERS, np.ones(30, bool), HISTORIES, 40)
    for r in range(30):
        assert (found.items[r] >= 0).all() and len(set(found.items[r])) == 40
        assert not np.isin(found.items[r], HISTORIES.row(r)).any()
        assert np.isin(found.items[r], ITEMS).all()
    overlap = np.mean([np.isin(found.items[r], brute_force(40)[r]).mean() for r in range(30)])
    assert overlap > 0.5


def test_requests_without_a_user_vector_get_no_candidates() -> None:
    index = ExactAdapter(Metric.INNER_PRODUCT)
    index.build(VECTORS)
    mask = np.ones(30, bool)
    mask[3] = False
    found = retrieve(index, ITEMS, USERS, mask, HISTORIES, 5)
    assert (found.items[3] == -1).all() and (found.items[4] >= 0).all()


def test_popularity_baseline_skips_seen_items() -> None:
    counts = np.array([5.0, 9.0, 0.0, 7.0, 1.0])
    histories = Ragged.from_rows([np.array([1]), np.array([], dtype=np.int64)])
    found = popularity_candidates(counts, histories, 3)
    assert found.items.tolist() == [[3, 0, 4], [1, 3, 0]]


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


def test_scorers() -> None:
    features = np.array([[1.0, 0, 0.0, 0, 0, 0], [0.0, 0, 5.0, 0, 0, 0]])
    blend = PopularityBlendScorer(weight=0.9).score(features)
    assert blend[1] > blend[0]
    assert make_scorer(ScorerSpec(kind="similarity")).score(features).tolist() == [1.0, 0.0]
    learned = LearnedScorer(max_iter=20)
    x = RNG.random((400, 6))
    y = x[:, 0] > 0.7
    learned.fit(x, y)
    scores = learned.score(x)
    assert scores[y].mean() > scores[~y].mean() + 0.5
    with pytest.raises(ConfigError, match="one class"):
        LearnedScorer().fit(x, np.zeros(400, bool))
    with pytest.raises(ConfigError, match="did you mean 'mmr'"):
        make_reranker(RerankSpec(kind="mmmr"))
    with pytest.raises(ConfigError, match="unknown parameter 'lambd'"):
        make_reranker(RerankSpec(kind="mmr", lambd=0.5))
