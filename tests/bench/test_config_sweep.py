"""Config parsing and sweep expansion: grids, defaults, keys, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from vecbench.bench.config import load_config, parse_config
from vecbench.bench.sweep import expand_grid, expand_sweep
from vecbench.errors import ConfigError

ISSUE_SHAPE = """
name: glove-quick
dataset: {name: glove-6b-50, n_base: 100000, n_queries: 1000}
k: 10
indexes:
  - adapter: hnswlib
    build: {M: [16, 32], ef_construction: 200}
    query: {ef: [10, 20, 40, 80, 160]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_issue_config_shape_expands_to_two_builds_of_five_queries(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ISSUE_SHAPE))
    points = expand_sweep(config, "fp")
    assert [p.build_params["M"] for p in points] == [16, 32]
    assert all(p.build_params["ef_construction"] == 200 for p in points)
    assert [q.params["ef"] for q in points[0].query_points] == [10, 20, 40, 80, 160]
    keys = {q.key for p in points for q in p.query_points}
    assert len(keys) == 10
    assert {q.key for q in expand_sweep(config, "other")[0].query_points}.isdisjoint(keys)


def test_path_dataset_form_parses() -> None:
    config = parse_config(
        {
            "name": "x",
            "dataset": {"path": "some.npy", "format": "npy", "metric": "angular", "n_queries": 1000},
            "indexes": [{"adapter": "exact"}],
        }
    )
    assert config.dataset.path == "some.npy"


def test_expand_grid_cartesian() -> None:
    assert expand_grid({"a": [1, 2], "b": 3, "c": ["x", "y"]}) == [
        {"a": 1, "b": 3, "c": "x"},
        {"a": 1, "b": 3, "c": "y"},
        {"a": 2, "b": 3, "c": "x"},
        {"a": 2, "b": 3, "c": "y"},
    ]
    assert expand_grid({}) == [{}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\ndataset: {name: synthetic}\nindexes: [{adapter: hnswlb}]\n",
            "unknown adapter 'hnswlb' (did you mean 'hnswlib'?)",
        ),
        (
            "name: x\ndataset: {name: synthetic}\nindexes: [{adapter: hnswlib, build: {MM: 4}}]\n",
            "unknown parameter 'MM' (did you mean 'M'?)",
        ),
        (
            "name: x\ndataset: {name: synthetic}\nindexes: [{adapter: hnswlib, query: {ef: -3}}]\n",
            "'ef'=-3 is below its minimum",
        ),
        (
            "name: x\ndataset: {name: synthetic}\nindexs: []\n",
            "unknown key 'indexs' (did you mean 'indexes'?)",
        ),
        (
            "name: x\ndataset: {n_base: 5}\nindexes: [{adapter: exact}]\n",
            "give 'name' (a registered dataset)",
        ),
        ("name: x\ndataset: {name: synthetic\nindexes: [\n", "malformed YAML"),
        ("- just\n- a list\n", "top level must be a mapping"),
    ],
)
def test_bad_configs_give_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        config = load_config(write(tmp_path, text))
        expand_sweep(config, "fp")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
