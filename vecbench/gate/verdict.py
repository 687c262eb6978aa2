"""The gate's verdict: pass (exit 0), regression (exit 1), error (exit 2) or inconclusive (exit 3:
a speed check failed while one side's machine was busy), with every check behind it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vecbench.errors import VecbenchError
from vecbench.gate.checks import Check, Status
from vecbench.gate.compare import Comparator
from vecbench.gate.pipeline import PipelineComparator
from vecbench.gate.policy import GatePolicy
from vecbench.gate.resultset import PIPELINE, ResultSet, open_result_set

EXIT_PASS, EXIT_REGRESSION, EXIT_ERROR, EXIT_INCONCLUSIVE = 0, 1, 2, 3
ENVIRONMENT_KEYS = ("hostname", "cpu_model", "cpu_count", "git_commit", "recorded_at", "libraries")


@dataclass(frozen=True)
class Verdict:
    baseline: str
    current: str
    policy: GatePolicy
    checks: list[Check] = field(default_factory=list)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    normalization: str = ""
    error: str | None = None

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return EXIT_ERROR
        if any(check.fails for check in self.checks):
            return EXIT_REGRESSION
        return EXIT_INCONCLUSIVE if any(check.inconclusive for check in self.checks) else EXIT_PASS

    @property
    def outcome(self) -> str:
        return {
            EXIT_PASS: "pass",
            EXIT_REGRESSION: "regression",
            EXIT_ERROR: "error",
            EXIT_INCONCLUSIVE: "inconclusive",
        }[self.exit_code]

    def failures(self) -> list[Check]:
        return [check for check in self.checks if check.fails]

    def counts(self) -> dict[str, int]:
        return dict(Counter(check.status.value for check in self.checks))

    def points_compared(self) -> int:
        return len({c.point.key for c in self.checks if c.status not in (Status.NEW, Status.MISSING)})

    def to_dict(self) -> dict[str, Any]:
        """The JSON verdict: outcome, exit code, counts, the policy and every check."""
        return {
            "verdict": self.outcome,
            "exit_code": self.exit_code,
            "error": self.error,
            "baseline": self.baseline,
            "current": self.current,
            "points_compared": self.points_compared(),
            "counts": self.counts(),
            "failures": len(self.failures()),
            "policy": self.policy.model_dump(mode="json"),
            "environments": self.environments,
            "normalization": self.normalization,
            "checks": [check.to_dict() for check in self.checks],
        }


def environment_summary(result: ResultSet) -> dict[str, Any]:
    """The machine facts a reader needs to judge a cross-machine comparison."""
    env = result.environment
    summary = {key: env.get(key) for key in ENVIRONMENT_KEYS}
    summary["calibration_ms"] = (env.get("calibration") or {}).get("median_ms")
    return summary


def run_gate(
    baseline: str | Path, current: str | Path, policy: GatePolicy, baseline_label: str | None = None
) -> Verdict:
    """Compare ``current`` against ``baseline``; input problems become an error verdict, not a raise.

    ``baseline_label`` names the baseline in the verdict when ``baseline`` is a temporary copy
    (e.g. ``mlflow:<run_id>``)."""
    label = baseline_label or str(baseline)
    try:
        base = open_result_set(baseline, "baseline")
        cur = open_result_set(current, "current results")
        if base.kind != cur.kind:
            raise VecbenchError(
                f"the baseline holds {base.kind} results and the current results {cur.kind} results; "
                "compare runs of the same config"
            )
        comparator: Comparator | PipelineComparator = (
            PipelineComparator(base, cur, policy) if base.kind == PIPELINE else Comparator(base, cur, policy)
        )
        checks = comparator.checks()
    except VecbenchError as exc:
        return Verdict(label, str(current), policy, error=str(exc))
    environments = {"baseline": environment_summary(base), "current": environment_summary(cur)}
    return Verdict(label, str(current), policy, checks, environments, comparator.normalization)
