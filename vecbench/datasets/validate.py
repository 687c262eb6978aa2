"""Checks every dataset passes before use, each failing with one line that names the array and the fix."""

from __future__ import annotations

import numpy as np

from vecbench.errors import DatasetError

# Rows checked per step, so a memory-mapped file is scanned without a full-size boolean temporary.
_BLOCK_ROWS = 1 << 16


def check_not_empty(label: str, what: str, array: np.ndarray) -> None:
    """Refuse arrays with no rows or no columns."""
    if array.shape[0] == 0:
        raise DatasetError(f"dataset '{label}': {what} is empty (0 rows)")
    if array.shape[1] == 0:
        raise DatasetError(f"dataset '{label}': {what} has dimension 0")


def check_same_dim(label: str, base: np.ndarray, queries: np.ndarray) -> None:
    """Base and queries must live in the same space."""
    if base.shape[1] != queries.shape[1]:
        raise DatasetError(
            f"dataset '{label}': base has dimension {base.shape[1]} "
            f"but queries have dimension {queries.shape[1]}"
        )


def check_finite(label: str, what: str, array: np.ndarray) -> None:
    """Refuse NaN or infinite values, saying how many rows hold them and where the first is."""
    bad_rows = 0
    first = -1
    for start in range(0, array.shape[0], _BLOCK_ROWS):
        block = np.asarray(array[start : start + _BLOCK_ROWS])
        bad = np.flatnonzero(~np.isfinite(block).all(axis=1))
        if bad.size and first < 0:
            first = start + int(bad[0])
        bad_rows += int(bad.size)
    if bad_rows:
        raise DatasetError(
            f"dataset '{label}': {bad_rows} rows of {what} hold NaN or infinite values (first: row {first})"
        )


def as_float32(array: np.ndarray) -> np.ndarray:
    """Read-only float32 rows: a view when already float32 (memory maps stay mapped), else a copy.

    Values beyond the float32 range become infinite here, and ``check_finite`` then reports them.
    """
    with np.errstate(over="ignore"):
        out = np.asarray(array, dtype=np.float32)
    if out.flags.writeable:
        out = out.view()
        out.flags.writeable = False
    return out
