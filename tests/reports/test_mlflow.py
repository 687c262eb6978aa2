"""MLflow logging against the embedded store and a real tracking server, read back through the
MLflow client; a server that dies mid-run; ``vecbench mlflow sync`` without duplicates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.entities import Run

from tests.reports.mlflow_server import MlflowServer, free_port
from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.cli import main
from vecbench.errors import VecbenchError
from vecbench.reports.html import ReportSink
from vecbench.reports.mlflow_sink import MlflowSink
from vecbench.reports.mlflow_sync import local_store_uri, sync_result_set
from vecbench.reports.store import ResultStore

FAULTY = "vecbench.testing.faults:FaultInjectingAdapter"


def small_config(name: str) -> Any:
    """3 build points, 5 rows (one failed): enough to stop a server between rows."""
    return parse_config(
        {
            "name": name,
            "dataset": {
                "name": "synthetic",
                "n_base": 1500,
                "n_queries": 30,
                "seed": 2,
                "options": {"dim": 8},
            },
            "k": 10,
            "warmup_queries": 5,
            "indexes": [
                {"adapter": "exact"},
                {
                    "adapter": "hnswlib",
                    "build": {"M": 8, "ef_construction": 40},
                    "query": {"ef": [10, 20, 40]},
                },
                {"adapter": FAULTY, "label": "broken", "build": {"fault": "raise"}},
            ],
        }
    )


def runs_of(client: MlflowClient, experiment: str) -> tuple[Run, list[Run]]:
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment}"
    runs = client.search_runs([found.experiment_id], max_results=1000)
    parents = [r for r in runs if r.data.tags.get("vecbench.role") == "result_set"]
    assert len(parents) == 1, [r.info.run_name for r in runs]
    return parents[0], [r for r in runs if r.data.tags.get("vecbench.role") == "point"]


def check_logged(client: MlflowClient, experiment: str, out: Path, tmp: Path) -> None:
    """Every row is one child run with its params, metrics and tags; the parent holds the
    machine tags and the artifacts (config, results, report and plots)."""
    frame = ResultStore(out).read()
    environment = json.loads((out / "environment.json").read_text())
    parent, children = runs_of(client, experiment)
    assert parent.info.status == "FINISHED"
    tags = parent.data.tags
    assert tags["vecbench.dataset_fingerprint"] == frame["dataset_fingerprint"].iloc[0]
    assert tags["vecbench.git_commit"] == environment["git_commit"]
    assert tags["vecbench.vecbench_version"] == environment["vecbench_version"]
    assert tags["vecbench.hostname"] == environment["hostname"]
    assert parent.data.params["k"] == "10" and parent.data.metrics["points_failed"] == 1.0

    by_key = {run.data.tags["vecbench.point_key"]: run for run in children}
    assert len(children) == len(frame) == len(by_key)
    for _, row in frame.iterrows():
        run = by_key[row["point_key"]]
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.data.tags["vecbench.git_commit"] == environment["git_commit"]
        assert run.data.tags["vecbench.dataset_fingerprint"] == row["dataset_fingerprint"]
        assert run.data.params["adapter"] == row["adapter"]
        for key, value in json.loads(row["query_params"]).items():
            assert run.data.params[f"query.{key}"] == str(value)
        if row["status"] == "ok":
            assert run.info.status == "FINISHED"
            for metric in ("recall", "qps", "latency_p99_ms", "build_s", "index_bytes"):
                assert run.data.metrics[metric] == pytest.approx(float(row[metric])), metric
        else:
            assert run.info.status == "FAILED"
            assert "injected failure" in run.data.tags["vecbench.error"]

    names = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"config.yaml", "results.parquet", "environment.json", "report.html", "plots"} <= names
    pareto = next(
        a.path for a in client.list_artifacts(parent.info.run_id, "plots") if a.path.endswith("pareto.svg")
    )
    figure = Path(client.download_artifacts(parent.info.run_id, pareto, str(tmp))).read_text()
    assert "<dc:title>Matplotlib v" in figure and figure.startswith("<?xml")  # the report's own figure
    copy = Path(client.download_artifacts(parent.info.run_id, "report.html", str(tmp)))
    assert copy.read_bytes() == (out / "report.html").read_bytes()


def test_run_logs_to_the_embedded_store_by_default_and_resume_adds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out, warnings = tmp_path / "out", []
    config = small_config("embedded")
    path = tmp_path / "embedded.yaml"
    path.write_text(json.dumps(config.model_dump(mode="json")))  # YAML reads JSON
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr()
    assert "warning" not in printed.err
    report_line, mlflow_line = printed.out.strip().splitlines()[-2:]
    assert report_line.startswith(f"Report: {out / 'report.html'} (") and " bytes, built in " in report_line
    uri = local_store_uri(out)
    assert mlflow_line.startswith(
        f"MLflow: 5 point runs: 5 created; browse them with: mlflow ui --backend-store-uri {uri}"
    )
    assert (out / "mlflow" / "mlflow.db").is_file()
    client = MlflowClient(uri)
    check_logged(client, "embedded", out, tmp_path)
    parent, children = runs_of(client, "embedded")

    # the same command again resumes: only the failed point is measured again, and its new row
    # replaces its old run; nothing is logged twice
    sink = MlflowSink(warn=warnings.append)
    Runner(config, out, progress=False, sinks=[ReportSink(), sink]).run()
    assert warnings == [] and sink.target is not None
    assert sink.target.counts.describe() == "5 point runs: 1 replaced, 4 already there"
    again_parent, again = runs_of(client, "embedded")
    assert again_parent.info.run_id == parent.info.run_id
    kept = {r.info.run_id for r in children if r.info.status == "FINISHED"}
    assert len(again) == 5 and kept <= {r.info.run_id for r in again}
    check_logged(client, "embedded", out, tmp_path / "again")


@pytest.mark.slow  # kept out of the default run for its time; run before resolving
def test_server_dying_mid_run_loses_nothing_and_sync_uploads_later(
    mlflow_server: MlflowServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Logs live to a real server, which is killed after the first row; the run completes, one
    warning names the sync command, and the sync uploads the rest once the server is back."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # fail at once instead of backing off
    mlflow_server.ensure_running()
    out, warnings, seen = tmp_path / "out", [], []

    def kill_server_at_second_row(row: dict[str, Any]) -> None:
        seen.append(row["point_key"])
        if len(seen) == 2:  # the first row reached MLflow; the server dies before the second
            mlflow_server.stop(abruptly=True)
            mlflow_server.launch()  # comes back on the same port and store while the run goes on

    sink = MlflowSink(mlflow_server.uri, warn=warnings.append)
    summary = Runner(
        small_config("dies"),
        out,
        progress=False,
        on_row=kill_server_at_second_row,
        sinks=[ReportSink(), sink],
    ).run()

    frame = ResultStore(out).read()
    assert summary.points_run == len(frame) == 5 and (frame["status"] == "ok").sum() == 4
    assert (out / "report.html").is_file()
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"warning: MLflow logging to {mlflow_server.uri} stopped (")
    assert f"vecbench mlflow sync {out} --tracking-uri {mlflow_server.uri}" in warnings[0]
    assert "\n" not in warnings[0]

    mlflow_server.wait_until_up()
    client = MlflowClient(mlflow_server.uri)
    _, before = runs_of(client, "dies")
    assert [r.data.tags["vecbench.point_key"] for r in before] == seen[:1]

    target = sync_result_set(out, mlflow_server.uri)
    assert target.counts.describe() == "5 point runs: 4 created, 1 already there"
    check_logged(client, "dies", out, tmp_path)
    again = sync_result_set(out, mlflow_server.uri)
    assert again.counts.describe() == "5 point runs: 5 already there"
    _, after = runs_of(client, "dies")
    assert len(after) == 5


def test_unreachable_server_warns_once_and_sync_fails_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # fail at once instead of backing off
    dead = f"http://127.0.0.1:{free_port()}"
    out, warnings = tmp_path / "out", []
    Runner(small_config("nowhere"), out, progress=False, sinks=[MlflowSink(dead, warn=warnings.append)]).run()
    assert len(ResultStore(out).read()) == 5
    assert len(warnings) == 1 and "vecbench mlflow sync" in warnings[0]
    with pytest.raises(VecbenchError, match=r"MLflow sync to .* failed .*run the same command again"):
        sync_result_set(out, dead)
    capsys.readouterr()
    assert main(["mlflow", "sync", str(out), "--tracking-uri", dead]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: MLflow sync to"), err
