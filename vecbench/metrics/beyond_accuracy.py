"""Beyond accuracy: what the lists expose, how novel and how varied they are.

``lists`` is a (requests, n) matrix of dense item indices with -1 pads. Catalogue-level measures
(coverage, Gini, entropy) return one number; per-list measures return one value per request.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vecbench.metrics.significance import Statistic


def exposure(lists: np.ndarray, n_items: int) -> np.ndarray:
    """How often each catalogue item appears across all lists."""
    flat = np.asarray(lists, dtype=np.int64).ravel()
    return np.bincount(flat[flat >= 0], minlength=n_items).astype(np.float64)


def coverage(lists: np.ndarray, catalogue: np.ndarray) -> float:
    """Share of the catalogue (the retrievable items) recommended to at least one request."""
    return float(coverage_of(_whole(lists, catalogue), catalogue.size)[0])


def gini(lists: np.ndarray, catalogue: np.ndarray) -> float:
    """Gini index of exposure over the catalogue: 0 when every item is shown equally, 1 when one item takes all."""
    return float(gini_of(_whole(lists, catalogue), catalogue.size)[0])


def entropy(lists: np.ndarray, catalogue: np.ndarray) -> float:
    """Shannon entropy of the exposure distribution over the catalogue, divided by log2(catalogue size)."""
    return float(entropy_of(_whole(lists, catalogue), catalogue.size)[0])


# Row-wise forms, one row per bootstrap resample: ``x`` holds exposure counts of some catalogue items
# (columns), ``size`` is the catalogue size; the items not in ``x`` are exposed zero times.
def coverage_of(x: np.ndarray, size: int) -> np.ndarray:
    """``coverage`` of each row."""
    return (x > 0).sum(axis=1) / size if size else np.zeros(x.shape[0])


def gini_of(x: np.ndarray, size: int) -> np.ndarray:
    """``gini`` of each row (0 for an empty row): the missing items are zeros, sorted first."""
    total = x.sum(axis=1)
    ranks = np.arange(size - x.shape[1] + 1, size + 1, dtype=np.float64)
    weighted = np.sort(x, axis=1) @ (2 * ranks - size - 1)
    return np.divide(weighted, size * total, out=np.zeros(x.shape[0]), where=total > 0)


def entropy_of(x: np.ndarray, size: int) -> np.ndarray:
    """``entropy`` of each row (0 for an empty row or a catalogue of one): log2 T - sum(x log2 x) / T."""
    total = x.sum(axis=1)
    if size < 2:
        return np.zeros(x.shape[0])
    xlogx = np.where(x > 0, x * np.log2(np.where(x > 0, x, 1.0)), 0.0).sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, np.log2(safe) - xlogx / safe, 0.0) / np.log2(size)


RowWise = Callable[[np.ndarray, int], np.ndarray]
CATALOGUE_METRICS: dict[str, RowWise] = {"coverage": coverage_of, "gini": gini_of, "entropy": entropy_of}
"""Catalogue-level metrics by name, in their row-wise form."""


def on_catalogue(fn: RowWise, catalogue: np.ndarray) -> Statistic:
    """A bootstrap statistic: ``fn`` over the columns of ``x`` whose item (``items``) is in ``catalogue``."""

    def statistic(x: np.ndarray, items: np.ndarray) -> np.ndarray:
        return fn(x[:, np.isin(items, catalogue)], catalogue.size)

    return statistic


def _whole(lists: np.ndarray, catalogue: np.ndarray) -> np.ndarray:
    return exposure(lists, int(catalogue.max()) + 1)[None, catalogue]


def novelty(lists: np.ndarray, item_users: np.ndarray, n_users: int) -> np.ndarray:
    """Mean self-information -log2 p(i) of a list's items, p(i) = (training users of i + 1) / (users + 1)."""
    p = (np.asarray(item_users, np.float64) + 1.0) / (n_users + 1.0)
    return _per_list(lists, -np.log2(p))


def average_popularity(lists: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mean training interaction count of a list's items (ARP)."""
    return _per_list(lists, np.asarray(counts, np.float64))


def long_tail_share(lists: np.ndarray, is_head: np.ndarray) -> np.ndarray:
    """Share of a list's items outside the head (the most popular items that take half the interactions)."""
    return _per_list(lists, (~np.asarray(is_head, bool)).astype(np.float64))


def intra_list_diversity(lists: np.ndarray, unit_vectors: np.ndarray) -> np.ndarray:
    """Mean pairwise cosine distance (1 - cos) between a list's items; ``unit_vectors`` by dense item index."""
    lists = np.asarray(lists, dtype=np.int64)
    out = np.full(lists.shape[0], np.nan)
    for r, row in enumerate(lists):
        items = row[row >= 0]
        if items.size < 2:
            continue
        v = unit_vectors[items]
        sims = v @ v.T
        n = items.size
        out[r] = 1.0 - (sims.sum() - np.trace(sims)) / (n * (n - 1))
    return out


def head_items(counts: np.ndarray, share: float = 0.5) -> np.ndarray:
    """Mask of the most popular items that together take ``share`` of all interactions."""
    counts = np.asarray(counts, np.float64)
    order = np.argsort(-counts, kind="stable")
    cumulative = np.cumsum(counts[order]) / max(counts.sum(), 1.0)
    head = np.zeros(counts.size, dtype=bool)
    head[order[: int(np.searchsorted(cumulative, share)) + 1]] = True
    head &= counts > 0
    return head


def popularity_buckets(counts: np.ndarray, shares: tuple[float, float] = (0.5, 0.8)) -> np.ndarray:
    """0 head / 1 torso / 2 tail per item, by cumulative share of interactions (unseen items: tail)."""
    head = head_items(counts, shares[0])
    torso = head_items(counts, shares[1]) & ~head
    return np.where(head, 0, np.where(torso, 1, 2))


def _per_list(lists: np.ndarray, values: np.ndarray) -> np.ndarray:
    lists = np.asarray(lists, dtype=np.int64)
    valid = lists >= 0
    picked = np.where(valid, values[np.maximum(lists, 0)], 0.0)
    n = valid.sum(axis=1)
    return np.divide(picked.sum(axis=1), n, out=np.full(lists.shape[0], np.nan), where=n > 0)
