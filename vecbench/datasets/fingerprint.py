"""A short content digest, so caches and result rows can tell two datasets apart under one name."""

from __future__ import annotations

import hashlib

import numpy as np

from vecbench.core.params import Metric

# Bytes hashed per update: bounds the copy needed for non-contiguous views (fvecs columns).
_CHUNK_BYTES = 1 << 24
_VERSION = "vecbench-dataset-v1"


def fingerprint(base: np.ndarray, queries: np.ndarray, metric: Metric) -> str:
    """16 hex digits of BLAKE2b over metric, dtypes, shapes and the bytes of base and queries."""
    digest = hashlib.blake2b(digest_size=8)
    header = f"{_VERSION}|{metric.value}|{base.dtype.str}{base.shape}|{queries.dtype.str}{queries.shape}"
    digest.update(header.encode())
    _update(digest, base)
    _update(digest, queries)
    return digest.hexdigest()


def _update(digest: hashlib.blake2b, array: np.ndarray) -> None:
    """Hash row blocks; contiguous (e.g. memory-mapped .npy) blocks are hashed in place, not copied."""
    if array.size == 0:
        return
    rows = max(1, _CHUNK_BYTES // (array.itemsize * int(np.prod(array.shape[1:]))))
    for start in range(0, array.shape[0], rows):
        block = np.ascontiguousarray(array[start : start + rows])
        digest.update(block.data.cast("B"))
