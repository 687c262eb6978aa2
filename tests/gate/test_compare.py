"""The gate's decisions on result sets with known timing distributions (no index is built here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gate.fabricate import FakePoint, fabricate
from vecbench.gate.checks import POINT_LEVEL, PointRef, Status
from vecbench.gate.compare import decide
from vecbench.gate.policy import GatePolicy, parse_policy
from vecbench.gate.stats import RatioEstimate
from vecbench.gate.verdict import EXIT_ERROR, EXIT_PASS, EXIT_REGRESSION, Verdict, run_gate
from vecbench.metrics.catalog import parse_metric_spec

POINTS = [FakePoint("p1"), FakePoint("p2", query_params={"ef": 64}, latency_us=50.0, recall=0.99)]


def gate(
    tmp_path: Path,
    base: list[FakePoint],
    cur: list[FakePoint],
    policy: GatePolicy | None = None,
    **kw: object,
) -> Verdict:
    fabricate(tmp_path / "base", base, seed=1)
    fabricate(tmp_path / "cur", cur, seed=2, **kw)  # type: ignore[arg-type]
    return run_gate(tmp_path / "base", tmp_path / "cur", policy or GatePolicy())


def by_metric(verdict: Verdict, key: str) -> dict[str, Status]:
    return {c.metric: c.status for c in verdict.checks if c.point.key == key}


def test_unchanged_points_pass(tmp_path: Path) -> None:
    verdict = gate(tmp_path, POINTS, POINTS)
    assert verdict.exit_code == EXIT_PASS, verdict.failures()
    assert verdict.points_compared() == 2
    statuses = by_metric(verdict, "p1")
    assert statuses["recall"] is Status.PASS and statuses["latency_p50_ms"] is Status.PASS
    assert "distance_computations" not in statuses  # measured on neither side: not reported


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"recall": 0.93}, {"recall", "recall_ids"}),
        ({"slowdown": 3.0}, {"cpu_ms_per_query", "latency_p50_ms", "latency_p95_ms"}),
        ({"index_bytes": 1_200_000}, {"index_bytes"}),
        ({"rss_peak_bytes": 260_000_000}, {"rss_peak_bytes"}),
    ],
)
def test_each_kind_of_regression_fails_the_gate(
    tmp_path: Path, change: dict[str, float], failing: set[str]
) -> None:
    verdict = gate(tmp_path, POINTS, [POINTS[0].with_(**change), POINTS[1]])
    assert verdict.exit_code == EXIT_REGRESSION
    assert {c.metric for c in verdict.failures()} == failing
    assert {c.point.key for c in verdict.failures()} == {"p1"}


def test_qps_is_reported_but_not_gated_by_default(tmp_path: Path) -> None:
    verdict = gate(tmp_path, POINTS, [POINTS[0].with_(slowdown=3.0), POINTS[1]])
    qps = next(c for c in verdict.checks if c.metric == "qps" and c.point.key == "p1")
    assert qps.status is Status.REGRESSION and not qps.fails
    gated = gate(
        tmp_path / "g",
        POINTS,
        [POINTS[0].with_(slowdown=3.0)],
        parse_policy({"metrics": {"qps": {"max_change": 0.6}}}),
    )
    assert "qps" in {c.metric for c in gated.failures()}


def test_changes_inside_the_limits_pass(tmp_path: Path) -> None:
    changed = POINTS[0].with_(recall=0.945, slowdown=1.1, index_bytes=1_030_000)
    verdict = gate(tmp_path, POINTS, [changed, POINTS[1]])
    assert verdict.exit_code == EXIT_PASS, verdict.failures()


def test_an_improvement_is_reported_not_failed(tmp_path: Path) -> None:
    verdict = gate(tmp_path, POINTS, [POINTS[0].with_(slowdown=0.3), POINTS[1]])
    assert verdict.exit_code == EXIT_PASS
    assert by_metric(verdict, "p1")["latency_p50_ms"] is Status.IMPROVED


def test_noisy_samples_widen_the_interval(tmp_path: Path) -> None:
    quiet = [POINTS[0].with_(noise=0.01, repeat_noise=0.01)]
    noisy = [POINTS[0].with_(noise=0.3, repeat_noise=0.3)]
    widths = {}
    for name, points in (("quiet", quiet), ("noisy", noisy)):
        verdict = gate(tmp_path / name, points, [points[0].with_(slowdown=1.45)])
        check = next(c for c in verdict.checks if c.metric == "latency_p50_ms")
        assert check.low is not None and check.high is not None and check.low < check.change < check.high
        widths[name] = check.high - check.low
    assert widths["noisy"] > 5 * widths["quiet"]


@pytest.mark.parametrize(
    ("metric", "estimate", "expected"),
    [
        ("latency_p50_ms", (1.5, 1.45, 1.55), Status.REGRESSION),  # all of the interval beyond +40%
        ("latency_p50_ms", (1.5, 1.2, 1.8), Status.WARN),  # estimate beyond, interval reaches back
        ("latency_p50_ms", (1.3, 1.25, 1.35), Status.PASS),
        ("latency_p50_ms", (0.5, 0.45, 0.55), Status.IMPROVED),
        ("qps", (0.3, 0.25, 0.35), Status.REGRESSION),  # higher is better: a drop beyond 60%
        ("qps", (1.5, 1.45, 1.55), Status.PASS),  # +50% QPS is not beyond the 60% improvement limit
        ("qps", (1.8, 1.7, 1.9), Status.IMPROVED),
    ],
)
def test_decision_follows_the_metric_direction_and_interval(
    metric: str, estimate: tuple[float, float, float], expected: Status
) -> None:
    info, _ = parse_metric_spec(metric)
    rule = GatePolicy().metrics[metric]
    assert rule is not None
    point = PointRef("k", "d", "l", "{}", "{}", 10)
    check = decide(point, metric, info, rule, 1.0, estimate[0], RatioEstimate(*estimate), "")
    assert check.status is expected


def test_missing_failed_new_and_fixed_points(tmp_path: Path) -> None:
    base = [*POINTS, FakePoint("broken", status="failed")]
    cur = [POINTS[0].with_(status="failed"), FakePoint("broken"), FakePoint("extra")]
    verdict = gate(tmp_path, base, cur)
    point_level = {c.point.key: c.status for c in verdict.checks if c.metric == POINT_LEVEL}
    assert point_level == {
        "p1": Status.FAILED,
        "p2": Status.MISSING,
        "broken": Status.FIXED,
        "extra": Status.NEW,
    }
    assert verdict.exit_code == EXIT_REGRESSION
    assert {c.point.key for c in verdict.failures()} == {"p1", "p2"}


def test_policy_can_downgrade_missing_and_failed_points_to_warnings(tmp_path: Path) -> None:
    policy = parse_policy({"missing": "warn", "failed": "warn"})
    verdict = gate(tmp_path, POINTS, [POINTS[0].with_(status="failed")], policy)
    assert verdict.exit_code == EXIT_PASS
    assert {c.status for c in verdict.checks if c.metric == POINT_LEVEL} == {Status.FAILED, Status.MISSING}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fingerprint": "fp-other", "dataset": "glove"}, "mismatched datasets"),
        ({"threads": 4}, "threads=1"),
    ],
)
def test_incomparable_result_sets_are_errors(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    verdict = gate(tmp_path, POINTS, POINTS, **kwargs)
    assert verdict.exit_code == EXIT_ERROR and message in (verdict.error or "")


def test_no_matching_point_is_an_error(tmp_path: Path) -> None:
    verdict = gate(tmp_path, POINTS, [FakePoint("other")])
    assert verdict.exit_code == EXIT_ERROR and "nothing to compare" in (verdict.error or "")


def test_missing_directories_are_errors(tmp_path: Path) -> None:
    fabricate(tmp_path / "cur", POINTS)
    verdict = run_gate(tmp_path / "nope", tmp_path / "cur", GatePolicy())
    assert verdict.exit_code == EXIT_ERROR and "baseline not found" in (verdict.error or "")
    (tmp_path / "empty").mkdir()
    verdict = run_gate(tmp_path / "cur", tmp_path / "empty", GatePolicy())
    assert "holds no results.parquet" in (verdict.error or "")


def test_calibration_corrects_a_uniformly_slower_machine(tmp_path: Path) -> None:
    """Everything 1.8x slower, the kernel too: raw timings fail, calibrated ones pass."""
    slower = [p.with_(slowdown=1.8, calibration_ms=p.calibration_ms * 1.8) for p in POINTS]
    other_machine = {"hostname": "host-b"}
    auto = gate(tmp_path / "auto", POINTS, slower, **other_machine)
    assert auto.exit_code == EXIT_PASS, auto.failures()
    assert "normalize: auto" in auto.normalization and "normalised" in auto.normalization
    never = gate(tmp_path / "never", POINTS, slower, parse_policy({"normalize": "never"}), **other_machine)
    assert never.exit_code == EXIT_REGRESSION
    assert "latency_p50_ms" in {c.metric for c in never.failures()}


def test_auto_does_not_calibrate_on_the_same_machine(tmp_path: Path) -> None:
    verdict = gate(tmp_path, POINTS, POINTS)
    assert "same machine" in verdict.normalization
    assert not any(c.normalized for c in verdict.checks)


def test_calibration_missing_where_it_is_required_is_an_error(tmp_path: Path) -> None:
    old = [p.with_(calibrated=False) for p in POINTS]
    verdict = gate(tmp_path, old, POINTS, parse_policy({"normalize": "always"}))
    assert verdict.exit_code == EXIT_ERROR and "normalize: never" in (verdict.error or "")


def test_a_metric_rule_for_one_k_applies_only_there(tmp_path: Path) -> None:
    policy = parse_policy({"metrics": {"recall": None, "recall_ids": None, "recall@20": {"max_drop": 0.0}}})
    verdict = gate(tmp_path, POINTS, [POINTS[0].with_(recall=0.5), POINTS[1]], policy)
    assert verdict.exit_code == EXIT_PASS  # the fabricated points are at k=10
    assert not any(c.metric.startswith("recall") for c in verdict.checks)


def test_not_gated_metrics_are_reported_without_failing(tmp_path: Path) -> None:
    policy = parse_policy({"metrics": {"recall": {"max_drop": 0.01, "gate": False}, "recall_ids": None}})
    verdict = gate(tmp_path, POINTS, [POINTS[0].with_(recall=0.5), POINTS[1]], policy)
    assert verdict.exit_code == EXIT_PASS
    assert by_metric(verdict, "p1")["recall"] is Status.REGRESSION
