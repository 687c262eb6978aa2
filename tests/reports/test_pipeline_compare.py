"""``report A --compare B`` on pipeline results: paired by request, refused across logs or splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vecbench.errors import ConfigError
from vecbench.metrics.relevance import RELEVANCE, hit_matrix
from vecbench.reports.pipeline_compare import compare_runs
from vecbench.reports.pipeline_store import PipelineStore

N = 40  # requests, one user each, two replay windows
TARGETS = [np.array([r % 7]) for r in range(N)]


def fabricate(out: Path, lists: np.ndarray, split: str = "global_time") -> None:
    """An output folder as a run leaves it: rows, the ranked lists of one configuration, requests."""
    store = PipelineStore(out)
    store.prepare()
    row = {"experiment": "e", "log": "movielens-100k", "split": split, "retrieval": "exact", "adapter": "exact",
           "k_candidates": 20, "point_key": "p1", "status": "ok", "stage": "final", "metric": "ndcg@10", "cohort": "all"}  # fmt: skip
    store.append([row])
    ns = np.zeros(N, dtype=np.int64)
    np.savez(store.raw_dir / "p1.npz", retrieval_items=lists, scoring_items=lists, final_items=lists,
             retrieval_latency_ns=ns, scoring_latency_ns=ns, final_latency_ns=ns)  # fmt: skip
    np.savez(store.raw_dir / "requests.npz", user=np.arange(N), time=np.arange(N), step=np.arange(N) // 20,
             targets_indptr=np.arange(N + 1), targets=np.concatenate(TARGETS), history_lengths=ns)  # fmt: skip


def test_two_runs_are_paired_request_by_request(tmp_path: Path) -> None:
    good = np.tile(np.arange(20), (N, 1))  # every target (0..6) in the top 10
    worse = good.copy()
    worse[:30, :10] = np.arange(10, 20)  # 30 requests lose their target from the top 10
    fabricate(tmp_path / "a", good)
    fabricate(tmp_path / "b", worse)
    rows = compare_runs(tmp_path / "a", tmp_path / "b")
    row = rows[(rows["stage"] == "final") & (rows["metric"] == "ndcg@10") & (rows["cohort"] == "all")].iloc[0]
    by_hand = (
        RELEVANCE["ndcg"](hit_matrix(good, TARGETS), np.ones(N, int), 10) - RELEVANCE["ndcg"](hit_matrix(worse, TARGETS), np.ones(N, int), 10)
    ).mean()
    assert row["delta"] == pytest.approx(by_hand) and row["delta_low"] <= row["delta"] <= row["delta_high"]
    assert row["p_value"] < 0.01 and bool(row["significant"])
    assert {"window:0", "window:1"} <= set(rows["cohort"])
    same = compare_runs(tmp_path / "a", tmp_path / "a")
    assert (same["delta"] == 0).all() and (same["p_value"] == 1).all() and not same["significant"].any()


def test_runs_on_another_split_or_other_requests_are_refused(tmp_path: Path) -> None:
    lists = np.tile(np.arange(20), (N, 1))
    fabricate(tmp_path / "a", lists)
    fabricate(tmp_path / "b", lists, split="leave_last_n")
    with pytest.raises(ConfigError, match="differ in split") as info:
        compare_runs(tmp_path / "a", tmp_path / "b")
    assert "\n" not in str(info.value)
    fabricate(tmp_path / "c", lists)
    with np.load(tmp_path / "c" / "pipeline_raw" / "requests.npz") as raw:
        changed = {name: raw[name] for name in raw.files}
    changed["time"] = changed["time"] + 1
    np.savez(tmp_path / "c" / "pipeline_raw" / "requests.npz", **changed)
    with pytest.raises(ConfigError, match="different requests"):
        compare_runs(tmp_path / "a", tmp_path / "c")
