"""Plain-text views of a result set: the results table and each adapter's recall/QPS frontier."""

from __future__ import annotations

import json

import pandas as pd

TABLE_COLUMNS = [
    "adapter",
    "build_params",
    "query_params",
    "recall",
    "qps",
    "latency_p50_ms",
    "latency_p99_ms",
    "build_s",
    "index_bytes",
    "status",
]


def pareto_frontier(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows no other row of the same adapter, dataset and k beats on both recall and QPS."""
    ok = frame[frame["status"] == "ok"]
    keep = []
    for _, group in ok.groupby(["dataset_fingerprint", "k", "adapter"], sort=False):
        best_qps = -1.0
        for index, row in group.sort_values(["recall", "qps"], ascending=[False, False]).iterrows():
            if row["qps"] > best_qps:
                keep.append(index)
                best_qps = row["qps"]
    return ok.loc[keep].sort_values(["adapter", "recall"])


def format_results(frame: pd.DataFrame, pareto: bool = False) -> str:
    """The table ``vecbench results show`` and ``vecbench run`` print."""
    if frame.empty:
        return "no results yet"
    shown = pareto_frontier(frame) if pareto else frame.sort_values(["adapter", "build_params", "recall"])
    table = shown[[c for c in TABLE_COLUMNS if c in shown]].copy()
    for column in ("build_params", "query_params"):
        table[column] = table[column].map(_compact_params)
    table["index_MB"] = table.pop("index_bytes").astype("Float64") / 1e6
    lines = [table.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-")]
    failed = frame[frame["status"] != "ok"]
    if not failed.empty and not pareto:
        lines.append(f"\n{len(failed)} failed point(s):")
        for _, row in failed.iterrows():
            lines.append(f"  {row['adapter']} {row['build_params']} {row['query_params']}: {row['error']}")
    return "\n".join(lines)


def _compact_params(text: str) -> str:
    """'{"M":16,"ef":10}' -> 'M=16 ef=10' for narrow terminal tables."""
    params = json.loads(text) if text else {}
    return " ".join(f"{key}={value}" for key, value in params.items()) or "-"
