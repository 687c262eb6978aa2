"""Neighbour-set stability between two embedding versions (two models, or two time windows).

For a fixed probe set of items, each version's exact k nearest neighbours are computed (the probe
itself excluded) and compared with Jaccard |A n B| / |A u B|: 1 when the neighbourhoods agree,
0 when they share nothing.
"""

from __future__ import annotations

import numpy as np

from vecbench.core.params import Metric
from vecbench.metrics.distances import pairwise_distances


def neighbour_lists(
    items: np.ndarray, vectors: np.ndarray, probes: np.ndarray, k: int, metric: Metric
) -> list[np.ndarray]:
    """Exact top-k neighbour item ids of each probe item (which must be in ``items``) within one version."""
    row = {int(item): i for i, item in enumerate(np.asarray(items).tolist())}
    probe_rows = np.array([row[int(p)] for p in probes], dtype=np.int64)
    distances = pairwise_distances(vectors[probe_rows], vectors, metric)
    distances[np.arange(len(probe_rows)), probe_rows] = np.inf
    k = min(k, len(items) - 1)
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return [np.asarray(items)[n] for n in nearest]


def jaccard(a: list[np.ndarray], b: list[np.ndarray]) -> np.ndarray:
    """Per-probe Jaccard similarity of two neighbour-list families."""
    out = np.empty(len(a))
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        union = np.union1d(x, y).size
        out[i] = np.intersect1d(x, y).size / union if union else 1.0
    return out


def neighbour_stability(
    version_a: tuple[np.ndarray, np.ndarray],
    version_b: tuple[np.ndarray, np.ndarray],
    probes: np.ndarray,
    k: int,
    metric: Metric,
    metric_b: Metric | None = None,
) -> np.ndarray:
    """Jaccard@k of each probe's neighbours in version a vs version b; versions are (items, vectors).

    ``metric_b`` is version b's metric when it differs (two models compared, e.g. SVD vs MiniLM).
    """
    return jaccard(
        neighbour_lists(*version_a, probes, k, metric),
        neighbour_lists(*version_b, probes, k, metric_b or metric),
    )
