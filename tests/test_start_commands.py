"""Getting started: ``vecbench init`` writes a config that loads, ``vecbench schema`` matches the
published schema and accepts every shipped config, ``vecbench completion`` completes in real bash."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml

from vecbench import __version__
from vecbench.bench.config import load_config
from vecbench.cli import build_parser, main
from vecbench.datasets import load_dataset
from vecbench.starter.completion import completion_script
from vecbench.starter.schema import config_schema, schema_text

ROOT = Path(__file__).resolve().parents[1]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"vecbench {__version__}"
    project = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{__version__}"' in project
    assert 'license = { text = "Apache-2.0" }' in project
    assert "Apache License\n                        Version 2.0" in (ROOT / "LICENSE").read_text()


@pytest.mark.parametrize(("unit", "metric"), [(True, "angular"), (False, "euclidean")])
def test_init_writes_a_config_that_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], unit: bool, metric: str
) -> None:
    rows = np.random.default_rng(1).normal(size=(3000, 24)).astype(np.float32)
    if unit:
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    np.save(tmp_path / "my vectors.npy", rows)
    monkeypatch.chdir(tmp_path)
    assert main(["init", "my vectors.npy"]) == 0
    assert f"metric {metric}" in capsys.readouterr().out
    config = load_config(tmp_path / "my vectors.yaml")
    assert config.name == "my-vectors" and config.dataset.metric == metric
    assert [entry.adapter for entry in config.indexes] == ["exact", "hnswlib", "faiss-ivf"]
    dataset = load_dataset(config.dataset)
    assert dataset.n_base == 2700 and dataset.queries.shape == (300, 24)
    nlist = config.indexes[2].build["nlist"]
    assert nlist == round(4 * np.sqrt(2700)) and max(config.indexes[2].query["nprobe"]) < nlist
    assert main(["init", "my vectors.npy"]) == 2  # never overwrites without --force
    assert "add --force" in capsys.readouterr().err
    assert main(["init", "my vectors.npy", "--force", "-o", "b.yaml", "--name", "b"]) == 0
    assert load_config(tmp_path / "b.yaml").name == "b"


def test_init_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "none.npy"), "-o", str(tmp_path / "x.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err
    np.save(tmp_path / "tiny.npy", np.ones((3, 4), dtype=np.float32))
    assert main(["init", str(tmp_path / "tiny.npy"), "-o", str(tmp_path / "x.yaml")]) == 2
    assert "at least 20" in capsys.readouterr().err and not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("kind", ["experiment", "pipeline"])
def test_published_schema_is_current_and_accepts_every_shipped_config(kind: str) -> None:
    published = ROOT / "docs" / "schema" / f"{kind}.schema.json"
    assert published.read_text() == schema_text(kind), "regenerate: vecbench schema --kind KIND -o " + str(published)
    schema = config_schema(kind)
    configs = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "configs").glob("*.yaml"))]
    mine = [c for c in configs if "indexes" in c] if kind == "experiment" else [c for c in configs if c.get("kind") == "pipeline"]
    assert mine
    for config in mine:
        jsonschema.validate(config, schema)
    with pytest.raises(jsonschema.ValidationError, match="inedxes"):
        jsonschema.validate({**mine[0], "inedxes": []}, schema)


def test_schema_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "vecbench experiment config"


def complete(script: Path, line: str) -> list[str]:
    """What bash offers after typing ``line`` (words split on spaces, the last one being completed)."""
    words = line.split(" ")
    program = (
        f"source {script}; COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; "
        '_vecbench_complete; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True, timeout=30)
    return [w for w in done.stdout.split("\n") if w]


def test_bash_completion(tmp_path: Path) -> None:
    script = tmp_path / "vecbench.bash"
    script.write_text(completion_script(build_parser(), "bash"))
    assert complete(script, "vecbench r") == ["report", "results", "run"]
    assert complete(script, "vecbench datasets f") == ["fetch"]
    assert complete(script, "vecbench run --no-") == ["--no-mlflow", "--no-progress"]
    assert complete(script, "vecbench --debug gate --al") == ["--all"]
    assert complete(script, "vecbench completion z") == ["zsh"]
    assert complete(script, "vecbench run x") == []  # a file name: bash's default completion
    assert "bashcompinit" in completion_script(build_parser(), "zsh")
