"""Any log as CSV or parquet with user, item and timestamp columns, and optionally a weight."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa

from vecbench.datasets.files import read_error, require_file
from vecbench.datasets.logs.base import InteractionLog, build_log
from vecbench.errors import DatasetError

DEFAULT_COLUMNS = {"user": "user", "item": "item", "timestamp": "timestamp", "weight": "weight"}


def load_table_log(path: str | Path, columns: Mapping[str, str] | None = None) -> InteractionLog:
    """Read ``.csv``/``.tsv`` or ``.parquet``; ``columns`` renames (e.g. ``{user: userId}``).

    Timestamps are unix seconds or anything pandas parses as a date-time.
    """
    path = require_file(Path(path).expanduser())
    names = {**DEFAULT_COLUMNS, **(columns or {})}
    unknown = sorted(set(names) - set(DEFAULT_COLUMNS))
    if unknown:
        raise DatasetError(f"unknown column role(s) {unknown}; the roles are {sorted(DEFAULT_COLUMNS)}")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",")
    except OSError as exc:
        raise read_error(path, exc) from None
    except (ValueError, pa.ArrowInvalid, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot parse {path}: {' '.join(str(exc).split())}") from None
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
        source=f"table {path}",
    )
