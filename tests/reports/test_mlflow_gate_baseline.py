"""A gate baseline kept in MLflow: logged as ``baseline/`` on the parent run by ``vecbench run`` and
``vecbench mlflow sync``, read back by ``vecbench gate --baseline mlflow:<run_id>``.

Real runs, a real embedded store and a real tracking server; the regression is lowered query
effort injected with ``VECBENCH_DRIFT`` (the config, and so every point key, stays the same).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from mlflow import MlflowClient

from tests.reports.mlflow_server import MlflowServer, free_port
from vecbench.cli import main
from vecbench.gate.resultset import SavedBaseline, open_result_set
from vecbench.reports.mlflow_sync import local_store_uri, sync_result_set
from vecbench.reports.store import ResultStore
from vecbench.testing.drift import ENV_VAR

CONFIG: dict[str, Any] = {
    "name": "mlflow-baseline",
    "dataset": {"name": "synthetic", "n_base": 2000, "n_queries": 100, "seed": 4, "options": {"dim": 16}},
    "k": 10,
    "warmup_queries": 10,
    "indexes": [
        {
            "adapter": "vecbench.testing.drift:DriftingAdapter",
            "build": {"M": 8, "ef_construction": 64, "build_threads": 1},
            "query": {"ef": [16, 48]},
        }
    ],
}
RUN_LINE = re.compile(r"parent run ([0-9a-f]{32}) \(gate against it: vecbench gate --baseline mlflow:\1 ")


def run(
    tmp: Path, name: str, capsys: pytest.CaptureFixture[str], *extra: str, drift: str = ""
) -> tuple[Path, str]:
    """``vecbench run`` of CONFIG into tmp/name; what it printed."""
    config = tmp / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, drift)  # spawned workers inherit it
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        assert main(["run", str(config), "--out", str(tmp / name), "--no-progress", *extra]) == 0
    return tmp / name, capsys.readouterr().out


def gate(baseline: str, current: Path, uri: str, tmp: Path) -> tuple[int, dict[str, Any]]:
    verdict = tmp / "verdict.json"
    verdict.unlink(missing_ok=True)
    code = main(
        [
            "gate",
            "--baseline",
            baseline,
            "--current",
            str(current),
            "--tracking-uri",
            uri,
            "--json",
            str(verdict),
        ]
    )
    return code, json.loads(verdict.read_text()) if verdict.is_file() else {}


def test_gate_against_a_baseline_logged_by_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, printed = run(tmp_path, "base", capsys)
    found = RUN_LINE.search(printed)
    assert found is not None, printed
    run_id, uri = found.group(1), local_store_uri(base)
    client = MlflowClient(uri)
    stored = {a.path for a in client.list_artifacts(run_id, "baseline")}
    assert {"baseline/baseline.json", "baseline/results.parquet", "baseline/samples"} <= stored

    # the run it was made from passes, every point compared; the downloaded copy is a real baseline
    code, verdict = gate(f"mlflow:{run_id}", base, uri, tmp_path)
    assert code == 0 and verdict["baseline"] == f"mlflow:{run_id}"
    assert verdict["points_compared"] == len(ResultStore(base).read()) == 2
    assert (
        main(["baseline", "save", f"mlflow:{run_id}", "--tracking-uri", uri, "--to", str(tmp_path / "copy")])
        == 0
    )
    copy = open_result_set(tmp_path / "copy", "baseline")
    assert isinstance(copy, SavedBaseline) and all(
        copy.samples(row) is not None for _, row in copy.rows.iterrows()
    )

    # lowered query effort behind the config's back: recall drops at both points
    worse, _ = run(tmp_path, "worse", capsys, "--no-mlflow", drift="ef_divisor=8")
    code, verdict = gate(f"mlflow:{run_id}", worse, uri, tmp_path)
    assert code == 1
    assert {(c["point_key"], c["metric"]) for c in verdict["checks"] if c["fails"]} >= {
        (key, "recall") for key in ResultStore(base).read()["point_key"]
    }

    # one-line errors, exit 2: an unknown run, a point (child) run, a run without the artifact
    capsys.readouterr()
    for spec, message in (
        ("mlflow:0123456789abcdef0123456789abcdef", "not found at"),
        ("mlflow:", "names no run"),
    ):
        assert gate(spec, worse, uri, tmp_path)[0] == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    child = client.search_runs(
        [client.get_run(run_id).info.experiment_id], "tags.`vecbench.role` = 'point'", max_results=1
    )[0]
    assert gate(f"mlflow:{child.info.run_id}", worse, uri, tmp_path)[0] == 2
    assert f"give its parent run: mlflow:{run_id}" in capsys.readouterr().err
    older = sync_result_set(worse, uri)  # uploaded as an older vecbench did: no baseline/ folder
    assert gate(f"mlflow:{older.parent_run_id}", worse, uri, tmp_path)[0] == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has no baseline/ artifact" in err[0] and "vecbench mlflow sync" in err[0], err
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert main(["gate", "--baseline", f"mlflow:{run_id}", "--current", str(worse)]) == 2
    assert "give --tracking-uri" in capsys.readouterr().err

    # a baseline that cannot be made (raw files gone) is skipped with a warning; the upload goes on
    for path in (worse / "raw").iterdir():
        path.unlink()
    assert main(["mlflow", "sync", str(worse), "--tracking-uri", uri]) == 0
    printed = capsys.readouterr()
    assert "baseline/ not logged: raw files of point" in printed.err
    assert "2 already there" in printed.out and "gate against it" not in printed.out
    assert client.get_run(older.parent_run_id).info.status == "FINISHED"


def test_sync_to_a_server_and_gate_from_it(
    tmp_path: Path,
    mlflow_server: MlflowServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mlflow_server.ensure_running()
    base, _ = run(tmp_path, "base", capsys, "--no-mlflow")
    assert main(["mlflow", "sync", str(base), "--tracking-uri", mlflow_server.uri]) == 0
    found = RUN_LINE.search(capsys.readouterr().out)
    assert found is not None
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)  # the default when --tracking-uri is absent
    assert main(["gate", "--baseline", f"mlflow:{found.group(1)}", "--current", str(base)]) == 0
    capsys.readouterr()

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # fail at once instead of backing off
    dead = f"http://127.0.0.1:{free_port()}"
    assert gate(f"mlflow:{found.group(1)}", base, dead, tmp_path)[0] == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"from {dead}: is the tracking server up" in err[0], err
