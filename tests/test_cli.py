"""The CLI: help on every command, and one-line errors with exit code 2 for each kind of bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from tests.conftest import REPO_ROOT
from vecbench.cli import main


def vecbench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vecbench.cli", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["run"],
        ["datasets"],
        ["datasets", "list"],
        ["datasets", "info"],
        ["results"],
        ["results", "show"],
        ["report"],
        ["mlflow"],
        ["mlflow", "sync"],
    ],
)
def test_every_command_has_help(args: list[str]) -> None:
    result = vecbench(*args, "--help")
    assert result.returncode == 0 and "usage: vecbench" in result.stdout


def test_datasets_list_and_info(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "list"]) == 0
    listed = capsys.readouterr().out
    assert "glove-6b-50" in listed and "synthetic" in listed
    assert main(["datasets", "info", "glove-6b-50"]) == 0
    assert "angular" in capsys.readouterr().out


def npy_dataset(directory: Path, base: np.ndarray, queries: np.ndarray | None = None) -> dict[str, Any]:
    directory.mkdir()
    np.save(directory / "base.npy", base)
    spec: dict[str, Any] = {
        "path": str(directory / "base.npy"),
        "format": "npy",
        "metric": "euclidean",
        "n_queries": 5,
    }
    if queries is not None:
        np.save(directory / "queries.npy", queries)
        spec["queries_path"] = str(directory / "queries.npy")
    return spec


GOOD = np.random.default_rng(0).normal(size=(200, 8)).astype(np.float32)
SYNTH = {"name": "synthetic", "n_base": 500, "n_queries": 10, "options": {"dim": 8}}


def bad_cases(tmp_path: Path) -> dict[str, tuple[Any, str]]:
    nan = GOOD.copy()
    nan[3, 1] = np.nan
    inf = GOOD.copy()
    inf[5, 0] = np.inf
    garbage = tmp_path / "garbage.npy"
    garbage.write_bytes(b"not a numpy file at all")
    return {
        "unknown adapter": ({"dataset": SYNTH, "indexes": [{"adapter": "hnswlb"}]}, "did you mean 'hnswlib'"),
        "unknown parameter": (
            {"dataset": SYNTH, "indexes": [{"adapter": "faiss-hnsw", "build": {"m": 8}}]},
            "did you mean 'M'",
        ),
        "rejected value": (
            {"dataset": SYNTH, "indexes": [{"adapter": "faiss-ivfpq", "build": {"nlist": 4, "m": 3}}]},
            "m",
        ),
        "dimension mismatch": (
            {"dataset": npy_dataset(tmp_path / "dim", GOOD, GOOD[:5, :4]), "indexes": [{"adapter": "exact"}]},
            "dimension",
        ),
        "nan": ({"dataset": npy_dataset(tmp_path / "nan", nan), "indexes": [{"adapter": "exact"}]}, "NaN"),
        "inf": (
            {"dataset": npy_dataset(tmp_path / "inf", inf), "indexes": [{"adapter": "exact"}]},
            "infinite",
        ),
        "empty": (
            {"dataset": npy_dataset(tmp_path / "empty", GOOD[:0]), "indexes": [{"adapter": "exact"}]},
            "empty",
        ),
        "k too large": (
            {"dataset": SYNTH, "k": 1000, "indexes": [{"adapter": "exact"}]},
            "larger than the base set",
        ),
        "missing file": (
            {
                "dataset": {"path": str(tmp_path / "absent.npy"), "format": "npy"},
                "indexes": [{"adapter": "exact"}],
            },
            "absent.npy",
        ),
        "unreadable file": (
            {"dataset": {"path": str(garbage), "format": "npy"}, "indexes": [{"adapter": "exact"}]},
            "garbage.npy",
        ),
        "unknown metric": (
            {"dataset": {**SYNTH, "metric": "manhatan"}, "indexes": [{"adapter": "exact"}]},
            "unknown metric 'manhatan'",
        ),
        "unsupported metric": (
            {
                "dataset": {**SYNTH, "metric": "angular"},
                "indexes": [{"adapter": "tests.helpers:EuclideanOnlyAdapter"}],
            },
            "does not support metric 'angular'",
        ),
    }


CASE_NAMES = [
    "unknown adapter",
    "unknown parameter",
    "rejected value",
    "dimension mismatch",
    "nan",
    "inf",
    "empty",
    "k too large",
    "missing file",
    "unreadable file",
    "unknown metric",
    "unsupported metric",
]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    body, fragment = bad_cases(tmp_path)[case]
    config = {"name": "bad", **body}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = vecbench("run", str(path), "--out", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_malformed_yaml_and_missing_config(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nindexes: [\n")
    result = vecbench("run", str(path))
    assert result.returncode == 2 and "malformed YAML" in result.stderr and "Traceback" not in result.stderr
    result = vecbench("run", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "config file not found" in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = vecbench("--debug", "run", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "Traceback" in result.stderr


def test_results_show_on_missing_dir(tmp_path: Path) -> None:
    result = vecbench("results", "show", str(tmp_path))
    assert result.returncode == 2 and "no results in" in result.stderr
