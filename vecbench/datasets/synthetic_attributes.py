"""Synthetic item attributes for any vectors, with controlled selectivity and correlation.

Filters hurt graph indexes most when the passing items sit together in vector space, away from most
queries (the attribute follows the clusters); a filter that cuts across clusters is the easy case.
So every generated set has both, on a scale where the pass-rate is exact:

- ``uniform``: a random permutation of (rank + 0.5) / n, independent of the vectors;
- ``clustered``: the same values ordered by k-means cluster (clusters in random order, items nearest
  their centre first), so ``clustered < p`` selects whole clusters;

so ``{uniform: {lt: p}}`` passes exactly round(p * n) items. ``uniform_band``/``clustered_band`` are
the same scores cut at the standard pass-rates (categorical, for the partition strategy), and
``category``, ``tags``, ``price``, ``available`` and ``published`` give one attribute of every kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from vecbench.core.params import Metric, ParamSpec, resolve_params
from vecbench.datasets.attributes import (
    Attributes,
    BooleanColumn,
    CategoricalColumn,
    Column,
    NumericColumn,
    TagsColumn,
    TimestampColumn,
)
from vecbench.metrics.distances import normalised

# Cut points of the band attributes: the pass-rates of the standard selectivity sweep.
PASS_RATE_BANDS = (0.001, 0.01, 0.1, 0.5, 0.9)
UNCORRELATED_SCORE = "uniform"
CORRELATED_SCORE = "clustered"
PUBLISHED_FROM = np.datetime64("2015-01-01T00:00:00", "s")
PUBLISHED_SPAN_S = 10 * 365 * 86_400

OPTIONS: Mapping[str, ParamSpec] = {
    "seed": ParamSpec(int, 0, "generator seed", minimum=0),
    "n_clusters": ParamSpec(int, 64, "k-means clusters the correlated attributes follow", minimum=1),
    "kmeans_iters": ParamSpec(int, 5, "Lloyd iterations of that k-means", minimum=0),
    "n_categories": ParamSpec(int, 8, "values of 'category'", minimum=1),
    "category_skew": ParamSpec(float, 1.0, "Zipf exponent of category sizes (0: equal sizes)", minimum=0.0),
    "category_correlation": ParamSpec(
        float,
        0.0,
        "share of items whose category is their cluster's (0: random, 1: follows clusters)",
        minimum=0.0,
        maximum=1.0,
    ),
    "n_tags": ParamSpec(int, 20, "vocabulary of 'tags'", minimum=1),
    "tags_per_item": ParamSpec(int, 3, "tags per item (at most n_tags)", minimum=0),
    "available_rate": ParamSpec(float, 0.9, "share of items with available = true", minimum=0.0, maximum=1.0),
}


def generate_attributes(base: np.ndarray, metric: Metric, options: Mapping[str, Any]) -> Attributes:
    """Attributes for ``base`` (n, d); identical for the same vectors, metric and options."""
    p = resolve_params("attributes.generate", OPTIONS, options)
    n = int(base.shape[0])
    p["tags_per_item"] = min(p["tags_per_item"], p["n_tags"])
    seeds = np.random.SeedSequence([p["seed"], 0x5EC7]).spawn(6)
    rng = [np.random.default_rng(s) for s in seeds]
    labels, centre_distance = kmeans_labels(base, metric, min(p["n_clusters"], n), p["kmeans_iters"], rng[0])
    uniform_rank = rng[1].permutation(n)
    cluster_order = rng[1].permutation(int(labels.max()) + 1)
    clustered_rank = np.empty(n, dtype=np.int64)
    clustered_rank[np.lexsort((np.arange(n), centre_distance, cluster_order[labels]))] = np.arange(n)
    uniform = (uniform_rank + 0.5) / n
    clustered = (clustered_rank + 0.5) / n
    columns: dict[str, Column] = {
        UNCORRELATED_SCORE: NumericColumn(uniform),
        CORRELATED_SCORE: NumericColumn(clustered),
        f"{UNCORRELATED_SCORE}_band": band_column(uniform),
        f"{CORRELATED_SCORE}_band": band_column(clustered),
        "category": _category(labels, p, rng[2]),
        "tags": _tags(n, p["n_tags"], p["tags_per_item"], rng[3]),
        "price": NumericColumn(np.round(rng[4].lognormal(3.0, 1.0, n), 2)),
        "available": BooleanColumn(rng[4].random(n) < p["available_rate"]),
        "published": TimestampColumn(
            PUBLISHED_FROM + rng[5].integers(0, PUBLISHED_SPAN_S, n).astype("timedelta64[s]")
        ),
    }
    described = ", ".join(f"{k}={v}" for k, v in p.items())
    return Attributes(columns, source=f"generated attributes ({described})")


def kmeans_labels(
    base: np.ndarray, metric: Metric, n_clusters: int, iterations: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster of every item and its squared distance to the centre (float64 Lloyd, seeded start).

    Plain NumPy in float64 rather than a library, so the runner and every worker derive the same
    labels from the same vectors.
    """
    x = np.asarray(normalised(base) if metric is not Metric.EUCLIDEAN else base, dtype=np.float64)
    centres = x[rng.choice(x.shape[0], size=n_clusters, replace=False)]
    labels, dist = _assign(x, centres)
    for _ in range(iterations):
        sums = np.zeros_like(centres)
        np.add.at(sums, labels, x)
        counts = np.bincount(labels, minlength=n_clusters)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
        labels, dist = _assign(x, centres)
    return labels, dist


def _assign(x: np.ndarray, centres: np.ndarray, block: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
    labels = np.empty(x.shape[0], dtype=np.int64)
    dist = np.empty(x.shape[0], dtype=np.float64)
    c_sq = (centres * centres).sum(axis=1)
    for start in range(0, x.shape[0], block):
        part = x[start : start + block]
        d = c_sq[None, :] - 2.0 * part @ centres.T
        labels[start : start + block] = d.argmin(axis=1)
        dist[start : start + block] = d.min(axis=1) + (part * part).sum(axis=1)
    return labels, dist


def band_column(scores: np.ndarray, cuts: tuple[float, ...] = PASS_RATE_BANDS) -> CategoricalColumn:
    """Categorical band of each score: 'p0.001' holds scores below 0.001, ..., 'p1' the rest."""
    names = tuple(f"p{c:g}" for c in (*cuts, 1.0))
    return CategoricalColumn(np.searchsorted(np.asarray(cuts), scores, side="right").astype(np.int32), names)


def _zipf_weights(count: int, skew: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1, dtype=np.float64) ** skew
    return weights / weights.sum()


def _category(labels: np.ndarray, p: Mapping[str, Any], rng: np.random.Generator) -> CategoricalColumn:
    weights = _zipf_weights(p["n_categories"], p["category_skew"])
    per_cluster = rng.choice(p["n_categories"], size=int(labels.max()) + 1, p=weights)
    independent = rng.choice(p["n_categories"], size=labels.shape[0], p=weights)
    follow = rng.random(labels.shape[0]) < p["category_correlation"]
    codes = np.where(follow, per_cluster[labels], independent).astype(np.int32)
    width = len(str(p["n_categories"] - 1))
    return CategoricalColumn(codes, tuple(f"c{i:0{width}d}" for i in range(p["n_categories"])))


def _tags(n: int, n_tags: int, per_item: int, rng: np.random.Generator) -> TagsColumn:
    """``per_item`` distinct tags per item, popular ones more often (Gumbel top-k sampling)."""
    width = len(str(n_tags - 1))
    vocabulary = tuple(f"t{i:0{width}d}" for i in range(n_tags))
    indptr = np.arange(n + 1, dtype=np.int64) * per_item
    if per_item == 0:
        return TagsColumn(indptr, np.empty(0, dtype=np.int32), vocabulary)
    keys = np.log(_zipf_weights(n_tags, 1.0))[None, :] + rng.gumbel(size=(n, n_tags))
    chosen = np.sort(np.argpartition(-keys, per_item - 1, axis=1)[:, :per_item], axis=1)
    return TagsColumn(indptr, chosen.astype(np.int32).ravel(), vocabulary)
