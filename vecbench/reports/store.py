"""The result store: ``OUT/results.parquet``, rewritten atomically after every point.

It is the source of truth every other sink (tables, MLflow, HTML) reads. One row per
(adapter, build point, query point), keyed by ``point_key``; a re-run replaces a key's row.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vecbench.errors import VecbenchError
from vecbench.reports.schema import conform

RESULTS_FILE = "results.parquet"
ENVIRONMENT_FILE = "environment.json"
RAW_DIR = "raw"


def raw_file_name(point_key: str, repeat: int = 0) -> str:
    """Raw arrays of one point: ``<key>.npz`` for the first repetition, ``<key>.r<i>.npz`` after it."""
    return f"{point_key}.npz" if repeat == 0 else f"{point_key}.r{repeat}.npz"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class ResultStore:
    """Reads and appends result rows in one output directory."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)

    @property
    def results_path(self) -> Path:
        return self.out_dir / RESULTS_FILE

    @property
    def raw_dir(self) -> Path:
        return self.out_dir / RAW_DIR

    def prepare(self) -> None:
        """Create the output and raw directories."""
        try:
            self.raw_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise VecbenchError(f"cannot create output directory {self.out_dir}: {exc.strerror}") from None

    def exists(self) -> bool:
        return self.results_path.is_file()

    def read(self) -> pd.DataFrame:
        """All rows, or an empty frame when nothing was written yet."""
        if not self.exists():
            return pd.DataFrame()
        try:
            return pq.read_table(self.results_path).to_pandas()
        except (OSError, pa.ArrowInvalid) as exc:
            raise VecbenchError(f"cannot read {self.results_path}: {exc}") from None

    def finished_keys(self) -> set[str]:
        """Point keys whose row succeeded: a resumed run skips exactly these."""
        frame = self.read()
        if frame.empty:
            return set()
        return set(frame.loc[frame["status"] == "ok", "point_key"])

    def append(self, rows: Iterable[Mapping[str, Any]], environment: Mapping[str, Any] | None = None) -> None:
        """Add rows (replacing earlier rows with the same point_key) and rewrite the file atomically."""
        new = conform(pd.DataFrame(list(rows)))
        if new.empty:
            return
        old = self.read()
        if not old.empty:
            old = old[~old["point_key"].isin(set(new["point_key"]))]
            frame = pd.concat([old, new], ignore_index=True) if not old.empty else new
        else:
            frame = new
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if environment is not None:
            meta = dict(table.schema.metadata or {})
            meta[b"vecbench.environment"] = json.dumps(environment).encode()
            table = table.replace_schema_metadata(meta)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        atomic_write_bytes(self.results_path, sink.getvalue().to_pybytes())

    def write_environment(self, environment: Mapping[str, Any]) -> None:
        atomic_write_bytes(self.out_dir / ENVIRONMENT_FILE, json.dumps(environment, indent=2).encode())

    def read_environment(self) -> dict[str, Any]:
        path = self.out_dir / ENVIRONMENT_FILE
        if not path.is_file():
            return {}
        return dict(json.loads(path.read_text()))
