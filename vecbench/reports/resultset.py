"""One output folder read back as plain data: rows, environment and the config that made them.

Reports and the MLflow sync read result sets through this and never run anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from vecbench.errors import VecbenchError
from vecbench.reports.pipeline_store import PipelineStore
from vecbench.reports.store import ResultStore

CONFIG_FILE = "config.yaml"


@dataclass(frozen=True)
class ResultSet:
    """``frame``: index-sweep rows (results.parquet); ``pipeline``: recommendation-pipeline rows
    (pipeline.parquet, long format). A folder holds either or both; absent ones are empty."""

    out_dir: Path
    frame: pd.DataFrame
    environment: dict[str, Any]
    config: dict[str, Any]
    pipeline: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def name(self) -> str:
        """The experiment name(s) of the rows, else the folder name."""
        for frame in (self.frame, self.pipeline):
            if not frame.empty:
                names = sorted({str(n) for n in frame["experiment"].dropna()})
                if names:
                    return ", ".join(names)
        return str(self.config.get("name") or self.out_dir.name)

    def ok(self) -> pd.DataFrame:
        return self.frame[self.frame["status"] == "ok"] if not self.frame.empty else self.frame

    def failed(self) -> pd.DataFrame:
        return self.frame[self.frame["status"] != "ok"] if not self.frame.empty else self.frame


def load_result_set(out_dir: str | Path) -> ResultSet:
    """Read OUT's result files, environment.json and config.yaml; a one-line error if none."""
    store, pipeline = ResultStore(out_dir), PipelineStore(out_dir)
    if not store.exists() and not pipeline.exists():
        raise VecbenchError(
            f"no results in {out_dir}: expected {store.results_path} or {pipeline.path}; "
            f"run 'vecbench run CONFIG --out {out_dir}'"
        )
    try:
        environment = store.read_environment()
    except (OSError, json.JSONDecodeError) as exc:
        raise VecbenchError(f"cannot read {store.out_dir / 'environment.json'}: {exc}") from None
    return ResultSet(store.out_dir, store.read(), environment, read_config(store.out_dir), pipeline.read())


def read_config(out_dir: Path) -> dict[str, Any]:
    """The config the runner stored beside the results, as a mapping ({} when absent)."""
    path = out_dir / CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise VecbenchError(f"cannot read {path}: {exc}; re-run the experiment to rewrite it") from None
    return data if isinstance(data, dict) else {}
