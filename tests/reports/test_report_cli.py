"""``vecbench report``: prints where the report went; bad input is one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from vecbench.cli import main


def test_report_command_writes_and_prints_the_path(
    hostile_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nested" / "r.html"
    assert main(["report", str(hostile_results), "--output", str(target)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"Report: {target} (") and target.is_file()
    assert f"({target.stat().st_size:,} bytes" in line
    assert (
        main(
            [
                "report",
                str(hostile_results),
                "--compare",
                str(hostile_results),
                "--output",
                str(tmp_path / "c.html"),
            ]
        )
        == 0
    )
    assert (tmp_path / "c.html").is_file()


@pytest.mark.parametrize(
    "args",
    [["report", "{absent}"], ["report", "{absent}", "--compare", "{absent}"], ["mlflow", "sync", "{absent}"]],
)
def test_missing_result_set_is_one_line(
    tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([arg.format(absent=tmp_path / "absent") for arg in args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no results in") and "vecbench run" in err[0]


def test_report_of_several_sets_is_one_leaderboard(
    hostile_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'vecbench report A B': one table of each set's best point per adapter, ranked, and one
    frontier chart holding both sets; a recall axis on the logit scale when asked."""
    import shutil

    from tests.reports.test_html_report import outline

    other = tmp_path / "rerun"
    shutil.copytree(hostile_results, other)
    target = tmp_path / "board.html"
    assert (
        main(["report", str(hostile_results), str(other), "--output", str(target), "--recall-axis", "logit"])
        == 0
    )
    assert capsys.readouterr().out.startswith(f"Report: {target} (")
    html = target.read_text()
    page = outline(html)
    board = page.rows["leaderboard"]
    header, rows = board[0], board[1:]
    adapters_with_a_best = 2  # exact and hnsw reach recall 0.9 in the fixture; faiss-ivf and broken do not
    assert len(rows) == 2 * adapters_with_a_best
    assert {r[header.index("result set")] for r in rows} == {"out", "rerun"}  # the folder names
    ranks = [int(r[header.index("rank")]) for r in rows]
    assert ranks == list(range(1, len(rows) + 1))
    cpu = [float(r[header.index("CPU ms/q")]) for r in rows]
    assert cpu == sorted(cpu) and rows[0][header.index("vs leader")] == "leader"
    assert rows[1][header.index("vs leader")] == "equivalent"  # the copy measured the same point
    plots = [attrs.get("data-plot") for tag, attrs in page.tags if tag == "svg"]
    assert plots == ["compare-pareto"]
    assert "<!-- recall (logit scale) -->" in html  # matplotlib's comment beside the axis title glyphs


def test_compare_with_several_sets_is_refused(
    hostile_results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", str(hostile_results), str(hostile_results), "--compare", str(hostile_results)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--compare takes one result set" in err[0]
