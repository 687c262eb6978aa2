"""The columns of a result row and their types: one schema for finished and failed rows."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from vecbench.load.columns import LOAD_COLUMNS
from vecbench.metrics.catalog import METRICS

# Metrics only filtered rows carry, placed after the filter's own columns.
_FILTERED_METRICS = ("short_result_frac", "overfetch_mean", "filter_violations")

# Column -> pandas dtype; each metric's column and type come from the metric catalogue. Every row carries every column, so failed and finished rows share a schema.
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
    **{name: info.dtype for name, info in METRICS.items() if name not in _FILTERED_METRICS},
    "rss_before_build_bytes": "Int64",
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
    **{name: METRICS[name].dtype for name in _FILTERED_METRICS},
    **LOAD_COLUMNS,  # hook: issue 12
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
