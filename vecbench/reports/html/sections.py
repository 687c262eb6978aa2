"""The report's sections, each a function of one result set: rows in, escaped HTML out.

Sections for results other parts of vecbench produce are driven by what the result set holds:
filtered search by rows with a measured ``pass_rate`` (with ``strategy`` and ``filter``, the
columns the filtered-retrieval runner adds), recommendation by OUT/pipeline.parquet (see
``html.recommendation``). Where a result set has none, the section says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from markupsafe import Markup

from vecbench.reports.constraints import Choice, Constraints, best_choices
from vecbench.reports.frontier import WITHIN_NOISE, frontier, speed_column, speed_title
from vecbench.reports.html.context import ReportContext, groups, slug
from vecbench.reports.html.figure import byte_size, number
from vecbench.reports.html.load_section import has_load_rows, load_section  # hook: issue 12
from vecbench.reports.html.markup import Cell, cell, join, note, table, tag
from vecbench.reports.html.memory_section import has_memory_frontier, memory_section  # hook: issue 14
from vecbench.reports.html.plots import (
    compact_params,
    cost_charts,
    filter_charts,
    latency_charts,
    pareto_chart,
    point_name,
)
from vecbench.reports.html.recommendation import pipeline_failures, recommendation
from vecbench.reports.html.size_charts import has_sizes
from vecbench.reports.noise import ONE_REPEAT_WARNING, single_repeat
from vecbench.reports.resultset import ResultSet

FILTER_COLUMNS = ("filter", "pass_rate", "strategy", "short_result_frac", "overfetch_mean")


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    body: Markup


def _title(dataset: str, k: int) -> str:
    return f"{dataset}, k={k}"


def _charts(rs: ResultSet, ctx: ReportContext, draw: Callable[..., Any], empty: str) -> Markup:
    parts: list[Markup] = []
    for dataset, k, group in groups(rs.frame):
        found = draw(group, ctx.colours, _title(dataset, k), ctx.options)
        charts = [c for c in (found if isinstance(found, list) else [found]) if c is not None]
        where = f"{slug(dataset)}-k{k}"
        if charts:
            parts.append(tag("h3", _title(dataset, k)))
            parts.append(tag("div", *(ctx.add(c, where) for c in charts), class_="plots"))
    return join(parts) if parts else note(empty)


# ---- overview ---------------------------------------------------------------------------------


def overview(rs: ResultSet, ctx: ReportContext) -> Markup:
    frame, env = rs.frame, rs.environment
    cards = []
    for dataset, k, group in groups(frame):
        first = group.iloc[0]
        cards.append(
            _card(
                "dataset",
                dataset,
                f"{_int(first['n_base'])} vectors × {_int(first['dim'])} dims, "
                f"{_int(first['n_queries'])} queries, {first['metric']}, k={k}",
            )
        )
    if not frame.empty:
        ok, failed = len(rs.ok()), len(rs.failed())
        cards.append(_card("points", f"{ok} measured", f"{failed} failed" if failed else "none failed"))
    if not rs.pipeline.empty:
        cards.append(_pipeline_card(rs))
    for choice in best_choices(frame, ctx.constraints, ctx.out_dir):
        if choice.scope == "all adapters":
            cards.append(_best_card(choice, ctx.constraints))
    machine = env.get("cpu_model") or "unknown CPU"
    cores = env.get("cpu_affinity") or env.get("cpu_count")
    cards.append(
        _card(
            "machine",
            str(machine),
            f"{cores} cores · search threads {env.get('search_threads', '-')} · "
            f"vecbench {env.get('vecbench_version', '-')} @ {str(env.get('git_commit') or '-')[:10]}",
        )
    )
    return tag("div", *cards, class_="cards")


def _pipeline_card(rs: ResultSet) -> Markup:
    first = rs.pipeline.iloc[0]
    configs = rs.pipeline.drop_duplicates("point_key")
    configs = configs[configs["retrieval"] != "-"]
    failed = int((configs["status"] != "ok").sum())
    return _card(
        "recommendation pipeline",
        f"{first['log']} · {len(configs)} configurations",
        f"split {first['split']} · embedding {first['embedding']} · scorer {first['scorer']} · "
        f"re-rank {first['rerank']}" + _stage_filter(first) + (f" · {failed} failed" if failed else ""),
    )


def _stage_filter(first: pd.Series) -> str:
    """The stage-1 filter every configuration honoured, with its measured pass-rate."""
    text = first.get("filter")
    if text is None or pd.isna(text):
        return ""
    name = first.get("filter_name")
    named = f" ({name})" if isinstance(name, str) and name != text else ""
    return f" · stage-1 filter {text}{named}, pass-rate {float(first['pass_rate']):.3f}"


def _int(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "-"


def _card(kind: str, headline: str, detail: str, cls: str = "card") -> Markup:
    return tag(
        "div",
        tag("div", kind, class_="card-kind"),
        tag("div", headline, class_="card-main"),
        tag("div", detail, class_="card-detail"),
        class_=cls,
    )


def _best_card(choice: Choice, constraints: Constraints) -> Markup:
    where = _title(choice.dataset, choice.k)
    if choice.row is None:
        return _card(f"best · {where}", "no point meets the constraints", constraints.describe(), "card warn")
    row = choice.row
    tied = f" · {len(choice.equivalent)} other(s) equivalent within noise" if choice.equivalent else ""
    return _card(
        f"best · {where}",
        f"{row['label']} · {_objective_text(row, constraints)} at recall {float(row['recall']):.3f}",
        f"{compact_params(row['build_params'])} | {compact_params(row['query_params'])} · "
        f"{number(float(row['qps']))} QPS · p99 {float(row['latency_p99_ms']):.3g} ms · "
        f"{constraints.describe()}{tied}",
        "card good",
    )


def _objective_text(row: pd.Series, constraints: Constraints) -> str:
    value = float(row[constraints.objective])
    if constraints.objective == "cpu_ms_per_query":
        return f"{value:.3g} CPU ms/query"
    if constraints.objective == "qps":
        return f"{number(value)} QPS"
    if constraints.objective == "index_bytes":
        return byte_size(value)
    return f"{constraints.objective} {value:.4g}"


# ---- plots ------------------------------------------------------------------------------------


def pareto(rs: ResultSet, ctx: ReportContext) -> Markup:
    speed = speed_column(ctx.constraints.objective, rs.frame)
    axis = "queries per CPU-second (1 / CPU time per query, which waiting for the CPU does not inflate)"
    intro = note(
        f"Each dot is one query point; y is {'wall-clock QPS' if speed == 'qps' else axis}. Lines join "
        "each adapter's frontier (no other point of the adapter has both higher recall and higher "
        "speed); bars show each frontier point's measured range. The dashed black line and ringed points "
        "are the frontier over all adapters, listed below the plot; 'within noise' marks a point beaten "
        "by less than the measured noise. Hover a point for its parameters."
    )
    parts: list[Markup] = [_one_repeat(rs)]
    for dataset, k, group in groups(rs.frame):
        chart = pareto_chart(group, ctx.colours, _title(dataset, k), speed, ctx.options, ctx.out_dir)
        if chart is None:
            continue
        rows = [
            [
                Cell(str(r["label"])),
                Cell(f"{compact_params(r['build_params'])} | {compact_params(r['query_params'])}"),
                cell(r["recall"], "{:.4f}"),
                cell(r["cpu_ms_per_query"], "{:.3g}"),
                cell(r["qps"], "{:,.0f}"),
                Cell(
                    "≈ within noise" if r["frontier"] == WITHIN_NOISE else "yes",
                    None,
                    "muted" if r["frontier"] == WITHIN_NOISE else None,
                ),
            ]
            for _, r in frontier(group, speed, None, ctx.out_dir).iterrows()
        ]
        side = tag(
            "div",
            tag("h4", f"frontier over all adapters, by recall and {speed_title(speed)}"),
            table(["adapter", "parameters", "recall", "CPU ms/q", "QPS", "frontier"], rows, name="frontier"),
            class_="below",
        )
        parts.append(tag("h3", _title(dataset, k)))
        parts.append(ctx.add(chart, f"{slug(dataset)}-k{k}"))
        parts.append(side)
    return intro + (join(parts) if len(parts) > 1 else note("no finished points in this result set"))


def _one_repeat(rs: ResultSet) -> Markup:
    if not single_repeat(rs.frame):
        return Markup("")
    return tag("p", tag("strong", "Noise: "), ONE_REPEAT_WARNING + ".", class_="warn-text")


def latency(rs: ResultSet, ctx: ReportContext) -> Markup:
    intro = note("Single-query latency percentiles; one line per built index through its query points.")
    return intro + _charts(rs, ctx, latency_charts, "no latency measurements in this result set")


def sizes(rs: ResultSet, ctx: ReportContext) -> Markup:
    """hook: issue 14 -- a size sweep's costs against n_base (vecbench.reports.html.size_charts)."""
    from vecbench.reports.html.size_charts import size_charts

    intro = note("Every configuration at every base size it was measured at; `vecbench plan` fits these.")
    return intro + _charts(rs, ctx, size_charts, "a single base size in this result set")


def costs(rs: ResultSet, ctx: ReportContext) -> Markup:
    intro = note(
        "One bar per built index, spanning the recall its query points reach; the dot marks the highest."
    )
    return intro + _charts(rs, ctx, cost_charts, "no build measurements in this result set")


# ---- best configuration -----------------------------------------------------------------------


def best(rs: ResultSet, ctx: ReportContext) -> Markup:
    constraints = ctx.constraints
    choices = best_choices(rs.frame, constraints, ctx.out_dir)
    if not choices:
        return note("no points in this result set")
    intro = tag(
        "p",
        "Question (from the config's ",
        tag("code", "constraints"),
        " section): ",
        tag("strong", constraints.describe()),
        ". Memory means the index size. A point is ",
        tag("em", "equivalent"),
        " when its objective's measured range overlaps the best's: a rerun could put it first.",
    )
    several = len({(c.dataset, c.k) for c in choices}) > 1
    headers = [
        *(["dataset", "k"] if several else []),
        "among",
        "best point",
        "recall",
        "QPS",
        "p99 ms",
        "index",
        "build s",
        "CPU ms/q",
        "vs best",
        "points meeting",
    ]
    rows = []
    leaders = {(c.dataset, c.k): c.row for c in choices if c.scope == "all adapters"}
    for choice in choices:
        row = choice.row
        where = [Cell(choice.dataset), cell(choice.k)] if several else []
        among = Cell(choice.scope, None, "scope-all" if choice.scope == "all adapters" else None)
        if row is None:
            rows.append(
                [*where, among, Cell("none meets the constraints", None, "muted"), *[Cell("-")] * 7, cell(0)]
            )
            continue
        rows.append(
            [
                *where,
                among,
                Cell(point_name(row)),
                cell(row["recall"]),
                cell(row["qps"], "{:,.0f}"),
                cell(row["latency_p99_ms"]),
                _bytes(row["index_bytes"]),
                cell(row["build_s"]),
                cell(row["cpu_ms_per_query"], "{:.3g}"),
                _versus(choice, leaders.get((choice.dataset, choice.k)), constraints.objective),
                cell(choice.candidates),
            ]
        )
    equivalent = [
        tag(
            "p",
            tag("strong", f"Equivalent to the best · {_title(c.dataset, c.k)}: "),
            ", ".join(point_name(r) for r in c.equivalent),
        )
        for c in choices
        if c.scope == "all adapters" and c.equivalent
    ]
    return intro + _one_repeat(rs) + table(headers, rows, sortable=True, name="best") + join(equivalent)


def _versus(choice: Choice, leader: pd.Series | None, objective: str) -> Cell:
    """'best', 'equivalent' (within noise of the best) or 'worse' (with the ratio of the two
    objective values) for one scope's best point."""
    if choice.scope == "all adapters":
        extra = f", {len(choice.equivalent)} equivalent" if choice.equivalent else ""
        return Cell(f"best{extra}", None, "ok")
    if choice.versus == "equivalent":
        return Cell("equivalent", None, "ok", "its measured range overlaps the best's")
    if choice.versus == "worse" and leader is not None and choice.row is not None:
        try:
            ratio = float(choice.row[objective]) / float(leader[objective])
        except (TypeError, ValueError, ZeroDivisionError):
            ratio = float("nan")
        if ratio == ratio and ratio > 0:
            return Cell(f"worse ({max(ratio, 1 / ratio):.2g}x)", None, "muted")
    return Cell(choice.versus or "-", None, "ok" if choice.versus == "best" else "muted")


def _bytes(value: Any) -> Cell:
    base = cell(value)
    if base.sort is None:
        return base
    return Cell(byte_size(base.sort), base.sort)


# ---- filters and recommendation (driven by the columns present) -------------------------------


def has_filtered_rows(frame: pd.DataFrame) -> bool:
    return "pass_rate" in frame and bool(pd.to_numeric(frame["pass_rate"], errors="coerce").notna().any())


def filters(rs: ResultSet, ctx: ReportContext) -> Markup:
    frame = rs.frame
    if not has_filtered_rows(frame):
        return note("no filtered runs in this result set")
    frame = frame.copy()
    if "strategy" not in frame:
        frame["strategy"] = None
    shown = ResultSet(
        rs.out_dir,
        frame[pd.to_numeric(frame["pass_rate"], errors="coerce").notna()],
        rs.environment,
        rs.config,
    )
    charts = _charts(shown, ctx, filter_charts, "no finished filtered points")
    headers = ["point", *[c for c in FILTER_COLUMNS if c in frame], "recall", "p99 ms"]
    rows = [
        [
            Cell(point_name(r)),
            *[cell(r[c]) for c in FILTER_COLUMNS if c in frame],
            cell(r["recall"]),
            cell(r["latency_p99_ms"]),
        ]
        for _, r in shown.frame.sort_values(["label", "pass_rate"]).iterrows()
    ]
    return charts + table(headers, rows, sortable=True, name="filters")


# ---- failures, every point, environment -------------------------------------------------------


def failed(rs: ResultSet, ctx: ReportContext) -> Markup:
    bad = rs.failed()
    rows = (
        [
            [
                Cell(str(r["label"])),
                Cell(compact_params(r["build_params"])),
                Cell(compact_params(r["query_params"])),
                Cell(str(r["error"]), None, "error"),
            ]
            for _, r in bad.sort_values(["label", "build_params"]).iterrows()
        ]
        if not bad.empty
        else []
    )
    rows += pipeline_failures(rs.pipeline)
    if not rows:
        return note("no failed points in this result set")
    return table(["adapter", "build", "query", "reason"], rows, sortable=True, name="failed")


POINT_COLUMNS: list[tuple[str, str, str]] = [
    ("recall", "recall", "{:.4f}"),
    ("recall_ids", "recall (ids)", "{:.4f}"),
    ("qps", "QPS", "{:,.0f}"),
    ("cpu_ms_per_query", "CPU ms/q", "{:.4g}"),
    ("latency_p50_ms", "p50 ms", "{:.4g}"),
    ("latency_p95_ms", "p95 ms", "{:.4g}"),
    ("latency_p99_ms", "p99 ms", "{:.4g}"),
    ("latency_p999_ms", "p99.9 ms", "{:.4g}"),
    ("build_s", "build s", "{:.4g}"),
]


def points(rs: ResultSet, ctx: ReportContext) -> Markup:
    frame = rs.frame
    if frame.empty:
        where = " (the pipeline's results are under Recommendation metrics)" if not rs.pipeline.empty else ""
        return note(f"no index-sweep points in this result set{where}")
    several = frame["dataset"].nunique() > 1 or frame["k"].nunique() > 1
    extras = [c for c in FILTER_COLUMNS if c in frame and frame[c].notna().any()]
    headers = [*(["dataset", "k"] if several else []), "adapter", "build", "query"]
    headers += [title for _, title, _ in POINT_COLUMNS] + ["index", "peak RSS", *extras, "status"]
    rows = []
    for _, r in frame.sort_values(["dataset", "k", "label", "build_params", "recall"]).iterrows():
        line = [
            *([Cell(str(r["dataset"])), cell(r["k"])] if several else []),
            Cell(str(r["label"])),
            Cell(compact_params(r["build_params"])),
            Cell(compact_params(r["query_params"])),
        ]
        line += [cell(r[column], fmt) for column, _, fmt in POINT_COLUMNS]
        line += [_bytes(r["index_bytes"]), _bytes(r["rss_peak_bytes"])]
        line += [cell(r[c]) for c in extras]
        ok = r["status"] == "ok"
        line.append(Cell(str(r["status"]), None, "ok" if ok else "error", None if ok else str(r["error"])))
        rows.append(line)
    hint = note("Click a column header to sort; hover a failed status for its reason.")
    return hint + tag("div", table(headers, rows, sortable=True, name="points"), class_="scroll")


def environment(rs: ResultSet, ctx: ReportContext) -> Markup:
    env = rs.environment
    if not env:
        return note("no environment.json in this result set")
    rows = []
    for key, value in env.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                rows.append([Cell(f"{key}.{inner}"), Cell("-" if inner_value is None else str(inner_value))])
        else:
            rows.append([Cell(key), Cell("-" if value is None else str(value))])
    return table(["what", "value"], rows, name="environment")


SECTIONS: list[tuple[str, str, Callable[[ResultSet, ReportContext], Markup]]] = [
    ("overview", "Overview", overview),
    ("pareto", "Recall vs throughput", pareto),
    ("best", "Best configuration", best),
    ("latency", "Latency percentiles vs recall", latency),
    ("costs", "Build time and index memory vs recall", costs),
    ("memory", "Recall vs bytes per vector vs QPS", memory_section),  # hook: issue 14
    ("sizes", "Costs against base size", sizes),  # hook: issue 14
    ("filters", "Recall under filters", filters),
    ("load", "Latency under load", load_section),  # hook: issue 12
    ("recommendation", "Recommendation metrics", recommendation),
    ("failed", "Failed points", failed),
    ("points", "Every point", points),
    ("environment", "Environment", environment),
]


def _present(rs: ResultSet) -> dict[str, bool]:
    """Which sections this result set has anything for; the others are hidden (and named once)."""
    sweep = not rs.frame.empty
    return {
        "overview": True,
        "pareto": sweep,
        "best": sweep,
        "latency": sweep,
        "costs": sweep,
        "memory": sweep and has_memory_frontier(rs.frame),  # hook: issue 14
        "sizes": sweep and has_sizes(rs.frame),  # hook: issue 14
        "filters": has_filtered_rows(rs.frame),
        "load": has_load_rows(rs.frame),  # hook: issue 12
        "recommendation": not rs.pipeline.empty,
        "failed": not rs.failed().empty or bool(pipeline_failures(rs.pipeline)),
        "points": sweep,
        "environment": bool(rs.environment),
    }


def build_sections(rs: ResultSet, ctx: ReportContext) -> list[Section]:
    """The sections this result set has content for, recommendation metrics first when it holds
    only pipeline results; the overview names the sections left out."""
    present = _present(rs)
    order = list(SECTIONS)
    if rs.frame.empty and not rs.pipeline.empty:
        order.sort(key=lambda entry: entry[0] != "recommendation")
    shown = [(key, title, make) for key, title, make in order if present.get(key, True)]
    hidden = [title for key, title, _ in SECTIONS if not present.get(key, True)]
    sections = [Section(key, title, make(rs, ctx)) for key, title, make in shown]
    if hidden:
        at = next((i for i, section in enumerate(sections) if section.id == "overview"), 0)
        first = sections[at]
        sections[at] = Section(
            first.id, first.title, first.body + note("Not in this result set: " + ", ".join(hidden) + ".")
        )
    return sections
