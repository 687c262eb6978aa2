"""Runbooks in big-ann's schema: the real files parse, scale and validate; bad ones are one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vecbench.errors import ConfigError
from vecbench.streaming.runbook import LiveState, live_counts, load_runbook

REAL = [
    ("simple_runbook.yaml", "random-xs"),
    ("simple_replace_runbook.yaml", "random-xs"),
    ("clustered_runbook.yaml", "random-xs-clustered"),
    ("delete_runbook.yaml", "random-xs-clustered"),
    ("random_replace_runbook.yaml", "msturing-10M-clustered"),
    ("msturing-10M_slidingwindow_runbook.yaml", "msturing-10M"),
    ("wikipedia-1M_expiration_time_runbook.yaml", "wikipedia-1M"),
    ("final_runbook.yaml", "msturing-30M-clustered"),
]


@pytest.mark.parametrize(("name", "key"), REAL)
def test_every_real_runbook_parses_and_scales_onto_10k(runbooks: Path, name: str, key: str) -> None:
    raw = yaml.load((runbooks / name).read_text(), Loader=yaml.CSafeLoader)[key]
    runbook = load_runbook(runbooks / name, key, 10_000, scale="fit")
    assert len(runbook.steps) == sum(isinstance(k, int) for k in raw)
    assert runbook.n_ids <= 10_000
    assert [s.operation for s in runbook.steps] == [
        raw[i]["operation"] for i in range(1, len(raw) + 1) if i in raw
    ]
    assert max(live_counts(runbook)) <= runbook.max_pts * 1.01 + 1


def test_simple_runbook_unscaled_steps(runbooks: Path) -> None:
    runbook = load_runbook(runbooks / "simple_runbook.yaml", "random-xs", 10_000)
    assert runbook.scale == 1.0 and runbook.max_pts == 10_000
    assert [(s.operation, s.start, s.end) for s in runbook.steps if s.operation != "search"] == [
        ("insert", 0, 10_000),
        ("delete", 0, 5000),
        ("insert", 0, 5000),
    ]
    assert live_counts(runbook) == [10_000, 10_000, 5000, 5000, 10_000, 10_000]


def test_replace_keeps_tags_and_moves_rows(runbooks: Path) -> None:
    runbook = load_runbook(runbooks / "simple_replace_runbook.yaml", "random-xs", 10_000)
    state = LiveState(runbook.n_ids)
    for step in runbook.steps[:3]:
        state.apply(step)
    assert state.live == 7500
    assert state.row_of_tag[0] == 7500 and state.row_of_tag[2499] == 9999 and state.row_of_tag[2500] == 2500


def test_max_pts_maps_a_10m_runbook_onto_100k(runbooks: Path) -> None:
    runbook = load_runbook(runbooks / "simple_runbook.yaml", "msturing-10M", 100_000, max_pts=100_000)
    assert runbook.scale == pytest.approx(0.01) and runbook.n_ids == 100_000
    assert [(s.start, s.end) for s in runbook.steps if s.operation == "delete"] == [(0, 50_000)]


def write(tmp_path: Path, steps: dict[int, dict[str, object]], max_pts: int = 100) -> Path:
    path = tmp_path / "rb.yaml"
    path.write_text(yaml.safe_dump({"t": {"max_pts": max_pts, **steps}}))
    return path


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            {1: {"operation": "insert", "start": 0, "end": 50}, 2: {"operation": "serach"}},
            "unknown operation 'serach'",
        ),
        (
            {1: {"operation": "insert", "start": 0, "end": 500}},
            "uses vector ids up to 500 but the dataset has 100",
        ),
        (
            {
                1: {"operation": "insert", "start": 0, "end": 50},
                2: {"operation": "delete", "start": 40, "end": 60},
            },
            "deletes ids 40..60 but 50 is not live",
        ),
        (
            {
                1: {"operation": "insert", "start": 0, "end": 50},
                2: {"operation": "replace", "tags_start": 60, "tags_end": 70, "ids_start": 0, "ids_end": 10},
            },
            "replaces tags 60..70 but 60 is not live",
        ),
        (
            {
                1: {"operation": "insert", "start": 0, "end": 50},
                2: {"operation": "insert", "start": 10, "end": 20},
            },
            "id 10 is live already",
        ),
        ({1: {"operation": "search"}}, "nothing is live yet"),
        ({1: {"operation": "insert", "start": 0}}, "insert needs end"),
        ({1: {"operation": "insert", "start": 0, "end": 5}, 3: {"operation": "search"}}, "missing [2]"),
    ],
)
def test_bad_runbooks_are_one_line_errors(
    tmp_path: Path, steps: dict[int, dict[str, object]], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_runbook(write(tmp_path, steps), "t", 100)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_unknown_key_and_missing_file_name_the_choices(tmp_path: Path) -> None:
    path = write(tmp_path, {1: {"operation": "insert", "start": 0, "end": 5}})
    with pytest.raises(ConfigError, match="has no key 'x'; it has: t"):
        load_runbook(path, "x", 100)
    with pytest.raises(ConfigError, match="not found"):
        load_runbook(tmp_path / "nope.yaml", "t", 100)
