"""The result store: ``OUT/results.parquet`` plus the part files appended since it was compacted.

It is the source of truth every other sink (tables, MLflow, HTML) reads. One row per
(adapter, build point, query point), keyed by ``point_key``; a re-run replaces a key's row. Each
append is one small part file (see ``reports.parts``), so appending costs O(rows appended) and
several processes may append at once; ``compact`` (at the end of a run) folds them into
``results.parquet``, the same file earlier versions wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from vecbench.core.atomic import atomic_write_bytes, atomic_write_text
from vecbench.errors import VecbenchError
from vecbench.reports.parts import PartedTable, Repaired
from vecbench.reports.schema import COLUMNS

RESULTS_FILE = "results.parquet"
ENVIRONMENT_FILE = "environment.json"
RAW_DIR = "raw"

__all__ = ["ENVIRONMENT_FILE", "RAW_DIR", "RESULTS_FILE", "ResultStore", "atomic_write_bytes", "raw_file_name"]


def raw_file_name(point_key: str, repeat: int = 0) -> str:
    """Raw arrays of one point: ``<key>.npz`` for the first repetition, ``<key>.r<i>.npz`` after it."""
    return f"{point_key}.npz" if repeat == 0 else f"{point_key}.r{repeat}.npz"


def make_directory(directory: Path) -> None:
    """Create an output folder (and parents), or raise a one-line error naming it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VecbenchError(f"cannot create output directory {directory}: {exc.strerror}") from None


class ResultStore:
    """Reads and appends result rows in one output directory."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.table = PartedTable(self.out_dir, RESULTS_FILE, COLUMNS)
        self._environment: Mapping[str, Any] | None = None  # this run's, once written

    @property
    def results_path(self) -> Path:
        return self.out_dir / RESULTS_FILE

    @property
    def raw_dir(self) -> Path:
        return self.out_dir / RAW_DIR

    def prepare(self) -> None:
        """Create the output and raw directories."""
        make_directory(self.raw_dir)

    def exists(self) -> bool:
        return self.table.exists()

    def read(self) -> pd.DataFrame:
        """All rows (compacted file and parts), or an empty frame when nothing was written yet."""
        return self.table.read()

    def compact(self) -> int:
        """Fold the part files into results.parquet (end of a run); returns how many were folded."""
        return self.table.compact()

    def repair(self) -> Repaired:
        """Rebuild an unreadable results.parquet from the part files (the damaged file is kept)."""
        return self.table.repair()

    def finished_keys(self) -> set[str]:
        """Point keys whose row succeeded: a resumed run skips exactly these."""
        frame = self.read()
        if frame.empty:
            return set()
        return set(frame.loc[frame["status"] == "ok", "point_key"])

    def append(self, rows: Iterable[Mapping[str, Any]], environment: Mapping[str, Any] | None = None) -> None:
        """Add rows as one part file; they replace earlier rows with the same point_key on read.
        Each part carries the environment (this run's, once written) in its metadata."""
        self.table.append(rows, environment if environment is not None else self._environment)

    def write_environment(self, environment: Mapping[str, Any]) -> None:
        self._environment = environment
        atomic_write_text(self.out_dir / ENVIRONMENT_FILE, json.dumps(environment, indent=2))

    def read_environment(self) -> dict[str, Any]:
        path = self.out_dir / ENVIRONMENT_FILE
        if not path.is_file():
            return {}
        return dict(json.loads(path.read_text()))
