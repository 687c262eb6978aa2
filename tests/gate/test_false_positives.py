"""No false alarms: unchanged reruns of the CI gate's config against its committed baseline pass.

Slow (five full runs of configs/ci-gate.yaml, about two minutes); run with ``-m slow``.
``benchmarks/gate_false_positives.py`` runs more reruns and prints the rate and the margins.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from vecbench.bench.config import load_config
from vecbench.bench.runner import Runner
from vecbench.gate.policy import load_policy
from vecbench.gate.render import format_terminal
from vecbench.gate.verdict import EXIT_PASS, run_gate

CONFIG = REPO_ROOT / "configs" / "ci-gate.yaml"
BASELINE = REPO_ROOT / "benchmarks" / "baselines" / "ci-gate"
POLICY = REPO_ROOT / "configs" / "gate.yaml"


@pytest.mark.slow
def test_five_unchanged_reruns_pass_the_gate(tmp_path: Path) -> None:
    failures = []
    for rerun in range(5):
        out = tmp_path / f"rerun-{rerun}"
        Runner(load_config(CONFIG), out, progress=False).run()
        verdict = run_gate(BASELINE, out, load_policy(POLICY))
        if verdict.exit_code != EXIT_PASS:
            failures.append(format_terminal(verdict))
    assert not failures, "\n\n".join(failures)
