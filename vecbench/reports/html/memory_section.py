"""The memory frontier: recall against bytes per vector, with QPS as the third axis.

The question a team with a memory budget asks ("what does 8x less memory cost?") is answered by
the points no other point beats on recall, bytes per vector (serialized index over the base size)
and QPS at once (``capacity.report.frontier``). Only plain query points count: a filtered or a load
row measures something else on the same index. A size sweep is drawn at its largest size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from markupsafe import Markup

from vecbench.capacity.report import frontier
from vecbench.reports.html.context import ReportContext, groups, slug
from vecbench.reports.html.figure import Chart, byte_size, recall_axis, scale_axis
from vecbench.reports.html.markup import Cell, cell, join, note, table, tag
from vecbench.reports.html.plots import LINEAR, PlotOptions, point_name
from vecbench.reports.resultset import ResultSet

MARKER_MIN, MARKER_MAX = 4.0, 13.0


def plain_points(frame: pd.DataFrame) -> pd.DataFrame:
    """Finished rows of unfiltered, unloaded query points with a measured index size."""
    ok = frame[(frame["status"] == "ok") & frame["index_bytes"].notna() & frame["recall"].notna()]
    for column in ("pass_rate", "load_mode"):
        if column in ok:
            ok = ok[ok[column].isna()]
    return ok


def has_memory_frontier(frame: pd.DataFrame) -> bool:
    """Worth a section when at least two index builds have sizes to compare."""
    return not frame.empty and plain_points(frame)["build_key"].nunique() > 1


def largest_size_frontier(group: pd.DataFrame) -> pd.DataFrame:
    rows = plain_points(group)
    if rows.empty:
        return rows
    table_ = frontier(rows, carry=("label", "point_key"))
    return table_[table_["n_base"] == table_["n_base"].max()].reset_index(drop=True)


def _marker_sizes(qps: np.ndarray) -> np.ndarray:
    """Marker size grows with log QPS across the chart's points (the third axis)."""
    logs = np.log10(np.maximum(qps, 1e-9))
    span = float(logs.max() - logs.min())
    if not math.isfinite(span) or span == 0.0:
        return np.full(qps.shape, (MARKER_MIN + MARKER_MAX) / 2)
    return MARKER_MIN + (logs - logs.min()) / span * (MARKER_MAX - MARKER_MIN)


def memory_chart(
    group: pd.DataFrame, colours: Mapping[str, str], title: str, axes: PlotOptions = LINEAR
) -> Chart | None:
    table_ = largest_size_frontier(group)
    if table_.empty:
        return None
    chart = Chart("memory-frontier", f"recall vs bytes per vector (marker size: QPS) · {title}", 680, 380)
    sizes = _marker_sizes(table_["qps"].to_numpy(float))
    recalls = axes.recall(table_)
    labelled: set[str] = set()
    for i, (_, row) in enumerate(table_.iterrows()):
        lab = str(row["label"])
        colour = colours.get(lab, "#555555")
        tip = (
            f"{point_name(row)}\nrecall {row['recall']:.4f}, {byte_size(float(row['bytes_per_vector']))}/vector, "
            f"{row['qps']:,.0f} QPS" + ("\non the frontier" if row["pareto"] else "")
        )
        style = {"color": colour, "markersize": float(sizes[i]), "alpha": 0.8}
        if row["pareto"]:
            style.update(markeredgecolor="#000000", markeredgewidth=1.4)
        chart.point(float(row["bytes_per_vector"]), recalls[i], tip, **style)
        if lab not in labelled:  # one legend entry per adapter label
            chart.ax.plot([], [], "o", color=colour, label=lab)
            labelled.add(lab)
    scale_axis(chart.ax, "x", table_["bytes_per_vector"].tolist(), log=True, fmt=byte_size)
    recall_axis(chart.ax, "y", axes.logit)
    chart.ax.set_xlabel(f"bytes per vector (index size / {int(table_['n_base'].iloc[0]):,} items)")
    chart.ax.set_ylabel("recall (logit scale)" if axes.logit else "recall")
    chart.legend()
    return chart


def memory_section(rs: ResultSet, ctx: ReportContext) -> Markup:
    intro = note(
        "Each point is one query point; black-ringed points are the frontier: no other point has higher "
        "recall, fewer bytes per vector and more QPS at once. Bytes per vector is the serialized index "
        "over the base size."
    )
    parts: list[Markup] = []
    for dataset, k, group in groups(rs.frame):
        chart = memory_chart(group, ctx.colours, f"{dataset}, k={k}", ctx.options)
        if chart is None:
            continue
        best = largest_size_frontier(group)
        best = best[best["pareto"]].sort_values("bytes_per_vector")
        rows = [
            [
                Cell(point_name(r)),
                cell(r["recall"]),
                Cell(byte_size(float(r["bytes_per_vector"])), float(r["bytes_per_vector"])),
                cell(r["qps"], "{:,.0f}"),
            ]
            for _, r in best.iterrows()
        ]
        parts += [
            tag("h3", f"{dataset}, k={k}"),
            ctx.add(chart, f"{slug(dataset)}-k{k}"),
            table(["frontier point", "recall", "bytes/vector", "QPS"], rows, name="memory-frontier"),
        ]
    return intro + (join(parts) if parts else note("no index sizes to compare in this result set"))
