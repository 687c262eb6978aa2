""".npy base files with an optional queries file, memory-mapped and never unpickled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.datasets.loaders.npy import load_npy
from vecbench.errors import ConfigError, DatasetError


def save(path: Path, array: np.ndarray) -> Path:
    np.save(path, array)
    return path


def test_npy_is_memory_mapped(tmp_path: Path) -> None:
    data = np.arange(60, dtype=np.float32).reshape(12, 5)
    raw = load_npy(save(tmp_path / "x.npy", data))
    assert isinstance(raw.base, np.memmap)
    np.testing.assert_array_equal(raw.base, data)


def test_npy_with_queries_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    base, queries = rng.random((40, 3), dtype=np.float32), rng.random((6, 3), dtype=np.float32)
    spec = DatasetSpec(
        path=str(save(tmp_path / "base.npy", base)),
        queries_path=str(save(tmp_path / "queries.npy", queries)),
        metric="ip",
        n_queries=4,
    )
    dataset = load_dataset(spec)
    assert dataset.metric.value == "inner_product"
    np.testing.assert_array_equal(dataset.base, base)
    np.testing.assert_array_equal(dataset.queries, queries[:4])
    assert dataset.name == str(tmp_path / "base.npy")


def test_float64_npy_is_converted(tmp_path: Path) -> None:
    data = np.random.default_rng(2).standard_normal((30, 4))
    dataset = load_dataset(
        DatasetSpec(path=str(save(tmp_path / "x.npy", data)), metric="euclidean", n_queries=5)
    )
    assert dataset.base.dtype == np.float32 and dataset.queries.dtype == np.float32


def test_npy_needs_a_metric(tmp_path: Path) -> None:
    path = save(tmp_path / "x.npy", np.ones((10, 2), dtype=np.float32))
    with pytest.raises(ConfigError, match=r"records no metric; set metric:"):
        load_dataset(DatasetSpec(path=str(path), n_queries=2))


def test_bad_npy_contents_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"2-d array"):
        load_npy(save(tmp_path / "flat.npy", np.ones(5, dtype=np.float32)))
    with pytest.raises(DatasetError, match=r"must be numbers"):
        load_npy(save(tmp_path / "text.npy", np.array([["a", "b"]])))
    with pytest.raises(DatasetError, match=r"cannot read .*pickled\.npy as \.npy"):
        load_npy(save(tmp_path / "pickled.npy", np.array([[{"a": 1}]], dtype=object)))
    garbage = tmp_path / "garbage.npy"
    garbage.write_bytes(b"not an array")
    with pytest.raises(DatasetError, match=r"cannot read .*garbage\.npy as \.npy"):
        load_npy(garbage)
