"""One flat result row per (build point, query point), with metrics computed from raw arrays.

Metrics are derived from the raw files the worker wrote, never from anything the worker
summarised, so a new metric or a fixed formula can be recomputed without re-running.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vecbench.bench.calibration import calibration_ms
from vecbench.bench.sweep import BuildPoint, QueryPoint, canonical_json
from vecbench.datasets import Dataset, GroundTruth
from vecbench.metrics.distances import distances_to_ids
from vecbench.metrics.latency import latency_summary
from vecbench.metrics.recall import id_recall, tie_aware_recall
from vecbench.reports.schema import COLUMNS


def point_metrics(
    raw: Mapping[str, np.ndarray], dataset: Dataset, truth: GroundTruth, k: int
) -> dict[str, float]:
    """Recall (tie-aware and by id), QPS and latency percentiles from one point's raw arrays."""
    ids = np.asarray(raw["ids"], dtype=np.int64)
    found = distances_to_ids(dataset.queries, dataset.base, ids, dataset.metric)
    metrics = {
        "recall": float(tie_aware_recall(found, ids, truth.distances, k).mean()),
        "recall_ids": float(id_recall(ids, truth.ids, k).mean()),
    }
    metrics.update(speed_metrics(raw))
    return metrics


def speed_metrics(raw: Mapping[str, np.ndarray]) -> dict[str, float]:
    """QPS (median over batch runs of queries / wall time, never from mean latency) and latencies."""
    batch_s = np.asarray(raw["batch_ns"], dtype=np.float64) / 1e9
    metrics = {"qps": float(np.median(len(raw["ids"]) / batch_s))}
    metrics.update(latency_summary(raw["latencies_ns"]))
    metrics.update(cpu_summary(raw))
    return metrics


def cpu_summary(raw: Mapping[str, np.ndarray]) -> dict[str, float]:
    """CPU time per query of the batch (median over runs) and median CPU time of single queries."""
    nan = float("nan")
    batch = np.asarray(raw.get("batch_cpu_ns", []), dtype=np.float64)
    single = np.asarray(raw.get("latencies_cpu_ns", []), dtype=np.float64)
    return {
        "cpu_ms_per_query": float(np.median(batch) / 1e6 / len(raw["ids"])) if batch.size else nan,
        "cpu_latency_p50_ms": float(np.median(single) / 1e6) if single.size else nan,
    }


def pooled_metrics(
    raws: Sequence[Mapping[str, np.ndarray]], dataset: Dataset, truth: GroundTruth, k: int
) -> dict[str, float]:
    """One row's metrics over every repetition of a point.

    Recall is averaged over repetitions (each built its own index); QPS and latency come from the
    pooled raw samples; ``calibration_ms`` is the median calibration-kernel time beside them.
    """
    per_repeat = [point_metrics(raw, dataset, truth, k) for raw in raws]
    metrics = {name: float(np.mean([m[name] for m in per_repeat])) for name in per_repeat[0]}
    metrics.update(pooled_speed_metrics(raws))
    return metrics


def pooled_speed_metrics(raws: Sequence[Mapping[str, np.ndarray]]) -> dict[str, float]:
    """QPS, latency and CPU time from the pooled samples of every repetition, and their calibration."""
    pooled = {
        name: np.concatenate([raw[name] for raw in raws])
        for name in ("batch_ns", "latencies_ns", "batch_cpu_ns", "latencies_cpu_ns")
        if all(name in raw for raw in raws)
    }
    metrics = speed_metrics({**pooled, "ids": raws[0]["ids"]})
    metrics["calibration_ms"] = calibration_ms(
        np.concatenate([raw.get("calibration_ns", np.empty(0, np.int64)) for raw in raws])
    )
    return metrics


def load_raw(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def base_row(
    experiment: str, dataset: Dataset, dataset_label: str, build: BuildPoint, query: QueryPoint, k: int
) -> dict[str, Any]:
    """The identifying columns of a row; measurements are added by the caller."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(
        experiment=experiment,
        dataset=dataset_label,
        dataset_fingerprint=dataset.fingerprint,
        metric=dataset.metric.value,
        n_base=dataset.n_base,
        n_queries=dataset.n_queries,
        dim=dataset.dim,
        adapter=build.adapter,
        label=build.label,
        build_params=canonical_json(build.build_params),
        query_params=canonical_json(query.params),
        k=k,
        point_key=query.key,
        build_key=build.key,
        finished_at=time.time(),
    )
    return row


def failed_row(row: dict[str, Any], error: str) -> dict[str, Any]:
    return {**row, "status": "failed", "error": error}
