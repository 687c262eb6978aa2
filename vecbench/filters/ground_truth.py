"""Exact ground truth under a filter: brute force over the passing items only, cached on disk.

The cache key is the dataset fingerprint, metric, K, the filter's canonical text and a digest of
the mask it evaluated to (with any per-query part), so changed attributes never reuse a stale file.
Rows where fewer than K items pass are padded with id -1 and distance +inf.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from vecbench.datasets.base import Dataset
from vecbench.datasets.cache import read_cached, write_atomic
from vecbench.datasets.ground_truth import MIN_K, GroundTruth, compute_exact
from vecbench.errors import ConfigError, DatasetError
from vecbench.filters.active import ActiveFilter

_PREFIX = "gtf"


def filter_key(canonical: str, active: ActiveFilter) -> str:
    """16 hex digits over the filter text and what it selects: names cache files and result rows."""
    return hashlib.blake2b(f"{canonical}|{active.digest()}".encode(), digest_size=8).hexdigest()


def filtered_cache_path(cache_dir: Path, dataset: Dataset, key: str, k: int) -> Path:
    return cache_dir / f"{_PREFIX}-{dataset.fingerprint}-{dataset.metric.value}-{key}-k{k}.npz"


def filtered_ground_truth(
    dataset: Dataset, active: ActiveFilter, canonical: str, k: int, cache_dir: Path | None
) -> GroundTruth:
    """Exact K = max(k, 100) nearest passing items per query (fewer, padded, where fewer pass)."""
    if k < 1:
        raise ConfigError(f"ground truth needs k >= 1, got {k}")
    active.check(dataset.n_base, dataset.n_queries)
    depth = max(k, MIN_K)
    path = (
        filtered_cache_path(cache_dir, dataset, filter_key(canonical, active), depth) if cache_dir else None
    )
    source = f"filtered|{dataset.fingerprint}|{dataset.metric.value}|{filter_key(canonical, active)}|k={depth}"
    found = (
        read_cached(path, dataset.n_queries, dataset.n_base, depth, source=source, padded=True)
        if path
        else None
    )
    if found is None:
        found = compute_filtered(dataset, active, depth)
        if path is not None:
            try:
                write_atomic(path, *found, source=source)
            except OSError as exc:
                raise DatasetError(
                    f"cannot write the ground-truth cache {path}: {exc.strerror or exc}"
                ) from None
    ids, distances = found
    ids.flags.writeable = False
    distances.flags.writeable = False
    return GroundTruth(ids, distances)


def compute_filtered(dataset: Dataset, active: ActiveFilter, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids int64, distances float32) of the ``depth`` nearest allowed items, -1 / +inf padded."""
    nq = dataset.n_queries
    ids = np.full((nq, depth), -1, dtype=np.int64)
    distances = np.full((nq, depth), np.inf, dtype=np.float32)
    pq = active.per_query
    if pq is not None and pq.masks is not None:
        for q in range(nq):
            allowed, _ = active.for_query(q)
            _fill(ids[q : q + 1], distances[q : q + 1], dataset, dataset.queries[q : q + 1], allowed, depth)
        return ids, distances
    subset = np.flatnonzero(active.mask)
    if subset.size == 0:
        return ids, distances
    excluded = pq.excluded if pq is not None else None
    extra = max((int(active.mask[e].sum()) for e in excluded), default=0) if excluded else 0
    found_ids, found_d = _exact_over(dataset, dataset.queries, subset, min(depth + extra, subset.size))
    if excluded is None:
        width = found_ids.shape[1]
        ids[:, :width], distances[:, :width] = found_ids, found_d
        return ids, distances
    for q in range(nq):
        keep = ~np.isin(found_ids[q], excluded[q])
        row_ids, row_d = found_ids[q][keep][:depth], found_d[q][keep][:depth]
        ids[q, : row_ids.size], distances[q, : row_ids.size] = row_ids, row_d
    return ids, distances


def _fill(
    ids: np.ndarray,
    distances: np.ndarray,
    dataset: Dataset,
    queries: np.ndarray,
    allowed: np.ndarray,
    depth: int,
) -> None:
    subset = np.flatnonzero(allowed)
    if subset.size:
        found_ids, found_d = _exact_over(dataset, queries, subset, min(depth, subset.size))
        ids[:, : found_ids.shape[1]], distances[:, : found_ids.shape[1]] = found_ids, found_d


def _exact_over(
    dataset: Dataset, queries: np.ndarray, subset: np.ndarray, depth: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact neighbours among ``subset`` (sorted global ids), returned as global ids.

    ``subset`` is sorted, so the id order that breaks distance ties is the same as the global one.
    """
    local_ids, found_d = compute_exact(queries, np.asarray(dataset.base[subset]), dataset.metric, depth)
    return subset[local_ids], found_d
