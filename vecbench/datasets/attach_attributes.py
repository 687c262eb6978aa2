"""Give an assembled dataset its item attributes and per-query seen lists, on the rows it kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.attribute_files import read_attribute_file
from vecbench.datasets.attributes import Attributes, Column
from vecbench.datasets.raw import RawVectors
from vecbench.datasets.spec import DatasetSpec
from vecbench.datasets.synthetic_attributes import generate_attributes
from vecbench.errors import DatasetError


def dataset_attributes(
    raw: RawVectors, spec: DatasetSpec, base: np.ndarray, base_rows: np.ndarray, metric: Metric
) -> Attributes | None:
    """Attributes the loader gave, the spec's file and generated ones, merged; row i = base row i."""
    label = spec.label()
    parts: list[Attributes] = []
    n_file_rows = int(raw.base.shape[0])
    if raw.attributes is not None:
        parts.append(_align(raw.attributes, base_rows, n_file_rows, label))
    wanted = spec.attributes
    if wanted is not None and wanted.path is not None:
        found = read_attribute_file(
            Path(wanted.path).expanduser(), wanted.format, wanted.types, wanted.tag_separator
        )
        parts.append(_align(found, base_rows, n_file_rows, label))
    if wanted is not None and wanted.generate is not None:
        parts.append(generate_attributes(base, metric, wanted.generate))
    if not parts:
        return None
    columns: dict[str, Column] = {}
    for part in parts:
        for name, column in part.columns.items():
            if name in columns:
                raise DatasetError(
                    f"dataset '{label}': attribute '{name}' comes from two sources ({part.source}); rename one"
                )
            columns[name] = column
    return Attributes(columns, source="; ".join(part.source for part in parts))


def _align(attributes: Attributes, base_rows: np.ndarray, n_file_rows: int, label: str) -> Attributes:
    """Rows per base item are used as they are; rows per file row are cut to the kept base rows."""
    if attributes.n == base_rows.shape[0]:
        return attributes
    if attributes.n == n_file_rows:
        return attributes.take(base_rows)
    raise DatasetError(
        f"dataset '{label}': {attributes.source} has {attributes.n} rows; it needs one per base item "
        f"({base_rows.shape[0]}) or one per row of the vector file ({n_file_rows})"
    )


def dataset_seen(raw: RawVectors, n_base: int, n_queries: int) -> tuple[np.ndarray, ...] | None:
    """The loader's seen lists for the kept queries (a prefix) and base rows (a prefix)."""
    if raw.seen is None:
        return None
    return tuple(np.asarray(ids[ids < n_base], dtype=np.int64) for ids in raw.seen[:n_queries])
