"""``vecbench report A B C ...``: several result sets on one frontier chart per dataset and k, and
one leaderboard table across datasets and runs.

Each result set is answered with its own config's constraints (as its own report would), so the
table's rows are what each run would call its best point per adapter; within one dataset and k the
rows are ranked by the objective of the first set, and a row whose objective's measured range
overlaps the leader's is marked "equivalent".
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from vecbench.errors import VecbenchError
from vecbench.metrics.catalog import METRICS
from vecbench.reports.constraints import Choice, Constraints, best_choices, constraints_from
from vecbench.reports.frontier import speed_column
from vecbench.reports.html.context import ReportContext, colours_for
from vecbench.reports.html.figure import byte_size
from vecbench.reports.html.markup import Cell, cell, join, note, table, tag
from vecbench.reports.html.page import render_page
from vecbench.reports.html.plots import LINEAR, PlotOptions, overlay_chart, point_name
from vecbench.reports.html.report import BuiltReport, write_text
from vecbench.reports.html.sections import Section
from vecbench.reports.noise import Interval
from vecbench.reports.resultset import ResultSet, load_result_set

LEADERBOARD_FILE = "leaderboard.html"


def set_names(sets: Sequence[ResultSet]) -> list[str]:
    """A short, unique name per result set: its folder name, with its position where two clash."""
    names = [rs.out_dir.name or str(rs.out_dir) for rs in sets]
    return [f"{i + 1}: {name}" if names.count(name) > 1 else name for i, name in enumerate(names)]


def _entries(sets: Sequence[ResultSet], names: Sequence[str]) -> list[tuple[str, Constraints, Choice]]:
    out = []
    for name, rs in zip(names, sets, strict=True):
        constraints = constraints_from(rs.config)
        for choice in best_choices(rs.frame, constraints, rs.out_dir):
            if choice.scope != "all adapters" and choice.row is not None:
                out.append((name, constraints, choice))
    return out


def leaderboard(sets: Sequence[ResultSet], names: Sequence[str], objective: str) -> Markup:
    """One table: per result set, dataset, k and adapter, its best point under its constraints,
    ranked within each dataset and k by ``objective``; leaders and equivalents marked."""
    info = METRICS[objective]
    entries = _entries(sets, names)
    if not entries:
        return note("no result set has a point that meets its constraints")
    rows = []
    by_where: dict[tuple[str, int], list[tuple[str, Constraints, Choice]]] = {}
    for entry in entries:
        by_where.setdefault((entry[2].dataset, entry[2].k), []).append(entry)
    for (dataset, k), group in sorted(by_where.items()):
        ranked = sorted(
            group,
            key=lambda e: _value(e[2], objective) * (-1 if info.higher_is_better else 1),
        )
        leader = _interval(ranked[0][2], ranked[0][1], objective)
        for rank, (name, constraints, choice) in enumerate(ranked, start=1):
            row = choice.row
            assert row is not None
            mine = _interval(choice, constraints, objective)
            verdict = "leader" if rank == 1 else "equivalent" if mine.overlaps(leader) else ""
            rows.append(
                [
                    Cell(dataset),
                    cell(k),
                    cell(rank),
                    Cell(name),
                    Cell(point_name(row)),
                    cell(row["recall"], "{:.4f}"),
                    cell(row["cpu_ms_per_query"], "{:.3g}"),
                    cell(row["qps"], "{:,.0f}"),
                    cell(row["latency_p99_ms"], "{:.3g}"),
                    _bytes(row["index_bytes"]),
                    Cell(verdict, None, "ok" if verdict else None),
                    Cell(constraints.describe(), None, "muted"),
                ]
            )
    headers = ["dataset", "k", "rank", "result set", "best point of its adapter", "recall", "CPU ms/q",
               "QPS", "p99 ms", "index", "vs leader", "question"]  # fmt: skip
    return tag("div", table(headers, rows, sortable=True, name="leaderboard"), class_="scroll")


def _value(choice: Choice, objective: str) -> float:
    row = choice.row
    try:
        return float(row[objective]) if row is not None else float("inf")
    except (TypeError, ValueError):
        return float("inf")


def _interval(choice: Choice, constraints: Constraints, objective: str) -> Interval:
    """The choice's measured interval when its set ranked by ``objective`` too, else its value."""
    if choice.interval is not None and constraints.objective == objective:
        return choice.interval
    value = _value(choice, objective)
    return Interval(value, value)


def _bytes(value: object) -> Cell:
    base = cell(value)
    return base if base.sort is None else Cell(byte_size(base.sort), base.sort)


def frontiers(sets: Sequence[ResultSet], names: Sequence[str], ctx: ReportContext, speed: str) -> Markup:
    """Per dataset and k, every set's per-adapter frontiers on one chart."""
    frames = [rs.ok().assign(_set=name) for name, rs in zip(names, sets, strict=True) if not rs.frame.empty]
    if not frames:
        return note("no finished index-sweep points in these result sets")
    every = pd.concat(frames, ignore_index=True)
    parts: list[Markup] = []
    for (dataset, k), group in every.groupby(["dataset", "k"], sort=True):
        sides = [(name, group[group["_set"] == name]) for name in names]
        chart = overlay_chart(
            [(name, frame) for name, frame in sides if not frame.empty],
            ctx.colours,
            f"frontiers of {group['_set'].nunique()} result set(s) · {dataset}, k={k}",
            speed,
            ctx.options,
        )
        if chart is not None:
            parts.append(tag("h3", f"{dataset}, k={k}"))
            parts.append(ctx.add(chart, f"leaderboard-{len(parts)}"))
    return join(parts) if parts else note("no finished index-sweep points in these result sets")


def build_leaderboard(
    dirs: Sequence[str | Path], output: str | Path | None = None, options: PlotOptions = LINEAR
) -> BuiltReport:
    """Write the report of several result sets (default FIRST/leaderboard.html)."""
    if len(dirs) < 2:
        raise VecbenchError("a leaderboard needs two or more result sets: vecbench report A B [C ...]")
    started = time.perf_counter()
    sets = [load_result_set(d) for d in dirs]
    names = set_names(sets)
    objective = constraints_from(sets[0].config).objective
    every = (
        pd.concat([rs.frame for rs in sets if not rs.frame.empty], ignore_index=True)
        if any(not rs.frame.empty for rs in sets)
        else pd.DataFrame()
    )
    speed = speed_column(objective, every)
    ctx = ReportContext(colours_for(*(rs.frame for rs in sets)), constraints_from(sets[0].config), options)
    listing = [
        [Cell(name), Cell(str(rs.out_dir)), Cell(rs.name), cell(len(rs.ok())), cell(len(rs.failed()))]
        for name, rs in zip(names, sets, strict=True)
    ]
    sections = [
        Section(
            "leaderboard",
            "Leaderboard",
            note(
                f"Each result set's best point per adapter under its own config's constraints, ranked "
                f"within each dataset and k by {objective} (the first set's objective); 'equivalent' "
                "when its measured range overlaps the leader's."
            )
            + leaderboard(sets, names, objective),
        ),
        Section("frontiers", "Frontiers", frontiers(sets, names, ctx, speed)),
        Section(
            "sets",
            "Result sets",
            table(["name", "folder", "experiment", "points", "failed"], listing, name="sets"),
        ),
    ]
    html = render_page(f"vecbench leaderboard · {len(sets)} result sets", " · ".join(names), sections)
    path = Path(output) if output else sets[0].out_dir / LEADERBOARD_FILE
    size = write_text(path, html)
    return BuiltReport(path, size, time.perf_counter() - started, ())
