"""Recall under a filter, and the filter-specific measures, as pure functions over raw arrays.

The ground truth holds only passing items and may hold fewer than k of them (then it is padded with
id -1 and distance +inf), so a query's recall is the share of the min(k, passing) true neighbours
found. Returned items that fail the filter never count, however near they are.
"""

from __future__ import annotations

import numpy as np

from vecbench.metrics.recall import TIE_EPSILON, _unique_valid


def expected_hits(true_ids: np.ndarray, k: int) -> np.ndarray:
    """min(k, passing items) per query: what a perfect search returns."""
    return (np.asarray(true_ids)[:, :k] >= 0).sum(axis=1)


def filtered_tie_aware_recall(
    found_distances: np.ndarray,
    ids: np.ndarray,
    allowed: np.ndarray,
    true_ids: np.ndarray,
    true_distances: np.ndarray,
    k: int,
    epsilon: float = TIE_EPSILON,
) -> np.ndarray:
    """Per-query tie-aware recall@k against filtered truth; NaN where nothing passes.

    ``allowed`` marks returned entries that pass the filter; a hit is an allowed, unique, valid id
    whose true distance is within the last expected true distance + epsilon.
    """
    expected = expected_hits(true_ids, k)
    last = np.maximum(expected - 1, 0)
    threshold = np.take_along_axis(np.asarray(true_distances)[:, :k], last[:, None], axis=1) + epsilon
    ids_k = np.asarray(ids)[:, :k]
    hits = (
        (np.asarray(found_distances)[:, :k] <= threshold) & _unique_valid(ids_k) & np.asarray(allowed)[:, :k]
    )
    return _ratio(np.minimum(hits.sum(axis=1), expected), expected)


def filtered_id_recall(ids: np.ndarray, allowed: np.ndarray, true_ids: np.ndarray, k: int) -> np.ndarray:
    """Per-query share of the true (filtered) top-k ids returned; NaN where nothing passes."""
    found = np.asarray(ids, dtype=np.int64)[:, :k]
    truth = np.asarray(true_ids, dtype=np.int64)[:, :k]
    valid = _unique_valid(found) & np.asarray(allowed)[:, :k]
    hits = ((found[:, :, None] == truth[:, None, :]) & (truth[:, None, :] >= 0)).any(axis=2) & valid
    return _ratio(hits.sum(axis=1), expected_hits(truth, k))


def short_result_fraction(ids: np.ndarray, k: int) -> float:
    """Share of queries that got fewer than k items back."""
    return float(((np.asarray(ids)[:, :k] >= 0).sum(axis=1) < k).mean())


def overfetch_mean(candidates: np.ndarray, k: int) -> float:
    """Mean candidates fetched from the index per query, as a multiple of k; NaN when none was."""
    fetched = np.asarray(candidates)[np.asarray(candidates) >= 0]
    return float(fetched.mean() / k) if fetched.size else float("nan")


def _ratio(hits: np.ndarray, expected: np.ndarray) -> np.ndarray:
    out = np.full(hits.shape, np.nan)
    np.divide(hits, expected, out=out, where=expected > 0)
    return out
