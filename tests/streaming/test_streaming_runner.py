"""A runbook experiment end to end through the normal runner and worker processes, and its refusals."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.cli import main
from vecbench.streaming.runner import STEPS_FILE

STEP_COLUMNS = [
    "adapter",
    "point_key",
    "step",
    "operation",
    "live_count",
    "recall",
    "recall_ids",
    "deleted_returned",
    "latency_p50_ms",
    "latency_p99_ms",
    "qps",
    "rows",
    "seconds",
]
SUMMARY_COLUMNS = [
    "recall_mean",
    "recall_min",
    "worst_step",
    "insert_rows_per_s",
    "delete_rows_per_s",
    "visible_p50_ms",
    "visible_p99_ms",
    "rebuilds",
    "rebuild_s",
]


def config(runbooks: Path, file: str, indexes: list[dict[str, Any]], **runbook: Any) -> dict[str, Any]:
    return {
        "name": "stream",
        "dataset": {"name": "synthetic", "n_base": 10_000, "n_queries": 50, "seed": 5, "options": {"dim": 8}},
        "k": 10,
        "warmup_queries": 5,
        "runbook": {"path": str(runbooks / file), "key": "random-xs", **runbook},
        "indexes": indexes,
    }


@pytest.mark.parametrize(
    "file",
    # the replace runbook also runs in the default suite, in-process (test_adapters_stream.py)
    ["simple_runbook.yaml", pytest.param("simple_replace_runbook.yaml", marks=pytest.mark.slow)],
)
def test_exact_is_exact_at_every_step_of_both_runbooks(runbooks: Path, tmp_path: Path, file: str) -> None:
    Runner(parse_config(config(runbooks, file, [{"adapter": "exact"}])), tmp_path, progress=False).run()
    steps = pd.read_parquet(tmp_path / STEPS_FILE)
    results = pd.read_parquet(tmp_path / "results.parquet")
    assert set(STEP_COLUMNS) <= set(steps.columns) and set(SUMMARY_COLUMNS) <= set(results.columns)
    runbook = yaml.load((runbooks / file).read_text(), Loader=yaml.CSafeLoader)["random-xs"]
    assert steps["step"].tolist() == sorted(k for k in runbook if isinstance(k, int))
    search = steps[steps["operation"] == "search"]
    assert (search["recall"] == 1.0).all() and (search["recall_ids"] == 1.0).all()
    assert (search["deleted_returned"] == 0).all() and (search["qps"] > 0).all()
    assert (search["latency_p99_ms"] >= search["latency_p50_ms"]).all()
    updates = steps[steps["operation"] != "search"]
    assert (updates["seconds"] > 0).all() and updates["rows"].tolist() == [
        runbook[s].get("end", runbook[s].get("tags_end", 0))
        - runbook[s].get("start", runbook[s].get("tags_start", 0))
        for s in updates["step"]
    ]
    row = results.iloc[0]
    assert row["status"] == "ok" and row["recall_mean"] == 1.0 and row["recall_min"] == 1.0
    assert (
        row["rebuilds"] == 0 and row["visible_p50_ms"] > 0 and row["visible_p99_ms"] >= row["visible_p50_ms"]
    )
    assert row["delete_rows_per_s"] > 0


@pytest.mark.slow  # the gate's bootstrap takes tens of seconds on a loaded 2-core machine
def test_the_gate_compares_recall_min_of_streaming_points(
    runbooks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "base"
    data = config(runbooks, "simple_runbook.yaml", [{"adapter": "exact"}])
    data["dataset"]["n_base"] = 2000
    data["runbook"]["scale"] = "fit"
    Runner(parse_config(data), base, progress=False).run()
    worse = tmp_path / "worse"
    shutil.copytree(base, worse)
    table = pq.read_table(worse / "results.parquet")
    frame = table.to_pandas()
    frame["recall_min"] = frame["recall_min"] - 0.2
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(table.schema.metadata),
        worse / "results.parquet",
    )
    assert main(["gate", "--baseline", str(base), "--current", str(base)]) in (0, 3)
    capsys.readouterr()
    assert main(["gate", "--baseline", str(base), "--current", str(worse)]) == 1
    assert "recall_min" in capsys.readouterr().out


def run_cli(tmp_path: Path, data: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress", "--no-mlflow"])
    return code, capsys.readouterr().err.strip()


@pytest.mark.parametrize(
    ("indexes", "runbook", "message"),
    [
        (
            [{"adapter": "annoy", "policy": "incremental"}],
            {},
            "needs incremental adds, which 'annoy' does not declare",
        ),
        ([{"adapter": "exact", "policy": {"rebuild_evry": 2}}], {}, "{rebuild_evry: ...} is unknown"),
        ([{"adapter": "exact"}], {"key": "nope"}, "has no key 'nope'"),
        ([{"adapter": "exact"}], {"scale": 2}, "scale must be in (0, 1]"),
    ],
)
def test_bad_streaming_configs_exit_2_before_any_build(
    runbooks: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    indexes: list[dict[str, Any]],
    runbook: dict[str, Any],
    message: str,
) -> None:
    data = config(runbooks, "simple_runbook.yaml", indexes)
    data["runbook"].update(runbook)
    code, err = run_cli(tmp_path, data, capsys)
    assert code == 2 and message in err and err.count("\n") == 0, err
    assert not (tmp_path / "out" / "results.parquet").exists() and not (tmp_path / "out" / "raw").exists()


def test_a_runbook_larger_than_the_dataset_says_how_to_scale(
    runbooks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = config(runbooks, "simple_runbook.yaml", [{"adapter": "exact"}])
    data["dataset"]["n_base"] = 4000
    code, err = run_cli(tmp_path, data, capsys)
    assert code == 2 and "the dataset has 4000 vectors; set runbook scale: fit" in err
