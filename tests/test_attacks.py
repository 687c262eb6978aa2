"""Every hostile case of ``vecbench.testing.attacks`` holds: one line and exit 2 for bad input,
failed rows for a misbehaving library, nothing lost or clobbered (issue 18's attack table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vecbench.testing.attacks import ATTACKS, Attack


@pytest.mark.parametrize(
    "case",
    [pytest.param(a, id=a.name, marks=[pytest.mark.slow] if a.slow else []) for a in ATTACKS],
)
def test_attack_holds(case: Attack, tmp_path: Path) -> None:
    outcome = case.run(tmp_path)
    if outcome.skipped:  # the case needs what this machine lacks (a tmpfs mount)
        pytest.skip(outcome.detail)
    assert outcome.rows_lost == 0, outcome.detail
    assert outcome.held, outcome.detail
