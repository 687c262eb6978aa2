"""What a scorer may know about a (request, candidate) pair, all from before the training cutoff.

Item statistics are counted on the training log only, so a scorer never sees popularity from the
evaluation window; similarity is recomputed exactly from the vectors, whatever the index returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.logs.base import InteractionLog

DAY_S = 86_400.0
FEATURES = ("similarity", "log_popularity", "log_recent_popularity", "log_age_days", "log_history", "rank")


@dataclass(frozen=True)
class ItemStats:
    """Per-item counts from a training log, as of ``as_of`` (the end of that log)."""

    counts: np.ndarray
    recent: np.ndarray
    first_seen: np.ndarray
    as_of: int

    @classmethod
    def from_log(cls, train: InteractionLog, recent_half_life_days: float = 14.0) -> ItemStats:
        as_of = int(train.timestamp[-1]) + 1 if train.n_events else 0
        decay = np.power(0.5, (as_of - train.timestamp) / (recent_half_life_days * DAY_S))
        first = np.full(train.n_items, as_of, dtype=np.int64)
        np.minimum.at(first, train.item, train.timestamp)
        return cls(
            counts=train.item_counts().astype(np.float64),
            recent=np.bincount(train.item, weights=decay, minlength=train.n_items),
            first_seen=first,
            as_of=as_of,
        )


def similarity(user: np.ndarray, item_vectors: np.ndarray, metric: Metric) -> np.ndarray:
    """Higher is nearer: dot product, cosine, or negated L2 distance."""
    if metric is Metric.INNER_PRODUCT:
        return item_vectors @ user
    if metric is Metric.ANGULAR:
        norms = np.linalg.norm(item_vectors, axis=1) * max(float(np.linalg.norm(user)), 1e-12)
        return (item_vectors @ user) / np.maximum(norms, 1e-12)
    return -np.linalg.norm(item_vectors - user[None, :], axis=1)


def candidate_features(
    user: np.ndarray,
    candidates: np.ndarray,
    item_vectors: np.ndarray,
    rows: np.ndarray,
    metric: Metric,
    stats: ItemStats,
    history_length: int,
) -> np.ndarray:
    """(n_candidates, len(FEATURES)) float64 for valid (>= 0) candidates in retrieval order."""
    n = candidates.size
    out = np.empty((n, len(FEATURES)), dtype=np.float64)
    out[:, 0] = similarity(user.astype(np.float64), item_vectors[rows[candidates]].astype(np.float64), metric)
    out[:, 1] = np.log1p(stats.counts[candidates])
    out[:, 2] = np.log1p(stats.recent[candidates])
    out[:, 3] = np.log1p(np.maximum(stats.as_of - stats.first_seen[candidates], 0) / DAY_S)
    out[:, 4] = np.log1p(history_length)
    out[:, 5] = np.arange(n) / max(n, 1)
    return out


class RequestStats:
    """``split.as_of: request``: each request's item statistics from the whole log's events
    strictly before its time (one computation per distinct time)."""

    def __init__(self, log: InteractionLog, times: np.ndarray) -> None:
        self.log, self.times = log, times
        self._memo: tuple[int, ItemStats] | None = None

    def __call__(self, r: int) -> ItemStats:
        now = int(self.times[r])
        if self._memo is None or self._memo[0] != now:
            self._memo = (now, ItemStats.from_log(self.log.before(now)))
        return self._memo[1]
