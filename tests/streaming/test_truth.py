"""Per-step exact truth: maintained incrementally, equal to brute force, cached by content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vecbench.core.params import Metric
from vecbench.streaming.runbook import load_runbook
from vecbench.streaming.truth import IncrementalTruth, brute_force_truth, replay_truth, streaming_truth


def data(n: int = 10_000, dim: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)).astype(np.float32), rng.standard_normal((60, dim)).astype(np.float32)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("simple_runbook.yaml", "random-xs"),
        ("simple_replace_runbook.yaml", "random-xs"),
        ("delete_runbook.yaml", "random-xs-clustered"),
    ],
)
@pytest.mark.parametrize("metric", [Metric.EUCLIDEAN, Metric.ANGULAR])
def test_incremental_truth_equals_brute_force_on_sampled_steps(
    runbooks: Path, name: str, key: str, metric: Metric
) -> None:
    base, queries = data()
    runbook = load_runbook(runbooks / name, key, base.shape[0])
    truth = replay_truth(runbook, queries, base, metric, 10)
    searches = runbook.search_steps()
    for number in sorted({searches[0], searches[len(searches) // 2], searches[-1]}):
        exact = brute_force_truth(runbook, number, queries, base, metric, 10)
        assert np.array_equal(truth[number].ids, exact.ids), f"step {number}"
        assert np.array_equal(truth[number].distances, exact.distances), f"step {number}"


def test_deletes_recompute_only_the_queries_they_empty() -> None:
    base, queries = data(2000)
    truth = IncrementalTruth(queries, base, Metric.EUCLIDEAN, 10)
    truth.insert(np.arange(2000), np.arange(2000))
    from vecbench.streaming.runbook import LiveState, Step

    state = LiveState(2000)
    state.apply(Step(1, "insert", 0, 2000))
    truth.top(state)
    assert truth.recomputed == 0
    victim = truth.tags[0, :25].copy()  # empties query 0's list below k, and few others
    truth.delete(victim)
    state.row_of_tag[victim] = -1
    state.live -= victim.size
    truth.top(state)
    assert 1 <= truth.recomputed < queries.shape[0]


def test_truth_is_cached_by_runbook_content(runbooks: Path, tmp_path: Path) -> None:
    base, queries = data()
    runbook = load_runbook(runbooks / "simple_runbook.yaml", "random-xs", base.shape[0])
    first = streaming_truth(runbook, queries, base, Metric.EUCLIDEAN, 10, "fp", tmp_path)
    files = list(tmp_path.glob("stream-*.npz"))
    assert len(files) == 1
    again = streaming_truth(runbook, queries, base, Metric.EUCLIDEAN, 10, "fp", tmp_path)
    assert all(np.array_equal(first[n].ids, again[n].ids) for n in first)
    scaled = load_runbook(runbooks / "simple_runbook.yaml", "random-xs", base.shape[0], scale=0.5)
    streaming_truth(scaled, queries, base, Metric.EUCLIDEAN, 10, "fp", tmp_path)
    streaming_truth(runbook, queries, base, Metric.EUCLIDEAN, 5, "fp", tmp_path)
    assert len(list(tmp_path.glob("stream-*.npz"))) == 3  # another runbook content or k: another file
