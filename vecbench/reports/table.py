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
    """Rows no other row of the same adapter, dataset and k (and filter and strategy) beats on both recall and QPS."""
    ok = frame[frame["status"] == "ok"]
    keep = []
    keys = ["dataset_fingerprint", "k", "adapter", *(c for c in ("filter", "strategy") if c in ok)]
    for _, group in ok.groupby(keys, sort=False, dropna=False):
        best_qps = -1.0
        for index, row in group.sort_values(["recall", "qps"], ascending=[False, False]).iterrows():
            if row["qps"] > best_qps:
                keep.append(index)
                best_qps = row["qps"]
    return ok.loc[keep].sort_values(["adapter", "recall"])


# Shown after query_params when any row is filtered.
FILTER_COLUMNS = ["filter", "pass_rate", "strategy", "short_result_frac"]


def format_results(frame: pd.DataFrame, pareto: bool = False) -> str:
    """The table ``vecbench results show`` and ``vecbench run`` print."""
    if frame.empty:
        return "no results yet"
    filtered = "filter" in frame and bool(frame["filter"].notna().any())
    order = (
        ["adapter", "build_params", "filter", "strategy", "recall"]
        if filtered
        else ["adapter", "build_params", "recall"]
    )
    shown = pareto_frontier(frame) if pareto else frame.sort_values(order, na_position="first")
    columns = TABLE_COLUMNS
    if filtered:
        at = TABLE_COLUMNS.index("query_params") + 1
        columns = [*TABLE_COLUMNS[:at], *FILTER_COLUMNS, *TABLE_COLUMNS[at:]]
    table = shown[[c for c in columns if c in shown]].copy()
    for column in ("build_params", "query_params"):
        table[column] = table[column].map(_compact_params)
    for column in ("filter", "strategy"):
        if column in table:
            table[column] = table[column].fillna("-")
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
