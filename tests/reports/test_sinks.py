"""The runner's sinks: called in order after the result file, and a failing sink costs nothing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.reports.sinks import ResultSink, RunContext
from vecbench.reports.store import ResultStore


class Recorder(ResultSink):
    """Notes each call, and what the result file held when a row arrived."""

    name = "recorder"

    def __init__(self, fail_at_row: int | None = None) -> None:
        self.calls: list[str] = []
        self.rows_on_disk: list[int] = []
        self.fail_at_row = fail_at_row
        self.out: Path | None = None

    def start(self, context: RunContext) -> None:
        self.out = context.out_dir
        self.calls.append(f"start {context.experiment} {context.dataset_fingerprint}")

    def row(self, row: Mapping[str, Any]) -> None:
        assert self.out is not None
        self.rows_on_disk.append(int((ResultStore(self.out).read()["point_key"] == row["point_key"]).sum()))
        self.calls.append("row")
        if self.fail_at_row is not None and self.calls.count("row") == self.fail_at_row:
            raise ConnectionError("sink backend went away")

    def finish(self, completed: bool) -> None:
        self.calls.append(f"finish {completed}")


def test_sinks_see_rows_after_the_file_and_a_failing_one_is_switched_off(tmp_path: Path) -> None:
    config = parse_config(
        {
            "name": "sinks",
            "dataset": {"name": "synthetic", "n_base": 800, "n_queries": 20, "options": {"dim": 8}},
            "k": 5,
            "warmup_queries": 2,
            "indexes": [{"adapter": "exact"}, {"adapter": "hnswlib", "query": {"ef": [10, 20]}}],
        }
    )
    failing, healthy, warnings = Recorder(fail_at_row=2), Recorder(), []
    runner = Runner(config, tmp_path, progress=False, sinks=[failing, healthy])
    runner.sinks.warn = warnings.append
    summary = runner.run()

    assert summary.points_run == 3 and len(ResultStore(tmp_path).read()) == 3
    assert healthy.calls[0].startswith("start sinks ") and healthy.calls[1:] == ["row"] * 3 + ["finish True"]
    assert healthy.rows_on_disk == [1, 1, 1]  # every row was in the result file before the sink saw it
    assert failing.calls[1:] == ["row", "row"]  # switched off after its failure: no more calls
    assert len(warnings) == 1
    assert (
        "the recorder sink failed" in warnings[0] and "ConnectionError: sink backend went away" in warnings[0]
    )
    assert f"results are safe in {tmp_path}/results.parquet" in warnings[0]
