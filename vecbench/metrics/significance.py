"""Paired bootstrap over users: is a difference between two pipelines real, or noise?

Both pipelines are evaluated on the same requests, so the difference is taken per request and
users are resampled with replacement (all of a user's requests travel together: a cluster
bootstrap). The interval is the percentile interval of the resampled mean differences. The seed
fixes the resamples, so every metric is judged on the same draws.

Catalogue-level metrics (coverage, Gini, entropy of exposure) are not means over requests, so
``paired_bootstrap_statistic`` recomputes them on each resample instead: the same resampled users
for both runs, the statistic of each run's resampled exposure, and the percentile interval of
the differences shifted so that their mean equals the observed delta: a resample that repeats users
shows fewer distinct items, so these statistics shrink under resampling and a plain percentile
interval leans towards zero (it missed the popularity baseline's own coverage delta on MovieLens). It works on item-count histograms per user, built once, so a resample costs one
sparse product. Latencies get no interval: their percentiles are timings of this machine, not a
sample of users.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse

Statistic = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""Catalogue statistic: (rows, m) exposure counts and the m item indices of the columns -> one value
per row. The columns are the items either run shows; every other item is exposed zero times."""

_CHUNK_CELLS = 8_000_000  # resampled exposure cells held at once (64 MB of float64)


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
    draws = _draws(sums.size, resamples, seed)
    means = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    low, high = _interval(means, level)
    return PairedDelta(delta, low, high, int(valid.sum()))


def paired_bootstrap_statistic(
    a_lists: np.ndarray,
    b_lists: np.ndarray,
    clusters: np.ndarray,
    statistic: Statistic,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> PairedDelta:
    """statistic(a) - statistic(b) over all requests' lists, with a paired cluster-bootstrap interval.

    ``a_lists`` and ``b_lists`` are (requests, n) item indices (-1 pads) for the same requests.
    """
    return paired_bootstrap_statistics(a_lists, b_lists, clusters, {"": statistic}, resamples, seed, level)[
        ""
    ]


def paired_bootstrap_statistics(
    a_lists: np.ndarray,
    b_lists: np.ndarray,
    clusters: np.ndarray,
    statistics: Mapping[str, Statistic],
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, PairedDelta]:
    """``paired_bootstrap_statistic`` for several statistics on the same resampled exposures."""
    a_lists, b_lists = np.asarray(a_lists, np.int64), np.asarray(b_lists, np.int64)
    if a_lists.shape[0] != b_lists.shape[0] or a_lists.shape[0] != len(clusters):
        raise ValueError("both runs need one list per request, and one cluster per request")
    if a_lists.shape[0] == 0:
        nan = PairedDelta(float("nan"), float("nan"), float("nan"), 0)
        return {name: nan for name in statistics}
    _, cluster = np.unique(np.asarray(clusters), return_inverse=True)
    n_clusters = int(cluster.max()) + 1
    both = np.concatenate([a_lists.ravel(), b_lists.ravel()])
    items = np.unique(both[both >= 0])  # only shown items can have a non-zero count
    per_cluster = [_cluster_histograms(lists, cluster, n_clusters, items) for lists in (a_lists, b_lists)]
    weights = _weights(_draws(n_clusters, resamples, seed), n_clusters)
    whole = _exposures(per_cluster, np.ones((1, n_clusters)))
    deltas = {name: float(fn(whole[0], items)[0] - fn(whole[1], items)[0]) for name, fn in statistics.items()}
    diffs: dict[str, list[np.ndarray]] = {name: [] for name in statistics}
    step = max(1, _CHUNK_CELLS // max(items.size, 1))
    for start in range(0, resamples, step):
        a, b = _exposures(per_cluster, weights[start : start + step])
        for name, fn in statistics.items():
            diffs[name].append(fn(a, items) - fn(b, items))
    out = {}
    for name in statistics:
        resampled = np.concatenate(diffs[name])
        shift = deltas[name] - float(resampled.mean())  # undo the shrinkage of resampling
        q_low, q_high = _interval(resampled, level)
        low, high = q_low + shift, q_high + shift
        out[name] = PairedDelta(deltas[name], low, high, int(a_lists.shape[0]))
    return out


def _draws(n_clusters: int, resamples: int, seed: int) -> np.ndarray:
    """The resampled cluster indices, (resamples, n_clusters): one seed gives every metric the same draws."""
    return np.random.default_rng(seed).integers(0, n_clusters, size=(resamples, n_clusters))


def _weights(draws: np.ndarray, n_clusters: int) -> np.ndarray:
    """How many times each cluster is drawn in each resample, (resamples, n_clusters)."""
    rows = np.repeat(np.arange(draws.shape[0]), draws.shape[1])
    flat = np.bincount(rows * n_clusters + draws.ravel(), minlength=draws.shape[0] * n_clusters)
    return flat.reshape(draws.shape[0], n_clusters).astype(np.float64)


def _cluster_histograms(
    lists: np.ndarray, cluster: np.ndarray, n_clusters: int, items: np.ndarray
) -> sparse.csr_array:
    """Counts per cluster of each of ``items`` (sorted), (n_clusters, items), sparse: a list touches few."""
    rows = np.broadcast_to(cluster[:, None], lists.shape)
    shown = lists >= 0
    columns = np.searchsorted(items, lists[shown])
    counts = sparse.coo_array((np.ones(columns.size), (rows[shown], columns)), shape=(n_clusters, items.size))
    return counts.tocsr()


def _exposures(per_cluster: list[sparse.csr_array], weights: np.ndarray) -> list[np.ndarray]:
    """Each run's exposure counts per row of cluster weights, (rows, items), C-ordered."""
    return [np.ascontiguousarray((h.T @ weights.T).T) for h in per_cluster]


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
