"""What the gate compares: a result directory of ``vecbench run`` or a saved baseline, read alike.

Both give the result rows, the environment they were measured in, and each row's raw timing
samples (index sweeps only; a pipeline run's rows are compared by value). A run directory keeps them in ``raw/<key>.npz`` (plus ``<key>.r<i>.npz`` per extra
repetition, with ids and distances too); a saved baseline keeps only the timing samples the
statistics need, in ``samples/<key>.npz``, so it is small enough to commit.
"""

from __future__ import annotations

import abc
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vecbench.errors import VecbenchError
from vecbench.gate.samples import SAMPLE_ARRAYS, PointSamples
from vecbench.reports.pipeline_store import PipelineStore
from vecbench.reports.store import ResultStore, raw_file_name

INDEX, PIPELINE = "index", "pipeline"
BASELINE_MARKER = "baseline.json"
BASELINE_FORMAT = "vecbench-baseline"
SAMPLES_DIR = "samples"


class ResultSet(abc.ABC):
    """Rows, environment and per-row raw samples of one side of a comparison.

    ``kind`` is ``index`` (an index sweep: results.parquet, one row per point) or ``pipeline`` (a
    recommendation pipeline: pipeline.parquet, one row per point, stage, metric and cohort).
    """

    def __init__(self, location: str, rows: pd.DataFrame, environment: dict[str, Any], kind: str) -> None:
        self.location = location
        self.rows = rows
        self.environment = environment
        self.kind = kind

    @abc.abstractmethod
    def samples(self, row: pd.Series) -> PointSamples | None:
        """The raw timing samples of a finished row, or None when they are not stored."""


class RunDirectory(ResultSet):
    """An output directory of ``vecbench run``."""

    def __init__(self, path: Path) -> None:
        store = ResultStore(path)
        super().__init__(str(path), store.read(), store.read_environment(), INDEX)
        self.raw_dir = store.raw_dir

    def samples(self, row: pd.Series) -> PointSamples | None:
        repeats = 1 if pd.isna(row.get("repeats")) else int(row["repeats"])
        paths = [self.raw_dir / raw_file_name(str(row["point_key"]), r) for r in range(repeats)]
        if not all(path.is_file() for path in paths):
            return None
        raws = []
        for path in paths:
            with np.load(path) as data:  # reads only the members named here, not ids/distances
                raws.append({name: data[name] for name in SAMPLE_ARRAYS if name in data.files})
        return PointSamples.from_raws(raws, int(row["n_queries"]))


class SavedBaseline(ResultSet):
    """A directory written by ``vecbench baseline save``."""

    def __init__(self, path: Path) -> None:
        store = ResultStore(path)
        pipeline = PipelineStore(path)
        if pipeline.exists():
            super().__init__(str(path), pipeline.read(), store.read_environment(), PIPELINE)
        else:
            super().__init__(str(path), store.read(), store.read_environment(), INDEX)
        self.samples_dir = path / SAMPLES_DIR

    def samples(self, row: pd.Series) -> PointSamples | None:
        path = self.samples_dir / f"{row['point_key']}.npz"
        if not path.is_file():
            return None
        with np.load(path) as data:
            return PointSamples.from_arrays(data)


class PipelineDirectory(ResultSet):
    """An output directory of ``vecbench run`` on a pipeline config (no timing samples kept)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            str(path), PipelineStore(path).read(), ResultStore(path).read_environment(), PIPELINE
        )

    def samples(self, row: pd.Series) -> PointSamples | None:
        return None


def open_result_set(location: str | Path, role: str) -> ResultSet:
    """Open ``location`` (a run directory or a saved baseline); ``role`` names it in errors."""
    path = Path(location)
    hint = "give an output directory of 'vecbench run' or a baseline saved by 'vecbench baseline save'"
    if not path.is_dir():
        raise VecbenchError(f"{role} not found: {path}; {hint}")
    marker = path / BASELINE_MARKER
    if marker.is_file():
        try:
            meta = json.loads(marker.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise VecbenchError(f"{role} {path}: unreadable {BASELINE_MARKER}: {exc}") from None
        if meta.get("format") != BASELINE_FORMAT:
            raise VecbenchError(f"{role} {path}: {BASELINE_MARKER} is not a vecbench baseline; {hint}")
        result: ResultSet = SavedBaseline(path)
    elif ResultStore(path).exists():
        result = RunDirectory(path)
    elif PipelineStore(path).exists():
        result = PipelineDirectory(path)
    else:
        raise VecbenchError(f"{role} {path} holds no results.parquet or pipeline.parquet; {hint}")
    if result.rows.empty:
        raise VecbenchError(f"nothing to compare: {role} {path} has no result rows")
    return result
