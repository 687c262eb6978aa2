"""One-line config errors: an unknown key anywhere in a config names the closest key of its own
section (inside lists, optional sections and mappings of rules too), and bad YAML gives a line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vecbench.bench.config import load_config, parse_config
from vecbench.bench.pipeline_config import load_pipeline_config, parse_pipeline_config
from vecbench.errors import ConfigError
from vecbench.gate.policy import parse_policy

SWEEP: dict[str, Any] = {"name": "t", "dataset": {"name": "synthetic"}, "indexes": [{"adapter": "exact"}]}
PIPELINE: dict[str, Any] = {"kind": "pipeline", "name": "p", "log": {"name": "synthetic"}}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"indexes": [{"adapter": "hnswlib", "bild": {}}]}, r"unknown key 'indexes\.0\.bild' \(did you mean 'build'\?\)"),
        ({"dataset": {"name": "synthetic", "attributes": {"fromat": "csv"}}}, r"'dataset\.attributes\.fromat' \(did you mean 'format'\?\)"),
        ({"filters": [{"pass_rat": 0.1}]}, r"'filters\.0\.pass_rat' \(did you mean 'pass_rate'\?\)"),
        ({"k": "ten"}, r"k: Input should be a valid integer"),
    ],
)
def test_sweep_config_errors_name_the_closest_key_of_their_section(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_config({**SWEEP, **change})
    assert "\n" not in str(info.value)


def test_pipeline_and_policy_errors_look_the_same() -> None:
    with pytest.raises(ConfigError, match=r"'retrieval\.indexes\.0\.strategy' \(did you mean 'strategies'\?\)"):
        parse_pipeline_config({**PIPELINE, "retrieval": {"indexes": [{"adapter": "hnswlib", "strategy": ["pre"]}]}})
    with pytest.raises(ConfigError, match=r"missing required key 'log'"):
        parse_pipeline_config({"kind": "pipeline", "name": "p"})
    with pytest.raises(ConfigError, match=r"'metrics\.recall@10\.max_dropp' \(did you mean 'max_drop'\?\)"):
        parse_policy({"metrics": {"recall@10": {"max_dropp": 0.01}}})
    with pytest.raises(ConfigError, match=r"unknown key 'confidance' \(did you mean 'confidence'\?\)"):
        parse_policy({"confidance": 0.9})


def test_malformed_yaml_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: pipeline\nname: [unclosed\n")
    for load in (load_config, load_pipeline_config):
        with pytest.raises(ConfigError, match=r"malformed YAML in .*bad\.yaml at line \d+, column \d+") as info:
            load(bad)
        assert "\n" not in str(info.value)
