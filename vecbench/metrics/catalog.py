"""The one metric catalogue: every reported metric declared once, with its unit, direction, a
one-line definition, how the gate compares it (``kind``), where it applies (``scope``: index sweeps
or recommendation pipelines), its column type and what it is computed from (``needs``).

Records, the result schema, the regression gate, the results table and the reports read it instead
of guessing from names; ``parse_metric_spec('ndcg@10', Scope.PIPELINE)`` is the one ``name@k`` parser.
Two scopes may use one name with different meanings (``recall``: tie-aware recall@k of an index, or
held-out items found in a recommendation list), so a lookup always says its scope.
"""

from __future__ import annotations

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
        needs=("ids", "ground_truth"),
    ),
    MetricInfo(
        "recall_ids",
        "fraction",
        True,
        "plain id recall@k: overlap of returned ids with the true top-k ids",
        needs=("ids", "ground_truth"),
    ),
    MetricInfo(
        "qps",
        "queries/s",
        True,
        "queries per second of one batch search over all queries (wall time)",
        kind=MetricKind.SPEED,
        needs=("batch_ns",),
    ),
    MetricInfo(
        "cpu_ms_per_query",
        "ms",
        False,
        "process CPU time per query of the batch search (median over runs): unlike QPS it leaves out time spent waiting while other processes had the CPU",
        kind=MetricKind.SPEED,
        needs=("batch_cpu_ns",),
    ),
    MetricInfo(
        "latency_p50_ms",
        "ms",
        False,
        "median single-query latency",
        kind=MetricKind.SPEED,
        needs=("latencies_ns",),
    ),
    MetricInfo(
        "latency_p95_ms",
        "ms",
        False,
        "95th percentile single-query latency",
        kind=MetricKind.SPEED,
        needs=("latencies_ns",),
    ),
    MetricInfo(
        "latency_p99_ms",
        "ms",
        False,
        "99th percentile single-query latency",
        kind=MetricKind.SPEED,
        needs=("latencies_ns",),
    ),
    MetricInfo(
        "latency_p999_ms",
        "ms",
        False,
        "99.9th percentile single-query latency",
        kind=MetricKind.SPEED,
        needs=("latencies_ns",),
    ),
    MetricInfo(
        "latency_mean_ms",
        "ms",
        False,
        "mean single-query latency",
        kind=MetricKind.SPEED,
        needs=("latencies_ns",),
    ),
    MetricInfo(
        "latency_max_ms",
        "ms",
        False,
        "slowest single-query latency",
        kind=MetricKind.SPEED,
        needs=("latencies_ns",),
    ),
    MetricInfo(
        "cpu_latency_p50_ms",
        "ms",
        False,
        "median process CPU time of one single-query call",
        kind=MetricKind.SPEED,
        needs=("latencies_cpu_ns",),
    ),
    MetricInfo(
        "build_s", "s", False, "wall time to build the index", kind=MetricKind.SPEED, needs=("build",)
    ),
    MetricInfo(
        "index_bytes",
        "bytes",
        False,
        "index size as the library reports it or as serialised",
        kind=MetricKind.COST,
        dtype="Int64",
        needs=("build",),
    ),
    MetricInfo(
        "rss_peak_bytes",
        "bytes",
        False,
        "peak resident memory of the worker process for this build point",
        kind=MetricKind.COST,
        dtype="Int64",
        needs=("worker",),
    ),
    # issue 13: what a database server adds beside each point (null for in-process adapters)
    MetricInfo(
        "load_s", "s", False, "remote adapters: wall time of the bulk insert, inside build_s",
        kind=MetricKind.SPEED, needs=("build",),
    ),
    MetricInfo(
        "index_build_s", "s", False, "remote adapters: wall time of the index build after loading, inside build_s",
        kind=MetricKind.SPEED, needs=("build",),
    ),
    MetricInfo(
        "roundtrip_ms", "ms", False, "remote adapters: median no-op round trip to the server, measured beside the point",
        kind=MetricKind.SPEED, needs=("roundtrip_ns",),
    ),
    MetricInfo(
        "server_ms_p50", "ms", False, "remote adapters: median server-side execution time of one query (EXPLAIN ANALYZE)",
        kind=MetricKind.SPEED, needs=("server_ns",),
    ),
    MetricInfo(
        "roundtrip_share", "fraction", False, "remote adapters: no-op round trip over median single-query latency",
        kind=MetricKind.SPEED, needs=("roundtrip_ns", "latencies_ns"),
    ),
    MetricInfo(
        "server_memory_bytes", "bytes", False, "remote adapters: the server processes' memory (PSS) after the point",
        kind=MetricKind.COST, dtype="Int64", needs=("server",),
    ),
    MetricInfo(
        "short_result_frac",
        "fraction",
        False,
        "filtered rows: share of queries that got fewer than k items back",
        needs=("ids", "filter"),
    ),
    MetricInfo(
        "overfetch_mean",
        "x k",
        False,
        "filtered rows: mean candidates fetched from the index per query, as a multiple of k",
        kind=MetricKind.COST,
        needs=("candidates", "filter"),
    ),
    MetricInfo(
        "filter_violations",
        "items",
        False,
        "filtered rows: returned items that fail the filter (always a bug; counted as misses)",
        kind=MetricKind.COST,
        dtype="Int64",
        needs=("ids", "filter"),
    ),
    MetricInfo(
        "distance_computations",
        "per query",
        False,
        "distance computations per query during the batch search, where the library counts them",
        kind=MetricKind.COST,
        needs=("library counter",),
    ),
    # Streaming runbooks (vecbench.streaming): one row per point summarises its steps.
    MetricInfo(
        "recall_mean",
        "fraction",
        True,
        "streaming: tie-aware recall@k averaged over the runbook's search steps (each against the items live then)",
        needs=("ids per step", "ground truth per step"),
    ),
    MetricInfo(
        "recall_min",
        "fraction",
        True,
        "streaming: the lowest tie-aware recall@k of any search step (worst_step names it)",
        needs=("ids per step", "ground truth per step"),
    ),
    MetricInfo(
        "deleted_returned",
        "ids",
        False,
        "streaming: returned ids not live at their search step, summed over steps (0 for a correct index)",
        kind=MetricKind.COST,
        dtype="Int64",
        needs=("ids per step", "runbook"),
    ),
    MetricInfo(
        "insert_rows_per_s",
        "rows/s",
        True,
        "streaming: rows inserted incrementally per second of insert calls (not the first build)",
        kind=MetricKind.SPEED,
        needs=("step_ns",),
    ),
    MetricInfo(
        "delete_rows_per_s",
        "rows/s",
        True,
        "streaming: rows deleted incrementally per second of delete calls",
        kind=MetricKind.SPEED,
        needs=("step_ns",),
    ),
    MetricInfo(
        "visible_p50_ms",
        "ms",
        False,
        "streaming: median time from the start of an item's insert call until a search with its own vector returns it in the top k",
        kind=MetricKind.SPEED,
        needs=("visible_ns",),
    ),
    MetricInfo(
        "visible_p99_ms",
        "ms",
        False,
        "streaming: 99th percentile of the time until an inserted item is found by its own vector",
        kind=MetricKind.SPEED,
        needs=("visible_ns",),
    ),
    MetricInfo(
        "gone_p50_ms",
        "ms",
        False,
        "streaming: median time from the start of a delete call until the item is no longer returned for its own vector",
        kind=MetricKind.SPEED,
        needs=("gone_ns",),
    ),
    MetricInfo(
        "gone_p99_ms",
        "ms",
        False,
        "streaming: 99th percentile of the time until a deleted item is no longer returned",
        kind=MetricKind.SPEED,
        needs=("gone_ns",),
    ),
    MetricInfo(
        "rebuilds",
        "rebuilds",
        False,
        "streaming: rebuilds the update policy made during the run",
        kind=MetricKind.COST,
        dtype="Int64",
        needs=("rebuild_ns",),
    ),
    MetricInfo(
        "rebuild_s",
        "s",
        False,
        "streaming: total time of those rebuilds (blocking, timed inside the run)",
        kind=MetricKind.SPEED,
        needs=("rebuild_ns",),
    ),
    MetricInfo(
        "hit_rate",
        "fraction",
        True,
        "share of requests with at least one held-out item in the top N",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "recall",
        "fraction",
        True,
        "held-out items found in the top N over the number held out, per request",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "precision",
        "fraction",
        True,
        "held-out items in the top N over N, per request",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "ndcg",
        "fraction",
        True,
        "DCG@N with gain 1/log2(rank+1) over the ideal DCG@N, per request",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "mrr",
        "fraction",
        True,
        "1/rank of the first held-out item within the top N (0 if none)",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "map",
        "fraction",
        True,
        "sum of precision@rank at each hit rank <= N over the number held out (AP@N), averaged",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "candidate_recall",
        "fraction",
        True,
        "held-out items present among the retrieved candidates: the ceiling the ranker can reach",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "coverage",
        "fraction",
        True,
        "share of the retrievable catalogue recommended to at least one request",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "gini",
        "index",
        False,
        "Gini index of how often each catalogue item is recommended (0 equal, 1 one item)",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "entropy",
        "fraction",
        True,
        "Shannon entropy of exposure over the catalogue divided by log2(catalogue size)",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "novelty",
        "bits",
        True,
        "mean self-information -log2 p(item), p = share of training users who had it",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "intra_list_diversity",
        "fraction",
        True,
        "mean pairwise cosine distance between a list's items",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "long_tail_share",
        "fraction",
        True,
        "share of recommended items outside the head (items taking half the interactions)",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "average_popularity",
        "events",
        False,
        "mean training interaction count of recommended items (popularity bias)",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "neighbour_jaccard",
        "fraction",
        True,
        "Jaccard@k of a probe item's nearest neighbours between two embedding versions",
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "latency_p50_ms",
        "ms",
        False,
        "median per-request latency of the stage",
        kind=MetricKind.SPEED,
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "latency_p99_ms",
        "ms",
        False,
        "99th percentile per-request latency of the stage",
        kind=MetricKind.SPEED,
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    MetricInfo(
        "latency_mean_ms",
        "ms",
        False,
        "mean per-request latency of the stage",
        kind=MetricKind.SPEED,
        scope=Scope.PIPELINE,
        needs=("ranked lists", "held-out items"),
    ),
    # hook: issue 12 — load points (vecbench.load): one row per rate or client count
    MetricInfo(
        "achieved_qps",
        "requests/s",
        True,
        "completed requests per second of a load point's measured window (after warm-up, to its last answer)",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "load_p50_ms",
        "ms",
        False,
        "median latency under load: from each request's intended start (open loop, coordinated-omission safe) or send (closed loop) to its answer; merged HdrHistogram of all clients",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "load_p90_ms",
        "ms",
        False,
        "90th percentile latency under load (as load_p50_ms)",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "load_p99_ms",
        "ms",
        False,
        "99th percentile latency under load (as load_p50_ms)",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "load_p999_ms",
        "ms",
        False,
        "99.9th percentile latency under load (as load_p50_ms)",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "load_max_ms",
        "ms",
        False,
        "slowest request under load (as load_p50_ms)",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "service_p50_ms",
        "ms",
        False,
        "median time from a load request's send to its answer (the queue wait left out)",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "service_p99_ms",
        "ms",
        False,
        "99th percentile time from a load request's send to its answer",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "server_p50_ms",
        "ms",
        False,
        "served load: median time the server spent in the index per request (its x-search-ns)",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "server_p99_ms",
        "ms",
        False,
        "served load: 99th percentile of the server's own time in the index",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "roundtrip_p50_ms",
        "ms",
        False,
        "served load: median latency of a no-op request (client, socket, HTTP and JSON; no search)",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "roundtrip_p99_ms",
        "ms",
        False,
        "served load: 99th percentile latency of a no-op request",
        kind=MetricKind.SPEED,
        needs=("load histograms",),
    ),
    MetricInfo(
        "queue_delay_share",
        "fraction",
        False,
        "share of the summed load latency spent waiting for a client before the send (open loop; 0 closed)",
        kind=MetricKind.COST,
        dtype="float64",
        needs=("load counters",),
    ),
    MetricInfo(
        "cpu_utilisation",
        "cores",
        False,
        "CPU time of the load clients and in-process index over a load point's run / its wall time (1.0 = one core busy)",
        kind=MetricKind.COST,
        dtype="float64",
        needs=("load counters",),
    ),
    MetricInfo(
        "server_cpu_utilisation",
        "cores",
        False,
        "served load: CPU time of the server process over the run / its wall time",
        kind=MetricKind.COST,
        dtype="float64",
        needs=("load counters",),
    ),
    MetricInfo(
        "errors",
        "requests",
        False,
        "load requests that failed (an exception or an HTTP error answer)",
        kind=MetricKind.COST,
        dtype="Int64",
        needs=("load counters",),
    ),
    MetricInfo(
        "timeouts",
        "requests",
        False,
        "load requests slower than the load's timeout_s, or never sent because the service fell that far behind",
        kind=MetricKind.COST,
        dtype="Int64",
        needs=("load counters",),
    ),
    MetricInfo(
        "load_requests",
        "requests",
        True,
        "load requests answered after the warm-up (the latency histogram also counts requests never sent, as timeouts)",
        kind=MetricKind.COST,
        dtype="Int64",
        needs=("load counters",),
    ),
)


def metrics_in(scope: Scope) -> dict[str, MetricInfo]:
    """Every metric of one scope by name, in catalogue order."""
    return {m.name: m for m in CATALOGUE if m.scope is scope}


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
