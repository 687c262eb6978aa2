"""Held-out queries: seeded, removed from the base, and sized with errors that name the maximum."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.datasets.split import held_out_split
from vecbench.errors import DatasetError


@pytest.fixture
def rows() -> np.ndarray:
    # Row i holds the value i everywhere, so a row's origin is readable from its contents.
    return np.repeat(np.arange(200, dtype=np.float32)[:, None], 3, axis=1)


def test_split_follows_the_documented_procedure(rows: np.ndarray) -> None:
    base, queries = held_out_split(rows, n_base=100, n_queries=20, seed=4)
    order = np.random.default_rng(4).permutation(120)
    np.testing.assert_array_equal(queries[:, 0], order[:20])
    np.testing.assert_array_equal(base[:, 0], np.sort(order[20:]))


def test_queries_are_removed_from_the_base(rows: np.ndarray) -> None:
    base, queries = held_out_split(rows, n_base=150, n_queries=50, seed=0)
    assert set(base[:, 0]).isdisjoint(queries[:, 0])
    assert sorted([*base[:, 0], *queries[:, 0]]) == list(range(200))
    assert np.all(np.diff(base[:, 0]) > 0)  # original row order


def test_seed_changes_the_split(rows: np.ndarray) -> None:
    first = held_out_split(rows, 100, 20, seed=0)[1]
    assert np.array_equal(first, held_out_split(rows, 100, 20, seed=0)[1])
    assert not np.array_equal(first, held_out_split(rows, 100, 20, seed=1)[1])


@pytest.fixture
def npy(tmp_path: Path, rows: np.ndarray) -> str:
    np.save(tmp_path / "rows.npy", rows)
    return str(tmp_path / "rows.npy")


def test_dataset_defaults_hold_out_1000_or_fail_clearly(npy: str) -> None:
    with pytest.raises(
        DatasetError,
        match=r"n_queries=1000 held out of 200 rows leaves no base; the maximum n_queries is 199",
    ):
        load_dataset(DatasetSpec(path=npy, metric="euclidean"))
    dataset = load_dataset(DatasetSpec(path=npy, metric="euclidean", n_queries=30))
    assert (dataset.n_base, dataset.n_queries) == (170, 30)


def test_too_large_n_base_names_the_maximum(npy: str) -> None:
    with pytest.raises(
        DatasetError,
        match=r"n_base=180 plus n_queries=30 .* needs 210 rows but it has 200; the maximum n_base is 170",
    ):
        load_dataset(DatasetSpec(path=npy, metric="euclidean", n_base=180, n_queries=30))


def test_too_large_sizes_with_own_queries(tmp_path: Path, rows: np.ndarray) -> None:
    np.save(tmp_path / "b.npy", rows)
    np.save(tmp_path / "q.npy", rows[:5])
    spec = DatasetSpec(path=str(tmp_path / "b.npy"), queries_path=str(tmp_path / "q.npy"), metric="l2")
    with pytest.raises(DatasetError, match=r"n_queries=6 but it has 5 queries; the maximum is 5"):
        load_dataset(spec.model_copy(update={"n_queries": 6}))
    with pytest.raises(DatasetError, match=r"n_base=201 but it has 200 base rows; the maximum is 200"):
        load_dataset(spec.model_copy(update={"n_base": 201}))
