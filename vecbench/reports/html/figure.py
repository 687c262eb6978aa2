"""Report plots drawn with matplotlib and written as inline SVG that the report's CSP allows.

matplotlib brings tick locators and layout (constrained layout keeps axis titles clear of tick
labels); its SVG is then made fit to inline: the ``<style>`` element and ``style`` attributes (which
the page's Content-Security-Policy would block) become presentation attributes, the root gets the
report's class, name and pixel size, and each point carries its hover text as an SVG ``<title>``.
matplotlib's metadata (its generator mark) is kept. Every hover text passes through
``markupsafe.escape``; axis and legend text is drawn as glyph paths and only appears escaped in
matplotlib's own comments.
"""

from __future__ import annotations

import io
import math
import re
import secrets
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator

Format = Callable[[float], str]

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
MARKERS = ("o", "s", "^", "D", "P")
DPI = 72  # 1 pt = 1 px, so figure sizes are given in pixels
RC: Any = {"svg.fonttype": "path", "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10}


def colour_for(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def number(value: float) -> str:
    """Compact human number: 12k, 1.5M, 0.95, 3e-05."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    size = abs(value)
    for bound, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= bound:
            return f"{value / bound:.3g}{suffix}"
    return f"{value:.3g}"


def byte_size(value: float) -> str:
    for bound, suffix in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(value) >= bound:
            return f"{value / bound:.3g} {suffix}"
    return f"{value:.3g} B"


def scale_axis(ax: Axes, which: str, values: Sequence[float], log: bool, fmt: Format = number) -> None:
    """A log scale with 1-2-5 ticks when the values span over a decade, else a linear one with at
    most six ticks: no crowded minor labels on a narrow log range (p99.9 latencies)."""
    finite = [v for v in values if math.isfinite(v) and v > 0]
    wide = bool(finite) and max(finite) / min(finite) > 10
    axis = ax.xaxis if which == "x" else ax.yaxis
    if log and wide:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
        axis.set_minor_locator(NullLocator())
    else:
        axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
    axis.set_minor_formatter(NullFormatter())


def recall_axis(ax: Axes, which: str, logit: bool) -> None:
    """Recall on a linear axis, or a logit one that spreads out 0.9-0.999 (where choices are made;
    callers place recall 1 with ``logit_recall``)."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    if logit:
        (ax.set_xscale if which == "x" else ax.set_yscale)("logit", nonpositive="clip")
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.4g}"))
        axis.set_minor_formatter(NullFormatter())
        axis.set_minor_locator(NullLocator())
    else:
        axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))


def logit_recall(value: float, resolution: float) -> float:
    """Where a recall goes on a logit axis: 0 and 1 are infinitely far, so they are drawn half the
    smallest recall step (``resolution``, 1 / (queries x k)) inside."""
    half = resolution / 2
    return min(max(value, half), 1 - half)


def printable(text: str) -> str:
    """Text matplotlib may draw: control characters (a label's escape codes, newlines) as spaces,
    so neither the figure nor matplotlib's missing-glyph warnings carry them to a terminal."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def shorten(text: str, limit: int = 80) -> str:
    """A title that fits above a plot: the middle of a long one (a dataset path) elided."""
    text = printable(text)
    if len(text) <= limit:
        return text
    keep = (limit - 1) // 2
    return text[:keep] + "…" + text[-keep:]


@dataclass
class Chart:
    """One matplotlib figure with one axes; ``point`` adds a marker that carries hover text."""

    name: str
    title: str
    width: int = 760
    height: int = 420
    figure: Figure = field(init=False)
    ax: Axes = field(init=False)
    _tips: dict[str, str] = field(default_factory=dict, init=False)
    _token: str = field(default_factory=lambda: secrets.token_hex(4), init=False)

    def __post_init__(self) -> None:
        with rc_context(RC):
            self.figure = Figure(figsize=(self.width / DPI, self.height / DPI), dpi=DPI, layout="constrained")
            self.ax = self.figure.add_subplot()
        self.ax.set_title(shorten(self.title), loc="left", fontsize=11, fontweight="bold")
        self.ax.grid(True, color="#e3e3e3", linewidth=0.8)
        self.ax.set_axisbelow(True)

    def point(self, x: float, y: float, tip: str, **style: Any) -> None:
        """One marker at (x, y) whose SVG group holds ``tip`` as its title (the hover text)."""
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        gid = f"vb-{self._token}-{len(self._tips)}"
        self._tips[gid] = tip
        style.setdefault("marker", "o")
        self.ax.plot([x], [y], linestyle="none", gid=gid, **style)

    def legend(self, **kwargs: Any) -> None:
        handles, labels = self.ax.get_legend_handles_labels()
        if handles:
            kwargs.setdefault("loc", "upper left")
            kwargs.setdefault("bbox_to_anchor", (1.01, 1.0))
            shown = [printable(label) for label in labels]
            self.ax.legend(handles, shown, fontsize=9, frameon=False, borderaxespad=0.0, **kwargs)

    def render(self) -> Markup:
        """The figure as one ``<svg>`` element, safe to inline under the report's CSP."""
        buffer = io.StringIO()
        saving: Any = {**RC, "svg.hashsalt": self._token}
        with rc_context(saving), warnings.catch_warnings():
            # a label's character the font lacks is drawn as a box; no warning per plot on the terminal
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
            self.figure.savefig(buffer, format="svg", metadata={"Date": None})
        return Markup(
            inline_svg(buffer.getvalue(), self.name, self.title, self.width, self.height, self._tips)
        )


_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.S)
_STYLE_ATTR = re.compile(r' style="([^"]*)"')
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_ROOT = re.compile(r"<svg\b([^>]*)>")
_GROUP = re.compile(r'<g id="(vb-[0-9a-f]+-\d+)">')


def _presentation(match: re.Match[str]) -> str:
    """``style="fill: #fff; stroke-width: 0.8"`` -> ``fill="#fff" stroke-width="0.8"``."""
    attrs = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name and value and re.fullmatch(r"[a-z-]+", name):
            attrs.append(f' {name}="{escape(value)}"')
    return "".join(attrs)


def inline_svg(svg: str, name: str, title: str, width: int, height: int, tips: dict[str, str]) -> str:
    """matplotlib's SVG text made fit to inline in the report (see the module docstring)."""
    svg = _PROLOGUE.sub("", svg, count=1)
    svg = _STYLE_ELEMENT.sub("", svg)
    svg = _STYLE_ATTR.sub(_presentation, svg)

    def root(match: re.Match[str]) -> str:
        attrs = re.sub(r'\s(width|height)="[^"]*"', "", match.group(1))
        return (
            f'<svg{attrs} width="{width}" height="{height}" class="plot" data-plot="{escape(name)}" '
            f'role="img"><title>{escape(title)}</title>'
        )

    svg = _ROOT.sub(root, svg, count=1)
    return _GROUP.sub(lambda m: f"{m.group(0)}<title>{escape(tips.get(m.group(1), ''))}</title>", svg).strip()
