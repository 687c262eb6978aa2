"""The gate on a busy machine: the calibration kernel says one side ran slower, so wall-clock speed
checks cannot be told from the load (inconclusive, exit 3), while CPU time still catches real
slowdowns. Fast tests on fabricated timings; a slow one runs the current side behind real CPU hogs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.gate.fabricate import FakePoint, fabricate
from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.gate.checks import Status
from vecbench.gate.compare import Comparator
from vecbench.gate.policy import GatePolicy
from vecbench.gate.render import format_terminal
from vecbench.gate.resultset import open_result_set
from vecbench.gate.verdict import EXIT_INCONCLUSIVE, EXIT_PASS, EXIT_REGRESSION, run_gate
from vecbench.testing.drift import ENV_VAR
from vecbench.testing.faults import cpu_hog, pinned

POINTS = [FakePoint("a"), FakePoint("b", query_params={"ef": 64}, latency_us=60.0)]


def sides(tmp_path: Path, **current: Any) -> tuple[Path, Path]:
    base = fabricate(tmp_path / "base", POINTS, seed=1)
    cur = fabricate(tmp_path / "cur", [p.with_(**current) for p in POINTS], seed=2)
    return base, cur


def test_a_busy_current_side_is_inconclusive_not_a_regression(tmp_path: Path) -> None:
    base, cur = sides(tmp_path, load=3.0)  # wall clock and kernel 3x slower, CPU time unchanged
    verdict = run_gate(base, cur, GatePolicy())
    assert verdict.exit_code == EXIT_INCONCLUSIVE, format_terminal(verdict)
    assert verdict.outcome == "inconclusive"
    inconclusive = [c for c in verdict.checks if c.status is Status.INCONCLUSIVE]
    assert {c.metric for c in inconclusive} >= {"latency_p50_ms", "latency_p95_ms"}
    assert all("the machine ran 3.0x slower on the current side" in c.note for c in inconclusive)
    assert not verdict.failures()
    assert "INCONCLUSIVE (exit 3)" in format_terminal(verdict)


def test_busy_machine_fail_makes_it_a_regression(tmp_path: Path) -> None:
    base, cur = sides(tmp_path, load=3.0)
    verdict = run_gate(base, cur, GatePolicy(busy_machine="fail"))
    assert verdict.exit_code == EXIT_REGRESSION


def test_a_real_slowdown_behind_the_load_is_still_caught(tmp_path: Path) -> None:
    base, cur = sides(tmp_path, load=3.0, slowdown=2.0)  # CPU time doubles too
    verdict = run_gate(base, cur, GatePolicy())
    assert verdict.exit_code == EXIT_REGRESSION
    assert {c.metric for c in verdict.failures()} == {"cpu_ms_per_query"}


def test_a_busy_baseline_is_named_too(tmp_path: Path) -> None:
    base = fabricate(tmp_path / "base", [p.with_(load=2.5) for p in POINTS], seed=1)
    cur = fabricate(tmp_path / "cur", POINTS, seed=2)
    comparator = Comparator(open_result_set(base, "b"), open_result_set(cur, "c"), GatePolicy())
    assert comparator.busy == "baseline"
    assert "2.5x slower on the baseline side" in comparator.busy_text()


def test_within_busy_ratio_nothing_changes(tmp_path: Path) -> None:
    base, cur = sides(tmp_path, load=1.2)
    verdict = run_gate(base, cur, GatePolicy())
    assert verdict.exit_code == EXIT_PASS, format_terminal(verdict)
    assert not any(c.status is Status.INCONCLUSIVE for c in verdict.checks)


def test_busy_ratio_is_a_policy_knob(tmp_path: Path) -> None:
    base, cur = sides(tmp_path, load=3.0)
    assert run_gate(base, cur, GatePolicy(busy_ratio=4.0)).exit_code == EXIT_REGRESSION


CONFIG: dict[str, Any] = {
    "name": "busy",
    "dataset": {"name": "synthetic", "n_base": 4000, "n_queries": 300, "seed": 3, "options": {"dim": 32}},
    "k": 10,
    "runs": 3,
    "repeats": 1,  # one repeat each, as the CI run that reported the false regression had
    "warmup_queries": 50,
    "indexes": [
        {
            "adapter": "vecbench.testing.drift:DriftingAdapter",
            "build": {"M": 8, "ef_construction": 64, "build_threads": 1},
            "query": {"ef": [16, 48]},
        }
    ],
}


def measured(out: Path, drift: str = "") -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, drift)
        Runner(parse_config(CONFIG), out, progress=False).run()
    return out


@pytest.mark.slow
def test_behind_real_cpu_hogs_no_false_regression_and_a_2x_slowdown_caught(tmp_path: Path) -> None:
    """The current side runs pinned to one core with two busy processes on it (a third of the
    core): the unchanged code must not regress; code with twice the CPU work must."""
    cpu = sorted(os.sched_getaffinity(0))[-1]
    with pinned(cpu):
        base = measured(tmp_path / "base")
        with cpu_hog(cpu, processes=2):
            same = measured(tmp_path / "same")
            rows = open_result_set(base, "b").rows
            extra_us = float(rows["cpu_ms_per_query"].median()) * 1e3  # as much CPU again per query
            slower = measured(tmp_path / "slower", f"cpu_spin_us={extra_us:.1f}")
    unchanged = run_gate(base, same, GatePolicy())
    regressed = run_gate(base, slower, GatePolicy())
    blind = run_gate(base, same, GatePolicy(busy_machine="fail"))
    comparator = Comparator(open_result_set(base, "b"), open_result_set(same, "c"), GatePolicy())
    print(f"\ncalibration slowdown behind the hogs: {comparator.slowdown:.2f}x; extra CPU {extra_us:.1f} us/query")
    for name, verdict in (("unchanged", unchanged), ("2x CPU", regressed), ("unchanged, busy_machine: fail", blind)):
        print(f"{name}: exit {verdict.exit_code}, counts {verdict.counts()}")
        print("  failing:", sorted({c.metric for c in verdict.failures()}))
    assert comparator.slowdown is not None and comparator.slowdown > GatePolicy().busy_ratio, (
        "the hogs did not slow the kernel: the test proves nothing"
    )
    assert blind.exit_code == EXIT_REGRESSION, "without busy-machine handling the hogs must show as a regression"
    assert unchanged.exit_code in (EXIT_PASS, EXIT_INCONCLUSIVE), format_terminal(unchanged)
    assert not unchanged.failures()
    assert regressed.exit_code == EXIT_REGRESSION, format_terminal(regressed)
    assert "cpu_ms_per_query" in {c.metric for c in regressed.failures()}
