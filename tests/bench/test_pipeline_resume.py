"""Re-running a pipeline config into the same OUT resumes it: finished index configurations are not
run again, new or failed ones are; results of a different config are refused, never mixed in."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from vecbench.bench.pipeline_config import parse_pipeline_config
from vecbench.bench.pipeline_runner import PipelineRunner, PipelineSummary
from vecbench.errors import ConfigError
from vecbench.reports.pipeline_store import PipelineStore

CONFIG: dict[str, Any] = {
    "kind": "pipeline",
    "name": "resume",
    "log": {"name": "synthetic", "seed": 3, "options": {"n_users": 200, "n_items": 200, "events_per_user": 15}},
    "split": {"train_fraction": 0.8, "replay_steps": 1, "min_history": 3},
    "embedding": {"kind": "svd", "dim": 8},
    "retrieval": {
        "k_candidates": [20],
        "strategies": ["pre", "auto"],
        "indexes": [{"adapter": "hnswlib", "build": {"M": 8, "ef_construction": 16, "build_threads": 1}, "query": {"ef": 10}}],
    },
    "scorer": {"kind": "similarity"},
    "evaluation": {"cutoffs": [10], "bootstrap": 100},
    "drift": None,
}


def run(config: dict[str, Any], out: Path) -> tuple[PipelineSummary, pd.DataFrame]:
    summary = PipelineRunner(parse_pipeline_config(config), out, progress=False).run()
    return summary, PipelineStore(out).read()


def finished(frame: pd.DataFrame) -> dict[str, float]:
    points = frame[frame["adapter"] != "compare"].drop_duplicates("point_key")  # configurations, not pairs
    return dict(zip(points["retrieval"], points["finished_at"], strict=True))


def test_a_rerun_skips_finished_configurations_and_runs_new_ones(tmp_path: Path) -> None:
    first, frame = run(CONFIG, tmp_path)
    assert first.skipped == 0 and first.failed == 0
    before = finished(frame)
    again, frame = run(CONFIG, tmp_path)
    assert again.skipped == 2 and again.failed == 0  # pre and auto: neither searched again
    after = finished(frame)
    hnsw = [label for label in before if label.startswith("hnswlib")]
    assert len(hnsw) == 2 and all(after[label] == before[label] for label in hnsw)
    assert after["exact"] > before["exact"]  # the reference is recomputed, and equal
    grown = copy.deepcopy(CONFIG)
    grown["retrieval"]["indexes"][0]["query"] = {"ef": [10, 40]}
    third, frame = run(grown, tmp_path)
    assert third.skipped == 2 and third.runs == 2 + 4
    assert len(frame[frame["adapter"] != "compare"].drop_duplicates("point_key")) == 2 + 4
    assert all(finished(frame)[label] == before[label] for label in hnsw)


def test_failed_configurations_run_again(tmp_path: Path) -> None:
    broken = copy.deepcopy(CONFIG)
    broken["retrieval"]["indexes"].append(
        {"adapter": "vecbench.testing.faults:FaultInjectingAdapter", "label": "flaky", "build": {"fault": "raise"}}
    )
    first, _ = run(broken, tmp_path)
    assert first.failed == 2  # both strategies of the failing build
    again, frame = run(broken, tmp_path)
    assert again.skipped == 2 and again.failed == 2
    assert (frame[frame["retrieval"].str.startswith("flaky")]["status"] == "failed").all()


@pytest.mark.parametrize(
    "change",
    [{"scorer": {"kind": "popularity_blend"}}, {"evaluation": {"cutoffs": [10], "bootstrap": 200}}],
)
def test_results_of_another_config_are_refused_not_mixed(tmp_path: Path, change: dict[str, Any]) -> None:
    run(CONFIG, tmp_path)
    with pytest.raises(ConfigError, match=r"holds pipeline results of another configuration.*another --out") as info:
        run({**CONFIG, **change}, tmp_path)
    assert "\n" not in str(info.value)
