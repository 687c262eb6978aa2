"""ann-benchmarks HDF5: ``train``, ``test``, ``neighbors``, ``distances`` and a ``distance`` attribute."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.files import check_matrix, read_error, require_file
from vecbench.datasets.raw import RawVectors
from vecbench.errors import ConfigError, DatasetError


def load_hdf5(path: Path) -> RawVectors:
    """Read an ann-benchmarks file; contiguous float32 datasets come back memory-mapped."""
    require_file(path)
    try:
        with h5py.File(path, "r") as handle:
            if "train" not in handle:
                raise DatasetError(f"{path}: no 'train' dataset (ann-benchmarks files hold train and test)")
            base = _matrix(handle, "train", path)
            queries = _matrix(handle, "test", path) if "test" in handle else None
            neighbors = _small(handle, "neighbors", path, np.int64)
            distances = _small(handle, "distances", path, np.float32)
            metric = _metric(handle.attrs.get("distance"), path)
    except OSError as exc:
        raise DatasetError(f"cannot read {path} as HDF5: {exc.strerror or exc}") from None
    if neighbors is not None and (queries is None or neighbors.shape[0] != queries.shape[0]):
        n_test = 0 if queries is None else queries.shape[0]
        raise DatasetError(f"{path}: 'neighbors' has {neighbors.shape[0]} rows but 'test' has {n_test}")
    return RawVectors(
        base=base,
        queries=queries,
        metric=metric,
        neighbors=neighbors,
        distances=distances,
        source=f"ann-benchmarks HDF5 {path}",
    )


def _dataset(handle: h5py.File, key: str, path: Path) -> h5py.Dataset:
    node = handle[key]
    if not isinstance(node, h5py.Dataset):
        raise DatasetError(f"{path}: '{key}' is a group, expected an array")
    return node


def _matrix(handle: h5py.File, key: str, path: Path) -> np.ndarray:
    """Memory-map contiguous little-endian float32 storage; read anything else into memory."""
    node = _dataset(handle, key, path)
    if node.ndim != 2:
        raise DatasetError(f"{path}: '{key}' must be 2-d (rows x dim), got shape {node.shape}")
    offset = node.id.get_offset()
    mappable = node.chunks is None and node.dtype == np.dtype("<f4") and offset is not None and node.size > 0
    if mappable:
        return np.memmap(path, dtype="<f4", mode="r", offset=offset, shape=node.shape)
    try:
        array = np.asarray(node[()])
    except OSError as exc:
        raise read_error(path, exc) from None
    return check_matrix(array, path, f"'{key}'")


def _small(handle: h5py.File, key: str, path: Path, dtype: type[np.generic]) -> np.ndarray | None:
    if key not in handle:
        return None
    array = np.asarray(_dataset(handle, key, path)[()])
    if array.ndim != 2:
        raise DatasetError(f"{path}: '{key}' must be 2-d (queries x k), got shape {array.shape}")
    return array.astype(dtype, copy=False)


def _metric(value: Any, path: Path) -> Metric | None:
    """Map the file's ``distance`` attribute ('angular', 'euclidean', 'dot'/'ip') to a Metric."""
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    try:
        return Metric.parse(text)
    except ConfigError as exc:
        raise DatasetError(f"{path}: distance attribute: {exc}") from None
