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


def test_a_duplicate_key_is_one_line_naming_it_and_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: t\nk: 10\ndataset: {name: synthetic}\nk: 20\nindexes: [{adapter: exact}]\n")
    with pytest.raises(ConfigError, match=r"duplicate key 'k' in config .*dup\.yaml at line 4 \(first at line 2\)") as info:
        load_config(path)
    assert "\n" not in str(info.value)


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    from vecbench.core.config import parse_yaml

    assert parse_yaml("base: &b {M: 8, ef: 10}\nuse: {<<: *b, ef: 20}\n")["use"] == {"M": 8, "ef": 20}


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    from vecbench.core.config import parse_yaml

    levels = ['a0: &a0 ["xxxxxxxxxx", "xxxxxxxxxx", "xxxxxxxxxx"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]  # 9^11 * 3 strings
    with pytest.raises(ConfigError, match=r"expands to more than 100,000 YAML nodes") as info:
        parse_yaml("\n".join(levels))
    assert len(str(info.value)) < 300
    assert parse_yaml("\n".join(levels[:4]))["a3"][0][0][0] == ["xxxxxxxxxx"] * 3  # 2,200 nodes: fine


def test_an_oversized_config_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("name: t\n# " + "x" * (1 << 20) + "\n")
    with pytest.raises(ConfigError, match=r"big\.yaml is larger than 1 MiB"):
        load_config(path)


def test_echoed_values_are_cut_and_messages_are_one_printable_line() -> None:
    from vecbench.core.config import one_line, shown

    assert len(shown("x" * 1_000_000)) <= 80
    assert len(shown([list(range(1000))] * 1000)) <= 80
    assert shown("a\x1b[2Jb") == "'a\\x1b[2Jb'"
    assert one_line("a\nb\x1b[31m c") == "a b [31m c"
    cut = one_line("start " + "y" * 5000 + " the fix", limit=200)
    assert len(cut) < 260 and cut.startswith("start") and cut.endswith("the fix") and "characters cut" in cut
    from vecbench.indexes.base import ParamSpec

    with pytest.raises(ConfigError, match=r"parameter 'M' must be an integer, got 'x+\.\.\.x+'$") as info:
        ParamSpec(int, 8, "links per node").coerce("hnswlib", "M", "x" * 100_000)
    assert len(str(info.value)) < 200
