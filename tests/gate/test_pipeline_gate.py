"""The gate on recommendation-pipeline results: relevance regressions fail, unchanged reruns pass."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.gate.fabricate import FakePoint, fabricate
from vecbench.cli import main
from vecbench.gate.checks import POINT_LEVEL, Status
from vecbench.gate.policy import GatePolicy, parse_policy
from vecbench.gate.verdict import EXIT_ERROR, EXIT_PASS, EXIT_REGRESSION, run_gate
from vecbench.testing.drift import ENV_VAR

CONFIG = {
    "kind": "pipeline",
    "name": "tiny",
    "log": {"name": "synthetic", "seed": 0, "options": {"n_users": 200, "n_items": 2000}},
    "split": {"kind": "global_time", "train_fraction": 0.8, "replay_steps": 1, "min_history": 3},
    "embedding": {"kind": "svd", "dim": 8},
    "retrieval": {
        "k_candidates": [50],
        # hnswlib skips seen items itself and fetches exactly k, so ef sets the search effort.
        "strategies": ["pre"],
        "indexes": [
            {
                "adapter": "vecbench.testing.drift:DriftingAdapter",
                "build": {"M": 3, "ef_construction": 8, "build_threads": 1},
                "query": {"ef": 400},
            }
        ],
    },
    "evaluation": {"cutoffs": [10]},
}


def run(directory: Path, monkeypatch: pytest.MonkeyPatch, drift: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "pipeline.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    with monkeypatch.context() as patch:
        patch.setenv(ENV_VAR, drift)
        assert main(["run", str(config), "--out", str(directory / "out"), "--no-progress"]) == 0
    return directory / "out"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        return run(tmp_path_factory.mktemp("pipeline-base"), patch, "")


def test_an_unchanged_pipeline_rerun_passes(
    baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdict = run_gate(baseline, run(tmp_path, monkeypatch, ""), GatePolicy())
    assert verdict.exit_code == EXIT_PASS, [(c.metric, c.change) for c in verdict.failures()]
    quality = [c for c in verdict.checks if "latency" not in c.metric and c.change is not None]
    assert quality and all(c.change == 0.0 for c in quality)  # relevance is deterministic
    latency = [c for c in verdict.checks if "latency" in c.metric]
    assert latency and not any(c.gated for c in latency)


@pytest.mark.slow  # kept out of the default run for its time; run before resolving
def test_lower_query_effort_fails_on_relevance(
    baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdict = run_gate(baseline, run(tmp_path, monkeypatch, "ef_divisor=8"), GatePolicy())
    assert verdict.exit_code == EXIT_REGRESSION
    failing = {c.metric for c in verdict.failures()}
    assert {"retrieval candidate_recall@50", "final hit_rate@10"} <= failing
    assert all(c.point.label == "vecbench.testing.drift:DriftingAdapter" for c in verdict.failures())


@pytest.mark.slow  # kept out of the default run for its time; run before resolving
def test_a_crashing_release_fails_the_point_and_cohorts_widen_the_check(
    baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = run(tmp_path, monkeypatch, "fail=1")
    verdict = run_gate(baseline, current, GatePolicy())
    assert [c.status for c in verdict.failures()] == [Status.FAILED]
    assert verdict.failures()[0].metric == POINT_LEVEL and "injected failure" in verdict.failures()[0].note
    unchanged = {c.metric for c in run_gate(baseline, baseline, GatePolicy()).checks}
    every = {c.metric for c in run_gate(baseline, baseline, parse_policy({"cohorts": ["*"]})).checks}
    assert any("[activity:" in metric for metric in every) and not any("[" in metric for metric in unchanged)


def test_pipeline_baselines_save_and_never_mix_with_index_results(baseline: Path, tmp_path: Path) -> None:
    assert main(["baseline", "save", str(baseline), "--to", str(tmp_path / "saved")]) == 0
    assert (tmp_path / "saved" / "pipeline.parquet").is_file()
    assert run_gate(tmp_path / "saved", baseline, GatePolicy()).exit_code == EXIT_PASS
    index = fabricate(tmp_path / "index", [FakePoint("p1")])
    verdict = run_gate(tmp_path / "saved", index, GatePolicy())
    assert verdict.exit_code == EXIT_ERROR and "pipeline results" in (verdict.error or "")
