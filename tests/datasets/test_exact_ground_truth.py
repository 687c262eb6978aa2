"""Exact ground truth: brute-force agreement, ties by id, K rules, and the on-disk cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from vecbench.datasets import Dataset, GroundTruth, default_cache_dir, exact_ground_truth, fingerprint
from vecbench.datasets import cache as cache_module
from vecbench.datasets import ground_truth as ground_truth_module
from vecbench.errors import ConfigError, DatasetError
from vecbench.indexes.base import Metric


def make_dataset(base: np.ndarray, queries: np.ndarray, metric: Metric) -> Dataset:
    base, queries = base.astype(np.float32), queries.astype(np.float32)
    return Dataset("test", base, queries, metric, fingerprint(base, queries, metric))


def brute_force(dataset: Dataset, k: int) -> tuple[np.ndarray, np.ndarray]:
    """float64 distances for every pair, sorted by (distance, id)."""
    q, b = dataset.queries.astype(np.float64), dataset.base.astype(np.float64)
    if dataset.metric is Metric.ANGULAR:
        dist = (
            1.0
            - (q / np.linalg.norm(q, axis=1, keepdims=True))
            @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T
        )
    elif dataset.metric is Metric.INNER_PRODUCT:
        dist = -(q @ b.T)
    else:
        dist = np.sqrt(((q[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    ids = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return ids, np.take_along_axis(dist, ids, axis=1)


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(12)
    base = rng.standard_normal((400, 16))
    # Exact duplicates and a scaled copy make ties for every metric; ties must be ordered by id.
    base[200:220] = base[10:30]
    base[300] = base[5] * 3.0
    queries = np.vstack([rng.standard_normal((25, 16)), base[[10, 5]]])
    return base, queries


@pytest.mark.parametrize("metric", list(Metric))
@pytest.mark.parametrize("block_size", [None, 1, 7])
def test_matches_brute_force_with_ties_by_id(
    data: tuple[np.ndarray, np.ndarray], metric: Metric, block_size: int | None
) -> None:
    dataset = make_dataset(*data, metric)
    truth = exact_ground_truth(dataset, 10, cache_dir=None, block_size=block_size)
    ids, dist = brute_force(dataset, truth.k)
    assert truth.ids.dtype == np.int64 and truth.distances.dtype == np.float32
    np.testing.assert_array_equal(truth.ids, ids)
    np.testing.assert_allclose(truth.distances, dist, rtol=1e-5, atol=1e-5)


def test_duplicates_come_in_id_order(data: tuple[np.ndarray, np.ndarray]) -> None:
    truth = exact_ground_truth(make_dataset(*data, Metric.EUCLIDEAN), 5, cache_dir=None)
    assert list(truth.ids[-2, :2]) == [10, 200]  # query equal to row 10 and its duplicate 200
    assert truth.distances[-2, 0] == 0.0 == truth.distances[-2, 1]
    angular = exact_ground_truth(make_dataset(*data, Metric.ANGULAR), 5, cache_dir=None)
    assert list(angular.ids[-1, :2]) == [5, 300]  # same direction, so angular distance ties


def test_k_is_at_least_100_and_capped_at_n_base(data: tuple[np.ndarray, np.ndarray]) -> None:
    base, queries = data
    assert exact_ground_truth(make_dataset(base, queries, Metric.EUCLIDEAN), 10, None).k == 100
    assert exact_ground_truth(make_dataset(base, queries, Metric.EUCLIDEAN), 150, None).k == 150
    assert exact_ground_truth(make_dataset(base[:40], queries, Metric.EUCLIDEAN), 10, None).k == 40
    assert exact_ground_truth(make_dataset(base[:40], queries, Metric.EUCLIDEAN), 500, None).k == 40
    with pytest.raises(ConfigError, match=r"k >= 1"):
        exact_ground_truth(make_dataset(base, queries, Metric.EUCLIDEAN), 0, None)


def test_top_and_read_only(data: tuple[np.ndarray, np.ndarray]) -> None:
    truth = exact_ground_truth(make_dataset(*data, Metric.EUCLIDEAN), 10, None)
    top = truth.top(10)
    assert isinstance(top, GroundTruth) and top.ids.shape == (27, 10)
    np.testing.assert_array_equal(top.ids, truth.ids[:, :10])
    assert not truth.ids.flags.writeable
    with pytest.raises(ConfigError):
        truth.top(101)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts brute-force computations by wrapping the function the ground-truth module calls."""
    calls: list[int] = []
    real = ground_truth_module.compute_exact

    def counting(*args: object, **kwargs: object) -> tuple[np.ndarray, np.ndarray]:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ground_truth_module, "compute_exact", counting)
    return calls


def test_second_call_reads_the_cache(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray], spy: list[int]
) -> None:
    dataset = make_dataset(*data, Metric.EUCLIDEAN)
    first = exact_ground_truth(dataset, 10, tmp_path)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name == f"gt-{dataset.fingerprint}-euclidean-k100.npz"
    mtime = files[0].stat().st_mtime_ns
    second = exact_ground_truth(dataset, 10, tmp_path)
    assert len(spy) == 1
    assert files[0].stat().st_mtime_ns == mtime
    np.testing.assert_array_equal(first.ids, second.ids)
    np.testing.assert_array_equal(first.distances, second.distances)


def test_smaller_k_reuses_a_larger_cached_k(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray], spy: list[int]
) -> None:
    dataset = make_dataset(*data, Metric.ANGULAR)
    large = exact_ground_truth(dataset, 300, tmp_path)
    small = exact_ground_truth(dataset, 10, tmp_path)
    assert len(spy) == 1 and large.k == 300 and small.k == 100
    np.testing.assert_array_equal(small.ids, large.ids[:, :100])
    exact_ground_truth(dataset, 350, tmp_path)  # larger than cached: computed again
    assert len(spy) == 2
    assert len(list(tmp_path.glob("gt-*.npz"))) == 2


def test_cache_is_keyed_by_content_and_metric(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray], spy: list[int]
) -> None:
    base, queries = data
    exact_ground_truth(make_dataset(base, queries, Metric.EUCLIDEAN), 10, tmp_path)
    exact_ground_truth(make_dataset(base, queries, Metric.INNER_PRODUCT), 10, tmp_path)
    changed = base.copy()
    changed[0, 0] += 1.0
    exact_ground_truth(make_dataset(changed, queries, Metric.EUCLIDEAN), 10, tmp_path)
    assert len(spy) == 3


def test_corrupt_cache_file_is_recomputed(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray], spy: list[int]
) -> None:
    dataset = make_dataset(*data, Metric.EUCLIDEAN)
    reference = exact_ground_truth(dataset, 10, None)
    path = tmp_path / f"gt-{dataset.fingerprint}-euclidean-k100.npz"
    path.write_bytes(b"PK\x03\x04 half a zip file")
    truth = exact_ground_truth(dataset, 10, tmp_path)
    np.testing.assert_array_equal(truth.ids, reference.ids)
    assert len(spy) == 2
    assert exact_ground_truth(dataset, 10, tmp_path).ids.shape == (27, 100)  # rewritten, now read
    assert len(spy) == 2


def test_failed_write_leaves_no_partial_file(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = make_dataset(*data, Metric.EUCLIDEAN)

    def dies_half_way(handle: object, **arrays: np.ndarray) -> None:
        handle.write(b"PK\x03\x04 partial")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module.np, "savez", dies_half_way)
    with pytest.raises(
        DatasetError, match=r"cannot write the ground-truth cache .*: No space left on device"
    ):
        exact_ground_truth(dataset, 10, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_keeps_the_previous_file(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "gt-x.npz"
    cache_module.write_atomic(target, np.zeros((2, 3), dtype=np.int64), np.zeros((2, 3), dtype=np.float32))
    before = target.read_bytes()

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache_module.write_atomic(target, np.ones((2, 3), dtype=np.int64), np.ones((2, 3), dtype=np.float32))
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["gt-x.npz"]


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VECBENCH_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("VECBENCH_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "vecbench"
