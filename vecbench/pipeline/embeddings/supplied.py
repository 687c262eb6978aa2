"""Vectors a user supplies, keyed by item id: ``.npy`` with a sidecar id file, or parquet.

- ``path: vectors.npy`` and ``ids_path: ids.txt`` (one id a line) or ``ids.npy``: row i is item ids[i];
- ``path: vectors.parquet`` with an id column (``id_column``, default ``item``) and either one list
  column (``vector_column``) or numeric columns that are all taken as dimensions.

Ids are matched to the log's original item ids as strings; ids the log lacks are counted and dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from vecbench.core.params import Metric, ParamSpec
from vecbench.datasets.files import require_file
from vecbench.datasets.logs.base import InteractionLog
from vecbench.datasets.logs.registry import resolve_path
from vecbench.errors import DatasetError
from vecbench.pipeline.embeddings.base import ItemEmbedder, ItemVectors


def read_vectors(
    path: Path, ids_path: Path | None, id_column: str, vector_column: str
) -> tuple[list[str], np.ndarray]:
    """(ids, rows) from a supplied file; rows may be ragged or non-finite: the checks judge them."""
    require_file(path)
    if path.suffix == ".npy":
        if ids_path is None:
            raise DatasetError(f"{path}: a .npy of vectors needs ids_path (a .txt or .npy of item ids)")
        require_file(ids_path)
        vectors = np.load(path, allow_pickle=False)
        ids = (
            [str(i) for i in np.load(ids_path, allow_pickle=False)]
            if ids_path.suffix == ".npy"
            else ids_path.read_text(encoding="utf-8").split()
        )
        if vectors.ndim != 2:
            raise DatasetError(
                f"{path}: vectors must be a 2-d array (items x dim), got shape {vectors.shape}"
            )
        if len(ids) != vectors.shape[0]:
            raise DatasetError(f"{path} has {vectors.shape[0]} rows but {ids_path} has {len(ids)} ids")
        return ids, vectors
    if path.suffix != ".parquet":
        raise DatasetError(f"{path}: supplied vectors must be .npy (with ids_path) or .parquet")
    frame = pd.read_parquet(path)
    if id_column not in frame.columns:
        raise DatasetError(
            f"{path} has no id column '{id_column}'; set id_column (columns: {list(frame.columns)})"
        )
    ids = [str(i) for i in frame[id_column]]
    if vector_column in frame.columns:
        rows = [np.asarray(v, dtype=np.float64) for v in frame[vector_column]]
        dims = {r.shape for r in rows}
        if len(dims) != 1:
            raise DatasetError(f"{path}: vectors have different dimensions {sorted(d[0] for d in dims)[:5]}")
        return ids, np.stack(rows)
    numeric = frame.drop(columns=[id_column]).select_dtypes("number")
    if numeric.shape[1] == 0:
        raise DatasetError(
            f"{path}: no '{vector_column}' list column and no numeric columns to use as vectors"
        )
    return ids, numeric.to_numpy(np.float64)


class FileEmbedder(ItemEmbedder):
    name: ClassVar[str] = "file"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "path": ParamSpec(str, "", "the .npy or .parquet file of vectors"),
        "ids_path": ParamSpec(str, "", "for .npy: the item ids, one per row (.txt or .npy)"),
        "id_column": ParamSpec(str, "item", "for parquet: the item id column"),
        "vector_column": ParamSpec(str, "embedding", "for parquet: the list column of vectors"),
    }

    def fit(self, train: InteractionLog, metric: Metric) -> ItemVectors:
        p = self.params
        if not p["path"]:
            raise DatasetError("embedding file needs path: the .npy or .parquet of item vectors")
        path = resolve_path(p["path"])
        ids, vectors = read_vectors(
            path, resolve_path(p["ids_path"]) if p["ids_path"] else None, p["id_column"], p["vector_column"]
        )
        position = {str(item): i for i, item in enumerate(train.items.ids)}
        known = [(position[i], row) for row, i in enumerate(ids) if i in position]
        if not known:
            raise DatasetError(f"{path}: none of its {len(ids)} ids is an item of the log '{train.name}'")
        known.sort()
        items = np.array([k[0] for k in known], dtype=np.int64)
        rows = vectors[[k[1] for k in known]]
        if len(set(items.tolist())) != len(items):
            raise DatasetError(f"{path}: some item ids appear more than once; keep one vector per item")
        dropped = len(ids) - len(known)
        return ItemVectors(
            items, rows.astype(np.float32), metric, f"supplied {path.name} ({dropped} unknown ids dropped)"
        )
