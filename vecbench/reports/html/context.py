"""What every section of a report shares, and the small helpers they all use."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pandas as pd
from markupsafe import Markup

from vecbench.reports.constraints import Constraints
from vecbench.reports.html.figure import Chart, colour_for
from vecbench.reports.html.markup import tag
from vecbench.reports.html.plots import PlotOptions


@dataclass
class ReportContext:
    """What every section shares: a colour per adapter label, the constraints, how plots are drawn,
    the result set's folder (for raw samples) and the plots drawn so far (kept so they can also be
    saved as separate SVG files and logged to MLflow)."""

    colours: dict[str, str]
    constraints: Constraints
    options: PlotOptions = field(default_factory=PlotOptions)
    out_dir: Path | None = None
    plots: dict[str, Markup] = field(default_factory=dict)

    def add(self, chart: Chart, where: str) -> Markup:
        svg = chart.render()
        self.plots[f"{where}-{chart.name}"] = svg
        return tag("figure", svg, class_="plot-box")


def colours_for(*frames: pd.DataFrame) -> dict[str, str]:
    labels = sorted({str(label) for frame in frames if not frame.empty for label in frame["label"].dropna()})
    return {label: colour_for(index) for index, label in enumerate(labels)}


def slug(text: str) -> str:
    """A file-name-safe, still unique, short form of a user string (dataset labels can be paths)."""
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:40] or "x"
    return f"{clean}-{hashlib.sha256(text.encode()).hexdigest()[:6]}"


def groups(frame: pd.DataFrame) -> Iterator[tuple[str, int, pd.DataFrame]]:
    """(dataset, k, rows) for each dataset and k of a result set, in a stable order."""
    if frame.empty:
        return
    for key, group in frame.groupby(["dataset", "k"], sort=True):
        yield str(key[0]), int(cast(int, key[1])), group
