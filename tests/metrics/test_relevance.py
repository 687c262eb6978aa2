"""Relevance metrics: hand-computed tiny cases, and agreement with ranx on random runs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from vecbench.metrics.recsys_catalog import PIPELINE_METRICS, describe
from vecbench.metrics.relevance import RELEVANCE, hit_matrix

# One request, targets {7, 9}; the list ranks 7 first, 9 third, and pads with -1.
RANKED = np.array([[7, 3, 9, 4, -1]])
TARGETS = [np.array([7, 9])]


def metric(name: str, k: int) -> float:
    hits = hit_matrix(RANKED, TARGETS)
    return float(RELEVANCE[name](hits, np.array([2]), k)[0])


def test_hand_computed_values() -> None:
    log2 = np.log2
    assert metric("hit_rate", 1) == 1.0 and metric("hit_rate", 5) == 1.0
    assert metric("recall", 1) == 0.5 and metric("recall", 3) == 1.0
    assert metric("precision", 2) == 0.5 and metric("precision", 5) == pytest.approx(2 / 5)
    assert metric("ndcg", 3) == pytest.approx((1 + 1 / log2(4)) / (1 + 1 / log2(3)))
    assert metric("ndcg", 1) == 1.0
    assert metric("mrr", 5) == 1.0
    assert metric("map", 5) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert metric("map", 2) == pytest.approx((1 / 1) / 2)


def test_misses_pads_and_late_hits() -> None:
    ranked = np.array([[1, 2, -1], [-1, -1, -1], [5, 6, 4]])
    targets = [np.array([9]), np.array([-1]), np.array([4])]
    hits = hit_matrix(ranked, targets)
    assert not hits[1].any(), "-1 pads never hit, even against a -1 target"
    n = np.array([1, 1, 1])
    assert RELEVANCE["mrr"](hits, n, 3).tolist() == [0.0, 0.0, pytest.approx(1 / 3)]
    assert RELEVANCE["ndcg"](hits, n, 3)[2] == pytest.approx(1 / np.log2(4))
    assert RELEVANCE["hit_rate"](hits, n, 2).tolist() == [0.0, 0.0, 0.0]


def test_every_metric_is_catalogued_with_direction_and_definition() -> None:
    for name in [*RELEVANCE, "candidate_recall", "coverage", "gini", "novelty", "neighbour_jaccard"]:
        info = PIPELINE_METRICS[name]
        assert info.definition and isinstance(info.higher_is_better, bool)
    info, k = describe("ndcg@10")
    assert info.name == "ndcg" and k == 10 and info.higher_is_better
    assert describe("gini@10")[0].higher_is_better is False
    assert describe("qps")[1] is None  # index metrics resolve too


def test_agrees_with_ranx_on_random_runs() -> None:
    ranx = pytest.importorskip("ranx", reason="ranx is in the test extra")
    rng = np.random.default_rng(3)
    n_requests, n_items, length = 60, 40, 20
    ranked = np.stack([rng.permutation(n_items)[:length] for _ in range(n_requests)])
    targets = [rng.choice(n_items, size=rng.integers(1, 8), replace=False) for _ in range(n_requests)]
    qrels = ranx.Qrels({f"q{i}": {f"d{t}": 1 for t in ts} for i, ts in enumerate(targets)})
    run = ranx.Run(
        {f"q{i}": {f"d{d}": float(length - j) for j, d in enumerate(row)} for i, row in enumerate(ranked)}
    )
    hits = hit_matrix(ranked, targets)
    n_relevant = np.array([len(t) for t in targets])
    names = {"hit_rate": "hit_rate", "recall": "recall", "precision": "precision", "ndcg": "ndcg", "mrr": "mrr", "map": "map"}
    for k in (1, 5, 20):
        wanted = [f"{theirs}@{k}" for theirs in names.values()]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numba's type-safety notes from inside ranx
            expected = ranx.evaluate(qrels, run, wanted, make_comparable=True)
        for ours, theirs in names.items():
            assert RELEVANCE[ours](hits, n_relevant, k).mean() == pytest.approx(expected[f"{theirs}@{k}"], abs=1e-9), (ours, k)
