"""Relevance of ranked lists against held-out next interactions (binary relevance).

Every function takes ``hits``: a (requests, list length) bool matrix, True where the item at that
rank is one of the request's targets, and ``n_relevant``: the number of targets per request. They
return one value per request; the reported figure is their mean. Definitions follow ranx (and
trec_eval); the ``relevance.*`` entries of ``recsys_catalog`` carry the one-line versions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def hit_matrix(ranked: np.ndarray, targets: Sequence[np.ndarray]) -> np.ndarray:
    """hits[r, j]: the j-th ranked item of request r (-1 pads never hit) is a target of r."""
    ranked = np.asarray(ranked, dtype=np.int64)
    hits = np.zeros(ranked.shape, dtype=bool)
    for r, wanted in enumerate(targets):
        hits[r] = np.isin(ranked[r], wanted) & (ranked[r] >= 0)
    return hits


def _cut(hits: np.ndarray, k: int) -> np.ndarray:
    if k < 1:
        raise ValueError(f"cut-off k must be >= 1, got {k}")
    out: np.ndarray = np.asarray(hits, dtype=bool)[:, :k]
    return out


def hit_rate(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """1 if any target is in the top k, else 0."""
    return np.asarray(_cut(hits, k).any(axis=1), dtype=np.float64)


def recall(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Share of the targets found in the top k."""
    return _cut(hits, k).sum(axis=1) / np.maximum(np.asarray(n_relevant, np.float64), 1.0)


def precision(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Share of the top k that are targets (k in the denominator even when the list is shorter)."""
    return _cut(hits, k).sum(axis=1) / float(k)


def _discounts(length: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, length + 2))


def ndcg(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """DCG@k (gain 1 / log2(rank + 1)) over the ideal DCG@k of min(k, targets) hits at the top."""
    cut = _cut(hits, k)
    discounts = _discounts(k)
    dcg = (cut * discounts[: cut.shape[1]]).sum(axis=1)
    ideal_hits = np.minimum(np.asarray(n_relevant), k)
    ideal = np.concatenate([[0.0], np.cumsum(discounts)])[ideal_hits]
    return np.divide(dcg, ideal, out=np.zeros_like(dcg), where=ideal > 0)


def mrr(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """1 / rank of the first target in the top k; 0 if none."""
    cut = _cut(hits, k)
    first = np.argmax(cut, axis=1)
    return np.where(cut.any(axis=1), 1.0 / (first + 1.0), 0.0)


def average_precision(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Sum of precision@rank at each hit rank <= k, over the number of targets (ranx's AP@k)."""
    cut = _cut(hits, k).astype(np.float64)
    precision_at = np.cumsum(cut, axis=1) / np.arange(1, cut.shape[1] + 1)
    return (precision_at * cut).sum(axis=1) / np.maximum(np.asarray(n_relevant, np.float64), 1.0)


RELEVANCE = {
    "hit_rate": hit_rate,
    "recall": recall,
    "precision": precision,
    "ndcg": ndcg,
    "mrr": mrr,
    "map": average_precision,
}
