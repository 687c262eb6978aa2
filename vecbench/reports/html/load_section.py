"""The report's load section: per index, latency vs offered load (log latency axis, one line per
percentile), throughput vs clients, the saturation points and the headline "max QPS with p99 <= L
at recall >= R"."""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from vecbench.load.analysis import CURVE, headline, load_rows, saturation
from vecbench.reports.html.context import ReportContext, slug
from vecbench.reports.html.figure import Chart, colour_for, scale_axis
from vecbench.reports.html.markup import cell, join, note, table, tag
from vecbench.reports.html.plots import compact_params
from vecbench.reports.resultset import ResultSet

PERCENTILES = (
    ("load_p50_ms", "p50"),
    ("load_p90_ms", "p90"),
    ("load_p99_ms", "p99"),
    ("load_p999_ms", "p99.9"),
)


def has_load_rows(frame: pd.DataFrame) -> bool:
    return not load_rows(frame).empty


def _name(keys: dict[str, Any]) -> str:
    path = "served" if keys.get("served") else "in-process"
    return f"{keys['label']} {compact_params(keys['build_params'])} | {compact_params(keys['query_params'])} ({path})"


def _latency_chart(curve: pd.DataFrame, title: str) -> Chart:
    chart = Chart("latency-vs-load", f"latency vs offered load · {title}", 620, 360)
    values: list[float] = []
    curve = curve.sort_values("offered_rate")
    for i, (column, name) in enumerate(PERCENTILES):
        xs = curve["offered_rate"].astype(float).tolist()
        ys = curve[column].astype(float).tolist()
        values += ys
        chart.ax.plot(xs, ys, color=colour_for(i), linewidth=1.5, label=name)
        for x, y, qps in zip(xs, ys, curve["achieved_qps"].astype(float), strict=True):
            chart.point(
                x,
                y,
                f"{name} {y:.4g} ms at {x:g} req/s offered ({qps:.4g} achieved)",
                color=colour_for(i),
                markersize=4,
            )
    limit = float(curve["p99_limit_ms"].iloc[0]) if "p99_limit_ms" in curve else float("nan")
    if limit == limit:
        chart.ax.axhline(limit, color="#999999", linestyle="--", linewidth=1, label=f"p99 limit {limit:g} ms")
    scale_axis(chart.ax, "y", values, log=True)
    chart.ax.set_xlabel("offered load (requests/s)")
    chart.ax.set_ylabel("latency from intended start (ms)")
    chart.legend()
    return chart


def _clients_chart(curve: pd.DataFrame, title: str) -> Chart:
    chart = Chart("throughput-vs-clients", f"throughput vs clients · {title}", 620, 360)
    curve = curve.sort_values("clients")
    xs = curve["clients"].astype(float).tolist()
    ys = curve["achieved_qps"].astype(float).tolist()
    chart.ax.plot(xs, ys, color=colour_for(0), linewidth=1.5, label="achieved QPS")
    for x, y, p99 in zip(xs, ys, curve["load_p99_ms"].astype(float), strict=True):
        chart.point(x, y, f"{x:g} clients: {y:.4g} QPS, p99 {p99:.4g} ms", color=colour_for(0), markersize=5)
    scale_axis(chart.ax, "y", ys, log=False)
    chart.ax.set_xlabel("closed-loop clients")
    chart.ax.set_ylabel("achieved throughput (requests/s)")
    chart.legend()
    return chart


def load_section(rs: ResultSet, ctx: ReportContext) -> Markup:
    frame = rs.frame
    loads = load_rows(frame)
    recall_min = ctx.constraints.recall_min
    parts: list[Markup] = [
        note(
            "Open loop: requests arrive on schedule whatever the service does; latency counts from "
            "each request's intended start, so a stall is charged to every request it delays. Closed "
            "loop: each client sends when its last request answered (its own figure, which hides "
            "stalls). Percentiles come from HdrHistograms merged across clients and processes."
        )
    ]
    top = headline(frame, recall_min)
    if not top.empty:
        parts.append(tag("h3", f"Max QPS with p99 <= limit at recall >= {recall_min:g}"))
        parts.append(
            table(
                ["index", "path", "p99 limit (ms)", "max QPS", "at query params", "recall"],
                [
                    [
                        cell(f"{r['label']} {compact_params(r['build_params'])}"),
                        cell("served" if r["served"] else "in-process"),
                        cell(r["p99_limit_ms"]),
                        cell(r["max_qps"]),
                        cell(compact_params(r["at_query_params"]) if r["at_query_params"] else "-"),
                        cell(r["recall"]),
                    ]
                    for _, r in top.iterrows()
                ],
            )
        )
        curves = saturation(frame)
        parts.append(tag("h3", "Saturation point of each curve"))
        parts.append(
            table(
                ["curve", "recall", "rates", "saturation rate", "QPS there", "p99 there (ms)"],
                [
                    [
                        cell(_name(dict(r))),
                        cell(r["recall"]),
                        cell(r["rates"]),
                        cell(r["saturation_rate"]),
                        cell(r["saturation_qps"]),
                        cell(r["p99_at_saturation_ms"]),
                    ]
                    for _, r in curves.iterrows()
                ],
            )
        )
    charts: list[Markup] = []
    open_rows = loads[(loads["load_mode"] == "open") & (loads["status"] == "ok")]
    for keys, curve in open_rows.groupby(list(CURVE), dropna=False, sort=False):
        title = _name(dict(zip(CURVE, keys, strict=True)))
        charts.append(ctx.add(_latency_chart(curve, title), slug(title)))
    closed = loads[(loads["load_mode"] == "closed") & (loads["status"] == "ok")]
    for keys, curve in closed.groupby(["label", "build_params", "query_params", "served"], sort=False):
        if curve["clients"].nunique() > 1:
            title = _name(dict(zip(["label", "build_params", "query_params", "served"], keys, strict=True)))
            charts.append(ctx.add(_clients_chart(curve, title), slug(title)))
    if charts:
        parts.append(tag("div", *charts, class_="plots"))
    return join(parts)
