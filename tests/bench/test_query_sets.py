"""``query: [{...}, {...}]``: paired parameter sets beside the grid, on one build."""

from __future__ import annotations

from pathlib import Path

import pytest

import vecbench
from vecbench.bench.config import parse_config
from vecbench.bench.pipeline_config import parse_pipeline_config
from vecbench.bench.sweep import expand_grid, sweep_points
from vecbench.errors import ConfigError

PAIRS = [{"leaves_to_search": 4, "reorder_k": 20}, {"leaves_to_search": 12, "reorder_k": [35, 60]}]


def config(*entries: dict) -> dict:
    return {"name": "pairs", "dataset": {"name": "synthetic", "n_base": 1500, "n_queries": 50}, "indexes": list(entries)}


def test_a_list_is_taken_as_given_and_each_item_may_be_a_grid() -> None:
    assert expand_grid(PAIRS) == [
        {"leaves_to_search": 4, "reorder_k": 20},
        {"leaves_to_search": 12, "reorder_k": 35},
        {"leaves_to_search": 12, "reorder_k": 60},
    ]
    assert expand_grid({"a": [1, 2], "b": [3, 4]}) != expand_grid([{"a": 1, "b": 3}, {"a": 2, "b": 4}])


def test_pairs_and_duplicate_entries_share_one_build() -> None:
    scann = {"adapter": "scann", "build": {"num_leaves": 40}}
    parsed = parse_config(config({**scann, "query": PAIRS}, {**scann, "query": [{"leaves_to_search": 12, "reorder_k": 35}, {"leaves_to_search": 20, "reorder_k": 100}]}))
    points, notes = sweep_points(parsed, "fingerprint")
    assert len(points) == 1, "one index built for every pair"
    assert [(q.params["leaves_to_search"], q.params["reorder_k"]) for q in points[0].query_points] == [
        (4, 20), (12, 35), (12, 60), (20, 100)
    ]
    assert len({q.key for q in points[0].query_points}) == 4
    assert notes == [notes[0]] and "building it once and measuring 1 more query point(s)" in notes[0]


def test_build_sets_too() -> None:
    parsed = parse_config(config({"adapter": "hnswlib", "build": [{"M": 8, "ef_construction": 40}, {"M": 16, "ef_construction": 80}]}))
    points, _ = sweep_points(parsed, "fingerprint")
    assert [(p.build_params["M"], p.build_params["ef_construction"]) for p in points] == [(8, 40), (16, 80)]


def test_pipeline_indexes_take_sets() -> None:
    parsed = parse_pipeline_config(
        {"kind": "pipeline", "name": "p", "log": {"name": "synthetic"}, "retrieval": {"indexes": [{"adapter": "hnswlib", "query": [{"ef": 10}, {"ef": 40}]}]}}
    )
    assert expand_grid(parsed.retrieval.indexes[0].query) == [{"ef": 10}, {"ef": 40}]


@pytest.mark.parametrize(
    ("query", "message"),
    [([], "an empty list names no parameter set"), ([{"ef": 10}, 5], "item 2 is 5, not a mapping")],
)
def test_bad_sets(query: list, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(config({"adapter": "hnswlib", "query": query}))


@pytest.mark.slow
def test_scann_pairs_end_to_end(tmp_path: Path) -> None:
    frame = vecbench.run(config({"adapter": "scann", "build": {"num_leaves": 40}, "query": PAIRS}), out=tmp_path / "o", report=False)
    assert set(frame["status"]) == {"ok"} and frame["build_key"].nunique() == 1
    assert sorted(zip(frame["leaves_to_search"], frame["reorder_k"], strict=True)) == [(4, 20), (12, 35), (12, 60)]
