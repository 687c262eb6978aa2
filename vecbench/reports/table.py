"""Plain-text views of a result set: the results table and each adapter's recall/QPS frontier."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from vecbench.errors import VecbenchError
from vecbench.reports.constraints import Constraints, best_choices
from vecbench.reports.frontier import ROBUST_SPEED, frontier, speed_column, speed_title
from vecbench.reports.noise import ONE_REPEAT_WARNING, single_repeat
from vecbench.reports.terminal import (
    Column,
    Row,
    configuration,
    human,
    mib,
    render,
    shown_params,
    varying_params,
    written_params,
)

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
            f"  off the frontier: {configuration(row)} (recall {float(row['recall']):.4g}, "
            f"{speed_title(speed)} {float(row[speed]):.4g}): another {row['adapter']} point has higher "
            "recall and is faster beyond the noise"
        )
    if single_repeat(frame):
        lines.append(f"note: {ONE_REPEAT_WARNING}")
    return lines


# Shown after query_params when any row is filtered.
FILTER_COLUMNS = ["filter", "pass_rate", "strategy", "short_result_frac"]


def format_results(
    frame: pd.DataFrame,
    pareto: bool = False,
    out_dir: Path | None = None,
    objective: str = ROBUST_SPEED,
    constraints: Constraints | None = None,
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
    records = shown.to_dict("records")
    varying = shown_params(varying_params(records), written_params(_stored_config(out_dir)))
    lines = [render(records, _columns(shown, filtered, pareto, varying), droppable=DROPPABLE)]
    if pareto:
        lines += _pareto_notes(frame, shown, speed)
    failed = frame[frame["status"] != "ok"]
    if not failed.empty and not pareto:
        lines.append(f"\n{len(failed)} failed point(s):")
        for _, row in failed.iterrows():
            lines.append(f"  {configuration(row)}: {row['error']}")
    if constraints is not None:
        lines.append(best_line(frame, constraints, out_dir))
    return "\n".join(lines) + load_text


# What a narrow terminal loses first: the figures the report and results.parquet still hold.
DROPPABLE = ("p50 ms", "build s", "pass", "p99 ms", "index MiB")


def _columns(
    shown: pd.DataFrame, filtered: bool, pareto: bool, varying: Mapping[str, frozenset[str]]
) -> list[Column]:
    """The terminal table's columns: one configuration label, then the figures in short form."""
    def number(column: str, fmt: Callable[[Any], str] = human) -> Callable[[Row], str]:
        return lambda row: fmt(row.get(column))

    columns = [Column("configuration", lambda row: configuration(row, varying), numeric=False)]
    if filtered:
        columns += [
            Column("filter", lambda row: str(row.get("filter") or "-"), numeric=False),
            Column("pass", number("pass_rate")),
            Column("strategy", lambda row: str(row.get("strategy") or "-"), numeric=False),
        ]
    columns += [
        Column("recall", number("recall", lambda v: "-" if pd.isna(v) else f"{float(v):.4f}")),
        Column("QPS", number("qps")),
        Column("CPU ms/q", number("cpu_ms_per_query")),
        Column("p50 ms", number("latency_p50_ms")),
        Column("p99 ms", number("latency_p99_ms")),
        Column("build s", number("build_s")),
        Column("index MiB", number("index_bytes", mib)),
    ]
    if pareto and "frontier" in shown:
        columns.append(Column("frontier", lambda row: str(row.get("frontier") or "-"), numeric=False))
    if (shown["status"] != "ok").any():
        columns.append(Column("status", lambda row: str(row.get("status")), numeric=False))
    return columns


def best_line(frame: pd.DataFrame, constraints: Constraints, out_dir: Path | None = None) -> str:
    """'best: hnswlib M=16 | ef=80, 0.0412 ms CPU/query at recall 0.953 (...); 2 more equivalent'."""
    choices = [c for c in best_choices(frame, constraints, out_dir) if c.scope == "all adapters"]
    varying = shown_params(varying_params(frame.to_dict("records")), written_params(_stored_config(out_dir)))
    label = lambda row: configuration(row, varying)  # noqa: E731
    if not choices:
        return f"best: none ({constraints.describe()})"
    lines = []
    for choice in choices:
        where = f" [{choice.dataset} k={choice.k}]" if len(choices) > 1 else ""
        if choice.row is None:
            lines.append(f"best{where}: no point meets {constraints.describe()}")
            continue
        objective = constraints.objective
        value = human(choice.row[objective])
        same = len(choice.equivalent)
        lines.append(
            f"best{where}: {label(choice.row)}, {objective} {value} at recall "
            f"{float(choice.row['recall']):.4f} ({constraints.describe()})"
            + (f"; {same} more within the noise, equivalent: {', '.join(label(r) for r in choice.equivalent[:3])}" if same else "")
        )
    return "\n".join(lines)


def _compact_params(text: str) -> str:
    """'{"M":16,"ef":10}' -> 'M=16 ef=10' for narrow terminal tables."""
    params = json.loads(text) if text else {}
    return " ".join(f"{key}={value}" for key, value in params.items()) or "-"


def _stored_config(out_dir: Path | None) -> dict[str, Any] | None:
    """OUT/config.yaml as a mapping, for the parameter names the user wrote; None without one."""
    if out_dir is None:
        return None
    from vecbench.reports.resultset import read_config

    try:
        return read_config(out_dir)
    except (OSError, ValueError, VecbenchError):
        return None
