"""Raw arrays of a streaming point -> one row per (point, step) and one summary row per point.

Recall at a search step is computed from that step's own raw ids against that step's exact truth
among the live items, so no step can reuse another's figures. A returned tag that is not live at
that step counts in ``deleted_returned`` and never as a hit (its distance is taken as infinite).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from vecbench.bench.records import speed_metrics
from vecbench.core.params import Metric
from vecbench.metrics.distances import distances_to_ids
from vecbench.metrics.latency import latency_summary
from vecbench.metrics.recall import id_recall, tie_aware_recall
from vecbench.streaming.runbook import LiveState, Runbook
from vecbench.streaming.truth import StepTruth
from vecbench.streaming.workload import APPLIED

# steps.parquet: one row per (point, step).
STEP_COLUMNS: dict[str, str] = {
    "experiment": "string",
    "adapter": "string",
    "label": "string",
    "policy": "string",
    "point_key": "string",
    "build_key": "string",
    "step": "Int64",
    "operation": "string",
    "applied": "string",
    "live_count": "Int64",
    "recall": "float64",
    "recall_ids": "float64",
    "deleted_returned": "Int64",
    "latency_p50_ms": "float64",
    "latency_p99_ms": "float64",
    "qps": "float64",
    "rows": "Int64",
    "seconds": "float64",
    "rebuild_s": "float64",
}
NAN = float("nan")


def step_rows(
    raw: Mapping[str, np.ndarray],
    runbook: Runbook,
    truth: Mapping[int, StepTruth],
    queries: np.ndarray,
    base: np.ndarray,
    metric: Metric,
    k: int,
    ident: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """One row per runbook step, in order, from the raw arrays of one point."""
    state = LiveState(runbook.n_ids)
    rows: list[dict[str, Any]] = []
    for i, step in enumerate(runbook.steps):
        state.apply(step)
        rebuild = int(raw["rebuild_ns"][i])
        row: dict[str, Any] = {
            **ident,
            "step": step.number,
            "operation": step.operation,
            "applied": APPLIED[int(raw["applied"][i])],
            "live_count": int(raw["live"][i]),
            "recall": NAN,
            "recall_ids": NAN,
            "deleted_returned": None,
            "latency_p50_ms": NAN,
            "latency_p99_ms": NAN,
            "qps": NAN,
            "rows": step.rows if step.operation != "search" else None,
            "seconds": float(raw["step_ns"][i]) / 1e9 if step.operation != "search" else NAN,
            "rebuild_s": rebuild / 1e9 if rebuild >= 0 else NAN,
        }
        if step.operation == "search":
            row.update(search_metrics(raw, step.number, state, truth[step.number], queries, base, metric, k))
        rows.append(row)
    return rows


def search_metrics(
    raw: Mapping[str, np.ndarray],
    number: int,
    state: LiveState,
    truth: StepTruth,
    queries: np.ndarray,
    base: np.ndarray,
    metric: Metric,
    k: int,
) -> dict[str, Any]:
    ids = np.asarray(raw[f"s{number}_ids"], dtype=np.int64)
    rows = state.rows_of(ids)
    found = distances_to_ids(queries, base, rows, metric)
    live_k = int(min(k, state.live))
    speed = speed_metrics(
        {
            name: raw[f"s{number}_{name}"]
            for name in ("ids", "batch_ns", "latencies_ns", "batch_cpu_ns", "latencies_cpu_ns")
        }
    )
    return {
        # Where fewer than k items are live, recall is over what can be found.
        "recall": float(tie_aware_recall(found, ids, truth.distances, live_k).mean()) if live_k else NAN,
        "recall_ids": float(id_recall(ids, truth.ids, live_k).mean()) if live_k else NAN,
        "deleted_returned": int(((ids >= 0) & (rows < 0)).sum()),
        "latency_p50_ms": speed["latency_p50_ms"],
        "latency_p99_ms": speed["latency_p99_ms"],
        "qps": speed["qps"],
    }


def summary(steps: list[dict[str, Any]], raw: Mapping[str, np.ndarray], runbook: Runbook) -> dict[str, Any]:
    """The point's row: recall mean/min/worst step, throughput, rebuilds, freshness, pooled speed."""
    searches = [row for row in steps if row["operation"] == "search" and not np.isnan(row["recall"])]
    recalls = np.asarray([row["recall"] for row in searches])
    worst = searches[int(np.argmin(recalls))]["step"] if searches else None
    rebuilds = raw["rebuild_ns"][raw["rebuild_ns"] >= 0]
    pooled = np.concatenate([raw[f"s{n}_latencies_ns"] for n in runbook.search_steps()])
    latency = latency_summary(pooled)
    out: dict[str, Any] = {
        "recall": float(recalls.mean()) if recalls.size else NAN,
        "recall_ids": float(np.mean([row["recall_ids"] for row in searches])) if searches else NAN,
        "recall_mean": float(recalls.mean()) if recalls.size else NAN,
        "recall_min": float(recalls.min()) if recalls.size else NAN,
        "worst_step": worst,
        "deleted_returned": int(sum(row["deleted_returned"] for row in searches)),
        "qps": float(np.median([row["qps"] for row in searches])) if searches else NAN,
        **latency,
        "insert_rows_per_s": throughput(steps, "insert"),
        "delete_rows_per_s": throughput(steps, "delete"),
        "replace_rows_per_s": throughput(steps, "replace"),
        "rebuilds": int(rebuilds.size),
        "rebuild_s": float(rebuilds.sum() / 1e9),
        **freshness(raw["visible_ns"], "visible"),
        **freshness(raw["gone_ns"], "gone"),
        "steps": len(steps),
    }
    index_bytes = int(raw["index_bytes_end"][0])
    if index_bytes >= 0:
        out["index_bytes"] = index_bytes
    return out


def throughput(steps: list[dict[str, Any]], operation: str) -> float:
    """Rows per second of the steps that applied this operation to the index (not the first build,
    not buffered steps, whose cost is the rebuild): NaN when there were none."""
    done = [
        row
        for row in steps
        if row["operation"] == operation and row["applied"] in ("incremental", "tombstone")
    ]
    rows = sum(row["rows"] for row in done)
    seconds = sum(row["seconds"] for row in done)
    return rows / seconds if rows and seconds > 0 else NAN


def freshness(elapsed_ns: np.ndarray, name: str) -> dict[str, float]:
    """p50/p99 in ms over the sampled items seen to change, and the share never seen to."""
    elapsed = np.asarray(elapsed_ns, dtype=np.float64)
    seen = elapsed[elapsed >= 0] / 1e6
    return {
        f"{name}_p50_ms": float(np.percentile(seen, 50)) if seen.size else NAN,
        f"{name}_p99_ms": float(np.percentile(seen, 99)) if seen.size else NAN,
        f"{name}_never": float((elapsed < 0).mean()) if elapsed.size else NAN,
    }
