"""The runner end to end on small synthetic data: rows, raw files, resume, and surviving failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vecbench.bench.config import parse_config
from vecbench.bench.records import load_raw, point_metrics
from vecbench.bench.runner import Runner
from vecbench.datasets import exact_ground_truth, load_dataset
from vecbench.reports.schema import COLUMNS
from vecbench.reports.store import ResultStore

FAULTY = "vecbench.testing.faults:FaultInjectingAdapter"
SYNTHETIC: dict[str, Any] = {
    "name": "synthetic",
    "n_base": 2000,
    "n_queries": 50,
    "seed": 1,
    "options": {"dim": 16},
}


def config_with(indexes: list[dict[str, Any]], **extra: Any) -> Any:
    return parse_config(
        {"name": "t", "dataset": SYNTHETIC, "k": 10, "indexes": indexes, "warmup_queries": 5, **extra}
    )


def run(tmp_path: Path, indexes: list[dict[str, Any]], **extra: Any) -> Any:
    Runner(config_with(indexes, **extra), tmp_path, progress=False).run()
    return ResultStore(tmp_path).read()


def test_sweep_writes_one_row_per_point_with_every_column(tmp_path: Path) -> None:
    frame = run(
        tmp_path, [{"adapter": "exact"}, {"adapter": "hnswlib", "build": {"M": 8}, "query": {"ef": [10, 40]}}]
    )
    assert len(frame) == 3
    assert set(COLUMNS) <= set(frame.columns)
    assert (frame["status"] == "ok").all()
    exact = frame[frame["adapter"] == "exact"].iloc[0]
    assert exact["recall"] == 1.0 and exact["recall_ids"] == 1.0
    hnsw = frame[frame["adapter"] == "hnswlib"].sort_values("query_params")
    assert (hnsw["qps"] > 0).all() and (hnsw["latency_p99_ms"] >= hnsw["latency_p50_ms"]).all()
    assert (
        (frame["build_s"] >= 0).all()
        and (frame["index_bytes"] > 0).all()
        and (frame["rss_peak_bytes"] > 0).all()
    )
    assert (tmp_path / "environment.json").is_file() and (tmp_path / "config.yaml").is_file()


def test_metrics_recompute_from_raw_arrays(tmp_path: Path) -> None:
    frame = run(
        tmp_path, [{"adapter": "hnswlib", "build": {"M": 4, "ef_construction": 20}, "query": {"ef": 10}}]
    )
    row = frame.iloc[0]
    config = config_with([{"adapter": "exact"}])
    dataset = load_dataset(config.dataset)
    raw = load_raw(tmp_path / row["raw_path"])
    assert raw["ids"].shape == (50, 10) and raw["latencies_ns"].shape == (50,)
    again = point_metrics(raw, dataset, exact_ground_truth(dataset, 10, None), 10)
    for name, value in again.items():
        assert row[name] == pytest.approx(value), name


def test_rerun_resumes_without_repeating_finished_points(tmp_path: Path) -> None:
    indexes = [
        {"adapter": "exact"},
        {"adapter": "annoy", "build": {"n_trees": 5}, "query": {"search_k": [50, 500]}},
    ]
    first = run(tmp_path, indexes)
    summary = Runner(config_with(indexes), tmp_path, progress=False).run()
    assert (summary.points_run, summary.points_skipped) == (0, 3)
    second = ResultStore(tmp_path).read()
    assert sorted(second["finished_at"]) == sorted(first["finished_at"])


def test_failures_become_rows_and_the_sweep_goes_on(tmp_path: Path) -> None:
    frame = run(
        tmp_path,
        [
            {"adapter": FAULTY, "label": "segv", "build": {"fault": "segfault"}},
            {"adapter": FAULTY, "label": "raise", "build": {"fault": "raise"}},
            {"adapter": FAULTY, "label": "exit", "build": {"fault": "exit", "fault_at": "search"}},
            {"adapter": FAULTY, "label": "hang", "build": {"fault": "hang"}, "timeout_s": 3},
            {"adapter": FAULTY, "label": "reject", "query": {"reject": [False, True]}},
            {"adapter": "exact"},
        ],
    )
    by_label = {label: group for label, group in frame.groupby("label")}
    assert "signal SIGSEGV" in by_label["segv"]["error"].iloc[0]
    assert "RuntimeError: injected failure during build" in by_label["raise"]["error"].iloc[0]
    assert "exited with code 3" in by_label["exit"]["error"].iloc[0]
    assert "timed out after 3 s" in by_label["hang"]["error"].iloc[0]
    reject = by_label["reject"].set_index("query_params")["status"].to_dict()
    assert sorted(reject.values()) == ["failed", "ok"]
    assert by_label["exact"]["status"].iloc[0] == "ok" and by_label["exact"]["recall"].iloc[0] == 1.0
    assert (frame.loc[frame["status"] == "failed", "error"].str.len() > 0).all()


def test_out_of_memory_build_is_a_failed_row(tmp_path: Path) -> None:
    frame = run(
        tmp_path,
        [{"adapter": FAULTY, "build": {"fault": "oom"}}, {"adapter": "exact"}],
        memory_limit_gb=2.0,
    )
    errors = frame.set_index("adapter")["error"]
    assert "out of memory" in errors[FAULTY]
    assert frame.set_index("adapter")["status"]["exact"] == "ok"


def test_failed_points_are_rerun_and_replaced(tmp_path: Path) -> None:
    indexes = [{"adapter": FAULTY, "query": {"reject": [False, True]}}]
    run(tmp_path, indexes)
    store = ResultStore(tmp_path)
    before = store.read()
    summary = Runner(config_with(indexes), tmp_path, progress=False).run()
    assert (summary.points_run, summary.points_skipped) == (1, 1)
    after = store.read()
    assert len(after) == 2 and len(before) == 2
    assert np.array_equal(np.sort(after["point_key"]), np.sort(before["point_key"]))
