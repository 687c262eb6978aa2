"""Metadata for the recommendation-pipeline metrics: unit, direction and a one-line definition.

A sibling of ``catalog.METRICS`` (index metrics); ``describe('ndcg@10')`` looks in both.
"""

from __future__ import annotations

import re

from vecbench.errors import ConfigError, closest_hint
from vecbench.metrics.catalog import METRICS, MetricInfo, MetricKind

PIPELINE_METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        MetricInfo(
            "hit_rate", "fraction", True, "share of requests with at least one held-out item in the top N"
        ),
        MetricInfo(
            "recall",
            "fraction",
            True,
            "held-out items found in the top N over the number held out, per request",
        ),
        MetricInfo("precision", "fraction", True, "held-out items in the top N over N, per request"),
        MetricInfo(
            "ndcg", "fraction", True, "DCG@N with gain 1/log2(rank+1) over the ideal DCG@N, per request"
        ),
        MetricInfo("mrr", "fraction", True, "1/rank of the first held-out item within the top N (0 if none)"),
        MetricInfo(
            "map",
            "fraction",
            True,
            "sum of precision@rank at each hit rank <= N over the number held out (AP@N), averaged",
        ),
        MetricInfo(
            "candidate_recall",
            "fraction",
            True,
            "held-out items present among the retrieved candidates: the ceiling the ranker can reach",
        ),
        MetricInfo(
            "coverage",
            "fraction",
            True,
            "share of the retrievable catalogue recommended to at least one request",
        ),
        MetricInfo(
            "gini",
            "index",
            False,
            "Gini index of how often each catalogue item is recommended (0 equal, 1 one item)",
        ),
        MetricInfo(
            "entropy",
            "fraction",
            True,
            "Shannon entropy of exposure over the catalogue divided by log2(catalogue size)",
        ),
        MetricInfo(
            "novelty",
            "bits",
            True,
            "mean self-information -log2 p(item), p = share of training users who had it",
        ),
        MetricInfo(
            "intra_list_diversity", "fraction", True, "mean pairwise cosine distance between a list's items"
        ),
        MetricInfo(
            "long_tail_share",
            "fraction",
            True,
            "share of recommended items outside the head (items taking half the interactions)",
        ),
        MetricInfo(
            "average_popularity",
            "events",
            False,
            "mean training interaction count of recommended items (popularity bias)",
        ),
        MetricInfo(
            "neighbour_jaccard",
            "fraction",
            True,
            "Jaccard@k of a probe item's nearest neighbours between two embedding versions",
        ),
        MetricInfo(
            "latency_p50_ms", "ms", False, "median per-request latency of the stage", MetricKind.SPEED
        ),
        MetricInfo(
            "latency_p99_ms",
            "ms",
            False,
            "99th percentile per-request latency of the stage",
            MetricKind.SPEED,
        ),
        MetricInfo("latency_mean_ms", "ms", False, "mean per-request latency of the stage", MetricKind.SPEED),
    ]
}

_SPEC = re.compile(r"^(?P<name>[a-z_0-9]+?)(?:@(?P<k>\d+))?$")


def describe(spec: str) -> tuple[MetricInfo, int | None]:
    """'ndcg@10' -> (its info, 10); pipeline metrics first, then the index metrics."""
    match = _SPEC.match(spec.strip().lower())
    name = match.group("name") if match else spec
    known = {**METRICS, **PIPELINE_METRICS}
    if name not in known:
        raise ConfigError(f"unknown metric '{spec}'{closest_hint(name, known)}")
    k = match.group("k") if match else None
    return known[name], (int(k) if k else None)
