"""What the gate prints: labels from result files cannot forge Markdown or reach the terminal as
escape codes; the terminal shows the checks that need attention unless --all asks for every one."""

from __future__ import annotations

from pathlib import Path

from tests.gate.fabricate import FakePoint, fabricate
from vecbench.gate.policy import GatePolicy
from vecbench.gate.render import format_markdown, format_terminal
from vecbench.gate.verdict import run_gate
from vecbench.testing.attacks import HOSTILE_LABEL


def test_hostile_labels_are_escaped_in_markdown_and_terminal(tmp_path: Path) -> None:
    points = [FakePoint("a", label=HOSTILE_LABEL), FakePoint("b", label="plain")]
    base = fabricate(tmp_path / "b", points, seed=1)
    cur = fabricate(tmp_path / "c", [p.with_(recall=0.5) for p in points], seed=2)
    verdict = run_gate(base, cur, GatePolicy())
    markdown = format_markdown(verdict)
    assert "<img" not in markdown and "&lt;img" in markdown
    assert [line for line in markdown.splitlines() if line.startswith("#")] == [markdown.splitlines()[0]]
    assert all(line.startswith("|") or "evil" not in line for line in markdown.splitlines())
    for everything in (False, True):
        text = format_terminal(verdict, everything=everything)
        assert "\x1b" not in text and "\\x1b[2J" in text
        assert not any(line.startswith("## ") for line in text.splitlines())


def test_the_terminal_shows_failing_and_warning_checks_unless_all(tmp_path: Path) -> None:
    points = [FakePoint("a"), FakePoint("b", query_params={"ef": 64})]
    base = fabricate(tmp_path / "b", points, seed=1)
    cur = fabricate(tmp_path / "c", [points[0].with_(recall=0.5), points[1]], seed=2)
    verdict = run_gate(base, cur, GatePolicy())
    short, full = format_terminal(verdict), format_terminal(verdict, everything=True)
    rows = [line for line in short.splitlines() if line.startswith(("regression", "pass", "warn"))]
    assert rows and all(not line.startswith("pass") for line in rows)
    assert sum(line.startswith("pass") for line in full.splitlines()) > 5
    assert "--all prints every check" in short and "--all" not in full
