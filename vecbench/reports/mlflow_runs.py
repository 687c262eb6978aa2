"""What MLflow runs hold, translated from result rows: pure data, no MLflow import.

An index-sweep row becomes one child run (params: dataset, adapter, ``build.*``, ``query.*``;
metrics: every measured number). A recommendation-pipeline configuration (its many long-format
rows in OUT/pipeline.parquet) becomes one child run too, with metrics named
``<stage>/<metric>[/<cohort>]`` and ``<stage>/<metric>/delta`` (and ``delta_low``/``delta_high``)
against exact retrieval; the embedding-drift rows become one more.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from vecbench.reports.html.plots import point_name

TAG_ROLE = "vecbench.role"
TAG_RESULT_SET = "vecbench.result_set"
TAG_POINT = "vecbench.point_key"
TAG_FINISHED = "vecbench.finished_at"

# Identity and setting columns become params; all other numeric columns are metrics.
PARAM_COLUMNS = (
    "dataset",
    "metric",
    "n_base",
    "n_queries",
    "dim",
    "k",
    "adapter",
    "label",
    "threads",
    "runs",
    "build_threads",
)
TAG_COLUMNS = ("dataset_fingerprint", "build_key", "status")
SKIP_COLUMNS = {"experiment", "build_params", "query_params", "error", "point_key", "raw_path", "finished_at"}
SHARED_TAGS = (
    "vecbench.git_commit",
    "vecbench.vecbench_version",
    "vecbench.hostname",
    "mlflow.source.git.commit",
)
STRING_EXTRAS = ("filter", "strategy")  # filtered-search columns logged as params where present


def metric_name(column: str) -> str:
    """'ndcg@10' -> 'ndcg_at_10': MLflow names allow letters, digits, _ - . / space and colon."""
    return re.sub(r"[^\w.\- /:]", "_", column.replace("@", "_at_"))


def plain_value(value: Any) -> Any:
    """None for missing values (None, NaN, pandas NA), else the plain Python value."""
    if value is None:
        return None
    try:
        if value != value:  # NaN and pandas NA
            return None
    except TypeError:
        return None
    return value.item() if type(value).__module__ == "numpy" else value


def finite_number(value: Any) -> float | None:
    value = plain_value(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(float(value)) else None


def finished_tag(value: Any) -> str:
    number = finite_number(value)
    return "" if number is None else f"{number:.6f}"


@dataclass(frozen=True)
class PointRun:
    """A row translated into what an MLflow child run holds."""

    name: str
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    status: str
    timestamp_ms: int


def point_run(row: Mapping[str, Any], result_set: str, parent_run_id: str) -> PointRun:
    params: dict[str, str] = {}
    metrics: dict[str, float] = {}
    for column in PARAM_COLUMNS:
        value = plain_value(row.get(column))
        if value is not None:
            params[column] = str(value)
    for prefix, column in (("build", "build_params"), ("query", "query_params")):
        text = plain_value(row.get(column))
        for key, value in (json.loads(text) if text else {}).items():
            params[f"{prefix}.{key}"] = str(value)
    for column in STRING_EXTRAS:
        value = plain_value(row.get(column))
        if value is not None:
            params[column] = str(value)[:6000]
    for column, value in row.items():
        name = str(column)
        if name in SKIP_COLUMNS or name in PARAM_COLUMNS or name in TAG_COLUMNS or name in STRING_EXTRAS:
            continue
        number = finite_number(value)
        if number is not None:
            metrics[metric_name(name)] = number
    status = str(plain_value(row.get("status")) or "failed")
    tags = {
        TAG_ROLE: "point",
        TAG_RESULT_SET: result_set,
        TAG_POINT: str(row["point_key"]),
        TAG_FINISHED: finished_tag(row.get("finished_at")),
        "mlflow.parentRunId": parent_run_id,
    }
    for column in TAG_COLUMNS:
        value = plain_value(row.get(column))
        if value is not None:
            tags[f"vecbench.{column}"] = str(value)
    error = plain_value(row.get("error"))
    if error:
        tags["vecbench.error"] = str(error)[:5000]
    finished = finite_number(row.get("finished_at")) or 0.0
    return PointRun(
        name=point_name(row)[:200],
        params=params,
        metrics=metrics,
        tags=tags,
        status="FINISHED" if status == "ok" else "FAILED",
        timestamp_ms=int(finished * 1000),
    )


@dataclass(frozen=True)
class ParentInfo:
    """The result set as the parent run shows it."""

    result_set: str
    experiment: str
    run_name: str
    tags: dict[str, str]
    params: dict[str, str]


def parent_info(
    result_set: str,
    experiment: str,
    config: Mapping[str, Any],
    environment: Mapping[str, Any],
    dataset_label: str,
    fingerprints: Iterable[str],
    out_dir: Path,
) -> ParentInfo:
    tags = {
        TAG_ROLE: "result_set",
        TAG_RESULT_SET: result_set,
        "vecbench.experiment": experiment,
        "vecbench.dataset": dataset_label,
        "vecbench.dataset_fingerprint": ",".join(sorted(set(fingerprints))),
        "vecbench.out_dir": str(out_dir.resolve()),
    }
    for key in ("vecbench_version", "git_commit", "hostname", "cpu_model", "python", "platform"):
        value = environment.get(key)
        if value:
            tags[f"vecbench.{key}"] = str(value)
    if environment.get("git_commit"):
        tags["mlflow.source.git.commit"] = str(environment["git_commit"])
    params = {key: str(value) for key, value in _flatten(config).items() if key not in ("name", "indexes")}
    return ParentInfo(result_set, experiment, f"{experiment} · {dataset_label}"[:200], tags, params)


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif value is not None and name != "indexes":
            flat[name] = json.dumps(value) if isinstance(value, list | dict) else value
    return flat


PIPELINE_PARAMS = (
    "log", "split", "embedding", "scorer", "rerank", "retrieval", "adapter", "k_candidates",
    "filter", "filter_name", "strategy",
)  # fmt: skip


def pipeline_point_runs(frame: pd.DataFrame, result_set: str, parent_run_id: str) -> list[PointRun]:
    """One run per pipeline configuration (point_key): all its stage, metric and cohort values."""
    runs: list[PointRun] = []
    if frame.empty:
        return runs
    for key, rows in frame.groupby("point_key", sort=True):
        first = rows.iloc[0]
        drift = str(first["stage"]) == "embedding"
        params = {
            c: str(v) for c in PIPELINE_PARAMS if (v := plain_value(first.get(c))) is not None and v != "-"
        }
        for prefix, column in (("build", "build_params"), ("query", "query_params")):
            text = plain_value(first.get(column))
            for name, value in (json.loads(text) if text else {}).items():
                params[f"{prefix}.{name}"] = str(value)
        metrics: dict[str, float] = {}
        for _, row in rows[rows["status"] == "ok"].iterrows():
            base = metric_name(f"{row['stage']}/{row['metric']}")
            cohort = str(row["cohort"])
            value = finite_number(row["value"])
            if value is not None:
                metrics[base if cohort == "all" else metric_name(f"{base}/{cohort}")] = value
            if cohort == "all":
                for column in ("delta", "delta_low", "delta_high"):
                    number = finite_number(row.get(column))
                    if number is not None:
                        metrics[f"{base}/{column}"] = number
        for column in () if drift else ("pass_rate", "short_result_frac", "overfetch_mean"):
            number = finite_number(first.get(column))  # one value per configuration
            if number is not None:
                metrics[f"retrieval/{column}"] = number
        ok = bool((rows["status"] == "ok").all())
        finished = max((finite_number(v) or 0.0) for v in rows["finished_at"])
        k = plain_value(first.get("k_candidates"))
        name = "embedding drift" if drift else f"{first['retrieval']} · k_candidates={k}"
        tags = {
            TAG_ROLE: "point",
            TAG_RESULT_SET: result_set,
            TAG_POINT: str(key),
            TAG_FINISHED: finished_tag(finished),
            "mlflow.parentRunId": parent_run_id,
            "vecbench.kind": "pipeline",
            "vecbench.status": "ok" if ok else "failed",
        }
        errors = [str(e) for e in rows["error"].dropna() if str(e)]
        if errors:
            tags["vecbench.error"] = errors[0][:5000]
        runs.append(
            PointRun(name[:200], params, metrics, tags, "FINISHED" if ok else "FAILED", int(finished * 1000))
        )
    return runs
