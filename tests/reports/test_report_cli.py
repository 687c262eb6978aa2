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
