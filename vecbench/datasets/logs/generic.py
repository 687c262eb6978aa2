"""Any log as CSV or parquet with user, item and timestamp columns, and optionally a weight,
with an optional item catalogue file whose columns become the items' titles, categories and
filterable attributes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa

from vecbench.datasets.files import read_error, require_file
from vecbench.datasets.logs.base import InteractionLog, build_log
from vecbench.errors import DatasetError

DEFAULT_COLUMNS = {"user": "user", "item": "item", "timestamp": "timestamp", "weight": "weight"}


def load_table_log(
    path: str | Path, columns: Mapping[str, str] | None = None, items: str | Path | None = None
) -> InteractionLog:
    """Read ``.csv``/``.tsv`` or ``.parquet``; ``columns`` renames (e.g. ``{user: userId}``).

    Timestamps are unix seconds or anything pandas parses as a date-time.
    """
    path = require_file(Path(path).expanduser())
    names = {**DEFAULT_COLUMNS, **(columns or {})}
    unknown = sorted(set(names) - set(DEFAULT_COLUMNS))
    if unknown:
        raise DatasetError(f"unknown column role(s) {unknown}; the roles are {sorted(DEFAULT_COLUMNS)}")
    frame = _read_table(path)
    for role in ("user", "item", "timestamp"):
        if names[role] not in frame.columns:
            raise DatasetError(
                f"{path} has no '{names[role]}' column for {role}; its columns are {list(frame.columns)} "
                f"(map them with columns: {{{role}: NAME}})"
            )
    stamps = frame[names["timestamp"]]
    if not pd.api.types.is_numeric_dtype(stamps):
        parsed = pd.to_datetime(stamps, errors="coerce", utc=True)
        if parsed.isna().any():
            raise DatasetError(f"{path}: column '{names['timestamp']}' holds values that are not times")
        stamps = (parsed - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    weights = frame[names["weight"]] if names["weight"] in frame.columns else None
    return build_log(
        path.stem,
        frame[names["user"]].to_numpy(),
        frame[names["item"]].to_numpy(),
        stamps.to_numpy(),
        None if weights is None else weights.to_numpy(),
        catalogue=None if items is None else read_catalogue(Path(items).expanduser()),
        source=f"table {path}",
    )


def read_catalogue(path: Path) -> pd.DataFrame:
    """An item file: ``item`` (required), ``title`` and ``categories`` ('|'-separated) if present;
    every other column is an attribute of the kind its type implies."""
    frame = _read_table(require_file(path))
    if "item" not in frame.columns:
        raise DatasetError(f"items file {path} has no 'item' column; its columns are {list(frame.columns)}")
    frame = frame.copy()
    frame["title"] = frame["title"].astype(str) if "title" in frame.columns else frame["item"].astype(str)
    raw = frame["categories"] if "categories" in frame.columns else pd.Series([""] * len(frame))
    frame["categories"] = [
        tuple(part.strip() for part in str(value).split("|") if part.strip()) if pd.notna(value) else ()
        for value in raw
    ]
    return frame


def _read_table(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",")
    except OSError as exc:
        raise read_error(path, exc) from None
    except (ValueError, pa.ArrowInvalid, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot parse {path}: {' '.join(str(exc).split())}") from None
