"""Exact k-nearest neighbours of every query, computed once per dataset content and cached on disk.

Candidates are chosen in float32 by a backend (``exact_backends``: numpy's matmul + ``np.partition``,
faiss's brute-force knn, or torch on a GPU) in query blocks over a base prepared once, then
re-ranked by distances recomputed in float64 (``distances_to_ids``) over a margin of extra candidates,
so float32 rounding does not reorder near neighbours, returned distances are float64-accurate, and
exact ties (duplicate vectors, integer pixels) are ordered by id. The backend is not part of the
cache key: every backend gives the same neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.base import Dataset
from vecbench.datasets.cache import cache_path, default_cache_dir, find_cached, read_cached, write_atomic
from vecbench.datasets.exact_backends import PreparedBase, default_block_size, make_finder, resolve_backend
from vecbench.errors import ConfigError, DatasetError
from vecbench.metrics.distances import distances_to_ids

__all__ = ["MIN_K", "GroundTruth", "compute_exact", "default_cache_dir", "exact_ground_truth"]

# Ground truth always holds at least this many neighbours, so recall@1..100 share one cache file.
MIN_K = 100
# float64 values gathered per re-ranking step (32 MB), whatever the dimension.
_RERANK_ENTRIES = 1 << 22
# Agreement required with neighbours shipped in the file: absolute, relative above distance 1.
SHIPPED_TOLERANCE = 1e-3


@dataclass(frozen=True)
class GroundTruth:
    """Exact neighbours, nearest first: ids int64 (nq, K) and distances float32 (nq, K).

    Distances follow ``vecbench.metrics.distances`` (smaller is nearer); equal distances are
    ordered by id. Arrays are read-only.
    """

    ids: np.ndarray
    distances: np.ndarray

    @property
    def k(self) -> int:
        return int(self.ids.shape[1])

    def top(self, k: int) -> GroundTruth:
        """The first ``k`` neighbours of every query."""
        if not 1 <= k <= self.k:
            raise ConfigError(f"ground truth holds {self.k} neighbours per query; asked for {k}")
        return GroundTruth(self.ids[:, :k], self.distances[:, :k])


def exact_ground_truth(
    dataset: Dataset, k: int, cache_dir: Path | None, block_size: int | None = None, backend: str = "auto"
) -> GroundTruth:
    """Exact ``K = min(max(k, 100), n_base)`` neighbours of every query, from the cache when possible.

    The cache key is the dataset fingerprint, metric and K; a cached larger K serves a smaller
    request. ``cache_dir=None`` computes without caching. ``block_size`` queries are processed at a
    time (default: about 64 MB of distances per block). When the dataset ships neighbours (HDF5),
    they are checked against ours and a disagreement beyond ties raises DatasetError. ``backend``
    (auto, numpy, faiss, torch) only changes how fast a missing cache entry is computed.
    """
    if k < 1:
        raise ConfigError(f"ground truth needs k >= 1, got {k}")
    if block_size is not None and block_size < 1:
        raise ConfigError(f"block_size must be at least 1, got {block_size}")
    n_neighbors = min(max(k, MIN_K), dataset.n_base)
    backend = resolve_backend(backend)
    found = _from_cache(dataset, n_neighbors, cache_dir) if cache_dir is not None else None
    if found is None:
        found = compute_exact(dataset.queries, dataset.base, dataset.metric, n_neighbors, block_size, backend)
        if cache_dir is not None:
            _store(dataset, found, cache_dir)
    ids, distances = found
    ids.flags.writeable = False
    distances.flags.writeable = False
    truth = GroundTruth(ids, distances)
    if dataset.neighbors is not None:
        check_shipped(dataset, truth)
    return truth


def compute_exact(
    queries: np.ndarray,
    base: np.ndarray,
    metric: Metric,
    k: int,
    block_size: int | None = None,
    backend: str = "numpy",
) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force (ids int64, distances float32) of the ``k`` nearest base rows to every query."""
    if not 1 <= k <= base.shape[0]:
        raise ConfigError(f"ground truth needs 1 <= k <= n_base ({base.shape[0]}), got k={k}")
    return _exact(queries, base, metric, k, block_size, resolve_backend(backend))


def _exact(
    queries: np.ndarray,
    base: np.ndarray,
    metric: Metric,
    k: int,
    block_size: int | None = None,
    backend: str = "numpy",
) -> tuple[np.ndarray, np.ndarray]:
    """``compute_exact`` without its check: also the spot check of a cached file."""
    n_base, n_queries = base.shape[0], queries.shape[0]
    if block_size is None:
        block_size = default_block_size(backend, n_base)
    # Extra float32 candidates re-ranked in float64: a margin for float32 rounding.
    n_candidates = k + min(n_base - k, max(16, k // 4))
    find = make_finder(backend, PreparedBase(base, metric), n_candidates)  # the base prepared once
    ids = np.empty((n_queries, k), dtype=np.int64)
    distances = np.empty((n_queries, k), dtype=np.float32)
    for start in range(0, n_queries, block_size):
        block = np.asarray(queries[start : start + block_size])
        candidates = find(block)
        exact = _rerank_distances(block, base, candidates, metric)
        order = np.lexsort((candidates, exact), axis=-1)[:, :k]
        ids[start : start + block.shape[0]] = np.take_along_axis(candidates, order, axis=1)
        distances[start : start + block.shape[0]] = np.take_along_axis(exact, order, axis=1)
    return ids, distances


def check_shipped(dataset: Dataset, truth: GroundTruth) -> None:
    """Compare our distances with those of the shipped neighbours rank by rank (ties may swap ids)."""
    shipped = dataset.neighbors
    if shipped is None:
        return
    depth = min(truth.k, shipped.shape[1])
    shipped = np.asarray(shipped[:, :depth], dtype=np.int64)
    label = f"dataset '{dataset.name}'"
    if shipped.shape[0] != dataset.n_queries:
        raise DatasetError(
            f"{label}: shipped neighbors have {shipped.shape[0]} rows for {dataset.n_queries} queries"
        )
    if shipped.size and (shipped.min() < 0 or shipped.max() >= dataset.n_base):
        raise DatasetError(f"{label}: shipped neighbors hold ids outside 0..{dataset.n_base - 1}")
    theirs = np.sort(_rerank_distances(dataset.queries, dataset.base, shipped, dataset.metric), axis=1)
    ours = truth.distances[:, :depth].astype(np.float64)
    wrong = ~(np.abs(ours - theirs) <= SHIPPED_TOLERANCE * np.maximum(1.0, np.abs(ours)))
    rows = np.flatnonzero(wrong.any(axis=1))
    if rows.size:
        query = int(rows[0])
        rank = int(np.argmax(wrong[query]))
        raise DatasetError(
            f"{label}: exact ground truth disagrees beyond ties with the neighbors shipped in "
            f"{dataset.source} for {rows.size} of {dataset.n_queries} queries "
            f"(first: query {query}, rank {rank}: distance {ours[query, rank]:.6g} "
            f"vs shipped {theirs[query, rank]:.6g})"
        )


def _rerank_distances(queries: np.ndarray, base: np.ndarray, ids: np.ndarray, metric: Metric) -> np.ndarray:
    """float64 distances from each query to its listed ids, in steps that bound the gathered rows."""
    step = max(1, _RERANK_ENTRIES // max(1, ids.shape[1] * base.shape[1]))
    parts = [
        distances_to_ids(np.asarray(queries[i : i + step]), base, ids[i : i + step], metric)
        for i in range(0, ids.shape[0], step)
    ]
    return np.concatenate(parts, axis=0) if parts else np.empty(ids.shape, dtype=np.float64)


def cache_source(dataset: Dataset, k: int) -> str:
    """What a cached ground truth of ``k`` neighbours was computed from (checked on read)."""
    return f"exact|{dataset.fingerprint}|{dataset.metric.value}|n_base={dataset.n_base}|k={k}"


def _from_cache(dataset: Dataset, k: int, cache_dir: Path) -> tuple[np.ndarray, np.ndarray] | None:
    for path in find_cached(cache_dir, dataset.fingerprint, dataset.metric, k):
        stored_k = int(path.stem.rsplit("-k", 1)[1])
        found = read_cached(
            path, dataset.n_queries, dataset.n_base, k, source=cache_source(dataset, stored_k)
        )
        if found is not None and _spot_check(dataset, found):
            return found
    return None


# Queries recomputed exactly on every cache read: a file whose checksum was forged along with its
# ids still disagrees with the data here (a few single-query searches: milliseconds).
SPOT_QUERIES = 4


def _spot_check(dataset: Dataset, found: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether a few queries' cached neighbours have the distances exact search gives now."""
    ids, distances = found
    rows = np.unique(np.linspace(0, dataset.n_queries - 1, SPOT_QUERIES).astype(np.int64))
    queries = np.asarray(dataset.queries[rows])
    _, exact = _exact(queries, dataset.base, dataset.metric, ids.shape[1])
    theirs = _rerank_distances(queries, dataset.base, ids[rows], dataset.metric)
    ours = exact.astype(np.float64)
    close = np.abs(ours - theirs) <= SHIPPED_TOLERANCE * np.maximum(1.0, np.abs(ours))
    stored = np.abs(distances[rows].astype(np.float64) - ours) <= SHIPPED_TOLERANCE * np.maximum(1.0, np.abs(ours))
    return bool(close.all() and stored.all())


def _store(dataset: Dataset, found: tuple[np.ndarray, np.ndarray], cache_dir: Path) -> None:
    path = cache_path(cache_dir, dataset.fingerprint, dataset.metric, found[0].shape[1])
    try:
        write_atomic(path, *found, source=cache_source(dataset, found[0].shape[1]))
    except OSError as exc:
        raise DatasetError(f"cannot write the ground-truth cache {path}: {exc.strerror or exc}") from None
