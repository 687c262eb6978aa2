"""The seeded blob generator: deterministic, cheap, and configurable through the spec."""

from __future__ import annotations

import time

import numpy as np
import pytest

from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.datasets.synthetic import make_blobs
from vecbench.errors import ConfigError


def blobs(
    n_base: int = 500, n_queries: int = 50, seed: int = 0, **options: float
) -> tuple[np.ndarray, np.ndarray]:
    params = {"dim": 8, "n_clusters": 4, "cluster_std": 0.5, **options}
    return make_blobs(n_base, n_queries, seed=seed, **params)  # type: ignore[arg-type]


def test_same_seed_same_data_other_seed_other_data() -> None:
    base, queries = blobs(seed=1)
    again_base, again_queries = blobs(seed=1)
    np.testing.assert_array_equal(base, again_base)
    np.testing.assert_array_equal(queries, again_queries)
    assert not np.array_equal(base, blobs(seed=2)[0])
    assert base.dtype == np.float32 and base.shape == (500, 8) and queries.shape == (50, 8)


def test_smaller_base_is_a_prefix_and_queries_do_not_move() -> None:
    big_base, big_queries = blobs(n_base=1000)
    small_base, small_queries = blobs(n_base=100)
    np.testing.assert_array_equal(small_base, big_base[:100])
    np.testing.assert_array_equal(small_queries, big_queries)


def test_points_are_centres_plus_gaussian_noise() -> None:
    centres, _ = blobs(n_base=4000, n_clusters=3, cluster_std=0.0)
    assert len(np.unique(centres, axis=0)) == 3
    noisy, _ = blobs(n_base=4000, n_clusters=3, cluster_std=0.5)
    # Same seed, same cluster labels: the difference is the noise alone.
    assert abs(float((noisy - centres).std()) - 0.5) < 0.01


def test_dataset_defaults_and_options() -> None:
    dataset = load_dataset(DatasetSpec(name="synthetic", n_base=2000, n_queries=20))
    assert (dataset.n_base, dataset.n_queries, dataset.dim) == (2000, 20, 32)
    assert dataset.metric.value == "euclidean"
    angular = load_dataset(DatasetSpec(name="synthetic", n_base=100, metric="cosine", options={"dim": 5}))
    assert angular.metric.value == "angular" and angular.dim == 5 and angular.n_queries == 1000
    again = load_dataset(DatasetSpec(name="synthetic", n_base=2000, n_queries=20))
    assert again.fingerprint == dataset.fingerprint


def test_bad_options() -> None:
    with pytest.raises(ConfigError, match=r"unknown parameter 'dimm' \(did you mean 'dim'\?\)"):
        load_dataset(DatasetSpec(name="synthetic", options={"dimm": 3}))
    with pytest.raises(ConfigError, match=r"'n_clusters'=0 is below its minimum 1"):
        load_dataset(DatasetSpec(name="synthetic", options={"n_clusters": 0}))
    with pytest.raises(ConfigError, match=r"synthetic' does not take 'path'"):
        load_dataset(DatasetSpec(name="synthetic", path="x.npy"))


def test_cheap_at_size() -> None:
    start = time.perf_counter()
    base, _ = make_blobs(1_000_000, 10, dim=16, n_clusters=256, cluster_std=1.0, seed=0)
    assert base.shape == (1_000_000, 16)
    assert time.perf_counter() - start < 5.0
