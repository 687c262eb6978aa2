"""Sharding and replication, simulated on one machine: split, route, search, merge, and measure.

The base is split into S shards by id range, by a hash of the id, or by k-means cluster; each
shard gets its own index (any registered adapter). A query goes to every shard (scatter-gather,
merged by distance), to its nearest clusters only, or first to a small hot index of the most
requested items and to the shards only when the hot answer is not close enough. Each shard search
is timed on its own (wall and CPU time); a query's fan-out latency is its slowest shard's, as if
the shards ran in parallel. With queries replayed from a log (users' vectors at request time),
the share of queries and of CPU time per shard shows the hot partitions.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import faiss
import numpy as np

from vecbench.core.params import Metric
from vecbench.errors import ConfigError
from vecbench.indexes.base import IndexAdapter
from vecbench.indexes.registry import get_adapter_class
from vecbench.metrics.distances import distances_to_ids, pairwise_distances
from vecbench.metrics.recall import id_recall

SPLITS = ("range", "hash", "cluster")
ROUTES = ("all", "nearest", "hot_cold")
_HASH = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads consecutive ids evenly


def split(
    base: np.ndarray, shards: int, how: str, seed: int = 0
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Global ids of each shard, and the k-means centroids for ``cluster`` (None otherwise)."""
    n = base.shape[0]
    if how not in SPLITS:
        raise ConfigError(f"sharding: split '{how}' is unknown; use one of {', '.join(SPLITS)}")
    if not 1 <= shards <= n:
        raise ConfigError(f"sharding: shards={shards} must be between 1 and the {n} items")
    ids = np.arange(n, dtype=np.int64)
    if how == "range":
        return list(np.array_split(ids, shards)), None
    if how == "hash":
        hashed = (ids.astype(np.uint64) * _HASH) >> np.uint64(40)
        owner = (hashed % np.uint64(shards)).astype(np.int64)
        return [ids[owner == s] for s in range(shards)], None
    kmeans = faiss.Kmeans(base.shape[1], shards, niter=20, seed=seed, verbose=False)
    kmeans.train(np.ascontiguousarray(base, dtype=np.float32))
    _, owner = kmeans.index.search(np.ascontiguousarray(base, dtype=np.float32), 1)
    return [ids[owner[:, 0] == s] for s in range(shards)], np.array(kmeans.centroids, dtype=np.float32)


@dataclass(frozen=True)
class ShardSetup:
    """How to shard and route: the split, the route, and the index every shard is built with."""

    shards: int
    split: str
    route: str = "all"
    probe: int = 1  # clusters searched per query with route: nearest
    adapter: str = "exact"
    build: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    hot_items: int = 0  # route hot_cold: size of the hot index
    hot_quantile: float = 0.5  # hot answer accepted when its k-th distance is below this quantile
    seed: int = 0

    def check(self) -> None:
        if self.route not in ROUTES:
            raise ConfigError(f"sharding: route '{self.route}' is unknown; use one of {', '.join(ROUTES)}")
        if self.route == "nearest" and self.split != "cluster":
            raise ConfigError(
                "sharding: route nearest needs split cluster (it routes to the nearest centroids)"
            )
        if self.route == "nearest" and not 1 <= self.probe <= self.shards:
            raise ConfigError(f"sharding: probe={self.probe} must be between 1 and shards={self.shards}")
        if self.route == "hot_cold" and self.hot_items < 1:
            raise ConfigError("sharding: route hot_cold needs hot_items >= 1 (the size of the hot index)")


@dataclass
class ShardResult:
    """What one routing policy cost and found, per query and per shard."""

    setup: ShardSetup
    recall: float
    fanout_p50_ms: float
    fanout_p99_ms: float
    shard_p99_ms: float  # p99 over every single shard search
    shards_per_query: float
    query_share: list[float]  # share of queries that reached each shard
    cpu_share: list[float]  # share of the search CPU time spent on each shard
    shard_sizes: list[int]
    hot_only_share: float = 0.0

    @property
    def query_imbalance(self) -> float:
        return _imbalance(self.query_share)

    @property
    def cpu_imbalance(self) -> float:
        return _imbalance(self.cpu_share)

    def row(self) -> dict[str, Any]:
        s = self.setup
        return {
            "split": s.split,
            "route": s.route if s.route != "nearest" else f"nearest({s.probe})",
            "shards": s.shards,
            "adapter": s.adapter,
            "recall": self.recall,
            "shards_per_query": self.shards_per_query,
            "fanout_p50_ms": self.fanout_p50_ms,
            "fanout_p99_ms": self.fanout_p99_ms,
            "shard_p99_ms": self.shard_p99_ms,
            "query_max_over_mean": self.query_imbalance,
            "cpu_max_over_mean": self.cpu_imbalance,
            "hot_only_share": self.hot_only_share,
            "smallest_shard": min(self.shard_sizes),
            "largest_shard": max(self.shard_sizes),
        }


def _imbalance(shares: Sequence[float]) -> float:
    mean = float(np.mean(shares))
    return float(np.max(shares)) / mean if mean > 0 else float("nan")


def _build(setup: ShardSetup, metric: Metric, vectors: np.ndarray) -> IndexAdapter:
    cls = get_adapter_class(setup.adapter)
    adapter = cls(metric, **setup.build)
    adapter.check_data(*vectors.shape)
    adapter.build(vectors)
    adapter.set_query_params(**setup.query)
    adapter.set_num_threads(1)
    return adapter


def _search(adapter: IndexAdapter, query: np.ndarray, k: int) -> tuple[np.ndarray, int, int]:
    """Local ids of one timed single-query search, its wall and CPU nanoseconds."""
    start, cpu = time.perf_counter_ns(), time.thread_time_ns()
    result = adapter.search_one_prepared(query, k)
    return result.ids, time.perf_counter_ns() - start, time.thread_time_ns() - cpu


def simulate(
    base: np.ndarray,
    queries: np.ndarray,
    metric: Metric,
    k: int,
    setup: ShardSetup,
    history: np.ndarray | None = None,
) -> ShardResult:
    """Split, build, route every query, merge by exact distance, and measure (see the module doc).

    ``history`` (request counts per item, e.g. from the earlier half of a log) picks the hot items
    of route hot_cold; without it the items nearest the queries' own exact neighbours would leak the
    answer, so it is required there.
    """
    setup.check()
    k = min(k, base.shape[0])
    parts, centroids = split(base, setup.shards, setup.split, setup.seed)
    if any(len(p) < 1 for p in parts):
        raise ConfigError(f"sharding: a {setup.split} split into {setup.shards} shards leaves a shard empty")
    indexes = [_build(setup, metric, base[p]) for p in parts]
    prepared = indexes[0].prepare_vectors(queries)
    hot: tuple[np.ndarray, IndexAdapter, float] | None = None
    if setup.route == "hot_cold":
        if history is None or len(history) != base.shape[0]:
            raise ConfigError(
                "sharding: route hot_cold needs request counts per item (history) to pick hot items"
            )
        hot_ids = np.argsort(-history, kind="stable")[: setup.hot_items]
        # accept the hot answer when its k-th distance is within the quantile of the true k-th distance
        kth = np.sort(pairwise_distances(queries, base, metric), axis=1)[:, k - 1]
        hot = (hot_ids, _build(setup, metric, base[hot_ids]), float(np.quantile(kth, setup.hot_quantile)))
    if centroids is not None and setup.route == "nearest":
        order = np.argsort(pairwise_distances(queries, centroids, metric), axis=1)[:, : setup.probe]
    else:
        order = np.tile(np.arange(setup.shards), (len(queries), 1))
    reached = np.zeros(setup.shards)
    cpu = np.zeros(setup.shards)
    fanout, singles, hot_only = [], [], 0
    found = np.full((len(queries), k), -1, dtype=np.int64)
    for row, query in enumerate(prepared):
        candidates: list[np.ndarray] = []
        slowest = 0
        if hot is not None:
            local, wall, _ = _search(hot[1], query, k)
            hot_found = hot[0][local[local >= 0]]
            slowest = wall
            full = len(hot_found) == k
            if (
                full
                and distances_to_ids(queries[row : row + 1], base, hot_found[None, -1:], metric)[0, 0]
                <= hot[2]
            ):
                found[row] = hot_found
                fanout.append(wall)
                hot_only += 1
                continue
            candidates.append(hot_found)
        shard_wall = 0
        for shard in order[row]:
            local, wall, used = _search(indexes[shard], query, k)
            candidates.append(parts[shard][local[local >= 0]])
            reached[shard] += 1
            cpu[shard] += used
            singles.append(wall)
            shard_wall = max(shard_wall, wall)
        fanout.append(slowest + shard_wall)  # hot first, then the shards in parallel
        merged = np.unique(np.concatenate(candidates))
        dist = distances_to_ids(queries[row : row + 1], base, merged[None, :], metric)[0]
        best = merged[np.argsort(dist, kind="stable")[:k]]
        found[row, : len(best)] = best
    truth = np.argsort(pairwise_distances(queries, base, metric), axis=1, kind="stable")[:, :k]
    fan = np.asarray(fanout, dtype=np.float64) / 1e6
    single = np.asarray(singles or [0], dtype=np.float64) / 1e6
    return ShardResult(
        setup=setup,
        recall=float(id_recall(found, truth, k).mean()),
        fanout_p50_ms=float(np.percentile(fan, 50)),
        fanout_p99_ms=float(np.percentile(fan, 99)),
        shard_p99_ms=float(np.percentile(single, 99)),
        shards_per_query=float(reached.sum() / len(queries)),
        query_share=(reached / max(1, len(queries))).tolist(),
        cpu_share=(cpu / max(1.0, cpu.sum())).tolist(),
        shard_sizes=[len(p) for p in parts],
        hot_only_share=hot_only / len(queries),
    )
