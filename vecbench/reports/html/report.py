"""``vecbench report OUT``: the result set read back and written as one self-contained HTML file.

The plots are also saved one by one as SVG files (OUT/plots/) so the MLflow sink can attach them;
the HTML never refers to those files, it carries its own copies inline.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from vecbench.core.atomic import atomic_write_bytes
from vecbench.errors import VecbenchError
from vecbench.reports.constraints import constraints_from
from vecbench.reports.html.context import ReportContext, colours_for, groups
from vecbench.reports.html.page import render_page
from vecbench.reports.html.plots import LINEAR, PlotOptions
from vecbench.reports.html.sections import build_sections
from vecbench.reports.resultset import ResultSet, load_result_set
from vecbench.reports.sinks import ResultSink, RunContext

REPORT_FILE = "report.html"
PLOTS_DIR = "plots"
PLOTS_MANIFEST = ".vecbench-plots.json"


@dataclass(frozen=True)
class BuiltReport:
    path: Path
    size_bytes: int
    seconds: float
    plot_files: tuple[Path, ...]


def subtitle_for(rs: ResultSet) -> str:
    parts = [f"{dataset} · k={k}" for dataset, k, _ in groups(rs.frame)]
    if not rs.pipeline.empty:
        parts.append(f"recommendation pipeline on {rs.pipeline['log'].iloc[0]}")
    return " | ".join(parts) or "no results"


def write_text(path: Path, text: str) -> int:
    """Write atomically; returns the size in bytes. A folder that cannot be written is one error line."""
    data = text.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise VecbenchError(f"cannot write {path}: {exc.strerror}; choose another --output") from None
    return len(data)


def write_plots(out_dir: Path, plots: dict[str, Markup]) -> tuple[Path, ...]:
    """Each plot as OUT/plots/<name>.svg; plots an earlier build wrote that no longer exist go.

    Only files named in the manifest (the plots vecbench wrote last time) are ever deleted:
    any other file in ``plots/`` is someone else's and stays.
    """
    folder = out_dir / PLOTS_DIR
    manifest = out_dir / PLOTS_MANIFEST  # beside plots/, so the folder MLflow attaches holds only plots
    try:
        before = set(json.loads(manifest.read_text())) if manifest.is_file() else set()
    except (OSError, ValueError, TypeError):
        before = set()
    written = []
    for name, svg in sorted(plots.items()):
        path = folder / f"{name}.svg"
        write_text(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + str(svg))
        written.append(path)
    now = sorted(path.name for path in written)
    for stale in before - set(now):
        path = folder / str(stale)
        if path.parent == folder and path.suffix == ".svg":
            path.unlink(missing_ok=True)
    if written or before:
        write_text(manifest, json.dumps(now))
    return tuple(written)


def build_report(
    out_dir: str | Path, output: str | Path | None = None, options: PlotOptions = LINEAR
) -> BuiltReport:
    """Read OUT and write its report (default OUT/report.html) and plot files; never runs anything."""
    started = time.perf_counter()
    rs = load_result_set(out_dir)
    context = ReportContext(colours_for(rs.frame), constraints_from(rs.config), options, rs.out_dir)
    sections = build_sections(rs, context)
    html = render_page(f"vecbench report · {rs.name}", subtitle_for(rs), sections)
    path = Path(output) if output else rs.out_dir / REPORT_FILE
    size = write_text(path, html)
    plots = write_plots(rs.out_dir, context.plots)
    return BuiltReport(path, size, time.perf_counter() - started, plots)


class ReportSink(ResultSink):
    """Writes OUT/report.html when a run completes (before MLflow, which attaches it)."""

    name = "HTML report"

    def __init__(self) -> None:
        self.out_dir: Path | None = None
        self.built: BuiltReport | None = None

    def start(self, context: RunContext) -> None:
        self.out_dir = context.out_dir

    def finish(self, completed: bool) -> None:
        if completed and self.out_dir is not None:
            self.built = build_report(self.out_dir)
