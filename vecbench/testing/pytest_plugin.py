"""pytest plugin: run vecbench experiments in a test suite and assert on their results.

Installed with vecbench (entry point ``pytest11``), it gives every test suite two fixtures:

``vecbench_run(config, **overrides) -> Results``
    Runs a config (a YAML path or a mapping) once per session, however many tests ask for it,
    and returns its ``Results`` (``vecbench.testing.results``)::

        def test_recall_floor(vecbench_run):
            vecbench_run("configs/my-index.yaml").assert_metric("recall@10", at_least=0.95)

``vecbench_gate(baseline, current, policy=None) -> Verdict``
    The regression gate as a function; ``assert_gate_passes(verdict)`` fails with its table.

``--vecbench-out DIR`` keeps the outputs (one folder per config) instead of a temporary directory,
for example to save one as a baseline afterwards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from vecbench.bench.config import ExperimentConfig
    from vecbench.gate.verdict import Verdict
    from vecbench.testing.results import Results


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vecbench")
    group.addoption(
        "--vecbench-out",
        metavar="DIR",
        default=None,
        help="keep vecbench_run outputs in DIR/<config name>-<digest> (default: a temporary directory)",
    )


def _resolve(path: str | Path, root: Path) -> Path:
    """A relative config path from the current directory, else from pytest's rootdir."""
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    return root / candidate


def experiment_config(
    config: str | Path | Mapping[str, Any], overrides: Mapping[str, Any], root: Path
) -> ExperimentConfig:
    """A YAML path (from the current directory, else ``root``) or a mapping, with keyword overrides."""
    from vecbench.bench.config import load_config, parse_config

    if isinstance(config, Mapping):
        loaded = parse_config(dict(config))
    else:
        loaded = load_config(_resolve(config, root))
    if overrides:
        loaded = parse_config({**loaded.model_dump(mode="json", exclude_none=True), **overrides})
    return loaded


@pytest.fixture(scope="session")
def vecbench_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Results]:
    """Run a config (path or mapping, with keyword overrides such as ``repeats=1``), once per session."""
    from vecbench.bench.runner import Runner
    from vecbench.testing.results import Results

    keep = request.config.getoption("--vecbench-out")
    base = Path(keep) if keep else tmp_path_factory.mktemp("vecbench")
    done: dict[str, Results] = {}

    def run(config: str | Path | Mapping[str, Any], **overrides: Any) -> Results:
        loaded = experiment_config(config, overrides, request.config.rootpath)
        text = json.dumps(loaded.model_dump(mode="json"), sort_keys=True)
        if text not in done:
            out = base / f"{loaded.name}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
            Runner(loaded, out, progress=False).run()
            done[text] = Results(out)
        return done[text]

    return run


@pytest.fixture(scope="session")
def vecbench_gate(request: pytest.FixtureRequest) -> Callable[..., Verdict]:
    """Compare a result set with a baseline; ``policy`` is a YAML path, a mapping or None (defaults)."""
    from vecbench.gate.policy import load_policy, parse_policy
    from vecbench.gate.verdict import run_gate
    from vecbench.testing.results import Results

    root = request.config.rootpath

    def gate(
        baseline: str | Path | Results,
        current: str | Path | Results,
        policy: str | Path | Mapping[str, Any] | None = None,
    ) -> Verdict:
        def where(side: str | Path | Results) -> Path:
            return side.path if isinstance(side, Results) else _resolve(side, root)

        rules = (
            parse_policy(dict(policy))
            if isinstance(policy, Mapping)
            else load_policy(None if policy is None else _resolve(policy, root))
        )
        return run_gate(where(baseline), where(current), rules)

    return gate
