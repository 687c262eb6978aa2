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
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:  # a full disk or Ctrl-C: the old file stays, no partial one beside it
        tmp.unlink(missing_ok=True)
        raise


def make_directory(directory: Path) -> None:
    """Create an output folder (and parents), or raise a one-line error naming it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VecbenchError(f"cannot create output directory {directory}: {exc.strerror}") from None


# Columns every vecbench result file has; a parquet file without them is another tool's.
REQUIRED_COLUMNS = ("point_key", "status")


def read_rows(path: Path) -> pd.DataFrame:
    """A parquet file of result rows, or an empty frame when it does not exist yet."""
    if path.is_dir():
        raise VecbenchError(f"{path} is a directory, not a vecbench result file; move it away and re-run")
    if not path.is_file():
        return pd.DataFrame()
    try:
        with open(path, "rb") as handle:  # one open: a file replaced mid-read is not mixed with its successor
            frame = pq.read_table(handle).to_pandas()
    except (OSError, pa.ArrowInvalid) as exc:
        raise VecbenchError(f"cannot read {path}: {exc}") from None
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise VecbenchError(
            f"{path} is not a vecbench result file (no '{missing[0]}' column); "
            "give another --out or move the file away"
        )
    return frame


def upsert_rows(path: Path, new: pd.DataFrame, metadata: Mapping[bytes, bytes] | None = None) -> None:
    """Add rows, replacing earlier rows with the same point_key, and rewrite the file atomically."""
    if new.empty:
        return
    old = read_rows(path)
    if not old.empty:
        old = old[~old["point_key"].isin(set(new["point_key"]))]
    frame = pd.concat([old, new], ignore_index=True) if not old.empty else new
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())


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
        make_directory(self.raw_dir)

    def exists(self) -> bool:
        return self.results_path.exists()  # a directory in its place is an error on read, not "absent"

    def read(self) -> pd.DataFrame:
        """All rows, or an empty frame when nothing was written yet."""
        return read_rows(self.results_path)

    def finished_keys(self) -> set[str]:
        """Point keys whose row succeeded: a resumed run skips exactly these."""
        frame = self.read()
        if frame.empty:
            return set()
        return set(frame.loc[frame["status"] == "ok", "point_key"])

    def append(self, rows: Iterable[Mapping[str, Any]], environment: Mapping[str, Any] | None = None) -> None:
        """Add rows (replacing earlier rows with the same point_key) and rewrite the file atomically."""
        metadata = (
            None if environment is None else {b"vecbench.environment": json.dumps(environment).encode()}
        )
        upsert_rows(self.results_path, conform(pd.DataFrame(list(rows))), metadata)

    def write_environment(self, environment: Mapping[str, Any]) -> None:
        atomic_write_bytes(self.out_dir / ENVIRONMENT_FILE, json.dumps(environment, indent=2).encode())

    def read_environment(self) -> dict[str, Any]:
        path = self.out_dir / ENVIRONMENT_FILE
        if not path.is_file():
            return {}
        return dict(json.loads(path.read_text()))
