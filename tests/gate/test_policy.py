"""Gate policies: defaults from the metric catalog, merging, and one-line errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from vecbench.errors import ConfigError
from vecbench.gate.policy import GatePolicy, load_policy, parse_policy
from vecbench.metrics.catalog import METRICS, MetricKind


def test_defaults_gate_every_quality_metric_by_absolute_drop() -> None:
    rules = GatePolicy().metrics
    quality = [name for name, info in METRICS.items() if info.kind is MetricKind.QUALITY]
    assert quality and all(rules[name] is not None and not rules[name].relative for name in quality)  # type: ignore[union-attr]
    for name in ("cpu_ms_per_query", "latency_p50_ms", "index_bytes", "rss_peak_bytes"):
        rule = rules[name]
        assert rule is not None and rule.relative and rule.gate


def test_a_policy_file_merges_over_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "gate.yaml"
    path.write_text(
        "normalize: always\nmetrics:\n  qps: {max_change: 0.1}\n  recall_ids: null\n  recall@10: {max_drop: 0}\n"
    )
    policy = load_policy(path)
    assert policy.normalize == "always"
    assert policy.metrics["qps"] is not None and policy.metrics["qps"].limit == 0.1
    assert policy.metrics["recall_ids"] is None
    assert "latency_p50_ms" in policy.metrics  # untouched defaults stay
    specs = [spec for spec, _, _, _ in policy.rules()]
    assert "recall@10" in specs and "recall_ids" not in specs
    assert next(k for spec, _, k, _ in policy.rules() if spec == "recall@10") == 10


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"metrics": {"recal": {"max_drop": 0.1}}}, "did you mean 'recall'"),
        ({"metrics": {"qps": {"max_drop": 0.1, "max_change": 0.1}}}, "exactly one of max_drop"),
        ({"metrics": {"qps": {"max_chnage": 0.1}}}, "did you mean 'max_change'"),
        ({"metrics": {"qps": {"max_change": -1}}}, "greater than or equal to 0"),
        ({"confidnce": 0.9}, "did you mean 'confidence'"),
        ({"normalize": "sometimes"}, "normalize"),
        ({"confidence": 1.5}, "confidence"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_bad_policies_give_one_line_errors(data: object, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_policy(data, source="gate.yaml")
    text = str(err.value)
    assert message in text and "\n" not in text and text.startswith("gate.yaml")


def test_policy_file_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="policy file not found"):
        load_policy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("metrics: [qps\n")
    with pytest.raises(ConfigError, match=r"malformed YAML in policy .* at line 2") as err:
        load_policy(bad)
    assert "\n" not in str(err.value)


def test_the_documented_policy_file_is_the_defaults() -> None:
    assert load_policy(REPO_ROOT / "configs" / "gate.yaml") == GatePolicy()
