"""Sweeps on a real local Ray cluster: the same rows, keys, recall and ids as the local executor; a
Ray worker killed mid-point is a failed row that a resumed run measures again."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from vecbench.bench.config import parse_config
from vecbench.bench.executor import LocalExecutor
from vecbench.bench.executor_spec import ExecutorSpec, with_overrides
from vecbench.bench.runner import Runner
from vecbench.cli import main
from vecbench.reports.store import ResultStore

ray = pytest.importorskip("ray")

from vecbench.bench.ray_executor import ACTOR_PREFIX, RayExecutor  # noqa: E402

SYNTHETIC = {"name": "synthetic", "n_base": 2000, "n_queries": 60, "seed": 5, "options": {"dim": 16}}
INDEXES: list[dict[str, Any]] = [
    # one build thread: a multi-threaded hnswlib build inserts in a racy order (ids would differ)
    {
        "adapter": "hnswlib",
        "build": {"M": 8, "ef_construction": 40, "build_threads": 1},
        "query": {"ef": [10]},
    },
    {"adapter": "faiss-ivf", "build": {"nlist": 16}, "query": {"nprobe": [1, 4]}},
]


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """One private two-CPU Ray cluster for the session (its start-up costs about ten seconds)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


def _config(indexes: list[dict[str, Any]] = INDEXES, **extra: Any) -> Any:
    return parse_config(
        {"name": "on-ray", "dataset": SYNTHETIC, "k": 10, "warmup_queries": 5, "indexes": indexes, **extra}
    )


def _rows(out: Path) -> pd.DataFrame:
    return ResultStore(out).read().set_index("point_key").sort_index()


def test_ray_gives_the_rows_of_the_local_executor(tmp_path: Path, ray_cluster: None) -> None:
    config = _config()
    local = Runner(config, tmp_path / "local", progress=False, executor=LocalExecutor()).run()
    executor = RayExecutor()
    assert executor.slots == 2  # two build points at once on the two declared CPUs
    remote = Runner(config, tmp_path / "ray", progress=False, executor=executor).run()
    assert local.points_failed == remote.points_failed == 0 and local.points_run == remote.points_run == 3
    ours, theirs = _rows(tmp_path / "local"), _rows(tmp_path / "ray")
    assert list(ours.index) == list(theirs.index) and (theirs["status"] == "ok").all()
    assert (ours["recall"] == theirs["recall"]).all() and (theirs["threads"] == 1).all()
    assert ours["recall"].min() < 1.0  # the approximate points are approximate: the ids comparison bites
    for key, row in theirs.iterrows():
        raw = tmp_path / "ray" / str(row["raw_path"])
        assert raw.is_file()  # raw arrays came back into the driver's output folder
        with np.load(tmp_path / "local" / str(ours.loc[key, "raw_path"])) as a, np.load(raw) as b:
            np.testing.assert_array_equal(a["ids"], b["ids"])


def test_a_worker_asking_more_cpus_than_the_cluster_has_fails_its_points(
    tmp_path: Path, ray_cluster: None
) -> None:
    summary = Runner(
        _config(INDEXES[:1]), tmp_path / "out", progress=False, executor=RayExecutor(cpus_per_worker=64)
    ).run()
    assert summary.points_failed == 1
    assert "declares 64 CPUs but the Ray cluster has 2" in str(_rows(tmp_path / "out")["error"].iloc[0])


def test_executor_is_read_from_the_config_and_the_command_line_wins() -> None:
    config = _config(executor={"name": "ray", "address": "auto"})
    assert config.executor == ExecutorSpec(name="ray", address="auto")
    assert _config(executor="ray").executor.name == "ray"
    assert with_overrides(config.executor, "local", None).name == "local"
    assert with_overrides(ExecutorSpec(), None, "ray://head:10001").address == "ray://head:10001"


@pytest.mark.slow
def test_vecbench_run_executor_ray_writes_the_local_rows(tmp_path: Path, ray_cluster: None) -> None:
    config = _config(INDEXES[1:])
    Runner(config, tmp_path / "local", progress=False, executor=LocalExecutor()).run()
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    # the command line joins the session's cluster (already connected) instead of starting one
    code = main(
        [
            "run",
            str(path),
            "--executor",
            "ray",
            "--out",
            str(tmp_path / "ray"),
            "--no-mlflow",
            "--no-progress",
        ]
    )
    assert code == 0
    ours, theirs = _rows(tmp_path / "local"), _rows(tmp_path / "ray")
    assert list(ours.index) == list(theirs.index) and (ours["recall"] == theirs["recall"]).all()


@pytest.mark.slow
def test_a_killed_ray_worker_is_a_failed_row_and_resume_measures_it(
    tmp_path: Path, ray_cluster: None
) -> None:
    hnsw = [
        {
            "adapter": "hnswlib",
            "build": {"M": 8, "ef_construction": 40, "build_threads": 1},
            "query": {"ef": [10, 20, 40]},
        }
    ]
    config = _config(hnsw)
    killed: list[int] = []

    def kill_after_first_row(row: dict[str, Any]) -> None:
        if killed:
            return
        (name,) = [n for n in ray.util.list_named_actors() if n.startswith(ACTOR_PREFIX)]
        pid = ray.get(ray.get_actor(name).pid.remote())
        os.kill(pid, signal.SIGKILL)  # the worker waits for us (lock-step): it dies between points
        killed.append(pid)

    out = tmp_path / "out"
    first = Runner(config, out, progress=False, executor=RayExecutor(), on_row=kill_after_first_row).run()
    assert killed and first.points_failed == 2
    rows = _rows(out)
    assert (rows["status"] == "ok").sum() == 1
    assert rows.loc[rows["status"] != "ok", "error"].str.contains("Ray worker died").all()
    again = Runner(config, out, progress=False, executor=RayExecutor()).run()
    assert again.points_skipped == 1 and again.points_run == 2 and again.points_failed == 0
    assert (_rows(out)["status"] == "ok").all()
