"""Sharding simulation: splits partition the base, scatter-gather is exact, routing trades recall."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.capacity.sharding import ShardSetup, simulate, split
from vecbench.core.params import Metric
from vecbench.errors import ConfigError


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    centers = 4 * rng.standard_normal((8, 8))
    base = (centers[rng.integers(8, size=1200)] + rng.standard_normal((1200, 8))).astype(np.float32)
    queries = (centers[rng.integers(8, size=60)] + rng.standard_normal((60, 8))).astype(np.float32)
    return base, queries


@pytest.mark.parametrize("how", ["range", "hash", "cluster"])
def test_splits_partition_every_id_once(data: tuple[np.ndarray, np.ndarray], how: str) -> None:
    parts, centroids = split(data[0], 4, how)
    ids = np.concatenate(parts)
    assert len(parts) == 4 and np.array_equal(np.sort(ids), np.arange(len(data[0])))
    assert (centroids is not None) == (how == "cluster")


def test_scatter_gather_over_exact_shards_is_exact(data: tuple[np.ndarray, np.ndarray]) -> None:
    result = simulate(*data, Metric.EUCLIDEAN, 10, ShardSetup(4, "hash"))
    assert result.recall == 1.0 and result.shards_per_query == 4
    assert result.query_imbalance == 1.0
    assert result.fanout_p99_ms >= result.fanout_p50_ms > 0


def test_nearest_cluster_routing_trades_recall_for_fan_out(data: tuple[np.ndarray, np.ndarray]) -> None:
    one = simulate(*data, Metric.EUCLIDEAN, 10, ShardSetup(4, "cluster", "nearest", probe=1))
    every = simulate(*data, Metric.EUCLIDEAN, 10, ShardSetup(4, "cluster", "nearest", probe=4))
    assert one.shards_per_query == 1 and every.recall == 1.0
    assert one.recall < 1.0
    assert sum(one.query_share) == pytest.approx(1.0) and one.query_imbalance >= 1.0


def test_hot_cold_answers_popular_queries_from_the_hot_index(data: tuple[np.ndarray, np.ndarray]) -> None:
    base, queries = data
    history = np.zeros(len(base))
    history[: len(base) // 2] = 1.0  # the first half is requested
    result = simulate(
        base, queries, Metric.EUCLIDEAN, 10, ShardSetup(2, "range", "hot_cold", hot_items=600), history
    )
    assert 0 < result.hot_only_share < 1
    assert result.shards_per_query < 2
    assert result.recall > 0.5


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (ShardSetup(2, "range", "nearest"), "needs split cluster"),
        (ShardSetup(2, "range", "hot_cold"), "hot_items"),
        (ShardSetup(2, "diagonal"), "unknown"),
        (ShardSetup(2, "range", "sideways"), "unknown"),
    ],
)
def test_bad_setups_are_refused(data: tuple[np.ndarray, np.ndarray], setup: ShardSetup, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        simulate(*data, Metric.EUCLIDEAN, 10, setup)
