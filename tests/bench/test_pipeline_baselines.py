"""Baselines and the cold-start blend through the pipeline runner, on the synthetic log."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vecbench.bench.pipeline_config import parse_pipeline_config
from vecbench.bench.pipeline_runner import PipelineRunner
from vecbench.datasets.logs.registry import load_log
from vecbench.datasets.logs.split import split_log
from vecbench.reports.pipeline_store import CHECKS_FILE, RAW_DIR, PipelineStore

CONFIG = {
    "kind": "pipeline",
    "name": "baselines-test",
    "log": {"name": "synthetic", "seed": 0, "options": {"n_users": 300, "n_items": 300, "events_per_user": 20}},
    "split": {"train_fraction": 0.7, "replay_steps": 2, "min_history": 3},
    "embedding": {"kind": "svd", "dim": 8},
    "scorer": {"kind": "similarity"},
    "retrieval": {"k_candidates": [50], "cold_start": {"source": "popularity", "every": 5}},
    "baselines": ["popularity", {"kind": "recent_popularity", "window_days": 7}, "itemknn", "ease", {"kind": "ease", "lambda": 50.0, "score": True}],
    "evaluation": {"cutoffs": [10, 50], "bootstrap": 50},
    "drift": None,
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("baselines")
    PipelineRunner(parse_pipeline_config(CONFIG), out, progress=False).run()
    return out, PipelineStore(out).read()


def test_every_baseline_is_a_labelled_configuration(run: tuple[Path, pd.DataFrame]) -> None:
    _, frame = run
    assert (frame["status"] == "ok").all()
    labels = set(frame["retrieval"])
    for kind in ("popularity", "recent_popularity", "itemknn", "ease"):
        assert any(kind in label for label in labels), kind
    assert {"ease", "ease lambda=50.0+scored"} <= labels
    rows = frame[(frame["metric"] == "ndcg@10") & (frame["cohort"] == "all") & (frame["stage"] == "final")]
    assert rows.set_index("retrieval")["delta_low"].notna().drop("exact").all()


def test_cold_start_items_are_blended_in_and_measured(run: tuple[Path, pd.DataFrame]) -> None:
    out, frame = run
    checks = json.loads((out / CHECKS_FILE).read_text())
    assert checks["cold_target_share"] > 0, "the growing synthetic catalogue has targets without training events"
    replay = split_log(load_log(parse_pipeline_config(CONFIG).log), parse_pipeline_config(CONFIG).split)
    trained = np.flatnonzero(replay.train.item_counts() > 0)
    key = frame.loc[frame["retrieval"] == "exact", "point_key"].iloc[0]
    final = np.load(out / RAW_DIR / f"{key}.npz")["final_items"]
    cold = ~np.isin(final, trained) & (final >= 0)
    assert cold[:, 4].any() and not cold[:, :4].any(), "cold items at positions 5, 10, ... only"
    hits = [np.isin(final[r][cold[r]], replay.requests.targets.row(r)).any() for r in range(len(final))]
    assert sum(hits) > 0, "some cold targets are now reached"
