"""The engine's seams: one worker and protocol for every kind, the executor, lock-step turn-taking,
live sinks for pipeline configurations, and workers that take their children with them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from vecbench.api import load_results
from vecbench.bench.config import parse_config
from vecbench.bench.executor import LocalExecutor
from vecbench.bench.filter_plan import FilterPlan
from vecbench.bench.messages import EngineMessage, Measured
from vecbench.bench.pipeline_config import parse_pipeline_config
from vecbench.bench.pipeline_runner import PipelineRunner
from vecbench.bench.point_kinds import POINT_KINDS, SweepContext, check_declared
from vecbench.bench.runner import Runner
from vecbench.bench.worker import WorkerTask
from vecbench.bench.workloads import FilteredQueries, StaticQueries
from vecbench.reports.pipeline_store import PipelineStore
from vecbench.reports.sinks import ResultSink
from vecbench.testing.faults import CHILD_PID_FILE_ENV

FAULTY = "vecbench.testing.faults:FaultInjectingAdapter"
SYNTHETIC = {"name": "synthetic", "n_base": 2000, "n_queries": 50, "seed": 3, "options": {"dim": 16}}


class RecordingExecutor:
    """A second executor through the seam: runs each task locally and keeps what it saw."""

    slots = 1

    def __init__(self) -> None:
        self.tasks: list[WorkerTask] = []
        self.messages: list[EngineMessage] = []
        self.local = LocalExecutor()

    def run(self, task: WorkerTask, timeout_s: float) -> Generator[EngineMessage, None, None]:
        self.tasks.append(task)
        for message in self.local.run(task, timeout_s):
            self.messages.append(message)
            yield message


def test_sweeps_and_filtered_points_run_through_any_executor(tmp_path: Path) -> None:
    config = parse_config(
        {
            "name": "seam",
            "dataset": {**SYNTHETIC, "attributes": {"generate": {}}},
            "k": 10,
            "indexes": [
                {"adapter": "hnswlib", "build": {"M": 8, "ef_construction": 32}, "query": {"ef": [10, 40]}}
            ],
            "filters": [{"pass_rate": 0.5}],
            "strategies": ["post"],
        }
    )
    executor = RecordingExecutor()
    summary = Runner(config, tmp_path / "out", progress=False, executor=executor).run()
    assert summary.points_failed == 0 and summary.points_run == 4
    (task,) = executor.tasks  # one worker per build point, whatever its kinds of points
    assert [type(w) for w in task.workloads] == [StaticQueries, FilteredQueries]
    measured = [m for m in executor.messages if isinstance(m, Measured)]
    assert len(measured) == 4
    for message in measured:  # every kind of point carries the calibration kernel and build time
        with np.load(message.raw_path) as raw:
            assert raw["calibration_ns"].size == 8 and int(raw["build_ns"][0]) > 0


PIPELINE: dict[str, Any] = {
    "kind": "pipeline",
    "name": "live",
    "log": {
        "name": "synthetic",
        "seed": 2,
        "options": {"n_users": 150, "n_items": 150, "events_per_user": 12},
    },
    "split": {"train_fraction": 0.8, "replay_steps": 1, "min_history": 3},
    "embedding": {"kind": "svd", "dim": 8},
    "retrieval": {
        "k_candidates": [20],
        "indexes": [
            {"adapter": "hnswlib", "build": {"M": 8, "ef_construction": 16}, "query": {"ef": [10, 40]}}
        ],
    },
    "scorer": {"kind": "similarity"},
    "evaluation": {"cutoffs": [10], "bootstrap": 50},
    "drift": None,
    "memory_limit_gb": 8,
}


class StoreWatcher(ResultSink):
    """Notes, at each finished configuration, which configurations the result file already holds."""

    def __init__(self, out: Path) -> None:
        self.store = PipelineStore(out)
        self.seen: list[tuple[str, int]] = []
        self.finished = False

    def configuration(self, rows: Sequence[Mapping[str, Any]]) -> None:
        assert not self.finished
        keys = {str(row["point_key"]) for row in rows}
        assert len(keys) == 1
        self.seen.append((keys.pop(), int(self.store.read()["point_key"].nunique())))

    def finish(self, completed: bool) -> None:
        self.finished = completed


def test_pipeline_configurations_reach_sinks_as_each_finishes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    watcher = StoreWatcher(out)
    executor = RecordingExecutor()
    PipelineRunner(
        parse_pipeline_config(PIPELINE), out, progress=False, executor=executor, sinks=[watcher]
    ).run()
    assert watcher.finished
    # exact, popularity, two hnswlib query points, then the scorer-vs-retrieval comparison: each
    # stored, then handed on, one by one
    assert [count for _, count in watcher.seen] == [1, 2, 3, 4, 5]
    # exact retrieval ran in a worker through the executor, like the index
    assert [task.adapter for task in executor.tasks] == ["exact", "hnswlib"]
    assert all(task.memory_limit_bytes == 8 * 2**30 for task in executor.tasks)
    frame = PipelineStore(out).read()
    for retrieval in ("exact", "hnswlib M=8 ef_construction=16 ef=10 auto"):
        rows = frame[frame["retrieval"].str.startswith(retrieval.split(" auto")[0])]
        assert not rows.empty, retrieval
        first = rows.iloc[0]
        assert first["rss_peak_bytes"] > 0 and first["build_s"] > 0 and np.isfinite(first["calibration_ms"])


def _state(pid: int) -> str:
    """A process's state letter, or '' once it is gone (a zombie, 'Z', is dead too)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(line.split()[1] for line in status if line.startswith("State:"))
    except (FileNotFoundError, ProcessLookupError):
        return ""


@pytest.mark.slow  # kept out of the default run for its time; run before resolving
def test_a_timed_out_worker_is_killed_with_its_children(tmp_path: Path) -> None:
    """A child holding the run's stdout open would keep ``vecbench run ... | tail`` waiting; the
    pipe closes when the run ends because the worker's whole process group is killed."""
    pid_file = tmp_path / "child.pid"
    config = tmp_path / "hang.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "orphans",
                "dataset": SYNTHETIC,
                "k": 10,
                "indexes": [{"adapter": FAULTY, "build": {"fault": "hang-with-child"}, "timeout_s": 10}],
            }
        )
    )
    env = {**os.environ, CHILD_PID_FILE_ENV: str(pid_file), "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "vecbench.cli", "run", str(config), "--out", str(tmp_path / "out"),
               "--no-mlflow", "--no-progress"]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("the run's stdout stayed open: the hung worker's child outlived it")
    assert done.returncode == 0, done.stderr
    assert "timed out after 10 s" in done.stdout
    assert _state(int(pid_file.read_text())) in ("", "Z")


def test_duplicate_builds_are_built_once_with_the_union_of_their_query_points(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hnsw = {"adapter": "hnswlib", "build": {"M": 8, "ef_construction": 32}}
    config = parse_config(
        {
            "name": "duplicates",
            "dataset": SYNTHETIC,
            "k": 10,
            "indexes": [{**hnsw, "query": {"ef": [10, 20]}}, {**hnsw, "query": {"ef": [20, 40]}}],
        }
    )
    executor = RecordingExecutor()
    summary = Runner(config, tmp_path / "out", progress=False, executor=executor).run()
    assert len(executor.tasks) == 1
    assert (summary.points_total, summary.points_run, summary.points_skipped) == (3, 3, 0)
    assert "is listed twice; building it once and measuring 1 more query point(s)" in capsys.readouterr().err
    again = Runner(config, tmp_path / "out", progress=False).run()
    assert (again.points_run, again.points_skipped) == (0, 3)


def test_a_new_point_kind_is_one_module_and_one_table_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/bench/probe_kind.py is a whole new kind of measurement; registering it is one line, and
    its points run in the same worker as the static ones, resume, and land with their own column."""
    monkeypatch.setitem(POINT_KINDS.entries, "probe", "tests.bench.probe_kind:ProbeKind")
    config = parse_config(
        {
            "name": "kinds",
            "dataset": SYNTHETIC,
            "k": 5,
            "indexes": [{"adapter": "hnswlib", "build": {"M": 8, "ef_construction": 32}, "query": {"ef": [10]}}],
        }
    )
    executor = RecordingExecutor()
    summary = Runner(config, tmp_path / "out", progress=False, executor=executor).run()
    assert summary.points_failed == 0 and summary.points_run == 2
    (task,) = executor.tasks
    assert [type(w).__name__ for w in task.workloads] == ["StaticQueries", "ProbeQueries"]
    frame = load_results(tmp_path / "out")
    probe = frame[frame["probe_queries"].notna()]
    assert len(probe) == 1 and probe["status"].iloc[0] == "ok" and probe["qps"].iloc[0] > 0
    assert Runner(config, tmp_path / "out", progress=False).run().points_run == 0  # resumed: both stored


def test_a_kind_reporting_an_undeclared_metric_is_refused() -> None:
    from tests.bench.probe_kind import UndeclaredKind

    config = parse_config({"name": "x", "dataset": SYNTHETIC, "indexes": [{"adapter": "exact"}]})
    kind = UndeclaredKind(SweepContext(config, FilterPlan(), "x"))
    with pytest.raises(AssertionError, match=r"\['sparkle'\].*metrics/catalog.py"):
        check_declared(kind, kind.metrics())
