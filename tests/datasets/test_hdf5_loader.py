"""ann-benchmarks HDF5: train/test/neighbors/distances and the distance attribute, written here with h5py."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from vecbench.datasets import DatasetSpec, exact_ground_truth, load_dataset
from vecbench.datasets.loaders.hdf5 import load_hdf5
from vecbench.errors import DatasetError
from vecbench.indexes.base import Metric


def brute_neighbors(train: np.ndarray, test: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean ground truth the way ann-benchmarks ships it (float64 brute force)."""
    dist = np.sqrt(((test[:, None, :].astype(np.float64) - train[None, :, :]) ** 2).sum(-1))
    ids = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return ids, np.take_along_axis(dist, ids, axis=1).astype(np.float32)


def write_hdf5(
    path: Path,
    train: np.ndarray,
    test: np.ndarray | None,
    distance: str | None = "euclidean",
    neighbors: np.ndarray | None = None,
    **dataset_options: str,
) -> Path:
    with h5py.File(path, "w") as handle:
        handle.create_dataset("train", data=train, **dataset_options)
        if test is not None:
            handle.create_dataset("test", data=test)
        if neighbors is not None:
            handle.create_dataset("neighbors", data=neighbors)
            handle.create_dataset("distances", data=np.zeros(neighbors.shape, dtype=np.float32))
        if distance is not None:
            handle.attrs["distance"] = distance
    return path


@pytest.fixture
def vectors() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    return rng.standard_normal((300, 12)).astype(np.float32), rng.standard_normal((15, 12)).astype(np.float32)


def test_reads_all_parts_memory_mapped(tmp_path: Path, vectors: tuple[np.ndarray, np.ndarray]) -> None:
    train, test = vectors
    neighbors, _ = brute_neighbors(train, test, 100)
    raw = load_hdf5(write_hdf5(tmp_path / "x.hdf5", train, test, neighbors=neighbors))
    assert isinstance(raw.base, np.memmap) and isinstance(raw.queries, np.memmap)
    np.testing.assert_array_equal(raw.base, train)
    np.testing.assert_array_equal(raw.queries, test)
    assert raw.metric is Metric.EUCLIDEAN
    assert raw.neighbors is not None and raw.neighbors.dtype == np.int64
    np.testing.assert_array_equal(raw.neighbors, neighbors)


def test_compressed_and_float64_datasets_are_read_into_memory(tmp_path: Path) -> None:
    train = np.random.default_rng(4).standard_normal((50, 4))
    raw = load_hdf5(write_hdf5(tmp_path / "x.h5", train, train[:3], compression="gzip"))
    assert not isinstance(raw.base, np.memmap)
    dataset = load_dataset(DatasetSpec(path=str(tmp_path / "x.h5")))
    assert dataset.base.dtype == np.float32
    np.testing.assert_allclose(dataset.base, train, rtol=1e-6)


@pytest.mark.parametrize(
    ("attribute", "metric"),
    [
        ("angular", Metric.ANGULAR),
        ("euclidean", Metric.EUCLIDEAN),
        ("dot", Metric.INNER_PRODUCT),
        ("ip", Metric.INNER_PRODUCT),
    ],
)
def test_distance_attribute_maps_to_metric(tmp_path: Path, attribute: str, metric: Metric) -> None:
    train = np.ones((5, 2), dtype=np.float32)
    assert load_hdf5(write_hdf5(tmp_path / "x.hdf5", train, train, distance=attribute)).metric is metric


def test_unsupported_distance_attribute_is_a_dataset_error(tmp_path: Path) -> None:
    train = np.ones((5, 2), dtype=np.float32)
    with pytest.raises(DatasetError, match=r"distance attribute: unknown metric 'hamming'"):
        load_hdf5(write_hdf5(tmp_path / "x.hdf5", train, train, distance="hamming"))


def test_missing_train_and_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "x.hdf5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("test", data=np.ones((2, 2)))
    with pytest.raises(DatasetError, match=r"no 'train' dataset"):
        load_hdf5(path)
    corrupt = tmp_path / "corrupt.hdf5"
    corrupt.write_bytes(b"\x89HDF\r\n" + b"\0" * 100)
    with pytest.raises(DatasetError, match=r"cannot read .*corrupt\.hdf5 as HDF5"):
        load_hdf5(corrupt)


def test_neighbors_rows_must_match_test(tmp_path: Path, vectors: tuple[np.ndarray, np.ndarray]) -> None:
    train, test = vectors
    neighbors, _ = brute_neighbors(train, test[:10], 5)
    with pytest.raises(DatasetError, match=r"'neighbors' has 10 rows but 'test' has 15"):
        load_hdf5(write_hdf5(tmp_path / "x.hdf5", train, test, neighbors=neighbors))


def test_shipped_neighbors_agree_with_ours(tmp_path: Path, vectors: tuple[np.ndarray, np.ndarray]) -> None:
    train, test = vectors
    neighbors, distances = brute_neighbors(train, test, 100)
    dataset = load_dataset(
        DatasetSpec(path=str(write_hdf5(tmp_path / "x.hdf5", train, test, neighbors=neighbors)))
    )
    assert dataset.neighbors is not None
    truth = exact_ground_truth(dataset, 10, cache_dir=None)
    np.testing.assert_array_equal(truth.ids, neighbors)
    np.testing.assert_allclose(truth.distances, distances, rtol=1e-5)


def test_ties_in_shipped_neighbors_are_accepted(
    tmp_path: Path, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    train, test = vectors
    train = np.concatenate([train, train[:50]])  # rows 300..349 duplicate rows 0..49: exact ties
    neighbors, _ = brute_neighbors(train, test, 100)
    # The file lists the later duplicate wherever the earlier one appears: a different but tied answer.
    swapped = np.where(
        neighbors < 50, neighbors + 300, np.where((neighbors >= 300), neighbors - 300, neighbors)
    )
    path = write_hdf5(tmp_path / "x.hdf5", train, test, neighbors=swapped)
    truth = exact_ground_truth(load_dataset(DatasetSpec(path=str(path))), 100, cache_dir=None)
    assert not np.array_equal(truth.ids, swapped)


def test_wrong_shipped_neighbors_raise(tmp_path: Path, vectors: tuple[np.ndarray, np.ndarray]) -> None:
    train, test = vectors
    neighbors, _ = brute_neighbors(train, test, 100)
    neighbors[2] = neighbors[2][::-1]  # order within the list does not matter: the same set is right
    for query, rank in ((3, 0), (7, 5)):  # the farthest point replaces a near one
        neighbors[query, rank] = np.argmax(((train - test[query]) ** 2).sum(1))
    path = write_hdf5(tmp_path / "x.hdf5", train, test, neighbors=neighbors)
    dataset = load_dataset(DatasetSpec(path=str(path)))
    with pytest.raises(
        DatasetError, match=r"disagrees beyond ties .* for 2 of 15 queries \(first: query 3, rank 0"
    ):
        exact_ground_truth(dataset, 10, cache_dir=None)


def test_subsetting_base_or_changing_metric_drops_shipped_neighbors(
    tmp_path: Path, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    train, test = vectors
    neighbors, _ = brute_neighbors(train, test, 100)
    path = str(write_hdf5(tmp_path / "x.hdf5", train, test, neighbors=neighbors))
    assert load_dataset(DatasetSpec(path=path, n_base=200)).neighbors is None
    assert load_dataset(DatasetSpec(path=path, metric="angular")).neighbors is None
    fewer = load_dataset(DatasetSpec(path=path, n_queries=4))
    assert fewer.neighbors is not None
    np.testing.assert_array_equal(fewer.neighbors, neighbors[:4])
    exact_ground_truth(fewer, 100, cache_dir=None)


def test_hdf5_without_test_gets_held_out_queries(
    tmp_path: Path, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    train, _ = vectors
    dataset = load_dataset(DatasetSpec(path=str(write_hdf5(tmp_path / "x.hdf5", train, None)), n_queries=20))
    assert (dataset.n_base, dataset.n_queries) == (280, 20)
