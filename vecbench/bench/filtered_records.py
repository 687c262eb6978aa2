"""Result rows of filtered points: the unfiltered row's columns plus filter, strategy and their measures.

As for unfiltered points, every number comes from the raw arrays the worker wrote (ids, latencies,
batch times, candidates per query), scored against the exact ground truth under the same filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vecbench.bench.filter_plan import FilterDef, FilteredPoint
from vecbench.bench.records import base_row, pooled_speed_metrics, speed_metrics
from vecbench.bench.sweep import BuildPoint, QueryPoint
from vecbench.datasets import Dataset, GroundTruth
from vecbench.filters.active import ActiveFilter
from vecbench.metrics.distances import distances_to_ids
from vecbench.metrics.filtered import (
    filtered_id_recall,
    filtered_tie_aware_recall,
    overfetch_mean,
    short_result_fraction,
)


def filtered_quality(
    raw: Mapping[str, np.ndarray], dataset: Dataset, truth: GroundTruth, active: ActiveFilter, k: int
) -> dict[str, float]:
    """Recall against the filtered truth, short results, over-fetch, violations and the pass-rate."""
    ids = np.asarray(raw["ids"], dtype=np.int64)
    rows = np.arange(ids.shape[0])
    allowed = active.passes_block(rows, ids)
    found = distances_to_ids(dataset.queries, dataset.base, ids, dataset.metric)
    truth = truth.top(min(k, truth.k))
    return {
        "recall": float(
            np.nanmean(filtered_tie_aware_recall(found, ids, allowed, truth.ids, truth.distances, k))
        ),
        "recall_ids": float(np.nanmean(filtered_id_recall(ids, allowed, truth.ids, k))),
        "short_result_frac": short_result_fraction(ids, k),
        "overfetch_mean": overfetch_mean(raw["candidates"], k),
        "filter_violations": float(((ids >= 0) & ~allowed).sum()),
        "pass_rate": active.pass_rate(ids.shape[0]),
    }


def filtered_point_metrics(
    raw: Mapping[str, np.ndarray], dataset: Dataset, truth: GroundTruth, active: ActiveFilter, k: int
) -> dict[str, float]:
    """One raw file's quality measures and speed (QPS, latency, CPU time), as for unfiltered points."""
    return {**filtered_quality(raw, dataset, truth, active, k), **speed_metrics(raw)}


def pooled_filtered_metrics(
    raws: Sequence[Mapping[str, np.ndarray]],
    dataset: Dataset,
    truth: GroundTruth,
    active: ActiveFilter,
    k: int,
) -> dict[str, float]:
    """A filtered row over every repetition: quality averaged, speed from the pooled samples."""
    per_repeat = [filtered_quality(raw, dataset, truth, active, k) for raw in raws]
    metrics = {name: _mean([m[name] for m in per_repeat]) for name in per_repeat[0]}
    metrics.update(pooled_speed_metrics(raws))
    return metrics


def _mean(values: list[float]) -> float:
    """Mean of the values that are not NaN (over-fetch is NaN for brute force); NaN when none is."""
    known = [v for v in values if not np.isnan(v)]
    return float(np.mean(known)) if known else float("nan")


def filtered_base_row(
    experiment: str,
    dataset: Dataset,
    dataset_label: str,
    build: BuildPoint,
    point: FilteredPoint,
    fdef: FilterDef,
    k: int,
) -> dict[str, Any]:
    """Identifying columns of a filtered row; ``strategy`` is the requested one until a worker reports its choice."""
    row = base_row(experiment, dataset, dataset_label, build, QueryPoint(point.params, point.key), k)
    row.update(
        filter=fdef.canonical,
        filter_name=fdef.name,
        strategy=point.strategy_name,
        strategy_spec=point.strategy_spec,
    )
    return row
