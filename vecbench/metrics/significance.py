"""Paired bootstrap and paired randomisation over users: is a difference between two pipelines real?

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
sample of users. Every interval contains its observed delta (see ``_around``).

The interval says how large a difference is; the test beside it (``paired_permutation``,
``paired_permutation_statistics``) says whether it is there at all. Under the null hypothesis the
two runs are exchangeable within each user, so each user's pair may be swapped (a sign flip of the
user's summed difference). With few users that differ, the bootstrap is optimistic (four requests
all moving one way read as "significant") while the exact randomisation distribution over every
swap pattern gives p = 2 / 2^4 = 0.125. The sign patterns are enumerated exactly when at most
``EXACT_MAX_CLUSTERS`` users differ, and drawn (seeded Monte Carlo) otherwise. ``adjust`` corrects
the p-values of a family of comparisons (Holm or Benjamini-Hochberg).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse

Statistic = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""Catalogue statistic: (rows, m) exposure counts and the m item indices of the columns -> one value
per row. The columns are the items either run shows; every other item is exposed zero times."""

_CHUNK_CELLS = 8_000_000  # resampled exposure cells held at once (64 MB of float64)
EXACT_MAX_CLUSTERS = 12  # up to 2^12 = 4,096 swap patterns are enumerated; more are drawn
_TIE = 1e-9  # relative tolerance: a permuted statistic this close to the observed one ties with it

Correction = Literal["holm", "bh", "none"]


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
    low, high = _around(delta, *_interval(means, level))
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
        low, high = _around(deltas[name], q_low + shift, q_high + shift)
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


def _around(delta: float, low: float, high: float) -> tuple[float, float]:
    """The interval widened, where needed, to hold the observed delta.

    When almost every resample gives the same difference (one user of hundreds differs), both
    percentiles sit on that value and the mean-shift of catalogue statistics moves them off the
    observed delta: an interval that excludes its own estimate and would read as significant.
    """
    return min(low, delta), max(high, delta)


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def paired_permutation(
    a: np.ndarray, b: np.ndarray, clusters: np.ndarray, permutations: int = 2000, seed: int = 0
) -> float:
    """Two-sided p of the paired randomisation test of mean(a - b), users swapped as a whole.

    Only the users whose summed difference is not zero change the statistic, so with at most
    ``EXACT_MAX_CLUSTERS`` of them every sign pattern is enumerated (an exact p); otherwise
    ``permutations`` seeded patterns are drawn and p = (1 + as extreme) / (1 + permutations).
    NaN when no request has both values.
    """
    return float(paired_permutations(np.asarray(a)[:, None], np.asarray(b)[:, None], clusters, permutations, seed)[0])


def paired_permutations(
    a: np.ndarray, b: np.ndarray, clusters: np.ndarray, permutations: int = 2000, seed: int = 0
) -> np.ndarray:
    """``paired_permutation`` for each column of (requests, metrics) ``a`` and ``b`` at once: one
    set of drawn sign patterns over every user serves all columns (one matrix product)."""
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    valid = np.isfinite(diff)
    _, cluster = np.unique(np.asarray(clusters), return_inverse=True)
    n_clusters = int(cluster.max()) + 1 if cluster.size else 0
    member = sparse.csr_array(
        (np.ones(cluster.size), (cluster, np.arange(cluster.size))), shape=(n_clusters, cluster.size)
    )
    sums = np.asarray(member @ np.where(valid, diff, 0.0))  # (clusters, metrics)
    observed = np.abs(sums.sum(axis=0))
    out = np.full(diff.shape[1], np.nan)
    drawn = []
    for j in range(diff.shape[1]):
        moving = sums[sums[:, j] != 0, j]
        if not valid[:, j].any():
            continue
        if moving.size == 0:
            out[j] = 1.0
        elif moving.size <= EXACT_MAX_CLUSTERS:
            out[j] = float(np.mean(np.abs(_all_signs(moving.size) @ moving) >= _threshold(float(observed[j]))))
        else:
            drawn.append(j)
    if drawn:
        signs = _random_signs(n_clusters, permutations, seed)
        permuted = np.abs(signs @ sums[:, drawn])  # (permutations, drawn)
        extreme = (permuted >= (observed[drawn] * (1 - _TIE) - 1e-15)[None, :]).sum(axis=0)
        out[drawn] = (1 + extreme) / (1 + permutations)
    return out


def paired_permutation_statistics(
    a_lists: np.ndarray,
    b_lists: np.ndarray,
    clusters: np.ndarray,
    statistics: Mapping[str, Statistic],
    permutations: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """``paired_permutation`` for catalogue statistics: each swap pattern exchanges whole users'
    lists between the runs and the statistic is recomputed on both runs' exposures."""
    a_lists, b_lists = np.asarray(a_lists, np.int64), np.asarray(b_lists, np.int64)
    if a_lists.shape[0] != b_lists.shape[0] or a_lists.shape[0] != len(clusters):
        raise ValueError("both runs need one list per request, and one cluster per request")
    if a_lists.shape[0] == 0:
        return {name: float("nan") for name in statistics}
    _, cluster = np.unique(np.asarray(clusters), return_inverse=True)
    n_clusters = int(cluster.max()) + 1
    both = np.concatenate([a_lists.ravel(), b_lists.ravel()])
    items = np.unique(both[both >= 0])
    ha, hb = (_cluster_histograms(lists, cluster, n_clusters, items) for lists in (a_lists, b_lists))
    change = (hb - ha).tocsr()  # what swapping a user moves from A to B
    change.eliminate_zeros()
    moving = np.flatnonzero(np.diff(change.indptr) > 0)
    if moving.size == 0:
        return {name: 1.0 for name in statistics}
    change = change[moving]
    total_a, total_b = (np.asarray(h.sum(axis=0)).ravel() for h in (ha, hb))
    exact = moving.size <= EXACT_MAX_CLUSTERS
    signs = _all_signs(moving.size) if exact else _random_signs(moving.size, permutations, seed)
    swapped = (1 - signs) / 2  # +1 keeps a user's pair, -1 swaps it
    observed = {
        name: abs(float(fn(total_a[None], items)[0] - fn(total_b[None], items)[0])) for name, fn in statistics.items()
    }
    extreme = dict.fromkeys(statistics, 0)
    step = max(1, _CHUNK_CELLS // max(items.size, 1))
    for start in range(0, swapped.shape[0], step):
        moved = np.ascontiguousarray((change.T @ swapped[start : start + step].T).T)
        a, b = total_a[None] + moved, total_b[None] - moved
        for name, fn in statistics.items():
            extreme[name] += int((np.abs(fn(a, items) - fn(b, items)) >= _threshold(observed[name])).sum())
    if exact:
        return {name: extreme[name] / signs.shape[0] for name in statistics}
    return {name: (1 + extreme[name]) / (1 + permutations) for name in statistics}


def adjust(p_values: np.ndarray, method: Correction = "holm") -> np.ndarray:
    """Corrected p-values of one family of tests (NaN entries are not tests and stay NaN).

    ``holm`` controls the family-wise error rate (step-down Bonferroni); ``bh`` the false discovery
    rate (Benjamini-Hochberg step-up); ``none`` returns them as they are.
    """
    p = np.asarray(p_values, np.float64)
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    m = tested.size
    if m == 0:
        return out
    if method == "none":
        out[tested] = p[tested]
        return out
    order = tested[np.argsort(p[tested], kind="stable")]
    ranked = p[order]
    if method == "holm":
        adjusted = np.maximum.accumulate(ranked * (m - np.arange(m)))
    elif method == "bh":
        adjusted = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    else:
        raise ValueError(f"unknown correction {method!r}; use holm, bh or none")
    out[order] = np.minimum(adjusted, 1.0)
    return out


def _threshold(observed: float) -> float:
    """What a permuted |statistic| must reach to count as at least as extreme (ties included)."""
    return observed * (1 - _TIE) - 1e-15


def _all_signs(m: int) -> np.ndarray:
    """Every sign pattern over m users, (2^m, m) of +-1."""
    return np.array(list(itertools.product((1.0, -1.0), repeat=m)))


def _random_signs(m: int, permutations: int, seed: int) -> np.ndarray:
    """Seeded random sign patterns, (permutations, m) of +-1 (one random bit each: fast)."""
    bits = np.unpackbits(np.frombuffer(np.random.default_rng(seed).bytes(-(-permutations * m // 8)), np.uint8))
    return bits[: permutations * m].reshape(permutations, m).astype(np.float64) * 2 - 1
