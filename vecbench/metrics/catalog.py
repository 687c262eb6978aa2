"""Metadata for every reported metric: unit, direction and a one-line definition.

Reports, the results table and the regression gate read this instead of guessing from names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from vecbench.errors import ConfigError, closest_hint


class MetricKind(str, Enum):
    """How a metric behaves between runs, which decides how the regression gate compares it."""

    QUALITY = "quality"  # recall, relevance: deterministic for a given index; compared by absolute drop
    SPEED = "speed"  # wall-clock throughput and latency: noisy; compared relatively, from repeated samples
    COST = "cost"  # sizes, memory, work counts: near-deterministic; compared relatively


@dataclass(frozen=True)
class MetricInfo:
    name: str
    unit: str
    higher_is_better: bool
    definition: str
    kind: MetricKind = MetricKind.QUALITY


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        MetricInfo(
            "recall",
            "fraction",
            True,
            "tie-aware recall@k: returned items whose true distance is within the k-th true distance + 1e-3",
        ),
        MetricInfo(
            "recall_ids",
            "fraction",
            True,
            "plain id recall@k: overlap of returned ids with the true top-k ids",
        ),
        MetricInfo(
            "qps",
            "queries/s",
            True,
            "queries per second of one batch search over all queries (wall time)",
            MetricKind.SPEED,
        ),
        MetricInfo(
            "cpu_ms_per_query",
            "ms",
            False,
            "process CPU time per query of the batch search (median over runs): unlike QPS it leaves "
            "out time spent waiting while other processes had the CPU",
            MetricKind.SPEED,
        ),
        MetricInfo("latency_p50_ms", "ms", False, "median single-query latency", MetricKind.SPEED),
        MetricInfo("latency_p95_ms", "ms", False, "95th percentile single-query latency", MetricKind.SPEED),
        MetricInfo("latency_p99_ms", "ms", False, "99th percentile single-query latency", MetricKind.SPEED),
        MetricInfo(
            "latency_p999_ms", "ms", False, "99.9th percentile single-query latency", MetricKind.SPEED
        ),
        MetricInfo("latency_mean_ms", "ms", False, "mean single-query latency", MetricKind.SPEED),
        MetricInfo("latency_max_ms", "ms", False, "slowest single-query latency", MetricKind.SPEED),
        MetricInfo(
            "cpu_latency_p50_ms",
            "ms",
            False,
            "median process CPU time of one single-query call",
            MetricKind.SPEED,
        ),
        MetricInfo("build_s", "s", False, "wall time to build the index", MetricKind.SPEED),
        MetricInfo(
            "index_bytes",
            "bytes",
            False,
            "index size as the library reports it or as serialised",
            MetricKind.COST,
        ),
        MetricInfo(
            "rss_peak_bytes",
            "bytes",
            False,
            "peak resident memory of the worker process for this build point",
            MetricKind.COST,
        ),
        MetricInfo(
            "short_result_frac",
            "fraction",
            False,
            "filtered rows: share of queries that got fewer than k items back",
        ),
        MetricInfo(
            "overfetch_mean",
            "x k",
            False,
            "filtered rows: mean candidates fetched from the index per query, as a multiple of k",
            MetricKind.COST,
        ),
        MetricInfo(
            "filter_violations",
            "items",
            False,
            "filtered rows: returned items that fail the filter (always a bug; counted as misses)",
            MetricKind.COST,
        ),
        MetricInfo(
            "distance_computations",
            "per query",
            False,
            "distance computations per query during the batch search, where the library counts them",
            MetricKind.COST,
        ),
    ]
}

_SPEC = re.compile(r"^(?P<name>[a-z_]+?)(?:@(?P<k>\d+))?$")


def parse_metric_spec(spec: str) -> tuple[MetricInfo, int | None]:
    """Parse 'recall@10' or 'qps' into the metric's info and its cut-off k (None when absent)."""
    match = _SPEC.match(spec.strip().lower())
    name = match.group("name") if match else spec
    if name not in METRICS:
        raise ConfigError(f"unknown metric '{spec}'{closest_hint(name, METRICS)}")
    k = match.group("k") if match else None
    return METRICS[name], (int(k) if k else None)
