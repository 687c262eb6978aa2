"""The gate against real runs with regressions injected under an unchanged config.

``vecbench.testing.drift.DriftingAdapter`` is hnswlib whose behaviour ``VECBENCH_DRIFT`` changes
without touching the config, as a new library release would: the point keys stay the same, so the
gate compares like with like and must find what changed. The injections are sized well past the
default limits (a 4x slower query, a 30% bigger index), so a pass here would be a real miss.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.gate.checks import POINT_LEVEL
from vecbench.gate.policy import GatePolicy
from vecbench.gate.verdict import EXIT_PASS, EXIT_REGRESSION, Verdict, run_gate
from vecbench.testing.drift import ENV_VAR

CONFIG: dict[str, Any] = {
    "name": "drift",
    "dataset": {"name": "synthetic", "n_base": 5000, "n_queries": 300, "seed": 3, "options": {"dim": 32}},
    "k": 10,
    "runs": 3,
    "warmup_queries": 50,
    "indexes": [
        {
            "adapter": "vecbench.testing.drift:DriftingAdapter",
            "build": {"M": 8, "ef_construction": 64, "build_threads": 1},
            "query": {"ef": [16, 48]},
        }
    ],
}


def run(out: Path, monkeypatch: pytest.MonkeyPatch, drift: str, repeats: int) -> Path:
    with monkeypatch.context() as patch:
        patch.setenv(ENV_VAR, drift)  # spawned workers inherit it
        Runner(parse_config({**CONFIG, "repeats": repeats}), out, progress=False).run()
    return out


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        return run(tmp_path_factory.mktemp("baseline"), patch, "", repeats=2)


def failing(verdict: Verdict) -> set[tuple[str, str]]:
    """(query params, metric) of every failing check."""
    return {(c.point.query_params, c.metric) for c in verdict.failures()}


BOTH = ('{"ef":16}', '{"ef":48}')


@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        # query effort lowered: ef // 8, so recall drops at both points
        ("ef_divisor=8", {(q, m) for q in BOTH for m in ("recall", "recall_ids")}),
        # an artificial 40 us of work per query (hnswlib answers these in ~10-15 us)
        ("spin_us=40", {(q, m) for q in BOTH for m in ("cpu_ms_per_query", "latency_p50_ms")}),
        # a bigger index: M doubled behind the config's back
        ("m_factor=2", {(q, "index_bytes") for q in BOTH}),
        # a release that crashes in search: both points now fail
        ("fail=1", {(q, POINT_LEVEL) for q in BOTH}),
    ],
)
def test_gate_catches_an_injected_regression(
    baseline: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    drift: str,
    expected: set[tuple[str, str]],
) -> None:
    current = run(tmp_path / "current", monkeypatch, drift, repeats=1)
    # busy_machine: fail, so a neighbour's load during one run cannot turn the injected latency
    # regression into 'inconclusive' here (tests/gate/test_busy_machine.py covers that).
    verdict = run_gate(baseline, current, GatePolicy(busy_machine="fail"))
    assert verdict.exit_code == EXIT_REGRESSION
    assert expected <= failing(verdict), failing(verdict)


def test_an_unchanged_rerun_passes(baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two repeats, like the baseline: with one, a loaded machine once pushed a p95 interval past its limit.
    verdict = run_gate(baseline, run(tmp_path / "again", monkeypatch, "", repeats=2), GatePolicy())
    assert verdict.exit_code == EXIT_PASS, failing(verdict)
