"""Runs an experiment config's index sweep: the ``AnnExperiment`` through the one engine.

Data flows one way: dataset -> exact ground truth (cached) -> for each build point a worker builds
and measures -> raw arrays on disk -> metrics from the raw arrays -> one row per point appended to
the result store right away, so killing the runner loses nothing already written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vecbench.bench.ann_experiment import AnnExperiment, validate
from vecbench.bench.config import ExperimentConfig
from vecbench.bench.engine import Engine, Experiment
from vecbench.bench.executor import Executor, LocalExecutor
from vecbench.reports.sinks import ResultSink, SinkChain
from vecbench.reports.store import ResultStore
from vecbench.streaming.runner import StreamingExperiment

__all__ = ["RunSummary", "Runner", "validate"]


@dataclass(frozen=True)
class RunSummary:
    out_dir: Path
    points_total: int
    points_run: int
    points_skipped: int
    points_failed: int
    wall_s: float


class Runner:
    """Executes one experiment config into one output directory, resuming what is already there."""

    def __init__(
        self,
        config: ExperimentConfig,
        out_dir: str | Path,
        progress: bool = True,
        on_row: Callable[[dict[str, Any]], None] | None = None,
        sinks: Sequence[ResultSink] = (),
        executor: Executor | None = None,
    ) -> None:
        self.config = config
        self.store = ResultStore(out_dir)
        self.progress = progress
        self.on_row = on_row
        self.executor = executor or LocalExecutor()
        # Sinks (MLflow, the HTML report) see each row after the result file has it.
        self.sinks = SinkChain(sinks)
        experiment: Experiment[Any] = (
            StreamingExperiment(config, self.store)  # a config with a runbook (issue 11)
            if config.runbook is not None
            else AnnExperiment(config, self.store, progress)
        )
        self.engine = Engine(experiment, self.executor, self.sinks, progress, on_row)

    def run(self) -> RunSummary:
        done = self.engine.run()
        return RunSummary(
            self.store.out_dir, done.points_total, done.points_run, done.points_skipped,
            done.points_failed, done.wall_s,
        )  # fmt: skip
