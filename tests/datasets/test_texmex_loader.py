"""TEXMEX .fvecs/.ivecs/.bvecs: written here byte by byte, read back memory-mapped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.datasets.loaders.texmex import load_bvecs, load_fvecs, load_ivecs
from vecbench.errors import DatasetError


def write_vecs(path: Path, rows: np.ndarray, dtype: str, dims: list[int] | None = None) -> Path:
    """Each row: little-endian int32 dimension, then the values (``dims`` overrides headers)."""
    rows = np.asarray(rows)
    headers = dims if dims is not None else [rows.shape[1]] * rows.shape[0]
    path.write_bytes(
        b"".join(
            np.int32(d).astype("<i4").tobytes() + row.astype(dtype).tobytes()
            for d, row in zip(headers, rows, strict=True)
        )
    )
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_fvecs_round_trip_is_memory_mapped(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.standard_normal((20, 8)).astype(np.float32)
    raw = load_fvecs(write_vecs(tmp_path / "x.fvecs", data, "<f4"))
    assert isinstance(raw.base, np.memmap)
    assert raw.base.dtype == np.float32
    np.testing.assert_array_equal(raw.base, data)


def test_ivecs_and_bvecs_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    ints = rng.integers(-1000, 1000, size=(9, 5))
    raw = load_ivecs(write_vecs(tmp_path / "x.ivecs", ints, "<i4"))
    np.testing.assert_array_equal(raw.base, ints)
    bytes_ = rng.integers(0, 256, size=(11, 16))
    raw = load_bvecs(write_vecs(tmp_path / "x.bvecs", bytes_, "u1"))
    assert isinstance(raw.base, np.memmap)
    np.testing.assert_array_equal(raw.base, bytes_)


def test_bvecs_become_float32_rows_in_the_dataset(tmp_path: Path, rng: np.random.Generator) -> None:
    base = rng.integers(0, 256, size=(30, 16))
    queries = rng.integers(0, 256, size=(4, 16))
    spec = DatasetSpec(
        path=str(write_vecs(tmp_path / "b.bvecs", base, "u1")),
        queries_path=str(write_vecs(tmp_path / "q.bvecs", queries, "u1")),
        metric="euclidean",
        n_base=25,
    )
    dataset = load_dataset(spec)
    assert dataset.base.dtype == np.float32 and dataset.queries.dtype == np.float32
    np.testing.assert_array_equal(dataset.base, base[:25])
    np.testing.assert_array_equal(dataset.queries, queries)


def test_fvecs_dataset_with_queries_file_stays_mapped(tmp_path: Path, rng: np.random.Generator) -> None:
    base = rng.standard_normal((50, 6)).astype(np.float32)
    queries = rng.standard_normal((5, 6)).astype(np.float32)
    spec = DatasetSpec(
        path=str(write_vecs(tmp_path / "sift_base.fvecs", base, "<f4")),
        queries_path=str(write_vecs(tmp_path / "sift_query.fvecs", queries, "<f4")),
        metric="l2",
    )
    dataset = load_dataset(spec)
    assert dataset.n_base == 50 and dataset.n_queries == 5 and dataset.dim == 6
    assert not dataset.base.flags.owndata and not dataset.base.flags.writeable
    np.testing.assert_array_equal(dataset.queries, queries)


def test_row_with_another_dimension_is_refused(tmp_path: Path) -> None:
    # Row 2 claims dimension 3 but has the same byte length, so only the header check can catch it.
    path = write_vecs(tmp_path / "x.fvecs", np.ones((4, 4)), "<f4", dims=[4, 4, 3, 4])
    with pytest.raises(DatasetError, match=r"row 2 has dimension 3 but row 0 has 4"):
        load_fvecs(path)


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path = write_vecs(tmp_path / "x.fvecs", np.ones((4, 4)), "<f4")
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(DatasetError, match=r"not a whole number of 20-byte rows"):
        load_fvecs(path)


def test_empty_and_nonsense_headers_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.fvecs"
    empty.write_bytes(b"")
    with pytest.raises(DatasetError, match=r"empty"):
        load_fvecs(empty)
    negative = tmp_path / "neg.ivecs"
    negative.write_bytes(np.array([-5, 1, 2], dtype="<i4").tobytes())
    with pytest.raises(DatasetError, match=r"dimension -5"):
        load_ivecs(negative)
