"""The recommendation-pipeline view of the one metric catalogue (``vecbench.metrics.catalog``)."""

from __future__ import annotations

from vecbench.metrics.catalog import PIPELINE_METRICS, MetricInfo, Scope, parse_metric_spec

__all__ = ["PIPELINE_METRICS", "describe"]


def describe(spec: str) -> tuple[MetricInfo, int | None]:
    """'ndcg@10' -> (its info, 10); pipeline metrics first, then the index metrics."""
    return parse_metric_spec(spec, Scope.PIPELINE)
