"""The size-sweep section: each configuration's costs against base size, every size on one chart.

Drawn only for result sets measured at more than one ``n_base`` (a config with ``sizes: [..]``);
one line per index configuration (build and query parameters), log-scaled size on x.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from vecbench.reports.html.figure import Chart, byte_size, number, scale_axis
from vecbench.reports.html.plots import PlotOptions, compact_params

SERIES = (
    ("index_bytes", "index size", byte_size, "size-memory"),
    ("build_s", "build time (s)", number, "size-build"),
    ("latency_p99_ms", "p99 latency (ms)", number, "size-p99"),
    ("recall", "recall at fixed parameters", number, "size-recall"),
)


def has_sizes(frame: pd.DataFrame) -> bool:
    return "n_base" in frame and frame.loc[frame["status"] == "ok", "n_base"].nunique() > 1


def size_charts(
    group: pd.DataFrame, colours: Mapping[str, str], title: str, axes: PlotOptions | None = None
) -> list[Chart]:
    """One chart per cost, one line per configuration across the sizes it was measured at."""
    ok = group[group["status"] == "ok"]
    if ok["n_base"].nunique() < 2:
        return []
    charts = []
    for column, label, fmt, name in SERIES:
        rows = ok[ok[column].notna()]
        if rows.empty:
            continue
        chart = Chart(name, f"{label} vs base size · {title}", 620, 360)
        values: list[float] = []
        for (lab, build, query), line in rows.groupby(["label", "build_params", "query_params"], sort=True):
            medians = line.groupby("n_base")[column].median().sort_index()
            text = f"{lab} {compact_params(build)} | {compact_params(query)}"
            chart.ax.plot(medians.index, medians.to_numpy(float), color=colours.get(str(lab), "#555555"), linewidth=1.4)
            for n, value in zip(medians.index.to_numpy(float), medians.to_numpy(float), strict=True):
                chart.point(float(n), float(value), f"{text}\nn={n:,.0f}: {fmt(float(value))}",
                            color=colours.get(str(lab), "#555555"), markersize=5)  # fmt: skip
                values.append(float(value))
        chart.ax.set_xscale("log")
        if column != "recall":
            scale_axis(chart.ax, "y", values, log=True, fmt=fmt)
        chart.ax.set_xlabel("items in the base (n_base)")
        chart.ax.set_ylabel(label)
        charts.append(chart)
    return charts
