"""Paired bootstrap over users: is a difference between two pipelines real, or noise?

Both pipelines are evaluated on the same requests, so the difference is taken per request and
users are resampled with replacement (all of a user's requests travel together: a cluster
bootstrap). The interval is the percentile interval of the resampled mean differences. The seed
fixes the resamples, so every metric is judged on the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairedDelta:
    delta: float
    low: float
    high: float
    n: int

    @property
    def significant(self) -> bool:
        """The interval excludes zero."""
        return bool(self.low > 0 or self.high < 0)


def paired_bootstrap(
    a: np.ndarray,
    b: np.ndarray,
    clusters: np.ndarray,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> PairedDelta:
    """Mean of (a - b) over requests where both are defined, with a cluster-bootstrap interval."""
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    valid = np.isfinite(diff)
    if not valid.any():
        return PairedDelta(float("nan"), float("nan"), float("nan"), 0)
    _, cluster = np.unique(np.asarray(clusters)[valid], return_inverse=True)
    sums = np.bincount(cluster, weights=diff[valid])
    counts = np.bincount(cluster).astype(np.float64)
    delta = float(sums.sum() / counts.sum())
    draws = np.random.default_rng(seed).integers(0, sums.size, size=(resamples, sums.size))
    means = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return PairedDelta(delta, float(low), float(high), int(valid.sum()))
