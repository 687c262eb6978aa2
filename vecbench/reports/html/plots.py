"""The report's plots, each built from the rows of one dataset and k: frames in, matplotlib charts out."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import pandas as pd

from vecbench.reports.frontier import frontier, throughput, usable
from vecbench.reports.html.figure import (
    MARKERS,
    Chart,
    byte_size,
    logit_recall,
    number,
    recall_axis,
    scale_axis,
)

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
    cpu = _f(row.get("cpu_ms_per_query"))
    if math.isfinite(cpu):
        parts.append(f"CPU {cpu:.3g} ms/query")
    p99 = _f(row.get("latency_p99_ms"))
    if math.isfinite(p99):
        parts.append(f"p99 {p99:.3g} ms")
    return point_name(row) + "\n" + " · ".join([*parts, *extra])


@dataclass(frozen=True)
class PlotOptions:
    """How the recall axis is drawn, and what recall step one query-neighbour is."""

    logit: bool = False

    def recall(self, frame: pd.DataFrame) -> list[float]:
        values = [float(v) for v in pd.to_numeric(frame["recall"], errors="coerce")]
        if not self.logit:
            return values
        return [logit_recall(v, _resolution(frame)) for v in values]


LINEAR = PlotOptions()  # the default: recall on a linear axis


def _resolution(frame: pd.DataFrame) -> float:
    """The smallest recall step: one neighbour of one query."""
    sizes = pd.to_numeric(frame["n_queries"], errors="coerce") * pd.to_numeric(frame["k"], errors="coerce")
    size = float(sizes.max()) if sizes.notna().any() else 1000.0
    return 1.0 / max(size, 2.0)


def _usable(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    ok = frame[frame["status"] == "ok"]
    for column in columns:
        ok = ok[pd.to_numeric(ok[column], errors="coerce").notna()]
    return ok


def _recall_label(axes: PlotOptions) -> str:
    return "recall (logit scale)" if axes.logit else "recall"


def pareto_chart(
    group: pd.DataFrame,
    colours: Mapping[str, str],
    title: str,
    speed: str = "qps",
    axes: PlotOptions = LINEAR,
    out_dir: Path | None = None,
) -> Chart | None:
    """Recall against throughput (``speed``: QPS, or queries per CPU-second), a colour per adapter,
    each adapter's frontier as a line, the frontier over all adapters dashed in black with ringed
    points, and each frontier point's noise interval as a vertical bar."""
    ok = usable(group, speed)
    if ok.empty:
        return None
    chart = Chart("pareto", title, 820, 440)
    ax = chart.ax
    ok = ok.assign(_x=axes.recall(ok), _y=throughput(ok, speed))
    for label in sorted(ok["label"].unique()):
        colour = colours[label]
        mine = ok[ok["label"] == label]
        for _, r in mine.iterrows():
            chart.point(r["_x"], r["_y"], tip(r), color=colour, alpha=0.35, markersize=5, markeredgewidth=0)
        front = frontier(mine, speed, None, out_dir)
        front = front.assign(_x=axes.recall(front), _y=throughput(front, speed)).sort_values("_x")
        ax.plot(front["_x"], front["_y"], color=colour, linewidth=1.8, label=label)
        ax.vlines(front["_x"], front["speed_low"], front["speed_high"], color=colour, alpha=0.35, linewidth=3)
        for _, r in front.iterrows():
            note = "adapter frontier" + (" (within noise)" if r["frontier"] != "yes" else "")
            chart.point(r["_x"], r["_y"], tip(r, note, _interval_text(r, speed)), color=colour, markersize=6)
    best = frontier(ok, speed, None, out_dir)
    best = best.assign(_x=axes.recall(best), _y=throughput(best, speed)).sort_values("_x")
    ax.plot(
        best["_x"],
        best["_y"],
        color=FRONTIER_COLOUR,
        linewidth=1.3,
        linestyle="--",
        label="frontier (all adapters)",
    )
    for _, r in best.iterrows():
        chart.point(
            r["_x"], r["_y"], tip(r, "overall frontier", _interval_text(r, speed)),
            marker="o", markersize=11, markerfacecolor="none", markeredgecolor=FRONTIER_COLOUR, markeredgewidth=1.4,
        )  # fmt: skip
    recall_axis(ax, "x", axes.logit)
    scale_axis(ax, "y", list(ok["_y"]), log=True)
    ax.set_xlabel(_recall_label(axes))
    ax.set_ylabel("queries per second" if speed == "qps" else "queries per CPU-second (1 / CPU time)")
    chart.legend()
    return chart


def _interval_text(row: Row, speed: str) -> str:
    low, high = _f(row.get("speed_low")), _f(row.get("speed_high"))
    if not (math.isfinite(low) and math.isfinite(high)) or low == high:
        return "no noise interval (one timing)"
    unit = "QPS" if speed == "qps" else "queries per CPU-s"
    return f"measured range {number(low)}-{number(high)} {unit}"


LATENCIES = (
    ("latency_p50_ms", "p50"),
    ("latency_p95_ms", "p95"),
    ("latency_p99_ms", "p99"),
    ("latency_p999_ms", "p99.9"),
)


def _sweep_lines(
    chart: Chart, ok: pd.DataFrame, column: str, colours: Mapping[str, str], axes: PlotOptions
) -> None:
    """One line per build point through its query points, ordered by recall."""
    labelled: set[str] = set()
    for _, build in ok.groupby("build_key", sort=False):
        build = build.sort_values("recall")
        label = str(build["label"].iloc[0])
        colour = colours[label]
        xs = axes.recall(build)
        chart.ax.plot(
            xs, build[column].astype(float), color=colour, linewidth=1.2, alpha=0.7,
            label=label if label not in labelled else "_nolegend_",
        )  # fmt: skip
        labelled.add(label)
        for x, (_, r) in zip(xs, build.iterrows(), strict=True):
            chart.point(x, _f(r[column]), tip(r, f"{column} {_f(r[column]):.4g}"), color=colour, markersize=4)


def latency_charts(
    group: pd.DataFrame, colours: Mapping[str, str], title: str, axes: PlotOptions = LINEAR
) -> list[Chart]:
    """Single-query latency percentiles against recall, one chart per percentile."""
    charts = []
    for column, name in LATENCIES:
        ok = _usable(group, "recall", column)
        if ok.empty:
            continue
        chart = Chart(f"latency-{name}", f"{name} latency vs recall · {title}", 620, 360)
        _sweep_lines(chart, ok, column, colours, axes)
        recall_axis(chart.ax, "x", axes.logit)
        scale_axis(chart.ax, "y", list(ok[column].astype(float)), log=True)
        chart.ax.set_xlabel(_recall_label(axes))
        chart.ax.set_ylabel(f"{name} latency (ms)")
        chart.legend()
        charts.append(chart)
    return charts


def _mib(value: float) -> str:
    return f"{value:g} MiB" if value >= 1 else byte_size(value * 2**20)


def cost_charts(
    group: pd.DataFrame, colours: Mapping[str, str], title: str, axes: PlotOptions = LINEAR
) -> list[Chart]:
    """Build time and index size (MiB) against recall: one bar per build point spanning the recall
    its query points reach, with a dot at the highest."""
    charts = []
    for column, label, scale, fmt, name in (
        ("build_s", "build time (s)", 1.0, number, "build-time"),
        ("index_bytes", "index size (MiB)", 2.0**-20, _mib, "index-memory"),
    ):
        ok = _usable(group, "recall", column)
        if ok.empty:
            continue
        chart = Chart(name, f"{label} vs recall · {title}", 620, 360)
        labelled: set[str] = set()
        values = []
        for _, build in ok.groupby("build_key", sort=False):
            build = build.sort_values("recall")
            first = build.iloc[-1]
            lab = str(first["label"])
            colour = colours[lab]
            value = _f(first[column]) * scale
            values.append(value)
            xs = axes.recall(build)
            text = f"{lab} {compact_params(first['build_params'])}\n{label}: {fmt(value)}"
            chart.ax.hlines(
                value, min(xs), max(xs), color=colour, linewidth=3, alpha=0.55,
                label=lab if lab not in labelled else "_nolegend_",
            )  # fmt: skip
            labelled.add(lab)
            chart.point(xs[-1], value, text, color=colour, markersize=6)
        recall_axis(chart.ax, "x", axes.logit)
        scale_axis(chart.ax, "y", values, log=True, fmt=fmt)
        chart.ax.set_xlabel(_recall_label(axes))
        chart.ax.set_ylabel(label)
        chart.legend()
        charts.append(chart)
    return charts


def filter_charts(
    group: pd.DataFrame, colours: Mapping[str, str], title: str, axes: PlotOptions = LINEAR
) -> list[Chart]:
    """Recall and p99 latency against the measured pass-rate: colour per adapter, marker per strategy."""
    ok = _usable(group, "recall", "pass_rate")
    if ok.empty:
        return []
    strategies = sorted(str(s) for s in ok["strategy"].fillna("-").unique())
    marker = {s: MARKERS[i % len(MARKERS)] for i, s in enumerate(strategies)}
    charts = []
    for column, label in (("recall", "recall"), ("latency_p99_ms", "p99 latency (ms)")):
        present = _usable(ok, column)
        if present.empty:
            continue
        chart = Chart(f"filter-{column}", f"{label} under filters · {title}", 700, 400)
        keys = [
            "label",
            present["strategy"].fillna("-").astype(str).rename("_strategy"),
            "build_key",
            "query_params",
        ]
        labelled: set[str] = set()
        for group_key, series in present.groupby(keys, sort=True):
            lab, strategy = str(group_key[0]), str(group_key[1])
            series = series.sort_values("pass_rate")
            colour = colours[lab]
            chart.ax.plot(
                series["pass_rate"].astype(float), series[column].astype(float), color=colour, linewidth=1.2,
                label=lab if lab not in labelled else "_nolegend_",
            )  # fmt: skip
            labelled.add(lab)
            for _, r in series.iterrows():
                text = tip(r, f"pass-rate {_f(r['pass_rate']):.3g}", f"strategy {strategy}")
                chart.point(_f(r["pass_rate"]), _f(r[column]), text, color=colour, marker=marker[strategy])
        for strategy in strategies:
            chart.ax.plot(
                [], [], linestyle="none", marker=marker[strategy], color="#555", label=f"strategy: {strategy}"
            )
        scale_axis(chart.ax, "x", list(present["pass_rate"].astype(float)), log=True)
        if column == "recall":
            recall_axis(chart.ax, "y", False)
        else:
            scale_axis(chart.ax, "y", list(present[column].astype(float)), log=True)
        chart.ax.set_xlabel("pass-rate (fraction of items passing the filter)")
        chart.ax.set_ylabel(label)
        chart.legend()
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
    """A forest plot: each configuration's difference from exact retrieval for one metric, with
    its interval; zero is marked, and the configurations are named in full down the left side."""
    shown = [item for item in items if math.isfinite(item.delta)]
    if not shown:
        return None
    chart = Chart(f"delta-{metric}", f"{metric} vs exact retrieval · {title}", 860, 90 + 26 * len(shown))
    ax = chart.ax
    rows = list(range(len(shown)))[::-1]
    for y, item in zip(rows, shown, strict=True):
        text = f"{item.name}\n{metric} {item.delta:+.4f} vs exact"
        if math.isfinite(item.low) and math.isfinite(item.high):
            text += f", interval [{item.low:+.4f}, {item.high:+.4f}]"
            ax.hlines(y, item.low, item.high, color=item.colour, linewidth=3, alpha=0.6)
        chart.point(item.delta, y, text, color=item.colour, markersize=6)
    ax.axvline(0.0, color="#888", linewidth=1.0, linestyle="--")
    ax.set_yticks(rows, [item.name for item in shown], fontsize=9)
    ax.set_ylim(-0.7, len(shown) - 0.3)
    ax.grid(False, axis="y")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:+.3g}")
    ax.set_xlabel(f"{metric}: value minus exact retrieval")
    return chart


LINESTYLES = ("-", "--", ":", "-.")
SET_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def overlay_chart(
    sides: Sequence[tuple[str, pd.DataFrame]],
    colours: Mapping[str, str],
    title: str,
    speed: str = "qps",
    axes: PlotOptions = LINEAR,
) -> Chart | None:
    """Several result sets' per-adapter frontiers on one recall/speed chart: colour per adapter,
    line style and marker per result set (named in the legend)."""
    present = [(name, usable(frame, speed)) for name, frame in sides]
    present = [(name, frame) for name, frame in present if not frame.empty]
    if not present:
        return None
    chart = Chart("compare-pareto", title, 900, 460)
    ax = chart.ax
    every = pd.concat([frame for _, frame in present], ignore_index=True)
    for index, (name, frame) in enumerate(present):
        style, marker = LINESTYLES[index % len(LINESTYLES)], SET_MARKERS[index % len(SET_MARKERS)]
        for label in sorted(frame["label"].unique()):
            front = frontier(frame[frame["label"] == label], speed)
            front = front.assign(_x=axes.recall(front), _y=throughput(front, speed)).sort_values("_x")
            ax.plot(front["_x"], front["_y"], color=colours[label], linewidth=1.6, linestyle=style)
            for _, r in front.iterrows():
                chart.point(
                    r["_x"], r["_y"], f"{name}: " + tip(r), marker=marker, color=colours[label],
                    markersize=5, markerfacecolor="white" if index % 2 else colours[label],
                )  # fmt: skip
        ax.plot([], [], color="#444", linestyle=style, marker=marker, label=name)
    for label in sorted(every["label"].unique()):
        ax.plot([], [], color=colours[label], linewidth=3, label=label)
    recall_axis(ax, "x", axes.logit)
    scale_axis(ax, "y", list(throughput(every, speed)), log=True)
    ax.set_xlabel(_recall_label(axes))
    ax.set_ylabel("queries per second" if speed == "qps" else "queries per CPU-second (1 / CPU time)")
    chart.legend()
    return chart
