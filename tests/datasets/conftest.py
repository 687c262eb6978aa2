"""Fixtures for dataset tests: the real datasets inside the shared data folder (see tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mnist_dir(shared_data: Path) -> Path:
    folder = shared_data / "mnist-test"
    if not (folder / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST test images not found in {folder}")
    return folder


@pytest.fixture(scope="session")
def glove_dir(shared_data: Path) -> Path:
    folder = shared_data / "glove-6b-50d"
    if not (folder / "glove_6B_50d_emb.first100k.npy").is_file():
        pytest.skip(f"GloVe subset not found in {folder}")
    return folder
