"""NumPy ``.npy`` matrices, memory-mapped (no pickles)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vecbench.datasets.files import check_matrix, read_error, require_file
from vecbench.datasets.raw import RawVectors
from vecbench.errors import DatasetError


def load_npy(path: Path) -> RawVectors:
    """One (n, dim) array; queries, if any, come from a second file (``queries_path``)."""
    return RawVectors(base=read_npy(path), source=f"npy {path}")


def read_npy(path: Path) -> np.ndarray:
    """Memory-map a 2-d numeric .npy file, refusing pickled object arrays."""
    require_file(path)
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except OSError as exc:
        raise read_error(path, exc) from None
    except ValueError as exc:
        raise DatasetError(f"cannot read {path} as .npy: {exc}") from None
    if not isinstance(array, np.ndarray):
        raise DatasetError(f"{path} is an .npz archive; save one array per file with np.save")
    return check_matrix(array, path)
