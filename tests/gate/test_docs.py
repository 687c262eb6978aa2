"""The gate commands shown in the README, .ci/run and the example workflow parse as written."""

from __future__ import annotations

import shlex

import pytest
import yaml

from tests.conftest import REPO_ROOT
from vecbench.cli import build_parser


def commands(text: str) -> list[list[str]]:
    """Every command line starting 'vecbench gate|baseline' or 'python -m vecbench.cli gate|baseline'."""
    found = []
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        for prefix in ("vecbench ", "python -m vecbench.cli "):
            if line.startswith(prefix):
                args = shlex.split(line[len(prefix) :].split("  #")[0])
                if args[0] in {"gate", "baseline"}:
                    found.append([a.strip("[]") for a in args if a not in {">", "/dev/null"}])
    return found


def workflow_text() -> str:
    steps = yaml.safe_load((REPO_ROOT / "docs" / "ci" / "github-actions-gate.yml").read_text())["jobs"][
        "gate"
    ]["steps"]
    return "\n".join(step.get("run", "") for step in steps)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param((REPO_ROOT / "README.md").read_text(), id="README"),
        pytest.param((REPO_ROOT / ".ci" / "run").read_text(), id="ci-run"),
        pytest.param(workflow_text(), id="workflow"),
    ],
)
def test_documented_gate_commands_parse(text: str) -> None:
    found = commands(text)
    assert any(args[0] == "gate" for args in found)
    parser = build_parser()
    for args in found:
        parser.parse_args([a.replace("$", "") for a in args])


def test_ci_runs_the_readme_test_command_first() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    command = 'python -m pip install -e ".[test]" && python -m pytest'
    first = next(line for line in ci.splitlines() if line.startswith("python"))
    assert first == command and command in (REPO_ROOT / "README.md").read_text()
