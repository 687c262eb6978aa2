"""Recall of returned neighbours against exact ground truth, computed from raw arrays."""

from __future__ import annotations

import numpy as np

TIE_EPSILON = 1e-3


def _unique_valid(ids: np.ndarray) -> np.ndarray:
    """Mask of entries that are valid (>= 0) and the first occurrence of their id in the row."""
    ids = np.asarray(ids, dtype=np.int64)
    order = np.argsort(ids, axis=1, kind="stable")
    sorted_ids = np.take_along_axis(ids, order, axis=1)
    first = np.ones_like(sorted_ids, dtype=bool)
    first[:, 1:] = sorted_ids[:, 1:] != sorted_ids[:, :-1]
    mask = np.zeros_like(first)
    np.put_along_axis(mask, order, first, axis=1)
    return mask & (ids >= 0)


def tie_aware_recall(
    found_distances: np.ndarray,
    ids: np.ndarray,
    true_distances: np.ndarray,
    k: int,
    epsilon: float = TIE_EPSILON,
) -> np.ndarray:
    """Per-query recall@k where an item counts if its true distance <= k-th true distance + epsilon.

    ``found_distances`` are the true distances of the returned ``ids`` (recomputed, not the
    library's); duplicates and -1 padding never count. This is ann-benchmarks' definition.
    """
    found = np.asarray(found_distances)[:, :k]
    threshold = np.asarray(true_distances)[:, k - 1 : k] + epsilon
    hits = (found <= threshold) & _unique_valid(np.asarray(ids)[:, :k])
    return hits.sum(axis=1) / float(k)


def id_recall(ids: np.ndarray, true_ids: np.ndarray, k: int) -> np.ndarray:
    """Per-query plain recall@k: share of the true top-k ids that were returned."""
    found = np.asarray(ids, dtype=np.int64)[:, :k]
    truth = np.asarray(true_ids, dtype=np.int64)[:, :k]
    valid = _unique_valid(found)
    hits = (found[:, :, None] == truth[:, None, :]).any(axis=2) & valid
    return hits.sum(axis=1) / float(k)
