"""Where the big-ann runbooks live (../shared/data/big-ann-runbooks beside the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_data_dir


@pytest.fixture(scope="session")
def runbooks() -> Path:
    found = shared_data_dir()
    folder = None if found is None else found / "big-ann-runbooks"
    if folder is None or not folder.is_dir():
        pytest.skip("big-ann runbooks not found: set VECBENCH_SHARED_DATA or place them at ../shared/data")
    return folder
