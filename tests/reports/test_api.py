"""The Python API: DataFrames with one column per parameter, runs from a dict, and the example
notebook executed as a user would run it (a real kernel, a real sweep on 2,000 vectors)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

import vecbench
from vecbench.api import expand_params
from vecbench.errors import VecbenchError

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "python-api.ipynb"


@pytest.fixture(scope="module")
def notebook_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Executes examples/python-api.ipynb (its own asserts run in the kernel) into a temp folder."""
    root = tmp_path_factory.mktemp("notebook")
    out = root / "out"
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    os.environ["VECBENCH_EXAMPLE_OUT"] = str(out)
    try:
        NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(root)}}).execute()
    finally:
        del os.environ["VECBENCH_EXAMPLE_OUT"]
    return out


@pytest.mark.slow  # kept out of the default run for its time; run before resolving
def test_notebook_runs_and_results_have_parameter_columns(notebook_out: Path) -> None:
    frame = vecbench.load_results(notebook_out)
    assert len(frame) == 6 and set(frame["status"]) == {"ok"}
    hnsw = frame[frame["adapter"] == "hnswlib"].sort_values("ef")
    assert hnsw["ef"].tolist() == [10, 20, 40] and str(hnsw["ef"].dtype) == "Int64"
    assert hnsw["M"].tolist() == [8, 8, 8] and hnsw["nprobe"].isna().all()
    ivf = frame[frame["adapter"] == "faiss-ivf"]
    assert sorted(ivf["nprobe"]) == [1, 2, 8] and set(ivf["nlist"]) == {32}
    for _, row in frame.iterrows():  # each column agrees with the JSON it came from
        for name, value in json.loads(row["query_params"]).items():
            assert row[name] == value


def test_load_pipeline(pipeline_results: tuple[Path, str]) -> None:
    out, _ = pipeline_results
    frame = vecbench.load_pipeline(out)
    assert not frame.empty and "stage" in frame.columns
    for column in ("build_params", "query_params"):
        keys = {k for text in frame[column].dropna() for k in json.loads(text or "{}")}
        assert keys and all(k in frame.columns or f"build.{k}" in frame.columns or f"query.{k}" in frame.columns for k in keys)
    with pytest.raises(VecbenchError, match=r"load_results"):
        vecbench.load_pipeline(out.parent / "nothing-here")


def test_wrong_loader_says_which_to_use(pipeline_results: tuple[Path, str]) -> None:
    with pytest.raises(VecbenchError, match=r"use vecbench\.load_pipeline"):
        vecbench.load_results(pipeline_results[0])


def test_clashing_names_are_prefixed() -> None:
    frame = pd.DataFrame(
        {
            "k": [10, 10],
            "build_params": [json.dumps({"seed": 1, "k": 3}), json.dumps({"seed": 2, "k": 3})],
            "query_params": [json.dumps({"seed": 5, "ef": 7}), "{}"],
        }
    )
    out = expand_params(frame)
    assert out["k"].tolist() == [10, 10]  # a result column is never overwritten
    assert out["build.k"].tolist() == [3, 3]
    assert out["build.seed"].tolist() == [1, 2] and out["query.seed"].tolist()[0] == 5  # in both: prefixed
    assert out["ef"].tolist()[0] == 7 and pd.isna(out["ef"].tolist()[1])


def test_run_refuses_what_is_not_a_config(tmp_path: Path) -> None:
    with pytest.raises(VecbenchError, match=r"config path or a dict"):
        vecbench.run(42, out=tmp_path / "x")  # type: ignore[arg-type]
    with pytest.raises(VecbenchError, match=r"indexes"):
        vecbench.run({"name": "x", "dataset": {"name": "synthetic"}}, out=tmp_path / "y")


@pytest.mark.slow  # a pipeline run: about 30 s on 2 cores
def test_run_a_pipeline_dict(tmp_path: Path) -> None:
    from tests.reports.conftest import PIPELINE

    frame = vecbench.run(PIPELINE, out=tmp_path / "p")
    assert not frame.empty and "nprobe" in frame.columns and (tmp_path / "p" / "report.html").is_file()
    again = vecbench.run(PIPELINE, out=tmp_path / "p")  # resumes: nothing measured twice
    assert len(again) == len(frame)
