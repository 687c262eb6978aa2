"""The MLflow sink: logs each point while the run goes, then the artifacts when it ends.

The result file is always written before the sink sees a row. If the tracking store fails
(unreachable at the start, or gone mid-run), the sink prints one warning line naming the
recovery command and stops trying; the benchmark goes on and nothing is lost, because
``vecbench mlflow sync OUT`` uploads later from the result file without duplicating runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from vecbench.reports.mlflow_runs import pipeline_point_runs
from vecbench.reports.mlflow_sync import (
    FolderMaker,
    MlflowTarget,
    local_store_uri,
    parent_info,
    resolve_tracking_uri,
    result_set_id,
    upload,
)
from vecbench.reports.pipeline_store import COLUMNS as PIPELINE_COLUMNS
from vecbench.reports.resultset import load_result_set
from vecbench.reports.schema import conform
from vecbench.reports.sinks import ResultSink, RunContext, Warn, warn_line


class MlflowSink(ResultSink):
    name = "MLflow"

    def __init__(
        self,
        tracking_uri: str | None = None,
        warn: Warn = warn_line,
        made: Mapping[str, FolderMaker] | None = None,
    ) -> None:
        self.given_uri = tracking_uri
        self.made = dict(made or {})  # folders made and attached at the end (the gate baseline)
        self.warn = warn
        self.uri = ""
        self.out_dir: Path | None = None
        self.target: MlflowTarget | None = None
        self.failed = False
        self.done = False

    @property
    def sync_command(self) -> str:
        """How to upload later: the same URI the run was aiming at."""
        out = self.out_dir or Path("OUT")
        uri = "" if not self.uri or self.uri == local_store_uri(out) else f" --tracking-uri {self.uri}"
        return f"vecbench mlflow sync {out}{uri}"

    def start(self, context: RunContext) -> None:
        self.out_dir = context.out_dir
        self.uri = resolve_tracking_uri(context.out_dir, self.given_uri)
        try:
            target = MlflowTarget(self.uri)
            target.open(
                parent_info(
                    result_set_id(context.out_dir),
                    context.experiment,
                    context.config,
                    context.environment,
                    context.dataset_label,
                    [context.dataset_fingerprint],
                    context.out_dir,
                )
            )
            self.target = target
        except Exception as exc:  # any tracking failure: warn once, results are already safe
            self._fail(exc)

    def row(self, row: Mapping[str, Any]) -> None:
        if self.target is None:
            return
        try:
            self.target.log_point(row)
        except Exception as exc:  # any tracking failure: warn once, results are already safe
            self._fail(exc)

    def configuration(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """A pipeline configuration reaches MLflow as soon as it finishes, as one child run."""
        if self.target is None:
            return
        try:
            frame = conform(pd.DataFrame(list(rows)), PIPELINE_COLUMNS)
            for run in pipeline_point_runs(frame, self.target.result_set, self.target.parent_run_id):
                self.target.log_run(run)
        except Exception as exc:  # any tracking failure: warn once, results are already safe
            self._fail(exc)

    def finish(self, completed: bool) -> None:
        if self.target is None or self.out_dir is None:
            return
        try:
            if completed:
                # Catch up on anything not logged live (earlier runs of a resumed result set),
                # then attach the config, result file, report and plots.
                upload(self.target, load_result_set(self.out_dir), self.made, say=warn_line)
                self.done = True
            else:
                self.target.close("KILLED")
        except Exception as exc:  # any tracking failure: warn once, results are already safe
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        self.target = None
        self.failed = True
        text = " ".join(str(exc).split())
        if len(text) > 240:
            text = text[:237] + "..."
        where = f"{self.out_dir}/results.parquet" if self.out_dir else "the result file"
        self.warn(
            f"warning: MLflow logging to {self.uri} stopped ({type(exc).__name__}: {text}); the run goes on "
            f"and results stay in {where}; upload them later with: {self.sync_command}"
        )
