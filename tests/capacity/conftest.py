"""One small size sweep per session, shared by the size, fit and planner tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.reports.store import ResultStore

SIZES = [300, 600, 1200]
SWEEP: dict[str, Any] = {
    "name": "sizes",
    "dataset": {"name": "synthetic", "n_queries": 40, "seed": 3, "options": {"dim": 8}},
    "sizes": SIZES,
    "k": 10,
    "warmup_queries": 5,
    "indexes": [
        {"adapter": "faiss-hnsw", "build": {"M": 8, "ef_construction": 40}, "query": {"ef_search": 16}}
    ],
}


@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("size-sweep")
    Runner(parse_config(SWEEP), out, progress=False).run()
    return out


@pytest.fixture(scope="session")
def sweep(sweep_dir: Path) -> pd.DataFrame:
    return ResultStore(sweep_dir).read()
