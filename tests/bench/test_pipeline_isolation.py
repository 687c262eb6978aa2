"""Pipeline index points retrieve in their own worker: a crashing, hanging or exiting library
leaves failed rows with the reason, and every other configuration, the report included, is kept."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from vecbench.cli import main
from vecbench.reports.pipeline_store import PipelineStore

FAULTY = "vecbench.testing.faults:FaultInjectingAdapter"
CONFIG: dict[str, Any] = {
    "kind": "pipeline",
    "name": "isolation",
    "log": {"name": "synthetic", "seed": 2, "options": {"n_users": 200, "n_items": 200, "events_per_user": 15}},
    "split": {"train_fraction": 0.8, "replay_steps": 1, "min_history": 3},
    "embedding": {"kind": "svd", "dim": 8},
    "retrieval": {
        "k_candidates": [20],
        "indexes": [
            {"adapter": "hnswlib", "build": {"M": 8, "ef_construction": 16, "build_threads": 1}, "query": {"ef": [10, 40]}},
            {"adapter": FAULTY, "label": "segfaults", "build": {"fault": "segfault", "fault_at": "search"}},
            {"adapter": FAULTY, "label": "hangs", "build": {"fault": "hang", "fault_at": "search"}, "timeout_s": 5},
            {"adapter": FAULTY, "label": "exits", "build": {"fault": "exit"}},
            {"adapter": FAULTY, "label": "healthy"},
        ],
    },
    "scorer": {"kind": "similarity"},
    "evaluation": {"cutoffs": [10], "bootstrap": 100},
    "drift": None,
}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("isolation")
    config = out / "pipeline.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", str(config), "--out", str(out / "run"), "--no-progress"]) == 0
    return out / "run", PipelineStore(out / "run").read()


def failure(frame: pd.DataFrame, label: str) -> str:
    rows = frame[frame["retrieval"].str.startswith(label)]
    assert len(rows) == 1 and rows.iloc[0]["status"] == "failed", label
    return str(rows.iloc[0]["error"])


def test_library_failures_become_failed_rows_with_their_reason(outcome: tuple[Path, pd.DataFrame]) -> None:
    _, frame = outcome
    assert "crashed with signal SIGSEGV" in failure(frame, "segfaults")
    assert "timed out after 5 s" in failure(frame, "hangs")
    assert "exited with code 3" in failure(frame, "exits")


def test_every_other_configuration_and_the_report_survive(outcome: tuple[Path, pd.DataFrame]) -> None:
    out, frame = outcome
    ok = frame[frame["status"] == "ok"].drop_duplicates("point_key")
    labels = set(ok["retrieval"])
    assert {"exact", "popularity"} <= labels
    assert {"hnswlib M=8 ef_construction=16 ef=10 post-adaptive", "hnswlib M=8 ef_construction=16 ef=40 post-adaptive"} <= labels
    healthy = frame[frame["retrieval"].str.startswith("healthy") & (frame["metric"] == "ndcg@10")
                    & (frame["stage"] == "final") & (frame["cohort"] == "all")]  # fmt: skip
    assert len(healthy) == 1 and (healthy["status"] == "ok").all()
    assert abs(healthy["delta"].iloc[0]) < 1e-12  # the fault-free adapter is exact search
    assert (out / "report.html").stat().st_size > 0
    assert not list(out.glob("retrieval-*")), "the workers' scratch files are removed"
