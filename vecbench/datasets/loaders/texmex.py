"""TEXMEX vector files (.fvecs, .ivecs, .bvecs): each row is a little-endian int32 dim, then values.

The files are memory-mapped and every row's header is checked, because a file concatenated from
parts of different dimension would otherwise be read as silently shifted garbage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vecbench.datasets.files import read_error, require_file
from vecbench.datasets.raw import RawVectors
from vecbench.errors import DatasetError

_HEADER = np.dtype("<i4")


def load_fvecs(path: Path) -> RawVectors:
    """float32 vectors, memory-mapped."""
    return RawVectors(base=read_vecs(path, np.dtype("<f4")), source=f"fvecs {path}")


def load_ivecs(path: Path) -> RawVectors:
    """int32 vectors (TEXMEX ground-truth files), memory-mapped; converted once rows are chosen."""
    return RawVectors(base=read_vecs(path, np.dtype("<i4")), source=f"ivecs {path}")


def load_bvecs(path: Path) -> RawVectors:
    """uint8 vectors (SIFT1B), memory-mapped; converted to float32 once rows are chosen."""
    return RawVectors(base=read_vecs(path, np.dtype("u1")), source=f"bvecs {path}")


def read_vecs(path: Path, dtype: np.dtype) -> np.ndarray:
    """Memory-map a .*vecs file as an (n, dim) view of ``dtype`` after checking every row header."""
    require_file(path)
    size = path.stat().st_size
    if size == 0:
        raise DatasetError(f"{path} is empty")
    if size < _HEADER.itemsize:
        raise DatasetError(f"{path}: {size} bytes is too short for a row header")
    try:
        dim = int(np.fromfile(path, dtype=_HEADER, count=1)[0])
    except OSError as exc:
        raise read_error(path, exc) from None
    if dim <= 0:
        raise DatasetError(
            f"{path}: first row header gives dimension {dim}; is this a {_suffix(dtype)} file?"
        )
    row_bytes = _HEADER.itemsize + dim * dtype.itemsize
    if size % row_bytes:
        raise DatasetError(
            f"{path}: {size} bytes is not a whole number of {row_bytes}-byte rows of dimension {dim} "
            "(truncated file, wrong format, or rows of different dimension)"
        )
    n_rows = size // row_bytes
    raw = np.memmap(path, dtype="u1", mode="r", shape=(n_rows, row_bytes))
    headers = np.ascontiguousarray(raw[:, : _HEADER.itemsize]).view(_HEADER).ravel()
    bad = np.flatnonzero(headers != dim)
    if bad.size:
        row = int(bad[0])
        raise DatasetError(
            f"{path}: row {row} has dimension {int(headers[row])} but row 0 has {dim}; "
            f"{bad.size} rows disagree (every row of a {_suffix(dtype)} file must have the same dimension)"
        )
    if dtype.itemsize == 1:
        return raw[:, _HEADER.itemsize :]
    # Same bytes, viewed as (n, dim + 1) words of 4 bytes: column 0 is the header.
    words = np.memmap(path, dtype=dtype, mode="r", shape=(n_rows, dim + 1))
    return words[:, 1:]


def _suffix(dtype: np.dtype) -> str:
    return {"f": ".fvecs", "i": ".ivecs", "u": ".bvecs"}[dtype.kind]
