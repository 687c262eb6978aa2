"""The pytest plugin as a user meets it: a separate test suite asserting on its own config."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.gate.fabricate import FakePoint, fabricate
from vecbench.errors import ConfigError
from vecbench.testing.pytest_plugin import experiment_config
from vecbench.testing.results import Results

USER_TESTS = """
from vecbench.testing.results import assert_gate_passes

CONFIG = {
    "name": "user",
    "dataset": {"name": "synthetic", "n_base": 2000, "n_queries": 50, "options": {"dim": 16}},
    "k": 10,
    "warmup_queries": 5,
    "indexes": [{"adapter": "hnswlib", "build": {"M": 8}, "query": {"ef": [10, 40]}}],
}


def test_recall_floor_holds(vecbench_run):
    rows = vecbench_run(CONFIG).assert_metric("recall@10", at_least=0.9, adapter="hnswlib")
    assert len(rows) == 2


def test_recall_floor_breaks(vecbench_run):
    vecbench_run(CONFIG).assert_metric("recall@10", at_least=0.9999, ef=10)


def test_a_config_runs_once_per_session(vecbench_run):
    assert vecbench_run(CONFIG).path == vecbench_run(dict(CONFIG)).path


def test_gate_against_itself(vecbench_run, vecbench_gate):
    results = vecbench_run(CONFIG)
    assert_gate_passes(vecbench_gate(results, results))
"""


def test_users_assert_a_recall_floor_in_their_own_suite(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TESTS))
    kept = tmp_path / "kept"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "vecbench.testing.pytest_plugin",
            "-q",
            "--vecbench-out",
            str(kept),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    out = result.stdout + result.stderr
    assert "1 failed, 3 passed" in out, out
    assert "recall@10 >= 0.9999 fails at 1 of 1 point(s)" in out and "hnswlib M=8" in out and "| ef=10" in out
    assert len([p for p in kept.iterdir() if (p / "results.parquet").is_file()]) == 1


def test_the_plugin_is_declared_as_a_pytest_entry_point() -> None:
    text = (REPO_ROOT / "pyproject.toml").read_text()
    section = text.split("[project.entry-points.pytest11]", 1)[1].split("\n[", 1)[0]
    assert '"vecbench.testing.pytest_plugin" = "vecbench.testing.pytest_plugin"' in section


def test_assert_metric_bounds_and_failed_points(tmp_path: Path) -> None:
    points = [
        FakePoint("a", recall=0.97),
        FakePoint("b", query_params={"ef": 64}, recall=0.99, latency_us=80.0),
        FakePoint("c", label="annoy", status="failed"),
    ]
    results = Results(fabricate(tmp_path / "run", points))
    assert len(results.assert_metric("recall@10", at_least=0.95, adapter="hnswlib")) == 2
    assert len(results.select(ef=64)) == 1
    with pytest.raises(AssertionError, match=r"latency_p50_ms <= 0.05 fails at 1 of 2") as err:
        results.assert_metric("latency_p50_ms", at_most=0.05, label="hnswlib")
    assert "| ef=64" in str(err.value)
    with pytest.raises(AssertionError, match="failed"):
        results.assert_metric("recall", at_least=0.5)
    with pytest.raises(AssertionError, match=r"no point was measured at k=20 \(measured at k=\[10\]\)"):
        results.assert_metric("recall@20", at_least=0.5)


def test_run_overrides_and_relative_paths(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("name: c\ndataset: {name: synthetic}\nindexes: [{adapter: exact}]\n")
    loaded = experiment_config("c.yaml", {"repeats": 3, "k": 5}, root=tmp_path)
    assert (loaded.name, loaded.repeats, loaded.k) == ("c", 3, 5)
    with pytest.raises(ConfigError, match="unknown key 'repeat'"):
        experiment_config(
            {"name": "c", "dataset": {"name": "synthetic"}, "indexes": [{"adapter": "exact"}]},
            {"repeat": 2},
            tmp_path,
        )
