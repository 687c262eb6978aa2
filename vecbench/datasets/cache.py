"""On-disk cache of exact ground truth: atomic writes, and lookup that reuses a larger K.

Each file carries a checksum over its arrays and over ``source``, a text naming what it was
computed from (dataset fingerprint, metric, K, filter); a file whose checksum or source does not
match, crafted, damaged, renamed or left by an older vecbench, is ignored and recomputed.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from vecbench.core.atomic import atomic_writer
from vecbench.core.params import Metric

CACHE_ENV = "VECBENCH_CACHE_DIR"
_PREFIX = "gt"


def default_cache_dir() -> Path:
    """``$VECBENCH_CACHE_DIR`` if set, else ``~/.cache/vecbench``; read on each call, never stored."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "vecbench"


def cache_path(cache_dir: Path, fingerprint: str, metric: Metric, k: int) -> Path:
    """Where the ground truth of K neighbours for this dataset content and metric lives."""
    return cache_dir / f"{_PREFIX}-{fingerprint}-{metric.value}-k{k}.npz"


def find_cached(cache_dir: Path, fingerprint: str, metric: Metric, k: int) -> list[Path]:
    """Cached files with at least ``k`` neighbours for this key, smallest K first."""
    pattern = re.compile(rf"{_PREFIX}-{re.escape(fingerprint)}-{re.escape(metric.value)}-k(\d+)\.npz")
    found: list[tuple[int, Path]] = []
    if cache_dir.is_dir():
        for path in cache_dir.glob(f"{_PREFIX}-{fingerprint}-{metric.value}-k*.npz"):
            match = pattern.fullmatch(path.name)
            if match and int(match.group(1)) >= k:
                found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def checksum(source: str, ids: np.ndarray, distances: np.ndarray) -> str:
    """blake2b over what the arrays were computed from and their exact bytes, shapes and types."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(source.encode())
    for array in (ids, distances):
        digest.update(f"|{array.dtype.str}{array.shape}|".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def read_cached(
    path: Path, n_queries: int, n_base: int, k: int, *, source: str, padded: bool = False
) -> tuple[np.ndarray, np.ndarray] | None:
    """(ids, distances) cut to ``k`` columns, or None if the file is unreadable, does not fit, was
    computed from something other than ``source``, or fails its checksum.

    ``padded`` accepts -1 ids (filtered ground truth, where fewer than k items may pass).
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            ids = np.asarray(archive["ids"])
            distances = np.asarray(archive["distances"])
            stored_source = str(archive["source"])
            stored_sum = str(archive["checksum"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if stored_source != source or stored_sum != checksum(source, ids, distances):
        return None
    fits = (
        ids.dtype == np.int64
        and distances.dtype == np.float32
        and ids.ndim == 2
        and ids.shape == distances.shape
        and ids.shape[0] == n_queries
        and ids.shape[1] >= k
        and (ids.size == 0 or (ids.min() >= (-1 if padded else 0) and ids.max() < n_base))
    )
    if not fits:
        return None
    return np.ascontiguousarray(ids[:, :k]), np.ascontiguousarray(distances[:, :k])


def write_atomic(path: Path, ids: np.ndarray, distances: np.ndarray, source: str = "") -> None:
    """Write to a temporary file beside ``path``, fsync, then rename: readers never see a partial file.

    The file holds ``source`` and the checksum ``read_cached`` verifies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, durable=True) as handle:
        np.savez(
            handle,
            ids=ids,
            distances=distances,
            source=np.asarray(source),
            checksum=np.asarray(checksum(source, ids, distances)),
        )
