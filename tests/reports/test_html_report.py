"""The HTML report built from a real result set: sections, plots, escaping, self-containment."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from tests.reports.conftest import IMG, SCRIPT
from vecbench.bench.config import parse_config
from vecbench.errors import ConfigError
from vecbench.reports.constraints import Constraints, best_choices, meets
from vecbench.reports.html import build_comparison, build_report
from vecbench.reports.html.plots import point_name
from vecbench.reports.html.sections import SECTIONS
from vecbench.reports.store import ResultStore


class Outline(HTMLParser):
    """Collects what the tests look at: tags with attributes, table rows per table, visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: dict[str, list[list[str]]] = {}
        self.text: list[str] = []
        self._table: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "table":
            self._table.append(found.get("data-table") or "?")
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.setdefault(self._table[-1], []).append(self._row)
            self._row = None
        elif tag == "table" and self._table:
            self._table.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def report(hostile_results: Path) -> tuple[str, Outline, pd.DataFrame]:
    built = build_report(hostile_results)
    assert built.path == hostile_results / "report.html"
    assert built.size_bytes == built.path.stat().st_size
    html = built.path.read_text(encoding="utf-8")
    return html, outline(html), ResultStore(hostile_results).read()


def test_every_section_is_present_with_its_plots(report: tuple[str, Outline, pd.DataFrame]) -> None:
    html, page, frame = report
    ids = [attrs.get("id") for tag, attrs in page.tags if tag == "section"]
    # sections with nothing to show (no filters, no pipeline here) are hidden and named once
    assert ids == [key for key, _, _ in SECTIONS if key not in ("filters", "load", "sizes", "recommendation")]  # hidden: nothing to show
    plots = [attrs.get("data-plot") for tag, attrs in page.tags if tag == "svg"]
    assert plots.count("pareto") == 1
    assert {
        "latency-p50",
        "latency-p95",
        "latency-p99",
        "latency-p99.9",
        "build-time",
        "index-memory",
    } <= set(plots)
    # every finished point is drawn on the Pareto plot, with its name in the hover text
    pareto_svg = re.search(r'<svg[^>]*data-plot="pareto".*?</svg>', html, re.S)
    assert pareto_svg is not None
    ok = frame[frame["status"] == "ok"]
    for _, row in ok.iterrows():
        assert point_name(row).replace("<", "&lt;").replace(">", "&gt;") in pareto_svg.group(0)
    # every point is a row of the sortable table; the failed one with its reason in the failures table
    assert len(page.rows["points"]) == len(frame) + 1  # + header
    failed = page.rows["failed"][1:]
    assert len(failed) == 1 and "RuntimeError: injected failure during build" in failed[0][-1]
    text = " ".join(page.text)
    assert (
        "Not in this result set: Costs against base size, Recall under filters, Latency under load, "
        "Recommendation metrics." in text
    )


def test_best_configuration_answers_the_configs_constraints(
    report: tuple[str, Outline, pd.DataFrame],
) -> None:
    _, page, frame = report
    # independent answer: the lowest CPU time per query (the default objective) among finished rows
    # with recall >= 0.9 (the fixture's constraint)
    ok = frame[(frame["status"] == "ok") & (frame["recall"] >= 0.9)]
    expected = ok.loc[ok["cpu_ms_per_query"].idxmin()]
    best_rows = page.rows["best"]
    assert best_rows[0][:2] == ["among", "best point"]  # one dataset and k: no columns for them
    overall = next(row for row in best_rows if row[0] == "all adapters")
    assert overall[1] == point_name(expected)
    assert int(overall[-1]) == len(ok)
    broken = next(row for row in best_rows if row[0] == "broken")
    assert broken[1] == "none meets the constraints"


def test_constraints_select_and_refuse(hostile_results: Path) -> None:
    frame = ResultStore(hostile_results).read()
    strict = Constraints(recall_min=1.0)
    assert set(frame.loc[meets(frame, strict), "recall"]) == {1.0}
    impossible = Constraints(recall_min=0.5, p99_ms_max=1e-9)
    assert all(choice.row is None for choice in best_choices(frame, impossible))
    small = Constraints(recall_min=0.0, objective="index_bytes")
    overall = best_choices(frame, small)[0]
    assert overall.row is not None and overall.row["index_bytes"] == frame["index_bytes"].min()
    with pytest.raises(ConfigError, match=r"unknown key 'constraints\.recal_min'.*did you mean 'recall_min'"):
        parse_config(
            {
                "name": "x",
                "dataset": {"name": "synthetic"},
                "indexes": [{"adapter": "exact"}],
                "constraints": {"recal_min": 0.9},
            }
        )


def test_user_strings_are_escaped(report: tuple[str, Outline, pd.DataFrame], hostile_results: Path) -> None:
    html, page, _ = report
    assert SCRIPT not in html and IMG not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert [tag for tag, _ in page.tags].count("script") == 1  # only the report's own sorting script
    assert not [attrs for tag, attrs in page.tags if tag == "img"]
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    text = "".join(page.text)
    assert SCRIPT in text and IMG in text  # shown to the reader as text
    for svg in (hostile_results / "plots").glob("*.svg"):
        content = svg.read_text()
        assert SCRIPT not in content and IMG not in content, svg.name


def test_report_needs_no_network(report: tuple[str, Outline, pd.DataFrame]) -> None:
    html, page, _ = report
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        for name in ("href", "xlink:href"):
            href = attrs.get(name)
            assert href is None or href.startswith("#") or href == "data:,", href
    # matplotlib clips with url(#id): a fragment of this document, never a fetch
    assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", html))
    assert "@import" not in html
    csp = next(attrs["content"] for tag, attrs in page.tags if tag == "meta" and attrs.get("http-equiv"))
    assert csp is not None and "default-src 'none'" in csp


def test_filter_section_follows_the_columns(hostile_results: Path, tmp_path: Path) -> None:
    """Rendering contract for the columns the filtered-search runner adds (pass_rate, strategy,
    filter): fill them on a copy and the section lights up. The values are placeholders for this
    test only, not measurements."""
    copy = tmp_path / "out"
    shutil.copytree(hostile_results, copy)
    store = ResultStore(copy)
    frame = store.read()
    ok = frame[frame["status"] == "ok"].copy()
    ok["pass_rate"] = [0.01, 0.1, 0.5, 0.9, 0.05][: len(ok)]
    ok["strategy"] = ["post", "pre", "post", "pre", "exact-subset"][: len(ok)]
    ok["filter"] = "genre == 'x'"
    store.append(ok.to_dict("records"))
    html = build_report(copy).path.read_text()
    page = outline(html)
    plots = [attrs.get("data-plot") for tag, attrs in page.tags if tag == "svg"]
    assert {"filter-recall", "filter-latency_p99_ms"} <= set(plots)
    assert len(page.rows["filters"]) == len(ok) + 1
    assert "Recall under filters" not in html.split("Not in this result set")[-1][:200]
    assert "post" in page.rows["points"][1] or "post" in " ".join(" ".join(r) for r in page.rows["points"])


def test_compare_marks_changes_by_direction(hostile_results: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(hostile_results, other)
    store = ResultStore(other)
    frame = store.read()
    ok = frame[frame["status"] == "ok"].sort_values("point_key")
    slower, dropped = ok.iloc[0].to_dict(), ok.iloc[1]["point_key"]
    slower["qps"] = slower["qps"] / 2  # B lost half its throughput on this point
    store.append([slower])
    kept = store.read()
    kept = kept[kept["point_key"] != dropped]
    (other / "results.parquet").unlink()
    store.append(kept.to_dict("records"))

    built = build_comparison(hostile_results, other, tmp_path / "compare.html")
    html = built.path.read_text()
    page = outline(html)
    ids = [attrs.get("id") for tag, attrs in page.tags if tag == "section"]
    assert ids[:2] == ["differences", "environment-changes"] and "pareto" in ids and "points" in ids
    diff = page.rows["differences"]
    header = diff[0]
    qps_change = header.index("QPS change")
    changed = [row for row in diff[1:] if row[0] == point_name(slower)]
    assert changed and changed[0][qps_change] == "-50.0%"
    worse_cells = [attrs for tag, attrs in page.tags if tag == "td" and attrs.get("class") == "worse"]
    assert worse_cells, "the halved QPS is highlighted as worse"
    assert "Only in A" in html and len(diff) == len(frame)  # header + all rows but the dropped one
    assert [attrs.get("data-plot") for tag, attrs in page.tags if tag == "svg"].count("compare-pareto") == 1


def test_plots_are_matplotlib_svg_the_csp_allows(report: tuple[str, Outline, pd.DataFrame]) -> None:
    """Each inline plot is matplotlib's SVG with its generator mark kept, no <style> element or
    style attribute (the page's CSP would block them), and one hover title per drawn point."""
    html, page, frame = report
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) >= 7
    for svg in svgs:
        assert re.search(r"<dc:title>Matplotlib v[\d.]+, https://matplotlib.org/</dc:title>", svg), svg[:300]
        assert "<style" not in svg and " style=" not in svg
    assert "<svg" in html and [t for t, _ in page.tags].count("style") == 1  # the page's own
    pareto_svg = next(svg for svg in svgs if 'data-plot="pareto"' in svg)
    titles = re.findall(r'<g id="vb-[0-9a-f]+-\d+"><title>', pareto_svg)
    ok = frame[frame["status"] == "ok"]
    assert len(titles) >= len(ok)  # every point, plus the frontier points drawn again ringed


def test_memory_frontier_lists_exactly_the_undominated_points(report: tuple[str, Outline, pd.DataFrame]) -> None:
    """Recall vs bytes per vector vs QPS: the section's table holds the points no other plain point
    beats on all three (checked here by brute force), and the chart draws every plain point."""
    html, page, frame = report
    ok = frame[(frame["status"] == "ok") & frame["index_bytes"].notna()].copy()
    ok["bpv"] = ok["index_bytes"].astype(float) / ok["n_base"].astype(float)
    values = ok[["recall", "bpv", "qps"]].to_numpy(float)

    def dominated(i: int) -> bool:
        r, b, q = values[i]
        return any(
            rr >= r and bb <= b and qq >= q and (rr > r or bb < b or qq > q)
            for j, (rr, bb, qq) in enumerate(values)
            if j != i
        )

    expected = {point_name(row) for i, (_, row) in enumerate(ok.iterrows()) if not dominated(i)}
    shown = {row[0] for row in page.rows["memory-frontier"][1:]}
    assert shown == expected and 0 < len(shown) < len(ok)
    svg = re.search(r'<svg[^>]*data-plot="memory-frontier".*?</svg>', html, re.S)
    assert svg is not None
    for _, row in ok.iterrows():
        assert point_name(row).replace("<", "&lt;").replace(">", "&gt;") in svg.group(0)
