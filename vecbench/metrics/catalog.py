"""The one metric catalogue: every reported metric declared once, with its unit, direction, a
one-line definition, how the gate compares it (``kind``), where it applies (``scope``: index sweeps
or recommendation pipelines), its column type and what it is computed from (``needs``).

Records, the result schema, the regression gate, the results table and the reports read it instead
of guessing from names; ``parse_metric_spec('ndcg@10', Scope.PIPELINE)`` is the one ``name@k`` parser.
Two scopes may use one name with different meanings (``recall``: tie-aware recall@k of an index, or
held-out items found in a recommendation list), so a lookup always says its scope.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import Enum

from vecbench.core.errors import ConfigError, closest_hint


class MetricKind(str, Enum):
    """How a metric behaves between runs, which decides how the regression gate compares it."""

    QUALITY = "quality"  # recall, relevance: deterministic for a given index; compared by absolute drop
    SPEED = "speed"  # wall-clock throughput and latency: noisy; compared relatively, from repeated samples
    COST = "cost"  # sizes, memory, work counts: near-deterministic; compared relatively


class Scope(str, Enum):
    """Where a metric is measured: on an index sweep's points, or on a pipeline's ranked lists."""

    INDEX = "index"
    PIPELINE = "pipeline"


@dataclass(frozen=True)
class MetricInfo:
    name: str
    unit: str
    higher_is_better: bool
    definition: str
    kind: MetricKind = MetricKind.QUALITY
    scope: Scope = Scope.INDEX
    dtype: str = "float64"  # its column's pandas dtype in the result file (index sweeps)
    needs: tuple[str, ...] = ()  # what it is computed from: raw arrays, ground truth, the build


CATALOGUE: tuple[MetricInfo, ...] = (
    MetricInfo(
        "recall",
        "fraction",
        True,
        "tie-aware recall@k: returned items whose true distance is within the k-th true distance + 1e-3",
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "recall_ids",
        "fraction",
        True,
        "plain id recall@k: overlap of returned ids with the true top-k ids",
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "qps",
        "queries/s",
        True,
        "queries per second of one batch search over all queries (wall time)",
        MetricKind.SPEED,
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "cpu_ms_per_query",
        "ms",
        False,
        "process CPU time per query of the batch search (median over runs): unlike QPS it leaves "
        "out time spent waiting while other processes had the CPU",
        MetricKind.SPEED,
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "latency_p50_ms", "ms", False, "median single-query latency", MetricKind.SPEED, scope=Scope.INDEX
    ),
    MetricInfo(
        "latency_p95_ms",
        "ms",
        False,
        "95th percentile single-query latency",
        MetricKind.SPEED,
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "latency_p99_ms",
        "ms",
        False,
        "99th percentile single-query latency",
        MetricKind.SPEED,
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "latency_p999_ms",
        "ms",
        False,
        "99.9th percentile single-query latency",
        MetricKind.SPEED,
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "latency_mean_ms", "ms", False, "mean single-query latency", MetricKind.SPEED, scope=Scope.INDEX
    ),
    MetricInfo(
        "latency_max_ms", "ms", False, "slowest single-query latency", MetricKind.SPEED, scope=Scope.INDEX
    ),
    MetricInfo(
        "cpu_latency_p50_ms",
        "ms",
        False,
        "median process CPU time of one single-query call",
        MetricKind.SPEED,
        scope=Scope.INDEX,
    ),
    MetricInfo("build_s", "s", False, "wall time to build the index", MetricKind.SPEED, scope=Scope.INDEX),
    MetricInfo(
        "index_bytes",
        "bytes",
        False,
        "index size as the library reports it or as serialised",
        MetricKind.COST,
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "rss_peak_bytes",
        "bytes",
        False,
        "peak resident memory of the worker process for this build point",
        MetricKind.COST,
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "short_result_frac",
        "fraction",
        False,
        "filtered rows: share of queries that got fewer than k items back",
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "overfetch_mean",
        "x k",
        False,
        "filtered rows: mean candidates fetched from the index per query, as a multiple of k",
        MetricKind.COST,
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "filter_violations",
        "items",
        False,
        "filtered rows: returned items that fail the filter (always a bug; counted as misses)",
        MetricKind.COST,
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "distance_computations",
        "per query",
        False,
        "distance computations per query during the batch search, where the library counts them",
        MetricKind.COST,
        scope=Scope.INDEX,
    ),
    MetricInfo(
        "hit_rate",
        "fraction",
        True,
        "share of requests with at least one held-out item in the top N",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "recall",
        "fraction",
        True,
        "held-out items found in the top N over the number held out, per request",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "precision", "fraction", True, "held-out items in the top N over N, per request", scope=Scope.PIPELINE
    ),
    MetricInfo(
        "ndcg",
        "fraction",
        True,
        "DCG@N with gain 1/log2(rank+1) over the ideal DCG@N, per request",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "mrr",
        "fraction",
        True,
        "1/rank of the first held-out item within the top N (0 if none)",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "map",
        "fraction",
        True,
        "sum of precision@rank at each hit rank <= N over the number held out (AP@N), averaged",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "candidate_recall",
        "fraction",
        True,
        "held-out items present among the retrieved candidates: the ceiling the ranker can reach",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "coverage",
        "fraction",
        True,
        "share of the retrievable catalogue recommended to at least one request",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "gini",
        "index",
        False,
        "Gini index of how often each catalogue item is recommended (0 equal, 1 one item)",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "entropy",
        "fraction",
        True,
        "Shannon entropy of exposure over the catalogue divided by log2(catalogue size)",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "novelty",
        "bits",
        True,
        "mean self-information -log2 p(item), p = share of training users who had it",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "intra_list_diversity",
        "fraction",
        True,
        "mean pairwise cosine distance between a list's items",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "long_tail_share",
        "fraction",
        True,
        "share of recommended items outside the head (items taking half the interactions)",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "average_popularity",
        "events",
        False,
        "mean training interaction count of recommended items (popularity bias)",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "neighbour_jaccard",
        "fraction",
        True,
        "Jaccard@k of a probe item's nearest neighbours between two embedding versions",
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "latency_p50_ms",
        "ms",
        False,
        "median per-request latency of the stage",
        MetricKind.SPEED,
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "latency_p99_ms",
        "ms",
        False,
        "99th percentile per-request latency of the stage",
        MetricKind.SPEED,
        scope=Scope.PIPELINE,
    ),
    MetricInfo(
        "latency_mean_ms",
        "ms",
        False,
        "mean per-request latency of the stage",
        MetricKind.SPEED,
        scope=Scope.PIPELINE,
    ),
)

NEEDS: dict[str, tuple[str, ...]] = {
    "recall": ("ids", "ground_truth"),
    "recall_ids": ("ids", "ground_truth"),
    "qps": ("batch_ns",),
    "cpu_ms_per_query": ("batch_cpu_ns",),
    "cpu_latency_p50_ms": ("latencies_cpu_ns",),
    "build_s": ("build",),
    "index_bytes": ("build",),
    "rss_peak_bytes": ("worker",),
    "short_result_frac": ("ids", "filter"),
    "overfetch_mean": ("candidates", "filter"),
    "filter_violations": ("ids", "filter"),
    "distance_computations": ("library counter",),
}
INTEGER_COLUMNS = frozenset({"index_bytes", "rss_peak_bytes", "filter_violations"})


def _completed(info: MetricInfo) -> MetricInfo:
    """Fill in the column type and inputs that the short declarations above leave implicit."""
    if info.scope is Scope.PIPELINE:
        return dataclasses.replace(info, needs=info.needs or ("ranked lists", "held-out items"))
    needs = info.needs or NEEDS.get(info.name, ("latencies_ns",) if info.name.startswith("latency") else ())
    dtype = "Int64" if info.name in INTEGER_COLUMNS else info.dtype
    return dataclasses.replace(info, needs=needs, dtype=dtype)


def metrics_in(scope: Scope) -> dict[str, MetricInfo]:
    """Every metric of one scope by name, in catalogue order."""
    return {m.name: m for m in map(_completed, CATALOGUE) if m.scope is scope}


METRICS: dict[str, MetricInfo] = metrics_in(Scope.INDEX)
PIPELINE_METRICS: dict[str, MetricInfo] = metrics_in(Scope.PIPELINE)

_SPEC = re.compile(r"^(?P<name>[a-z_0-9]+?)(?:@(?P<k>\d+))?$")


def parse_metric_spec(spec: str, scope: Scope = Scope.INDEX) -> tuple[MetricInfo, int | None]:
    """'recall@10' or 'qps' -> the metric's info and its cut-off k (None when absent). A pipeline
    lookup also finds the index metrics its rows carry (stage latencies are its own)."""
    match = _SPEC.match(spec.strip().lower())
    name = match.group("name") if match else spec
    known = METRICS if scope is Scope.INDEX else {**METRICS, **PIPELINE_METRICS}
    if name not in known:
        raise ConfigError(f"unknown metric '{spec}'{closest_hint(name, known)}")
    k = match.group("k") if match else None
    return known[name], (int(k) if k else None)
