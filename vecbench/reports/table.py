"""Plain-text views of a result set: the results table and each adapter's recall/QPS frontier."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from vecbench.reports.frontier import ROBUST_SPEED, frontier, speed_column, speed_title
from vecbench.reports.noise import ONE_REPEAT_WARNING, single_repeat

TABLE_COLUMNS = [
    "adapter",
    "build_params",
    "query_params",
    "recall",
    "qps",
    "cpu_ms_per_query",
    "latency_p50_ms",
    "latency_p99_ms",
    "build_s",
    "index_bytes",
    "status",
]


FRONTIER_KEYS = ["dataset_fingerprint", "k", "adapter", "filter", "strategy"]


def pareto_frontier(
    frame: pd.DataFrame, speed: str = ROBUST_SPEED, out_dir: Path | None = None
) -> pd.DataFrame:
    """Each adapter's frontier (per dataset, k, filter and strategy) by recall and ``speed``, with
    points beaten only within the measured noise kept and marked (column ``frontier``)."""
    keys = [c for c in FRONTIER_KEYS if c in frame]
    found = frontier(frame, speed, keys, out_dir)
    return found.sort_values(["adapter", "recall"]) if not found.empty else found


def _pareto_notes(frame: pd.DataFrame, shown: pd.DataFrame, speed: str) -> list[str]:
    """What the frontier left out and why, and how far its noise intervals can be trusted."""
    ok = frame[frame["status"] == "ok"]
    lines = [
        f"\nfrontier by recall and {speed_title(speed)} per adapter: {len(shown)} of {len(ok)} finished "
        f"point(s); 'within noise': beaten by a point of the same adapter by less than the measured noise"
    ]
    off = ok[~ok.index.isin(shown.index)]
    for _, row in off.iterrows():
        lines.append(
            f"  off the frontier: {row['adapter']} {_compact_params(row['build_params'])} | "
            f"{_compact_params(row['query_params'])} (recall {float(row['recall']):.4g}, "
            f"{speed_title(speed)} {float(row[speed]):.4g}): another {row['adapter']} point has higher "
            "recall and is faster beyond the noise"
        )
    if single_repeat(frame):
        lines.append(f"note: {ONE_REPEAT_WARNING}")
    return lines


# Shown after query_params when any row is filtered.
FILTER_COLUMNS = ["filter", "pass_rate", "strategy", "short_result_frac"]


def format_results(
    frame: pd.DataFrame, pareto: bool = False, out_dir: Path | None = None, objective: str = ROBUST_SPEED
) -> str:
    """The table ``vecbench results show`` and ``vecbench run`` print; with ``pareto``, each
    adapter's frontier by the objective's speed figure (``out_dir`` holds the raw samples)."""
    if frame.empty:
        return "no results yet"
    from vecbench.load.table import format_load  # hook: issue 12

    load_text = format_load(frame)
    frame = frame[frame["load_mode"].isna()] if "load_mode" in frame else frame
    speed = speed_column(objective, frame)
    filtered = "filter" in frame and bool(frame["filter"].notna().any())
    order = (
        ["adapter", "build_params", "filter", "strategy", "recall"]
        if filtered
        else ["adapter", "build_params", "recall"]
    )
    shown = (
        pareto_frontier(frame, speed, out_dir) if pareto else frame.sort_values(order, na_position="first")
    )
    columns = [*TABLE_COLUMNS, "frontier"] if pareto else TABLE_COLUMNS
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
    if pareto:
        lines += _pareto_notes(frame, shown, speed)
    failed = frame[frame["status"] != "ok"]
    if not failed.empty and not pareto:
        lines.append(f"\n{len(failed)} failed point(s):")
        for _, row in failed.iterrows():
            lines.append(f"  {row['adapter']} {row['build_params']} {row['query_params']}: {row['error']}")
    return "\n".join(lines) + load_text


def _compact_params(text: str) -> str:
    """'{"M":16,"ef":10}' -> 'M=16 ef=10' for narrow terminal tables."""
    params = json.loads(text) if text else {}
    return " ".join(f"{key}={value}" for key, value in params.items()) or "-"
