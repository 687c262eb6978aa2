"""The report's plots, each built from the rows of one dataset and k: frames in, SVG charts out."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import pandas as pd

from vecbench.reports.html.svg import MARKERS, Axis, Chart, LegendEntry, Point, byte_size, number

FRONTIER_COLOUR = "#111111"

# A result row: a dict from the runner or a pandas row read back from the store.
Row = Union[Mapping[str, Any], "pd.Series[Any]"]


def compact_params(text: Any) -> str:
    """'{"M":16,"ef":10}' -> 'M=16 ef=10'."""
    if not isinstance(text, str) or not text:
        return "-"
    try:
        params = json.loads(text)
    except json.JSONDecodeError:
        return text
    return " ".join(f"{key}={value}" for key, value in params.items()) or "-"


def point_name(row: Row) -> str:
    """'hnswlib M=16 ef_construction=200 | ef=80': how a point is named everywhere in a report."""
    return f"{row['label']} {compact_params(row['build_params'])} | {compact_params(row['query_params'])}"


def _f(value: Any) -> float:
    try:
        number_ = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number_


def tip(row: Row, *extra: str) -> str:
    parts = [f"recall {_f(row['recall']):.4f}", f"{number(_f(row['qps']))} QPS"]
    p99 = _f(row.get("latency_p99_ms"))
    if math.isfinite(p99):
        parts.append(f"p99 {p99:.3g} ms")
    return point_name(row) + "\n" + " · ".join([*parts, *extra])


def overall_frontier(frame: pd.DataFrame) -> pd.DataFrame:
    """Points no other point (any adapter) beats on both recall and QPS, by rising recall."""
    ordered = frame.sort_values(["recall", "qps"], ascending=[False, False])
    keep, best = [], -math.inf
    for index, row in ordered.iterrows():
        if row["qps"] > best:
            keep.append(index)
            best = row["qps"]
    return frame.loc[keep].sort_values("recall")


def _usable(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    ok = frame[frame["status"] == "ok"]
    for column in columns:
        ok = ok[pd.to_numeric(ok[column], errors="coerce").notna()]
    return ok


def _legend(labels: Iterable[str], colours: Mapping[str, str]) -> list[LegendEntry]:
    return [LegendEntry(label, colours[label]) for label in labels]


def pareto_chart(group: pd.DataFrame, colours: Mapping[str, str], title: str) -> Chart | None:
    """Recall against QPS (log), a colour per adapter, each adapter's frontier drawn as a line and
    the frontier over all adapters drawn dashed in black with ringed points."""
    ok = _usable(group, "recall", "qps")
    if ok.empty:
        return None
    chart = Chart(
        Axis.fit("recall", ok["recall"].astype(float)),
        Axis.fit("queries per second", ok["qps"].astype(float), log=True),
        title,
        "pareto",
        width=760,
        height=400,
    )
    labels = sorted(ok["label"].unique())
    for label in labels:
        mine = ok[ok["label"] == label]
        chart.points(
            [Point(r["recall"], r["qps"], tip(r)) for _, r in mine.iterrows()], colours[label], opacity=0.35
        )
        front = overall_frontier(mine)
        chart.line([Point(r["recall"], r["qps"], "") for _, r in front.iterrows()], colours[label], 1.8)
        chart.points(
            [Point(r["recall"], r["qps"], tip(r, "adapter frontier")) for _, r in front.iterrows()],
            colours[label],
        )
    front = overall_frontier(ok)
    chart.line(
        [Point(r["recall"], r["qps"], "") for _, r in front.iterrows()], FRONTIER_COLOUR, 1.4, dashed=True
    )
    chart.points(
        [Point(r["recall"], r["qps"], tip(r, "overall frontier")) for _, r in front.iterrows()],
        "none",
        size=6.5,
        ring=FRONTIER_COLOUR,
    )
    chart.legend = [
        *_legend(labels, colours),
        LegendEntry("frontier (all adapters)", FRONTIER_COLOUR, dashed=True),
    ]
    return chart


LATENCIES = (
    ("latency_p50_ms", "p50"),
    ("latency_p95_ms", "p95"),
    ("latency_p99_ms", "p99"),
    ("latency_p999_ms", "p99.9"),
)


def _sweep_lines(chart: Chart, ok: pd.DataFrame, column: str, colours: Mapping[str, str]) -> None:
    """One line per build point through its query points, ordered by recall."""
    for _, build in ok.groupby("build_key", sort=False):
        build = build.sort_values("recall")
        colour = colours[build["label"].iloc[0]]
        pts = [Point(r["recall"], _f(r[column]), "") for _, r in build.iterrows()]
        chart.line(pts, colour, 1.2, opacity=0.7)
        chart.points(
            [
                Point(r["recall"], _f(r[column]), tip(r, f"{column} {_f(r[column]):.4g}"))
                for _, r in build.iterrows()
            ],
            colour,
            size=3.5,
        )


def latency_charts(group: pd.DataFrame, colours: Mapping[str, str], title: str) -> list[Chart]:
    """Single-query latency percentiles against recall, one small chart per percentile."""
    charts = []
    for column, name in LATENCIES:
        ok = _usable(group, "recall", column)
        if ok.empty:
            continue
        values = ok[column].astype(float)
        chart = Chart(
            Axis.fit("recall", ok["recall"].astype(float)),
            Axis.fit(f"{name} latency (ms)", values, log=True),
            f"{name} latency vs recall · {title}",
            f"latency-{name}",
            width=460,
            height=300,
        )
        _sweep_lines(chart, ok, column, colours)
        charts.append(chart)
    if charts:
        charts[0].width = 640
        charts[0].legend = _legend(sorted(_usable(group, "recall")["label"].unique()), colours)
    return charts


def cost_charts(group: pd.DataFrame, colours: Mapping[str, str], title: str) -> list[Chart]:
    """Build time and index size against recall: one bar per build point spanning the recall its
    query points reach, with a dot at the highest."""
    charts = []
    for column, label, fmt, name in (
        ("build_s", "build time (s)", number, "build-time"),
        ("index_bytes", "index size", byte_size, "index-memory"),
    ):
        ok = _usable(group, "recall", column)
        if ok.empty:
            continue
        chart = Chart(
            Axis.fit("recall", ok["recall"].astype(float)),
            Axis.fit(label, ok[column].astype(float), log=True, fmt=fmt),
            f"{label} vs recall · {title}",
            name,
            width=560,
            height=320,
        )
        for _, build in ok.groupby("build_key", sort=False):
            first = build.sort_values("recall").iloc[-1]
            colour = colours[first["label"]]
            value = _f(first[column])
            text = f"{first['label']} {compact_params(first['build_params'])}\n{label}: {fmt(value)}"
            chart.segment(float(build["recall"].min()), float(build["recall"].max()), value, colour, text)
            chart.points([Point(first["recall"], value, text)], colour, size=4.5)
        chart.legend = _legend(sorted(ok["label"].unique()), colours)
        charts.append(chart)
    return charts


def filter_charts(group: pd.DataFrame, colours: Mapping[str, str], title: str) -> list[Chart]:
    """Recall and p99 latency against the measured pass-rate: colour per adapter, marker per strategy."""
    ok = _usable(group, "recall", "pass_rate")
    if ok.empty:
        return []
    strategies = sorted(str(s) for s in ok["strategy"].fillna("-").unique())
    marker = {s: MARKERS[i % len(MARKERS)] for i, s in enumerate(strategies)}
    charts = []
    for column, label in (("recall", "recall"), ("latency_p99_ms", "p99 latency (ms)")):
        usable = _usable(ok, column)
        if usable.empty:
            continue
        chart = Chart(
            Axis.fit(
                "pass-rate (fraction of items passing the filter)",
                usable["pass_rate"].astype(float),
                log=True,
            ),
            Axis.fit(label, usable[column].astype(float), log=column != "recall"),
            f"{label} under filters · {title}",
            f"filter-{column}",
            width=620,
            height=340,
        )
        keys = [
            "label",
            usable["strategy"].fillna("-").astype(str).rename("_strategy"),
            "build_key",
            "query_params",
        ]
        for group_key, series in usable.groupby(keys, sort=True):
            lab, strategy = str(group_key[0]), str(group_key[1])
            series = series.sort_values("pass_rate")
            colour = colours[lab]
            chart.line([Point(r["pass_rate"], _f(r[column]), "") for _, r in series.iterrows()], colour, 1.2)
            chart.points(
                [
                    Point(
                        r["pass_rate"],
                        _f(r[column]),
                        tip(r, f"pass-rate {_f(r['pass_rate']):.3g}", f"strategy {strategy}"),
                    )
                    for _, r in series.iterrows()
                ],
                colour,
                marker[strategy],
            )
        chart.legend = [
            *_legend(sorted(usable["label"].unique()), colours),
            *(LegendEntry(f"strategy: {s}", "#555", marker[s]) for s in strategies),
        ]
        charts.append(chart)
    return charts


@dataclass(frozen=True)
class Delta:
    """One configuration's difference from exact retrieval and its interval (NaN when none)."""

    name: str
    delta: float
    low: float
    high: float
    colour: str


def delta_chart(items: Sequence[Delta], metric: str, title: str) -> Chart | None:
    """Each configuration's difference from exact retrieval for one metric, with its interval;
    zero is marked, and the configurations are named down the left side."""
    usable = [item for item in items if math.isfinite(item.delta)]
    if not usable:
        return None
    span = [v for item in usable for v in (item.delta, item.low, item.high, 0.0) if math.isfinite(v)]
    rows = float(len(usable) + 1)
    chart = Chart(
        Axis.fit(f"{metric}: value minus exact retrieval", span),
        Axis(" ", 0.0, rows, fmt=lambda _: ""),
        f"{metric} vs exact retrieval · {title}",
        f"delta-{metric}",
        width=720,
        height=70 + 24 * len(usable),
        left=250,
    )
    chart.line([Point(0.0, 0.0, ""), Point(0.0, rows, "")], "#888", 1.0, dashed=True)
    for index, item in enumerate(usable):
        y = rows - 1 - index
        text = f"{item.name}\n{metric} {item.delta:+.4f} vs exact"
        if math.isfinite(item.low) and math.isfinite(item.high):
            text += f", interval [{item.low:+.4f}, {item.high:+.4f}]"
            chart.segment(item.low, item.high, y, item.colour, text)
        chart.points([Point(item.delta, y, text)], item.colour, size=4.5)
        chart.row_label(y, item.name)
    return chart
