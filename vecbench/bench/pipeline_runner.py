"""Runs a pipeline config: the ``RecsysExperiment`` through the one engine (see its module for
what is measured and how configurations are compared)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vecbench.bench.engine import Engine
from vecbench.bench.executor import Executor, LocalExecutor
from vecbench.bench.pipeline_config import PipelineConfig
from vecbench.bench.recsys_experiment import RecsysExperiment
from vecbench.reports.pipeline_store import PipelineStore
from vecbench.reports.sinks import ResultSink, SinkChain


@dataclass(frozen=True)
class PipelineSummary:
    out_dir: Path
    runs: int
    failed: int
    wall_s: float
    checks: list[str]
    skipped: int = 0  # index runs already finished in OUT by an earlier run of the same config


class PipelineRunner:
    def __init__(
        self,
        config: PipelineConfig,
        out_dir: str | Path,
        progress: bool = True,
        executor: Executor | None = None,
        sinks: Sequence[ResultSink] = (),
    ) -> None:
        self.store = PipelineStore(out_dir)
        self.experiment = RecsysExperiment(config, self.store)
        # Each configuration reaches the sinks (MLflow) as it finishes.
        self.sinks = SinkChain(sinks)
        self.engine = Engine(self.experiment, executor or LocalExecutor(), self.sinks, progress)

    def run(self) -> PipelineSummary:
        done = self.engine.run()
        return PipelineSummary(
            self.store.out_dir, done.points_total, done.points_failed, done.wall_s,
            self.experiment.checks, done.points_skipped,
        )  # fmt: skip
