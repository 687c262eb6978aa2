"""An append-only table in an output folder: one small part file per append, compacted into one parquet.

Why: rewriting the whole parquet file on every append costs O(N^2) for N appends, and a shared
temporary name let two writers destroy each other's rows. Here an append writes only its own rows, to
``OUT/parts/<table>/<time>-<pid>-<random>.arrow`` (Arrow IPC: cheap to write and to read back) under a
unique temporary name and a rename, so any number of processes may append at once.

A read is the compacted file (``OUT/<table>.parquet``, the file earlier versions wrote) followed by
every part in name order, which is time order; a later append replaces all earlier rows of the same
``point_key``, exactly as the old rewrite did, so the row order is deterministic. ``compact`` folds
the parts into the parquet file (written durably, under a folder lock so compactions never
interleave) and deletes them: a compacted folder holds the same files as before parts existed. A
writer also compacts along the way (see ``FOLD_EVERY``), so a long run never leaves 50,000 small
files for the end: one fold per 50,000-part folder took minutes, folding as it goes seconds.
Readers take no lock: a part that vanishes while being read was folded into the parquet file, so
the read starts again.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from vecbench.core.atomic import atomic_writer
from vecbench.errors import VecbenchError
from vecbench.reports.lock import folder_lock
from vecbench.reports.schema import conform

PARTS_DIR = "parts"
PART_SUFFIX = ".arrow"
ENVIRONMENT_KEY = b"vecbench.environment"
SEQUENCE_KEY = b"vecbench.sequence"  # per row of the compacted file: the part it came from
READ_ATTEMPTS = 20
FOLD_EVERY = 1000

# The arrow type each pandas dtype of a schema maps to, and back (for reading parts).
_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "Int64": pa.int64(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
}
_PANDAS: dict[pa.DataType, Any] = {
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


@dataclass(frozen=True)
class Repaired:
    """What ``repair`` found and did, for its one line."""

    path: Path
    damaged_kept_as: Path | None
    parts_used: int
    parts_unreadable: int
    rows: int

    def line(self) -> str:
        if self.damaged_kept_as is None:
            return f"{self.path} is readable: {self.rows} row(s), {self.parts_used} part file(s) folded in"
        return (
            f"{self.path} was damaged: rebuilt from {self.parts_used} part file(s) with {self.rows} row(s)"
            f"{f' ({self.parts_unreadable} unreadable part(s) skipped)' if self.parts_unreadable else ''}; "
            f"the damaged file is kept as {self.damaged_kept_as.name}; rows only it held are lost, so "
            "re-run the same config into this folder to measure them again"
        )


# Columns every vecbench result file has; a parquet file without them is another tool's.
REQUIRED_COLUMNS = ("point_key", "status")


class PartedTable:
    """One named table of an output folder (``results``, ``pipeline``) with the schema ``columns``."""

    def __init__(
        self,
        out_dir: Path,
        file_name: str,
        columns: Mapping[str, str],
        finish: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    ) -> None:
        self.out_dir = out_dir
        # What every merged view passes through (the pipeline's p-value correction over the whole run).
        self.finish = finish
        self.path = out_dir / file_name
        self.parts_dir = out_dir / PARTS_DIR / Path(file_name).stem
        self.columns = columns
        self._last_ns = 0
        # Fold parts in along the way once this writer has added as many as the file holds rows
        # (at least FOLD_EVERY): a folder never collects tens of thousands of small files, and the
        # rewrites stay O(N) in total because each one at least doubles what is folded.
        self._appended = 0
        self._fold_at = FOLD_EVERY

    # ---- writing ------------------------------------------------------------------------------
    def append(self, rows: Iterable[Mapping[str, Any]], environment: Mapping[str, Any] | None = None) -> None:
        """Write ``rows`` as one new part file; O(len(rows)), whatever the table already holds."""
        table = self._rows_table(list(rows))
        if table.num_rows == 0:
            return
        if environment is not None:
            table = table.replace_schema_metadata({ENVIRONMENT_KEY: json.dumps(environment).encode()})
        sink = pa.BufferOutputStream()
        with ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        data = sink.getvalue().to_pybytes()
        for attempt in range(3):  # a compaction may remove the empty parts folder meanwhile
            self.parts_dir.mkdir(parents=True, exist_ok=True)
            try:
                with atomic_writer(self.parts_dir / self._part_name()) as handle:
                    handle.write(data)
                break
            except FileNotFoundError:
                if attempt == 2:
                    raise
        self._appended += 1
        if self._appended >= self._fold_at:
            self._appended = 0
            self._fold_at = max(FOLD_EVERY, self.compact_rows())

    def compact_rows(self) -> int:
        """Compact, and return the rows the compacted file holds."""
        self.compact()
        return pq.read_metadata(self.path).num_rows if self.path.is_file() else 0

    def _part_name(self) -> str:
        # Time first, so name order is append order across processes; strictly rising within one.
        ns = max(time.time_ns(), self._last_ns + 1)
        self._last_ns = ns
        return f"{ns:020d}-{os.getpid():07d}-{secrets.token_hex(4)}{PART_SUFFIX}"

    def _rows_table(self, rows: list[Mapping[str, Any]]) -> pa.Table:
        """The rows as arrow columns typed by the schema (the same column order pandas would give)."""
        names = list(dict.fromkeys(name for row in rows for name in row))
        names += [name for name in self.columns if name not in names]
        try:
            arrays = [
                pa.array(
                    [row.get(name) for row in rows],
                    type=_ARROW.get(self.columns.get(name, "")),
                    from_pandas=True,
                )
                for name in names
            ]
            return pa.Table.from_arrays(arrays, names=names)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            # Values arrow will not take as they are (a float for an integer, an object for a
            # string): let pandas cast them, as the schema always did.
            frame = conform(pd.DataFrame(rows), self.columns)
            return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)

    # ---- reading ------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.is_file() or bool(self.part_paths())

    def part_paths(self) -> list[Path]:
        """The current part files, oldest first."""
        try:
            names = [
                e.name
                for e in os.scandir(self.parts_dir)
                if e.name.endswith(PART_SUFFIX) and e.name[0] != "."
            ]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [self.parts_dir / name for name in sorted(names)]

    def read(self) -> pd.DataFrame:
        """Every row: the compacted file, then the parts in order, later rows of a key winning."""
        for _ in range(READ_ATTEMPTS):
            parts = self.part_paths()  # listed before the base is read: see the module docstring
            base = self._read_base()
            try:
                tables = [_read_part(path) for path in parts]
            except FileNotFoundError:
                continue  # folded into the base by a compaction meanwhile: read again
            return self._merge(base, tables)
        raise VecbenchError(f"{self.path} kept changing while being read; try again")

    def _read_base(self) -> pa.Table | None:
        if not self.path.exists():
            return None
        if self.path.is_dir():
            raise VecbenchError(f"{self.path} is a directory, not a vecbench result file; move it away and re-run")
        try:
            with open(self.path, "rb") as handle:  # one open: a file replaced mid-read is never mixed
                table = pq.read_table(handle)
        except (OSError, pa.ArrowInvalid) as exc:
            raise VecbenchError(
                f"cannot read {self.path}: {' '.join(str(exc).split())[:200]}; if it is damaged, "
                f"rebuild it from its part files with: vecbench results repair {self.out_dir}"
            ) from None
        missing = [column for column in REQUIRED_COLUMNS if column not in table.column_names]
        if missing:
            raise VecbenchError(
                f"{self.path} is not a vecbench result file (no '{missing[0]}' column); "
                "give another --out or move the file away"
            )
        return table

    def _merge(self, base: pa.Table | None, parts: Sequence[pa.Table]) -> pd.DataFrame:
        return self._merge_with_sequence(base, parts)[0]

    def _merge_with_sequence(self, base: pa.Table | None, parts: Sequence[pa.Table]) -> tuple[pd.DataFrame, np.ndarray]:
        frame, sequence = self._merge_rows(base, parts)
        return (frame if self.finish is None or frame.empty else self.finish(frame)), sequence

    def _merge_rows(self, base: pa.Table | None, parts: Sequence[pa.Table]) -> tuple[pd.DataFrame, np.ndarray]:
        """Every row of the base and the parts, the latest append of each key winning, in append
        order; with each kept row's sequence (the time its part was named).

        Order and winners come from the sequences, not from which file a row lies in: a compaction
        may fold a part while missing an older one still being renamed into place (a directory
        listing is no snapshot), and that older part must still lose to the newer rows.
        """
        chunks = ([] if base is None else [base]) + list(parts)
        if not chunks:
            return pd.DataFrame(), np.empty(0, dtype=np.int64)
        sequence = np.concatenate([_sequence(chunk) for chunk in chunks])
        if base is not None and not parts:  # the compacted file as written: pandas metadata keeps dtypes
            return base.to_pandas(), sequence
        lengths = [chunk.num_rows for chunk in chunks]
        bare = [chunk.replace_schema_metadata(None) for chunk in chunks]
        same = all(chunk.schema.equals(bare[0].schema) for chunk in bare)  # the usual case, and 6x faster
        table = pa.concat_tables(bare, promote_options="none" if same else "permissive")
        table = table.combine_chunks()  # one chunk per column: converting thousands of 1-row chunks is slow
        frame = conform(table.to_pandas(types_mapper=_PANDAS.get), self.columns)
        if frame.empty:
            return frame, sequence
        # A later append replaces every earlier row of the same key (what the old rewrite did):
        # later by sequence, then by position among chunks of equal sequence.
        chunk = np.repeat(np.arange(len(chunks)), lengths)
        order = np.lexsort((chunk, sequence))  # append order (stable: rows of one chunk keep theirs)
        ordered_seq, ordered_chunk = sequence[order], chunk[order]
        step = np.r_[True, (ordered_seq[1:] != ordered_seq[:-1]) | (ordered_chunk[1:] != ordered_chunk[:-1])]
        append = np.empty(len(order), dtype=np.int64)
        append[order] = np.cumsum(step)  # which append each row came from, numbered in append order
        latest = pd.Series(append).groupby(frame["point_key"].to_numpy(), dropna=False).transform("max")
        keep = order[(append == latest.to_numpy())[order]]
        return frame.iloc[keep].reset_index(drop=True), sequence[keep]

    # ---- compacting ---------------------------------------------------------------------------
    def compact(self) -> int:
        """Fold every part into the parquet file and delete them; returns how many were folded."""
        if not self.part_paths():
            return 0
        with folder_lock(self.out_dir):
            parts = self.part_paths()  # again, under the lock: another compaction may have run
            if not parts:
                return 0
            base, tables = self._read_base(), [_read_part(path) for path in parts]
            self._write_base(*self._merge_with_sequence(base, tables), _latest_environment(base, tables))
            self._remove(parts)
        return len(parts)

    def repair(self) -> Repaired:
        """Rebuild the parquet file from the part files when it is unreadable (kept aside, not deleted)."""
        with folder_lock(self.out_dir):
            kept: Path | None = None
            try:
                base = self._read_base()
            except VecbenchError:
                base = None
                kept = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
                os.replace(self.path, kept)
            readable: list[pa.Table] = []
            used: list[Path] = []
            unreadable = 0
            for path in self.part_paths():
                try:
                    readable.append(_read_part(path))
                    used.append(path)
                except VecbenchError:
                    unreadable += 1  # left in place: never delete what cannot be read
            frame, sequence = self._merge_with_sequence(base, readable)
            if base is not None or readable:
                self._write_base(frame, sequence, _latest_environment(base, readable))
            self._remove(used)
        return Repaired(self.path, kept, len(used), unreadable, len(frame))

    def _write_base(
        self, frame: pd.DataFrame, sequence: np.ndarray, environment: Mapping[str, Any] | None
    ) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        metadata = {**(table.schema.metadata or {}), SEQUENCE_KEY: json.dumps(sequence.tolist()).encode()}
        if environment is not None:
            metadata[ENVIRONMENT_KEY] = json.dumps(environment).encode()
        table = table.replace_schema_metadata(metadata)
        try:
            with atomic_writer(self.path, durable=True) as handle:  # durable: the parts go next
                pq.write_table(table, handle)
        except OSError as exc:
            raise VecbenchError(
                f"cannot write {self.path}: {exc.strerror}; the rows stay in {self.parts_dir} "
                "(free space or fix permissions, then any read or run folds them in)"
            ) from None

    def _remove(self, parts: Sequence[Path]) -> None:
        for path in parts:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        for folder in (self.parts_dir, self.parts_dir.parent):
            with contextlib.suppress(OSError):  # not empty: another writer's part is arriving
                folder.rmdir()


def _sequence(table: pa.Table) -> np.ndarray:
    """Each row's sequence: its part's, or as the compacted file recorded them (0 for files
    written before sequences were kept: older than every part)."""
    metadata = table.schema.metadata or {}
    if SEQUENCE_KEY not in metadata:
        return np.zeros(table.num_rows, dtype=np.int64)
    value = json.loads(metadata[SEQUENCE_KEY])
    if isinstance(value, int):
        return np.full(table.num_rows, value, dtype=np.int64)
    found = np.asarray(value, dtype=np.int64)
    return found if found.size == table.num_rows else np.zeros(table.num_rows, dtype=np.int64)


def _read_part(path: Path) -> pa.Table:
    """A part's rows, tagged with its sequence: the time in its name (see ``_part_name``)."""
    try:
        with open(path, "rb") as handle:
            table = ipc.open_file(pa.BufferReader(handle.read())).read_all()
        sequence = int(path.name.split("-", 1)[0])
        return table.replace_schema_metadata({**(table.schema.metadata or {}), SEQUENCE_KEY: str(sequence).encode()})
    except FileNotFoundError:
        raise
    except (OSError, pa.ArrowInvalid) as exc:
        raise VecbenchError(
            f"cannot read part file {path}: {' '.join(str(exc).split())[:200]}; "
            f"rebuild the results with: vecbench results repair {path.parent.parent.parent}"
        ) from None


def _latest_environment(base: pa.Table | None, parts: Sequence[pa.Table]) -> dict[str, Any] | None:
    """The environment of the latest part that carries one, else the compacted file's."""
    for table in [*reversed(parts), *([] if base is None else [base])]:
        found = _environment_of(table.schema.metadata)
        if found is not None:
            return found
    return None


def _environment_of(metadata: Mapping[bytes, bytes] | None) -> dict[str, Any] | None:
    if not metadata or ENVIRONMENT_KEY not in metadata:
        return None
    return dict(json.loads(metadata[ENVIRONMENT_KEY]))
