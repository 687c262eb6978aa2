"""The columns of a result row and their types: one schema for finished and failed rows."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

# Column -> pandas dtype. Every row carries every column, so failed and finished rows share a schema.
COLUMNS: dict[str, str] = {
    "experiment": "string",
    "dataset": "string",
    "dataset_fingerprint": "string",
    "metric": "string",
    "n_base": "Int64",
    "n_queries": "Int64",
    "dim": "Int64",
    "adapter": "string",
    "label": "string",
    "build_params": "string",
    "query_params": "string",
    "k": "Int64",
    "recall": "float64",
    "recall_ids": "float64",
    "qps": "float64",
    "latency_p50_ms": "float64",
    "latency_p95_ms": "float64",
    "latency_p99_ms": "float64",
    "latency_p999_ms": "float64",
    "latency_mean_ms": "float64",
    "latency_max_ms": "float64",
    "cpu_ms_per_query": "float64",
    "cpu_latency_p50_ms": "float64",
    "build_s": "float64",
    "index_bytes": "Int64",
    "rss_peak_bytes": "Int64",
    "rss_before_build_bytes": "Int64",
    "distance_computations": "float64",
    "threads": "Int64",
    "build_threads": "Int64",
    "runs": "Int64",
    "repeats": "Int64",
    "calibration_ms": "float64",
    # Filtered rows only (null on unfiltered ones): the filter's canonical text and name, its measured
    # pass-rate, the strategy that ran (auto's choice) and the requested one with its parameters.
    "filter": "string",
    "filter_name": "string",
    "pass_rate": "float64",
    "strategy": "string",
    "strategy_spec": "string",
    "short_result_frac": "float64",
    "overfetch_mean": "float64",
    "filter_violations": "Int64",
    "status": "string",
    "error": "string",
    "point_key": "string",
    "build_key": "string",
    "raw_path": "string",
    "finished_at": "float64",
}


def conform(frame: pd.DataFrame, columns: Mapping[str, str] = COLUMNS) -> pd.DataFrame:
    """Add missing columns and cast known ones, so rows written at different times concatenate."""
    for column in columns:
        if column not in frame:
            frame[column] = None
    return frame.astype(dict(columns))
