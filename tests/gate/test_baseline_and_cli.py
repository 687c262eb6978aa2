"""`vecbench baseline save` and `vecbench gate` from the command line: files, exit codes, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.gate.fabricate import FakePoint, fabricate
from vecbench.cli import main
from vecbench.gate.resultset import SavedBaseline, open_result_set

POINTS = [FakePoint("p1"), FakePoint("p2", query_params={"ef": 64}), FakePoint("bad", status="failed")]


def test_baseline_keeps_rows_and_timing_samples_but_no_neighbours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = fabricate(tmp_path / "run", POINTS)
    assert main(["baseline", "save", str(run), "--to", str(tmp_path / "base")]) == 0
    assert "3 point(s), 2 with timing samples" in capsys.readouterr().out
    base = open_result_set(tmp_path / "base", "baseline")
    assert isinstance(base, SavedBaseline) and len(base.rows) == 3
    assert sorted(p.name for p in (tmp_path / "base" / "samples").iterdir()) == ["p1.npz", "p2.npz"]
    with np.load(tmp_path / "base" / "samples" / "p1.npz") as stored:
        assert "ids" not in stored.files and stored["latencies_ns"].shape == (3, 300)
    original = open_result_set(run, "run")
    row = original.rows.set_index("point_key").loc["p1"].copy()
    row["point_key"] = "p1"
    for name, array in original.samples(row).arrays.items():  # type: ignore[union-attr]
        assert np.array_equal(base.samples(row).arrays[name], array)  # type: ignore[union-attr]
    assert main(["gate", "--baseline", str(tmp_path / "base"), "--current", str(run)]) == 0


def test_saving_again_replaces_a_baseline_but_never_other_folders(tmp_path: Path) -> None:
    run = fabricate(tmp_path / "run", POINTS)
    target = tmp_path / "base"
    assert main(["baseline", "save", str(run), "--to", str(target)]) == 0
    (target / "stale.txt").write_text("from before")
    assert main(["baseline", "save", str(run), "--to", str(target)]) == 0
    assert not (target / "stale.txt").exists() and (target / "baseline.json").is_file()
    other = tmp_path / "precious"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    assert main(["baseline", "save", str(run), "--to", str(other)]) == 2
    assert (other / "notes.txt").read_text() == "keep me"


def test_saving_without_raw_files_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = fabricate(tmp_path / "run", POINTS)
    for path in (run / "raw").glob("p1*"):
        path.unlink()
    assert main(["baseline", "save", str(run), "--to", str(tmp_path / "base")]) == 2
    assert "raw files of point p1 are missing" in capsys.readouterr().err
    assert not (tmp_path / "base").exists()


def test_gate_exit_codes_and_report_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = fabricate(tmp_path / "base", POINTS, seed=1)
    same = fabricate(tmp_path / "same", POINTS, seed=2)
    worse = fabricate(tmp_path / "worse", [POINTS[0].with_(recall=0.5), *POINTS[1:]], seed=3)
    other = fabricate(tmp_path / "other", POINTS, seed=4, fingerprint="fp-2")
    reports = tmp_path / "reports"

    def gate(current: Path, name: str) -> int:
        return main(
            [
                "gate",
                "--baseline",
                str(base),
                "--current",
                str(current),
                "--markdown",
                str(reports / f"{name}.md"),
                "--json",
                str(reports / f"{name}.json"),
            ]
        )

    assert gate(same, "same") == 0
    assert "vecbench gate: PASS (exit 0)" in capsys.readouterr().out
    assert gate(worse, "worse") == 1
    out = capsys.readouterr().out
    assert "vecbench gate: REGRESSION (exit 1)" in out and out.splitlines()[7].startswith("regression  ")
    assert gate(other, "other") == 2
    assert "mismatched datasets" in capsys.readouterr().err

    verdict = json.loads((reports / "worse.json").read_text())
    assert verdict["verdict"] == "regression" and verdict["exit_code"] == 1
    failing = [c for c in verdict["checks"] if c["fails"]]
    assert {(c["point_key"], c["metric"]) for c in failing} == {("p1", "recall"), ("p1", "recall_ids")}
    assert failing[0]["query_params"] == {"ef": 32} and failing[0]["comparison"] == "absolute"
    markdown = (reports / "worse.md").read_text()
    assert markdown.startswith("## ❌ vecbench gate: regression")
    assert "| regression | hnswlib M=8 \\| ef=32 | recall |" in markdown and "<details>" in markdown
    assert (reports / "same.md").read_text().startswith("## ✅ vecbench gate: pass")
    error = json.loads((reports / "other.json").read_text())
    assert error["verdict"] == "error" and error["exit_code"] == 2 and "mismatched" in error["error"]


def test_bad_policy_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = fabricate(tmp_path / "base", POINTS)
    policy = tmp_path / "gate.yaml"
    policy.write_text("metrics: {qpz: {max_change: 0.1}}\n")
    assert main(["gate", "--baseline", str(base), "--current", str(base), "--policy", str(policy)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "did you mean 'qps'" in err and "\n" not in err


@pytest.mark.parametrize("args", [["gate"], ["baseline"], ["baseline", "save"]])
def test_gate_commands_have_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--help"])
    assert exit_info.value.code == 0 and "usage: vecbench" in capsys.readouterr().out


def test_several_runs_pool_into_one_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = [fabricate(tmp_path / f"run{i}", POINTS, seed=i) for i in range(2)]
    assert main(["baseline", "save", *map(str, runs), "--to", str(tmp_path / "base")]) == 0
    base = open_result_set(tmp_path / "base", "baseline")
    row = base.rows.set_index("point_key", drop=False).loc["p1"]
    samples = base.samples(row)
    assert samples is not None and samples.repeats == 6 and row["repeats"] == 6
    assert samples.arrays["latencies_ns"].shape == (6, 300)
    parts = [open_result_set(r, "run") for r in runs]
    pooled = np.concatenate(
        [p.samples(p.rows.set_index("point_key", drop=False).loc["p1"]).arrays["batch_ns"] for p in parts]  # type: ignore[union-attr]
    )
    assert row["qps"] == pytest.approx(np.median(300 / (pooled.ravel() / 1e9)))
    meta = json.loads((tmp_path / "base" / "baseline.json").read_text())
    assert len(meta["sources"]) == 2
    other = fabricate(tmp_path / "other", POINTS, fingerprint="fp-2")
    assert main(["baseline", "save", str(runs[0]), str(other), "--to", str(tmp_path / "b2")]) == 2
    assert "other data" in capsys.readouterr().err
