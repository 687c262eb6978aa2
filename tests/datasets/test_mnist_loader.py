"""IDX image files (MNIST's format): big-endian header, uint8 pixels, gzip or plain."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.datasets.loaders.mnist import load_idx
from vecbench.errors import ConfigError, DatasetError

IMAGES = "t10k-images-idx3-ubyte.gz"


def idx_bytes(images: np.ndarray) -> bytes:
    """Magic 2051 (unsigned byte, 3 dims), then big-endian n, rows, cols, then the pixels."""
    n, rows, cols = images.shape
    return struct.pack(">IIII", 2051, n, rows, cols) + images.astype(np.uint8).tobytes()


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(5).integers(0, 256, size=(40, 28, 28), dtype=np.uint8)


@pytest.fixture
def mnist_folder(tmp_path: Path, images: np.ndarray) -> Path:
    (tmp_path / IMAGES).write_bytes(gzip.compress(idx_bytes(images)))
    labels = struct.pack(">II", 2049, images.shape[0]) + bytes(images.shape[0])
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels))
    return tmp_path


def test_gz_images_become_784_d_float32(mnist_folder: Path, images: np.ndarray) -> None:
    raw = load_idx(mnist_folder / IMAGES)
    assert raw.base.shape == (40, 784) and raw.base.dtype == np.float32
    np.testing.assert_array_equal(raw.base, images.reshape(40, 784))


def test_plain_idx_and_folder(mnist_folder: Path, images: np.ndarray, tmp_path: Path) -> None:
    plain = tmp_path / "other" / "train-images-idx3-ubyte"
    plain.parent.mkdir()
    plain.write_bytes(idx_bytes(images[:3]))
    assert load_idx(plain).base.shape == (3, 784)
    assert load_idx(plain.parent).base.shape == (3, 784)
    assert load_idx(mnist_folder).base.shape == (40, 784)


def test_mnist_test_dataset_needs_a_path_and_splits(mnist_folder: Path) -> None:
    with pytest.raises(ConfigError, match=r"'mnist-test' is not bundled; set path:"):
        load_dataset(DatasetSpec(name="mnist-test"))
    dataset = load_dataset(DatasetSpec(name="mnist-test", path=str(mnist_folder), n_queries=10))
    assert (dataset.n_base, dataset.n_queries, dataset.dim) == (30, 10, 784)
    assert dataset.metric.value == "euclidean"
    by_file = load_dataset(DatasetSpec(name="mnist-test", path=str(mnist_folder / IMAGES), n_queries=10))
    assert by_file.fingerprint == dataset.fingerprint


def test_path_only_idx_infers_format_and_metric(mnist_folder: Path) -> None:
    dataset = load_dataset(DatasetSpec(path=str(mnist_folder / IMAGES), n_queries=5))
    assert dataset.metric.value == "euclidean" and dataset.n_base == 35


def test_labels_file_is_refused(mnist_folder: Path) -> None:
    with pytest.raises(DatasetError, match=r"labels file, give the images file"):
        load_idx(mnist_folder / "t10k-labels-idx1-ubyte.gz")


def test_truncated_and_corrupt_files(tmp_path: Path, images: np.ndarray) -> None:
    truncated = tmp_path / "a-images-idx3-ubyte.gz"
    truncated.write_bytes(gzip.compress(idx_bytes(images)[:-10]))
    with pytest.raises(DatasetError, match=r"header promises shape \(40, 28, 28\)"):
        load_idx(truncated)
    not_gzip = tmp_path / "b-images-idx3-ubyte.gz"
    not_gzip.write_bytes(b"definitely not gzip")
    with pytest.raises(DatasetError, match=r"cannot decompress .*b-images-idx3-ubyte\.gz"):
        load_idx(not_gzip)
    cut_gzip = tmp_path / "c-images-idx3-ubyte.gz"
    cut_gzip.write_bytes(gzip.compress(idx_bytes(images))[:200])
    with pytest.raises(DatasetError, match=r"cannot decompress"):
        load_idx(cut_gzip)
    bad_magic = tmp_path / "d-images-idx3-ubyte"
    bad_magic.write_bytes(b"\x12\x34\x56\x78" + bytes(20))
    with pytest.raises(DatasetError, match=r"not an IDX file"):
        load_idx(bad_magic)


def test_wrong_image_size_for_mnist_test(tmp_path: Path) -> None:
    small = np.zeros((5, 8, 8), dtype=np.uint8)
    (tmp_path / IMAGES).write_bytes(gzip.compress(idx_bytes(small)))
    with pytest.raises(DatasetError, match=r"expected 784-d vectors, .* has 64"):
        load_dataset(DatasetSpec(name="mnist-test", path=str(tmp_path)))
