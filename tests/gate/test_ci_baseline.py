"""The committed CI baseline still belongs to configs/ci-gate.yaml (the gate in .ci/run needs it)."""

from __future__ import annotations

import json

from tests.conftest import REPO_ROOT
from vecbench.bench.config import load_config
from vecbench.bench.sweep import expand_sweep
from vecbench.datasets import load_dataset
from vecbench.gate.resultset import SavedBaseline, open_result_set


def test_committed_baseline_matches_the_ci_config() -> None:
    config = load_config(REPO_ROOT / "configs" / "ci-gate.yaml")
    dataset = load_dataset(config.dataset)
    keys = {q.key for point in expand_sweep(config, dataset.fingerprint) for q in point.query_points}
    baseline = open_result_set(REPO_ROOT / "benchmarks" / "baselines" / "ci-gate", "baseline")
    assert isinstance(baseline, SavedBaseline)
    assert set(baseline.rows["point_key"]) == keys, "re-record the baseline (see configs/ci-gate.yaml)"
    assert (baseline.rows["status"] == "ok").all()
    for _, row in baseline.rows.iterrows():
        samples = baseline.samples(row)
        assert samples is not None and samples.calibrated and samples.repeats >= config.repeats
    meta = json.loads((REPO_ROOT / "benchmarks" / "baselines" / "ci-gate" / "baseline.json").read_text())
    assert len(meta["sources"]) == 3
