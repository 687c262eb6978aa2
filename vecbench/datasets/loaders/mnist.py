"""IDX files as LeCun distributes MNIST (``t10k-images-idx3-ubyte.gz``): big-endian header, then values.

Each image becomes one row (28 x 28 -> 784 values, uint8 -> float32). gzip cannot be mapped, so the
file is read whole (MNIST test is 7.8 MB uncompressed).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from vecbench.datasets.files import read_error, require_dir, require_file
from vecbench.datasets.raw import RawVectors
from vecbench.errors import DatasetError

# Type codes of the IDX format (third byte of the magic number).
_IDX_TYPES: dict[int, str] = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_TEST_IMAGES = "t10k-images-idx3-ubyte.gz"


def load_idx(path: Path) -> RawVectors:
    """Read an IDX images file (gzip or plain), or the MNIST test images inside a directory."""
    if path.is_dir():
        path = find_images(path)
    return RawVectors(base=read_idx(path), source=f"idx {path}")


def find_images(directory: Path) -> Path:
    """The MNIST test images in ``directory``, else its single ``*-images-idx3-ubyte[.gz]`` file."""
    require_dir(directory)
    preferred = directory / MNIST_TEST_IMAGES
    if preferred.is_file():
        return preferred
    found = sorted(directory.glob("*-images-idx3-ubyte*"))
    if len(found) != 1:
        listed = ", ".join(p.name for p in found) or "none"
        raise DatasetError(
            f"{directory}: expected {MNIST_TEST_IMAGES} or one *-images-idx3-ubyte file, found: {listed}"
        )
    return found[0]


def read_idx(path: Path) -> np.ndarray:
    """Decode an IDX file into (n, prod(other dims)) float32 rows."""
    require_file(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read()
        else:
            data = path.read_bytes()
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DatasetError(f"cannot decompress {path}: {exc}") from None
    except OSError as exc:
        raise read_error(path, exc) from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DatasetError(f"{path} is not an IDX file (bad magic number {data[:4].hex() or 'empty'})")
    dtype = np.dtype(_IDX_TYPES[data[2]])
    n_dims = data[3]
    if n_dims < 2:
        raise DatasetError(
            f"{path}: IDX file has {n_dims} dimension(s); that is a labels file, give the images file"
        )
    header = 4 + 4 * n_dims
    if len(data) < header:
        raise DatasetError(f"{path}: IDX header is truncated")
    shape = tuple(int(v) for v in np.frombuffer(data, dtype=">u4", count=n_dims, offset=4))
    n_rows, dim = shape[0], int(np.prod(shape[1:]))
    expected = header + n_rows * dim * dtype.itemsize
    if len(data) != expected:
        raise DatasetError(
            f"{path}: header promises shape {shape} ({expected} bytes) but the file has {len(data)}"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(n_rows, dim)
    return values.astype(np.float32)
