"""Read item attributes from a parquet, npz or CSV file beside the vectors.

Kinds are inferred from the stored types (bool -> boolean, numbers -> numeric, datetimes ->
timestamp, lists -> tags, text -> categorical) and can be declared with ``types:`` where the file
cannot say (CSV has no lists or dates: a tags column holds ``a|b|c``, a timestamp column ISO dates).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from vecbench.datasets.attributes import (
    AttributeKind,
    Attributes,
    Column,
    boolean,
    categorical,
    numeric,
    tags,
    timestamp,
)
from vecbench.datasets.files import read_error, require_file
from vecbench.errors import ConfigError, DatasetError, closest_hint

ATTRIBUTE_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".npz": "npz", ".csv": "csv"}


def attribute_format(path: Path, given: str | None) -> str:
    """The declared format, or the one the suffix implies."""
    known = sorted(set(ATTRIBUTE_FORMATS.values()))
    if given is not None:
        if given not in known:
            raise ConfigError(f"unknown attributes format '{given}'{closest_hint(given, known)}")
        return given
    fmt = ATTRIBUTE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"cannot tell the format of attributes file {path}; set attributes.format to one of {', '.join(known)}"
        )
    return fmt


def read_attribute_file(
    path: Path, fmt: str | None = None, types: Mapping[str, str] | None = None, tag_separator: str = "|"
) -> Attributes:
    """Every column of the file as an attribute; ``types`` overrides inferred kinds by column name."""
    require_file(path)
    fmt = attribute_format(path, fmt)
    frame = _read_frame(path, fmt)
    declared = _parse_types(types or {}, list(frame.columns), path)
    columns: dict[str, Column] = {}
    for name in frame.columns:
        kind = declared.get(str(name)) or infer_kind(frame[name])
        columns[str(name)] = series_column(frame[name], kind, tag_separator, path)
    if not columns:
        raise DatasetError(f"attributes file {path} has no columns")
    return Attributes(columns, source=str(path))


def _read_frame(path: Path, fmt: str) -> pd.DataFrame:
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        if fmt == "csv":
            return pd.read_csv(path, keep_default_na=True)
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: np.asarray(archive[name]) for name in archive.files}
    except OSError as exc:
        raise read_error(path, exc) from None
    except (ValueError, zipfile.BadZipFile, pd.errors.ParserError) as exc:
        raise DatasetError(f"cannot read attributes file {path}: {' '.join(str(exc).split())}") from None
    shapes = {name: array.shape for name, array in arrays.items() if array.ndim != 1}
    if shapes:
        name, shape = next(iter(shapes.items()))
        raise DatasetError(
            f"{path}: attribute '{name}' must be a 1-d array (one value per item), got {shape}"
        )
    lengths = {array.shape[0] for array in arrays.values()}
    if len(lengths) > 1:
        raise DatasetError(f"{path}: attribute arrays differ in length ({sorted(lengths)})")
    return pd.DataFrame(arrays)


def _parse_types(types: Mapping[str, str], names: list[str], path: Path) -> dict[str, AttributeKind]:
    kinds = [k.value for k in AttributeKind]
    out: dict[str, AttributeKind] = {}
    for name, kind in types.items():
        if name not in names:
            raise ConfigError(
                f"attributes.types names '{name}', which {path} lacks{closest_hint(name, names)}"
            )
        if kind not in kinds:
            raise ConfigError(
                f"attributes.types: '{kind}' for '{name}' is not a kind; use one of {', '.join(kinds)}"
            )
        out[name] = AttributeKind(kind)
    return out


def infer_kind(series: pd.Series) -> AttributeKind:
    """The kind a column's stored type implies."""
    if pd.api.types.is_bool_dtype(series):
        return AttributeKind.BOOLEAN
    if pd.api.types.is_numeric_dtype(series):
        return AttributeKind.NUMERIC
    if pd.api.types.is_datetime64_any_dtype(series):
        return AttributeKind.TIMESTAMP
    sample = series.dropna()
    if len(sample) and isinstance(sample.iloc[0], list | tuple | np.ndarray):
        return AttributeKind.TAGS
    return AttributeKind.CATEGORICAL


def series_column(series: pd.Series, kind: AttributeKind, separator: str, path: Path | str) -> Column:
    """One attribute column of ``kind`` from a pandas column; a value that does not fit names the source."""
    name = str(series.name)
    try:
        if kind is AttributeKind.BOOLEAN:
            if series.isna().any() or not set(series.unique()) <= {True, False}:
                raise ValueError("values must be true/false (or 1/0), with none missing")
            return boolean(series.to_numpy().astype(bool))
        if kind is AttributeKind.NUMERIC:
            return numeric(pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan))
        if kind is AttributeKind.TIMESTAMP:
            values = pd.to_datetime(series, errors="raise", utc=True).dt.tz_localize(None)
            return timestamp(values.to_numpy(dtype="datetime64[s]"))
        if kind is AttributeKind.TAGS:
            return tags([_split_tags(value, separator) for value in series.tolist()])
        return categorical(series.tolist())
    except (ValueError, TypeError) as exc:
        raise DatasetError(
            f"{path}: attribute '{name}' cannot be read as {kind.value}: {' '.join(str(exc).split())}"
        ) from None


def _split_tags(value: object, separator: str) -> list[str] | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(separator) if part.strip()]
    if isinstance(value, list | tuple | np.ndarray):
        return [str(part) for part in value]
    return [str(value)]
