"""Bad inputs fail with one-line errors that name the file, the array and the numbers involved."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.errors import ConfigError, DatasetError, VecbenchError


def save(path: Path, array: np.ndarray) -> str:
    np.save(path, array)
    return str(path)


def one_line(exc: pytest.ExceptionInfo[VecbenchError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_missing_files_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "base.fvecs"
    with pytest.raises(DatasetError, match=r"file not found: .*nowhere/base\.fvecs") as exc:
        load_dataset(DatasetSpec(path=str(missing), metric="l2"))
    one_line(exc)
    base = save(tmp_path / "b.npy", np.ones((5, 2), dtype=np.float32))
    with pytest.raises(DatasetError, match=r"queries file not found: .*q\.npy"):
        load_dataset(DatasetSpec(path=base, queries_path=str(tmp_path / "q.npy"), metric="l2"))
    with pytest.raises(DatasetError, match=r"path not found: .*missing-mnist"):
        load_dataset(DatasetSpec(name="mnist-test", path=str(tmp_path / "missing-mnist")))


def test_folder_where_a_file_belongs_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "looks-like.npy"
    folder.mkdir()
    with pytest.raises(DatasetError, match=r"not a file: .*looks-like\.npy"):
        load_dataset(DatasetSpec(path=str(folder), format="npy", metric="l2"))
    with pytest.raises(ConfigError, match=r"cannot tell the format of folder .*looks-like\.npy"):
        load_dataset(DatasetSpec(path=str(folder), metric="l2"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "secret.fvecs"
    path.write_bytes(np.array([2, 0, 0], dtype="<i4").tobytes())
    path.chmod(0)
    with pytest.raises(DatasetError, match=r"cannot read .*secret\.fvecs: Permission denied"):
        load_dataset(DatasetSpec(path=str(path), metric="l2"))


def test_empty_arrays(tmp_path: Path) -> None:
    empty = save(tmp_path / "empty.npy", np.zeros((0, 4), dtype=np.float32))
    with pytest.raises(DatasetError, match=r"base is empty \(0 rows\)"):
        load_dataset(DatasetSpec(path=empty, metric="l2"))
    base = save(tmp_path / "b.npy", np.ones((5, 4), dtype=np.float32))
    with pytest.raises(DatasetError, match=r"queries is empty \(0 rows\)"):
        load_dataset(DatasetSpec(path=base, queries_path=empty, metric="l2"))
    no_columns = save(tmp_path / "flat.npy", np.zeros((5, 0), dtype=np.float32))
    with pytest.raises(DatasetError, match=r"base has dimension 0"):
        load_dataset(DatasetSpec(path=no_columns, metric="l2"))


def test_dimension_mismatch_names_both(tmp_path: Path) -> None:
    base = save(tmp_path / "b.npy", np.ones((20, 8), dtype=np.float32))
    queries = save(tmp_path / "q.npy", np.ones((3, 6), dtype=np.float32))
    with pytest.raises(DatasetError, match=r"base has dimension 8 but queries have dimension 6") as exc:
        load_dataset(DatasetSpec(path=base, queries_path=queries, metric="l2"))
    one_line(exc)


def test_hdf5_dimension_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "x.hdf5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("train", data=np.ones((10, 4), dtype=np.float32))
        handle.create_dataset("test", data=np.ones((2, 5), dtype=np.float32))
        handle.attrs["distance"] = "angular"
    with pytest.raises(DatasetError, match=r"base has dimension 4 but queries have dimension 5"):
        load_dataset(DatasetSpec(path=str(path)))


def test_nan_and_inf_are_counted_per_array(tmp_path: Path) -> None:
    base = np.ones((50, 4), dtype=np.float32)
    base[7, 1] = np.nan
    base[9, 0] = np.inf
    base[9, 2] = np.nan  # same row twice: still one row
    queries = np.ones((5, 4), dtype=np.float32)
    queries[3, 3] = -np.inf
    clean_queries = save(tmp_path / "clean_q.npy", np.ones((5, 4), dtype=np.float32))
    with pytest.raises(
        DatasetError, match=r"2 rows of base hold NaN or infinite values \(first: row 7\)"
    ) as exc:
        load_dataset(
            DatasetSpec(path=save(tmp_path / "b.npy", base), queries_path=clean_queries, metric="l2")
        )
    one_line(exc)
    clean_base = save(tmp_path / "clean_b.npy", np.ones((50, 4), dtype=np.float32))
    with pytest.raises(DatasetError, match=r"1 rows of queries hold NaN or infinite values \(first: row 3\)"):
        load_dataset(
            DatasetSpec(path=clean_base, queries_path=save(tmp_path / "q.npy", queries), metric="l2")
        )


def test_values_beyond_float32_become_infinite_and_are_caught(tmp_path: Path) -> None:
    base = np.ones((30, 2))
    base[4, 0] = 1e300
    with pytest.raises(DatasetError, match=r"1 rows of base hold NaN or infinite values"):
        load_dataset(
            DatasetSpec(path=save(tmp_path / "b.npy", base), metric="l2", n_base=29, n_queries=1, seed=0)
        )


def test_unknown_metric(tmp_path: Path) -> None:
    base = save(tmp_path / "b.npy", np.ones((20, 2), dtype=np.float32))
    with pytest.raises(
        ConfigError, match=r"unknown metric 'cosin' \(did you mean 'cosine'|unknown metric 'cosin'"
    ) as exc:
        load_dataset(DatasetSpec(path=base, metric="cosin", n_queries=2))
    one_line(exc)
