"""Fixtures for dataset tests: where the shared real data lives, found without hard-coding it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_ENV = "VECBENCH_SHARED_DATA"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``$VECBENCH_SHARED_DATA``, else ``../shared/data`` beside the repository; skip when absent."""
    configured = os.environ.get(SHARED_ENV)
    folder = Path(configured).expanduser() if configured else REPO_ROOT.parent / "shared" / "data"
    if not folder.is_dir():
        pytest.skip(f"real data not found at {folder}; set {SHARED_ENV} to the shared/data folder")
    return folder


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
