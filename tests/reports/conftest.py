"""Result sets made by real (small) runs, shared by the report and MLflow tests.

The hostile one names its dataset file, experiment and an adapter label with HTML and script, as a
user could, so every test that renders it also checks escaping.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from tests.reports.mlflow_server import MlflowServer
from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.cli import main

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
FAULTY = "vecbench.testing.faults:FaultInjectingAdapter"

INDEXES: list[dict[str, Any]] = [
    {"adapter": "exact"},
    {
        "adapter": "hnswlib",
        "label": f"hnsw {IMG}",
        "build": {"M": 8, "ef_construction": 40},
        "query": {"ef": [10, 40]},
    },
    {"adapter": "faiss-ivf", "build": {"nlist": 32}, "query": {"nprobe": [1, 8]}},
    {"adapter": FAULTY, "label": "broken", "build": {"fault": "raise"}},
]


def hostile_dataset(directory: Path) -> dict[str, Any]:
    """A .npy dataset whose path (and so its label) contains a script tag."""
    path = directory / f"vectors {SCRIPT}.npy"  # the '/' of '</script>' makes a sub-folder
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    np.save(path, rng.normal(size=(1500, 12)).astype(np.float32))
    return {"path": str(path), "format": "npy", "metric": "euclidean", "n_queries": 40}


def make_config(dataset: dict[str, Any], name: str = SCRIPT, **extra: Any) -> Any:
    return parse_config(
        {
            "name": name,
            "dataset": dataset,
            "k": 10,
            "indexes": INDEXES,
            "warmup_queries": 5,
            "constraints": {"recall_min": 0.9},
            **extra,
        }
    )


@pytest.fixture(scope="session")
def hostile_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of a real run: 5 finished points and 1 failed one, with user strings full of markup."""
    root = tmp_path_factory.mktemp("hostile")
    out = root / "out"
    Runner(make_config(hostile_dataset(root / "data")), out, progress=False).run()
    return out


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """One real tracking server for the session (starting one takes seconds); tests that stop it
    start it again, and each test uses its own experiment."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop(abruptly=True)  # a graceful shutdown takes seconds and nothing needs it


PIPELINE: dict[str, Any] = {
    "kind": "pipeline",
    "name": "pipeline-report",
    "log": {
        "name": "synthetic",
        "seed": 1,
        "options": {"n_users": 300, "n_items": 200, "events_per_user": 20},
    },
    "split": {"train_fraction": 0.8, "replay_steps": 2, "min_history": 3},
    "embedding": {"kind": "svd", "dim": 8},
    "retrieval": {
        "k_candidates": [40],
        "indexes": [
            {"adapter": "faiss-ivf", "build": {"nlist": 8}, "query": {"nprobe": [1, 8]}},
            {"adapter": FAULTY, "label": "faulty", "build": {"fault": "raise"}},
        ],
    },
    "scorer": {"kind": "popularity_blend"},
    "rerank": [{"kind": "mmr", "lambda": 0.8, "pool": 40}],
    "evaluation": {"cutoffs": [10, 20], "bootstrap": 200},
    "drift": {"probe_items": 40, "k": 10},
}


@pytest.fixture(scope="session")
def pipeline_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """OUT of a real recommendation-pipeline run through ``vecbench run`` (report and MLflow
    included, into the embedded store), and what it printed."""
    root = tmp_path_factory.mktemp("pipeline")
    config = root / "pipeline.yaml"
    config.write_text(yaml.safe_dump(PIPELINE))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["run", str(config), "--out", str(root / "out"), "--no-progress"]) == 0
    return root / "out", printed.getvalue()
