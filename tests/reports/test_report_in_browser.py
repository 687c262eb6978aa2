"""The report opened in real headless Chromium: no console errors, sections and plots visible,
user strings shown as text (no script ran), sorting works, and a screenshot of the first screen."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from tests.reports.chromium import CHROMIUM, chromium_page
from tests.reports.conftest import IMG, SCRIPT
from vecbench.reports.html import build_report
from vecbench.reports.html.sections import SECTIONS

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="headless Chromium not installed: apt-get install chromium (.ci/run does this)",
)

VISIBLE = """(() => {
  const seen = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 50 && r.height > 20 && s.display !== 'none' && s.visibility !== 'hidden'; };
  return JSON.stringify({
    sections: [...document.querySelectorAll('section')].map(s => [s.id, seen(s)]),
    plots: [...document.querySelectorAll('svg.plot')].map(p => [p.dataset.plot, seen(p), p.querySelectorAll('path,use').length]),
    scripts: document.scripts.length,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    text: document.body.innerText,
  });
})()"""

FIRST_QPS = (
    "[...document.querySelectorAll('table[data-table=points] tbody tr')].map(r => r.cells[5].textContent)"
)


def test_report_in_headless_chromium(hostile_results: Path, tmp_path: Path) -> None:
    report = build_report(hostile_results, tmp_path / "report.html").path
    with chromium_page(tmp_path / "profile") as page:
        page.open(report.as_uri())
        state = json.loads(page.evaluate(VISIBLE))
        assert page.console_errors == [] and page.dialogs == []
        shown = [key for key, _, _ in SECTIONS if key not in ("filters", "load", "sizes", "recommendation")]  # hidden: nothing to show
        assert [key for key, _ in state["sections"]] == shown
        assert state["overflow"] <= 0, "the page scrolls sideways at 1366 px"
        assert all(visible for _, visible in state["sections"]), state["sections"]
        plots = {name: (visible, marks) for name, visible, marks in state["plots"]}
        assert {"pareto", "latency-p50", "latency-p99", "build-time", "index-memory"} <= set(plots)
        assert all(visible and marks > 10 for visible, marks in plots.values()), plots
        assert state["scripts"] == 1
        assert SCRIPT in state["text"] and IMG in state["text"]

        shot = page.screenshot(tmp_path / "report-first-screen.png")
        width, height = struct.unpack(">II", shot.read_bytes()[16:24])  # PNG header: the viewport size
        assert (width, height) == (1366, 900) and shot.stat().st_size > 20_000

        page.evaluate("document.querySelector('table[data-table=points] thead th:nth-child(6)').click()")
        ascending = page.evaluate(FIRST_QPS)
        values = [float(v.replace(",", "")) for v in ascending if v != "-"]
        assert values == sorted(values) and len(values) == 5
        page.evaluate("document.querySelector('table[data-table=points] thead th:nth-child(6)').click()")
        descending = [float(v.replace(",", "")) for v in page.evaluate(FIRST_QPS) if v != "-"]
        assert descending == sorted(values, reverse=True)
        page.drain()
        assert page.console_errors == [] and page.dialogs == []


def test_pipeline_report_fits_1366_px(pipeline_results: tuple[Path, str], tmp_path: Path) -> None:
    """The recommendation report at 1366 px: metrics first, no sideways page scroll, no console
    errors; the screenshot is kept in the test's folder."""
    out, _ = pipeline_results
    report = build_report(out, tmp_path / "pipeline-report.html").path
    with chromium_page(tmp_path / "profile") as page:
        page.open(report.as_uri())
        state = json.loads(page.evaluate(VISIBLE))
        assert page.console_errors == [] and page.dialogs == []
        assert state["sections"][0][0] == "recommendation"
        assert state["overflow"] <= 0, "the page scrolls sideways at 1366 px"
        assert all(visible and marks > 10 for _, visible, marks in state["plots"]), state["plots"]
        shot = page.screenshot(tmp_path / "pipeline-report-first-screen.png")
        assert shot.stat().st_size > 20_000
