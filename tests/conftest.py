"""Shared fixtures: where the real data lives, and a scratch ground-truth cache per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """../shared/data beside the checkout, or VECBENCH_SHARED_DATA; None when absent."""
    candidate = Path(os.environ.get("VECBENCH_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    found = shared_data_dir()
    if found is None:
        pytest.skip("real datasets not found: set VECBENCH_SHARED_DATA or place them at ../shared/data")
    return found


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep ground-truth caches of the test run out of the user's home directory."""
    os.environ["VECBENCH_CACHE_DIR"] = str(tmp_path_factory.mktemp("vecbench-cache"))
