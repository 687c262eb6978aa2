"""``vecbench report A --compare B``: every section for two result sets side by side, preceded by
the differences between points both sets measured, highlighted by whether they got better or worse.

Points are matched by dataset, k, adapter label and parameters (not by point key, which also
hashes the dataset fingerprint), so two runs of one config on different data or machines still
line up; differing fingerprints are called out.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from vecbench.metrics.catalog import METRICS
from vecbench.reports.constraints import constraints_from
from vecbench.reports.frontier import speed_column
from vecbench.reports.html.context import ReportContext, colours_for
from vecbench.reports.html.markup import Cell, cell, join, note, table, tag
from vecbench.reports.html.page import render_page
from vecbench.reports.html.plots import LINEAR, PlotOptions, overlay_chart, point_name
from vecbench.reports.html.report import BuiltReport, subtitle_for, write_text
from vecbench.reports.html.sections import SECTIONS, Section
from vecbench.reports.resultset import ResultSet, load_result_set

MATCH = ["dataset", "k", "label", "build_params", "query_params"]
# (column, title, format, threshold, relative): a change smaller than the threshold is not coloured.
COMPARED: list[tuple[str, str, str, float, bool]] = [
    ("recall", "recall", "{:.4f}", 0.005, False),
    ("qps", "QPS", "{:,.0f}", 0.10, True),
    ("latency_p50_ms", "p50 ms", "{:.4g}", 0.10, True),
    ("latency_p99_ms", "p99 ms", "{:.4g}", 0.10, True),
    ("build_s", "build s", "{:.4g}", 0.10, True),
    ("index_bytes", "index bytes", "{:,.0f}", 0.02, True),
]


def change_cell(a: Any, b: Any, column: str, threshold: float, relative: bool) -> Cell:
    """B minus A (absolute or relative), classed better/worse by the metric's direction when the
    change passes the threshold; small changes are left uncoloured as likely noise."""
    x, y = _num(a), _num(b)
    if not (math.isfinite(x) and math.isfinite(y)):
        return Cell("-")
    if relative:
        if x == 0:
            return Cell("-")
        change = (y - x) / abs(x)
        text = f"{change:+.1%}"
    else:
        change = y - x
        text = f"{change:+.4f}"
    cls = None
    if abs(change) >= threshold:
        improved = (change > 0) == METRICS[column].higher_is_better
        cls = "better" if improved else "worse"
    return Cell(text, change, cls)


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def matched(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(rows in both, with _a/_b suffixes; only in A; only in B)."""
    if a.empty or b.empty:
        return pd.DataFrame(), a, b
    both = a.merge(b, on=MATCH, how="inner", suffixes=("_a", "_b"))
    keys_a = a.set_index(MATCH).index
    keys_b = b.set_index(MATCH).index
    return both, a[~keys_a.isin(keys_b)], b[~keys_b.isin(keys_a)]


def differences(a: ResultSet, b: ResultSet, colours: dict[str, str]) -> Markup:
    both, only_a, only_b = matched(a.frame, b.frame)
    parts: list[Markup] = [
        note(
            "B compared with A for points both measured. Green is better and red worse by each "
            "metric's direction; changes under 0.005 recall or 10% (2% for index size) are left "
            "uncoloured as likely noise."
        )
    ]
    prints_a = set(a.frame.get("dataset_fingerprint", pd.Series(dtype=str)).dropna())
    prints_b = set(b.frame.get("dataset_fingerprint", pd.Series(dtype=str)).dropna())
    if prints_a and prints_b and prints_a != prints_b:
        parts.append(
            tag(
                "p",
                tag("strong", "The datasets differ"),
                ": fingerprints ",
                ", ".join(sorted(prints_a)),
                " vs ",
                ", ".join(sorted(prints_b)),
                ".",
                class_="warn-text",
            )
        )
    parts.extend(_overlays(a, b, colours))
    if both.empty:
        parts.append(note("no point was measured in both result sets"))
    else:
        headers = ["point", "status A", "status B"]
        for _, title, _, _, relative in COMPARED:
            headers += [f"{title} A", f"{title} B", f"{title} {'change' if relative else 'Δ'}"]
        rows = []
        for _, r in both.sort_values(MATCH).iterrows():
            named = {
                "label": r["label"],
                "build_params": r["build_params"],
                "query_params": r["query_params"],
            }
            line = [Cell(point_name(named)), _status(r["status_a"]), _status(r["status_b"])]
            for column, _, fmt, threshold, relative in COMPARED:
                line += [cell(r[f"{column}_a"], fmt), cell(r[f"{column}_b"], fmt)]
                line.append(change_cell(r[f"{column}_a"], r[f"{column}_b"], column, threshold, relative))
            rows.append(line)
        parts.append(tag("div", table(headers, rows, sortable=True, name="differences"), class_="scroll"))
    for side, rest in (("A", only_a), ("B", only_b)):
        if not rest.empty:
            names = ", ".join(point_name(r) for _, r in rest.iterrows())
            parts.append(tag("p", tag("strong", f"Only in {side}: "), names))
    return join(parts)


def _status(value: Any) -> Cell:
    text = str(value)
    return Cell(text, None, "ok" if text == "ok" else "error")


def _overlays(a: ResultSet, b: ResultSet, colours: dict[str, str]) -> list[Markup]:
    """Per dataset and k, both sets' frontiers on one recall/speed chart: A solid, B dashed."""
    out: list[Markup] = []
    frame = pd.concat([a.ok().assign(_side="A"), b.ok().assign(_side="B")], ignore_index=True)
    if frame.empty:
        return out
    speed = speed_column(constraints_from(a.config).objective, frame)
    for (dataset, k), group in frame.groupby(["dataset", "k"], sort=True):
        sides = [(side, group[group["_side"] == side]) for side in ("A", "B")]
        chart = overlay_chart(sides, colours, f"frontiers, A solid and B dashed · {dataset}, k={k}", speed)
        if chart is not None:
            out.append(tag("figure", chart.render(), class_="plot-box"))
    return out


def environment_changes(a: ResultSet, b: ResultSet) -> Markup:
    flat_a, flat_b = _flatten(a.environment), _flatten(b.environment)
    rows = []
    for key in sorted(set(flat_a) | set(flat_b)):
        x, y = flat_a.get(key, "-"), flat_b.get(key, "-")
        changed = "changed" if x != y else None
        rows.append([Cell(key), Cell(x, None, changed), Cell(y, None, changed)])
    return table(["what", "A", "B"], rows, name="environment-compare")


def _flatten(env: dict[str, Any]) -> dict[str, str]:
    flat = {}
    for key, value in env.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                flat[f"{key}.{inner}"] = "-" if inner_value is None else str(inner_value)
        else:
            flat[key] = "-" if value is None else str(value)
    return flat


def pipeline_pairs(a: ResultSet, b: ResultSet) -> list[Section]:
    """Pipeline results of both runs paired by request (``reports.pipeline_compare``); refused with
    one line when their logs, splits or requests differ."""
    if a.pipeline.empty or b.pipeline.empty:
        return []
    from vecbench.reports.html.recommendation import value_cell
    from vecbench.reports.pipeline_compare import compare_runs

    rows = compare_runs(a.out_dir, b.out_dir)
    if rows.empty:
        return [Section("pipeline-pairs", "Pipeline, A vs B", note("no configuration ran in both"))]
    shown = rows[(rows["cohort"] == "all") & rows["metric"].str.match(r"(ndcg|recall)@")]
    lines = [
        [Cell(str(r[c])) for c in ("retrieval", "k_candidates", "stage", "metric")] + [value_cell(r)]
        for _, r in shown.sort_values(["retrieval", "k_candidates", "metric", "stage"]).iterrows()
    ]
    body = join(
        [
            note(
                "A's value with Δ = A - B, paired by request on the same log and split: bootstrap interval "
                "over users, randomisation-test p, Holm-corrected across the configurations (adj.)."
            ),
            table(["configuration", "k", "stage", "metric", "A (Δ vs B)"], lines, name="pipeline-pairs"),
        ]
    )
    return [Section("pipeline-pairs", "Pipeline, A vs B (paired by request)", body)]


def build_comparison(
    a_dir: str | Path,
    b_dir: str | Path,
    output: str | Path | None = None,
    options: PlotOptions = LINEAR,
) -> BuiltReport:
    """Write the side-by-side report of A and B (default A/compare-<B folder name>.html)."""
    started = time.perf_counter()
    a, b = load_result_set(a_dir), load_result_set(b_dir)
    colours = colours_for(a.frame, b.frame)
    ctx_a = ReportContext(colours, constraints_from(a.config), options, a.out_dir)
    ctx_b = ReportContext(colours, constraints_from(b.config), options, b.out_dir)
    label_a, label_b = f"A: {a.name} ({a.out_dir})", f"B: {b.name} ({b.out_dir})"
    sections = [
        *pipeline_pairs(a, b),
        Section("differences", "Differences (B vs A)", differences(a, b, colours)),
        Section("environment-changes", "Environment, A vs B", environment_changes(a, b)),
    ]
    for key, title, make in SECTIONS:
        if key == "environment":
            continue
        body = tag(
            "div",
            tag("div", tag("h4", label_a), make(a, ctx_a)),
            tag("div", tag("h4", label_b), make(b, ctx_b)),
            class_="compare",
        )
        sections.append(Section(key, title, body))
    html = render_page(
        f"vecbench comparison · {a.name} vs {b.name}",
        f"A: {subtitle_for(a)} — B: {subtitle_for(b)}",
        sections,
    )
    path = Path(output) if output else a.out_dir / f"compare-{b.out_dir.resolve().name}.html"
    size = write_text(path, html)
    return BuiltReport(path, size, time.perf_counter() - started, ())
