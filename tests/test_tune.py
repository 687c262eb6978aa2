"""vecbench tune: the search space is the config's grid, sizes parse, queries split disjointly, and
a real tuning run answers with a configuration that meets the constraints, checked on held-out queries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from vecbench.bench.config import parse_config
from vecbench.bench.sweep import expand_grid
from vecbench.cli import main
from vecbench.errors import ConfigError
from vecbench.reports.store import ResultStore
from vecbench.tune.command import parse_bytes
from vecbench.tune.space import SearchSpace
from vecbench.tune.tuner import split_queries

pytest.importorskip("optuna")

CONFIG: dict[str, Any] = {
    "name": "tune-test",
    "dataset": {"name": "synthetic", "n_base": 3000, "n_queries": 200, "seed": 1, "options": {"dim": 16}},
    "k": 10,
    "warmup_queries": 5,
    "indexes": [
        {
            "adapter": "hnswlib",
            "build": {"M": [4, 8], "ef_construction": 40, "build_threads": 1},
            "query": {"ef": [10, 40, 20]},
        },
        {"adapter": "faiss-ivf", "build": {"nlist": 16}, "query": {"nprobe": [1, 4]}},
    ],
}


class FixedTrial:
    """A trial that always proposes the last value of every dimension (Optuna's suggest_* shape)."""

    def suggest_int(self, name: str, low: int, high: int) -> int:
        return high

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return choices[-1]


def test_the_space_is_the_config_grid() -> None:
    space = SearchSpace(parse_config(CONFIG))
    assert space.grid_size() == 2 * 3 + 1 * 2
    candidate = space.propose(FixedTrial())
    assert (candidate.entry, candidate.build, candidate.query) == (1, {"nlist": 16}, {"nprobe": 4})
    hnsw = SearchSpace(parse_config({**CONFIG, "indexes": CONFIG["indexes"][:1]})).propose(FixedTrial())
    assert hnsw.query == {"ef": 40}  # numbers are ordered: the highest index is the largest value
    assert hnsw.query in expand_grid(CONFIG["indexes"][0]["query"])


def test_sizes_and_splits() -> None:
    assert parse_bytes("4GiB") == 4 * 2**30 and parse_bytes("512MB") == 512e6 and parse_bytes("1e9") == 1e9
    with pytest.raises(ConfigError, match="give a size such as 4GiB"):
        parse_bytes("4 parsecs")
    search, held = split_queries(200, 0.5, 0)
    assert len(search) == len(held) == 100 and not set(search) & set(held)
    assert np.array_equal(split_queries(200, 0.5, 0)[1], held)


def test_bad_tune_input_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    assert main(["tune", str(path), "--recall", "1.5", "--budget", "3"]) == 2
    assert main(["tune", str(path), "--recall", "0.9", "--memory", "lots"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors == ["error: --recall must be in (0, 1], got 1.5", "error: --memory 'lots': give a size such as 4GiB, 512MB or 1e9 (bytes)"]


@pytest.mark.slow
def test_tune_answers_with_a_constrained_configuration_checked_on_held_out_queries(tmp_path: Path) -> None:
    config_path = tmp_path / "tune.yaml"
    config_path.write_text(yaml.safe_dump(CONFIG))
    answer = tmp_path / "answer.json"
    code = main(
        [
            "tune",
            str(config_path),
            "--recall",
            "0.9",
            "--budget",
            "8",
            "--out",
            str(tmp_path / "out"),
            "--json",
            str(answer),
        ]
    )
    assert code == 0
    found = json.loads(answer.read_text())
    assert found["evaluations"] == 8 == found["grid_size"]  # the whole grid: the true best is known
    grid = ResultStore(tmp_path / "out" / "search").read()
    assert len(grid) == 8
    passing = grid[(grid["status"] == "ok") & (grid["recall"] >= 0.9)]
    best = passing.loc[pd.to_numeric(passing["qps"]).idxmax()]
    assert found["chosen"]["point_key"] == best["point_key"]
    assert found["search"]["recall"] >= 0.9 and found["held_out_recall"] is not None
    held = ResultStore(tmp_path / "out" / "held-out").read()
    assert list(held["point_key"]) != [best["point_key"]]  # other queries: another dataset, another key
    assert held["n_queries"].iloc[0] == 100 and found["held_out_recall"] == pytest.approx(
        held["recall"].iloc[0]
    )
    assert found["held_out_meets_target"] == (found["held_out_recall"] >= 0.9 - 0.005)
