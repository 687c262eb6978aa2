"""Path checks shared by the loaders, so a missing or unreadable file is one clear line."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vecbench.errors import DatasetError


def require_file(path: Path) -> Path:
    """Return ``path`` if it is an existing regular file, else raise DatasetError naming it."""
    if not path.exists():
        raise DatasetError(f"file not found: {path}")
    if not path.is_file():
        raise DatasetError(f"not a file: {path} (give the path of the data file itself)")
    return path


def require_dir(path: Path) -> Path:
    """Return ``path`` if it is an existing directory, else raise DatasetError naming it."""
    if not path.exists():
        raise DatasetError(f"directory not found: {path}")
    if not path.is_dir():
        raise DatasetError(f"not a directory: {path}")
    return path


def read_error(path: Path, exc: OSError) -> DatasetError:
    """One-line DatasetError for an OSError met while reading ``path``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return DatasetError(f"cannot read {path}: {reason}")


def check_matrix(array: np.ndarray, path: Path, what: str = "vectors") -> np.ndarray:
    """Refuse arrays that are not 2-d numeric matrices (rows x dim)."""
    if array.ndim != 2:
        raise DatasetError(f"{path}: {what} must be a 2-d array (rows x dim), got shape {array.shape}")
    if array.dtype.kind not in "fiub":
        raise DatasetError(f"{path}: {what} hold {array.dtype} values; vectors must be numbers")
    return array
