"""The self-contained HTML report: sections built from a result set, plots as inline SVG."""

from vecbench.reports.html.compare import build_comparison
from vecbench.reports.html.leaderboard import build_leaderboard
from vecbench.reports.html.plots import PlotOptions
from vecbench.reports.html.report import BuiltReport, ReportSink, build_report

__all__ = [
    "BuiltReport",
    "PlotOptions",
    "ReportSink",
    "build_comparison",
    "build_leaderboard",
    "build_report",
]
