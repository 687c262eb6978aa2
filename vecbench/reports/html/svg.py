"""A small scatter/line chart written as SVG text: no plotting library, no fonts, no network.

Every label and tooltip passes through ``markupsafe.escape``: the strings come from users
(dataset names, adapter labels, parameter values) and the SVG is inlined into HTML.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

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
MARKERS = ("circle", "square", "triangle", "diamond", "cross")


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


@dataclass(frozen=True)
class Axis:
    """One axis: its label, data range and scale; ``fmt`` writes the tick labels."""

    label: str
    lo: float
    hi: float
    log: bool = False
    fmt: Format = number

    @classmethod
    def fit(cls, label: str, values: Iterable[float], log: bool = False, fmt: Format = number) -> Axis:
        """A range that holds every finite value (positive ones on a log axis) with a margin."""
        data = [v for v in values if math.isfinite(v) and (v > 0 or not log)]
        if not data:
            return cls(label, 1.0, 10.0, log, fmt) if log else cls(label, 0.0, 1.0, log, fmt)
        lo, hi = min(data), max(data)
        if log:
            lo_e, hi_e = math.log10(lo), math.log10(hi)
            pad = max((hi_e - lo_e) * 0.06, 0.08)
            return cls(label, 10 ** (lo_e - pad), 10 ** (hi_e + pad), True, fmt)
        pad = (hi - lo) * 0.06 or max(abs(hi) * 0.05, 0.01)
        return cls(label, lo - pad, hi + pad, False, fmt)

    def frac(self, value: float) -> float:
        """Position of ``value`` along the axis, 0 at ``lo`` and 1 at ``hi``."""
        if self.log:
            return (math.log10(value) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        return (value - self.lo) / (self.hi - self.lo)

    def accepts(self, value: float) -> bool:
        return math.isfinite(value) and (value > 0 or not self.log)

    def ticks(self) -> list[float]:
        return _log_ticks(self.lo, self.hi) if self.log else _linear_ticks(self.lo, self.hi)


def _linear_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    raw = (hi - lo) / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    count = math.floor((hi - first) / step) + 1
    return [round(first + i * step, 12) for i in range(count)]


def _log_ticks(lo: float, hi: float) -> list[float]:
    if hi / lo < 8:  # under a decade: evenly stepped values read better than 1-2-5 marks
        ticks = [t for t in _linear_ticks(lo, hi, 5) if t > 0]
        if len(ticks) >= 3:
            return ticks
    lo_e, hi_e = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mantissas in ((1.0,), (1.0, 3.0), (1.0, 2.0, 5.0), tuple(float(m) for m in range(1, 10))):
        ticks = [m * 10.0**e for e in range(lo_e, hi_e + 1) for m in mantissas]
        inside = [t for t in ticks if lo <= t <= hi]
        if len(inside) >= 4 or mantissas[-1] == 9.0:
            if len(inside) > 12 and mantissas != (1.0,):
                break
            return inside
    return [10.0**e for e in range(lo_e, hi_e + 1) if lo <= 10.0**e <= hi]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    tip: str


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str
    marker: str = "circle"
    dashed: bool = False


@dataclass
class Chart:
    """Accumulates marks in data coordinates and renders one ``<svg>`` element."""

    x: Axis
    y: Axis
    title: str
    name: str
    width: int = 660
    height: int = 380
    legend: list[LegendEntry] = field(default_factory=list)
    left: int = 66
    # Marks are positioned when rendered, so a legend added later (which narrows the plot) is honoured.
    _marks: list[Callable[[], str]] = field(default_factory=list)

    right, top, bottom = 12, 30, 46
    legend_width = 170

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right - (self.legend_width if self.legend else 0)

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom

    def px(self, value: float) -> float:
        return self.left + self.x.frac(value) * self.plot_width

    def py(self, value: float) -> float:
        return self.top + (1.0 - self.y.frac(value)) * self.plot_height

    def _usable(self, point: Point) -> bool:
        return self.x.accepts(point.x) and self.y.accepts(point.y)

    def line(
        self,
        points: Sequence[Point],
        colour: str,
        width: float = 1.6,
        dashed: bool = False,
        opacity: float = 1,
    ) -> None:
        usable = [p for p in points if self._usable(p)]
        if len(usable) < 2:
            return
        dash = ' stroke-dasharray="6 4"' if dashed else ""

        def draw() -> str:
            coords = " ".join(f"{self.px(p.x):.1f},{self.py(p.y):.1f}" for p in usable)
            return (
                f'<polyline points="{coords}" fill="none" stroke="{escape(colour)}" stroke-width="{width}"'
                f' stroke-opacity="{opacity}" stroke-linejoin="round"{dash}/>'
            )

        self._marks.append(draw)

    def segment(self, x0: float, x1: float, y: float, colour: str, tip: str) -> None:
        if not (self.x.accepts(x0) and self.x.accepts(x1) and self.y.accepts(y)):
            return
        self._marks.append(
            lambda: (
                f'<line x1="{self.px(x0):.1f}" x2="{self.px(x1):.1f}" y1="{self.py(y):.1f}" y2="{self.py(y):.1f}"'
                f' stroke="{escape(colour)}" stroke-width="3" stroke-opacity="0.55"><title>{escape(tip)}</title></line>'
            )
        )

    def points(
        self,
        points: Sequence[Point],
        colour: str,
        marker: str = "circle",
        size: float = 4.0,
        opacity: float = 1.0,
        ring: str | None = None,
    ) -> None:
        for point in points:
            if self._usable(point):
                self._marks.append(self._point_mark(point, marker, size, colour, opacity, ring))

    def _point_mark(
        self, p: Point, marker: str, size: float, colour: str, opacity: float, ring: str | None
    ) -> Callable[[], str]:
        return lambda: _marker(marker, self.px(p.x), self.py(p.y), size, colour, opacity, ring, p.tip)

    def row_label(self, y: float, text: str) -> None:
        """A label left of the plot area at data height ``y`` (for charts with one row per item)."""
        short = text if len(text) <= 40 else text[:39] + "…"
        self._marks.append(
            lambda: (
                f'<text x="{self.left - 8}" y="{self.py(y) + 4:.1f}" text-anchor="end" fill="#222">'
                f"<title>{escape(text)}</title>{escape(short)}</text>"
            )
        )

    def render(self) -> Markup:
        w, h = self.width, self.height
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" data-plot="{escape(self.name)}"'
            f' width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img"'
            f' font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="11">',
            f"<title>{escape(self.title)}</title>",
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>',
            f'<text x="{self.left}" y="18" font-size="13" font-weight="600" fill="#222">{escape(self.title)}</text>',
        ]
        out.extend(self._grid())
        out.extend(draw() for draw in self._marks)
        out.extend(self._legend())
        out.append("</svg>")
        return Markup("".join(out))

    def _grid(self) -> list[str]:
        x0, y0 = self.left, self.top
        x1, y1 = self.left + self.plot_width, self.top + self.plot_height
        parts = [
            f'<rect x="{x0}" y="{y0}" width="{self.plot_width}" height="{self.plot_height}" fill="#fafafa" stroke="#bbb"/>'
        ]
        for tick in self.x.ticks():
            x = self.px(tick)
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}" stroke="#e3e3e3"/>')
            parts.append(
                f'<text x="{x:.1f}" y="{y1 + 15}" text-anchor="middle" fill="#444">{escape(self.x.fmt(tick))}</text>'
            )
        for tick in self.y.ticks():
            y = self.py(tick)
            parts.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
            parts.append(
                f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{escape(self.y.fmt(tick))}</text>'
            )
        parts.append(
            f'<text x="{(x0 + x1) / 2:.1f}" y="{self.height - 8}" text-anchor="middle" fill="#222">'
            f"{escape(self.x.label)}{' (log scale)' if self.x.log else ''}</text>"
        )
        ymid = (y0 + y1) / 2
        parts.append(
            f'<text transform="translate(14 {ymid:.1f}) rotate(-90)" text-anchor="middle" fill="#222">'
            f"{escape(self.y.label)}{' (log scale)' if self.y.log else ''}</text>"
        )
        return parts

    def _legend(self) -> list[str]:
        if not self.legend:
            return []
        x = self.width - self.legend_width + 4
        parts = []
        for index, entry in enumerate(self.legend):
            y = self.top + 8 + index * 18
            if entry.dashed:
                parts.append(
                    f'<line x1="{x}" x2="{x + 16}" y1="{y}" y2="{y}" stroke="{escape(entry.colour)}"'
                    ' stroke-width="2" stroke-dasharray="4 3"/>'
                )
            else:
                parts.append(_marker(entry.marker, x + 8, y, 4.5, entry.colour, 1.0, None, entry.label))
            text = entry.label if len(entry.label) <= 24 else entry.label[:23] + "…"
            parts.append(
                f'<text x="{x + 22}" y="{y + 4}" fill="#222"><title>{escape(entry.label)}</title>{escape(text)}</text>'
            )
        return parts


def _marker(
    kind: str, x: float, y: float, size: float, colour: str, opacity: float, ring: str | None, tip: str
) -> str:
    fill = f'fill="{escape(colour)}" fill-opacity="{opacity}"'
    stroke = f' stroke="{escape(ring)}" stroke-width="1.6"' if ring else ' stroke="#fff" stroke-width="0.6"'
    title = f"<title>{escape(tip)}</title>"
    if kind == "square":
        return f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" height="{2 * size:.1f}" {fill}{stroke}>{title}</rect>'
    if kind in ("triangle", "diamond", "cross"):
        if kind == "triangle":
            pts = [(x, y - size * 1.2), (x + size * 1.1, y + size * 0.8), (x - size * 1.1, y + size * 0.8)]
        elif kind == "diamond":
            pts = [(x, y - size * 1.3), (x + size * 1.1, y), (x, y + size * 1.3), (x - size * 1.1, y)]
        else:
            s = size * 0.45
            pts = [
                (x - s, y - size), (x + s, y - size), (x + s, y - s), (x + size, y - s), (x + size, y + s),
                (x + s, y + s), (x + s, y + size), (x - s, y + size), (x - s, y + s), (x - size, y + s),
                (x - size, y - s), (x - s, y - s),
            ]  # fmt: skip
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        return f'<polygon points="{coords}" {fill}{stroke}>{title}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" {fill}{stroke}>{title}</circle>'
