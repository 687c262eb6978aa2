"""Recall and latency statistics on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.errors import ConfigError
from vecbench.indexes.base import Metric
from vecbench.metrics.catalog import parse_metric_spec
from vecbench.metrics.distances import distances_to_ids, pairwise_distances
from vecbench.metrics.latency import latency_summary
from vecbench.metrics.recall import id_recall, tie_aware_recall


def test_id_recall_counts_overlap_and_ignores_padding_and_duplicates() -> None:
    truth = np.array([[0, 1, 2, 3], [4, 5, 6, 7]])
    found = np.array([[3, 2, 9, 9], [4, -1, 4, 5]])
    assert id_recall(found, truth, 4).tolist() == [0.5, 0.5]


def test_tie_aware_recall_accepts_items_tied_with_the_kth() -> None:
    # true distances 0.1, 0.2, 0.3 (k=2 -> threshold 0.2 + 1e-3); item at 0.2005 is a tie
    true_d = np.array([[0.1, 0.2, 0.3]])
    ids = np.array([[7, 8]])
    found_d = np.array([[0.1, 0.2005]])
    assert tie_aware_recall(found_d, ids, true_d, 2)[0] == 1.0
    assert tie_aware_recall(np.array([[0.1, 0.25]]), ids, true_d, 2)[0] == 0.5


def test_tie_aware_recall_does_not_count_a_duplicate_twice() -> None:
    true_d = np.array([[0.0, 0.0]])
    assert tie_aware_recall(np.array([[0.0, 0.0]]), np.array([[3, 3]]), true_d, 2)[0] == 0.5


@pytest.mark.parametrize("metric", list(Metric))
def test_distances_to_ids_match_pairwise(metric: Metric) -> None:
    rng = np.random.default_rng(0)
    base, queries = rng.normal(size=(50, 8)).astype(np.float32), rng.normal(size=(5, 8)).astype(np.float32)
    ids = rng.integers(0, 50, size=(5, 4))
    full = pairwise_distances(queries, base, metric)
    expected = np.take_along_axis(full, ids, axis=1)
    np.testing.assert_allclose(distances_to_ids(queries, base, ids, metric), expected, rtol=1e-4, atol=1e-4)
    padded = ids.copy()
    padded[0, 0] = -1
    assert np.isinf(distances_to_ids(queries, base, padded, metric)[0, 0])


def test_latency_summary_in_milliseconds() -> None:
    samples = np.arange(1, 1001) * 1_000_000  # 1..1000 ms
    summary = latency_summary(samples)
    assert summary["latency_p50_ms"] == pytest.approx(500.5)
    assert summary["latency_p99_ms"] == pytest.approx(990.01)
    assert summary["latency_max_ms"] == 1000.0
    assert summary["latency_mean_ms"] == pytest.approx(500.5)
    assert np.isnan(latency_summary(np.array([]))["latency_p50_ms"])


def test_metric_spec_parsing() -> None:
    info, k = parse_metric_spec("recall@10")
    assert (info.name, k, info.higher_is_better) == ("recall", 10, True)
    assert parse_metric_spec("latency_p99_ms")[0].higher_is_better is False
    with pytest.raises(ConfigError, match="did you mean 'recall'"):
        parse_metric_spec("recal@10")
