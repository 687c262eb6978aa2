"""Recommendation-pipeline results in the report and in MLflow, from a real pipeline run."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient

from tests.reports.test_html_report import outline
from vecbench.reports.html import build_report
from vecbench.reports.html.recommendation import _headlines, summary_header
from vecbench.reports.mlflow_sync import local_store_uri, sync_result_set
from vecbench.reports.pipeline_store import PipelineStore


def final(frame: pd.DataFrame, retrieval: str, metric: str) -> pd.Series:
    rows = frame[
        (frame["retrieval"] == retrieval)
        & (frame["stage"] == "final")
        & (frame["metric"] == metric)
        & (frame["cohort"] == "all")
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def test_run_prints_the_report_and_mlflow_lines(pipeline_results: tuple[Path, str]) -> None:
    out, printed = pipeline_results
    report_line, mlflow_line = printed.strip().splitlines()[-2:]
    assert report_line.startswith(f"Report: {out / 'report.html'} (")
    assert mlflow_line.startswith(
        "MLflow: 7 point runs: 7 created; browse them with: mlflow ui --backend-store-uri "
    )  # 6 configurations and the scorer check (exact/scoring vs exact/retrieval)


def test_recommendation_section_shows_the_pipeline_store(pipeline_results: tuple[Path, str]) -> None:
    out, _ = pipeline_results
    frame = PipelineStore(out).read()
    page = outline(build_report(out).path.read_text())
    matrix = page.rows["recommendation"]
    header = matrix[0]
    configs = header[2:]
    assert configs[:2] == ["exact", "popularity"] and len(configs) == 4  # exact, baseline, two IVF points
    ivf = configs[2]
    row = next(r for r in matrix[1:] if r[:2] == ["ndcg@10", "final"])
    expected = final(frame, ivf, "ndcg@10")
    cell = row[2 + configs.index(ivf)]
    assert cell.startswith(f"{expected['value']:.4g}") and f"Δ {expected['delta']:+.4f}" in cell
    # a cell is coloured exactly where the store says the interval excludes zero
    coloured = [
        attrs for tag, attrs in page.tags if tag == "td" and attrs.get("class") in ("better", "worse")
    ]
    flagged = frame[(frame["status"] == "ok") & (frame["cohort"] == "all") & frame["significant"].fillna(False).astype(bool)]
    pair = flagged["adapter"] == "compare"
    significant = flagged[
        ~pair & ((flagged["stage"] == "final") | flagged["metric"].str.startswith(("candidate_recall", "latency")))
    ]
    # each significant cell in the full matrix, and again where the summary (configurations as rows) shows it
    summary = page.rows["recommendation-summary"]
    titles = [summary_header(str(r["stage"]), str(r["metric"])) for _, r in significant.iterrows()]
    again = significant[[title in summary[0][1:] for title in titles]]
    assert [r[0] for r in summary[1:]] == configs
    pairs = flagged[pair & flagged["metric"].isin(_headlines(frame[frame["status"] == "ok"]))]  # the comparisons table
    assert len(coloured) == len(significant) + len(again) + len(pairs) and len(significant) > 0
    plots = {attrs.get("data-plot") for tag, attrs in page.tags if tag == "svg"}
    assert {"delta-ndcg@10", "delta-recall@20"} <= plots
    assert len(page.rows["cohorts"]) == len(configs) + 1 and len(page.rows["drift"]) > 1
    ids = [attrs.get("id") for tag, attrs in page.tags if tag == "section"]
    assert ids[0] == "recommendation" and "pareto" not in ids  # only pipeline rows: its metrics first
    failures = page.rows["failed"][1:]
    assert (
        len(failures) == 1 and failures[0][0].startswith("faulty") and "injected failure" in failures[0][-1]
    )


def test_pipeline_runs_in_mlflow(pipeline_results: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = pipeline_results
    frame = PipelineStore(out).read()
    client = MlflowClient(local_store_uri(out))
    experiment = client.get_experiment_by_name("pipeline-report")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    children = {
        r.data.tags["vecbench.point_key"]: r for r in runs if r.data.tags.get("vecbench.role") == "point"
    }
    assert set(children) == set(frame["point_key"])  # every configuration, the drift rows, the failure
    ivf = next(name for name in frame["retrieval"].unique() if str(name).startswith("faiss-ivf"))
    row = final(frame, ivf, "ndcg@10")
    run = children[row["point_key"]]
    assert run.data.metrics["final/ndcg_at_10"] == pytest.approx(row["value"])
    assert run.data.metrics["final/ndcg_at_10/delta"] == pytest.approx(row["delta"])
    assert run.data.params["k_candidates"] == "40" and run.data.params["query.nprobe"] in ("1", "8")
    assert run.data.params["strategy"] == row["strategy"] and run.data.params["filter"] == "not seen"
    assert run.data.metrics["retrieval/pass_rate"] == pytest.approx(row["pass_rate"])
    assert run.data.metrics["retrieval/short_result_frac"] == pytest.approx(row["short_result_frac"])
    failed = [r for r in children.values() if r.info.status == "FAILED"]
    assert len(failed) == 1 and "injected failure" in failed[0].data.tags["vecbench.error"]
    parent = next(r for r in runs if r.data.tags.get("vecbench.role") == "result_set")
    names = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"pipeline.parquet", "report.html", "config.yaml", "plots"} <= names
    assert math.isclose(parent.data.metrics["pipeline_configurations_failed"], 1.0)
    assert sync_result_set(out).counts.describe() == "7 point runs: 7 already there"


def test_a_cohort_without_requests_is_never_the_worst() -> None:
    """A cohort no request falls in has no value (NaN); the worst is the lowest real value."""
    import pandas as pd

    from vecbench.reports.pipeline_table import format_pipeline

    def row(stage: str, metric: str, cohort: str, value: float) -> dict[str, object]:
        return {"retrieval": "exact", "k_candidates": 20, "stage": stage, "metric": metric, "cohort": cohort,
                "value": value, "status": "ok", "delta": float("nan"), "filter": "not seen",
                "filter_name": "not seen", "pass_rate": 0.9, "short_result_frac": 0.0}  # fmt: skip

    frame = pd.DataFrame(
        [
            row("final", "ndcg@10", "all", 0.2),
            row("final", "ndcg@10", "activity:cold", float("nan")),
            row("final", "ndcg@10", "activity:heavy", 0.3),
            row("final", "ndcg@10", "activity:medium", 0.1),
            row("final", "recall@10", "all", 0.4),
            row("retrieval", "latency_p50_ms", "all", 0.05),
        ]
    )
    shown = format_pipeline(frame)
    assert "medium 0.1000" in shown and "cold" not in shown


def test_a_broken_configuration_is_never_green() -> None:
    """A configuration whose relevance is about 0 gets no green cell, even where it is 'better'
    (lower latency, higher coverage) than exact retrieval."""
    from vecbench.reports.html.recommendation import _matrix, broken, value_cell

    def row(retrieval: str, metric: str, value: float, stage: str = "final") -> dict[str, object]:
        return {"retrieval": retrieval, "stage": stage, "metric": metric, "cohort": "all", "value": value,
                "delta": value - 0.3, "delta_low": -0.31, "delta_high": -0.29, "higher_is_better": True}  # fmt: skip

    rows = pd.DataFrame(
        [row("exact", "ndcg@10", 0.3), row("zero", "ndcg@10", 0.001), row("fine", "ndcg@10", 0.29)]
    )
    assert broken(rows, ["exact", "zero", "fine"]) == {"zero"}
    wider = {**row("zero", "coverage@10", 0.9), "delta": 0.2, "delta_low": 0.1, "delta_high": 0.3, "significant": True}
    rows = pd.concat([rows, pd.DataFrame([wider])], ignore_index=True)
    assert value_cell(rows.iloc[-1]).cls == "better"  # judged alone its coverage would be green
    configs = ["exact", "zero", "fine"]
    assert 'class="better"' in str(_matrix(rows, configs, set()))
    assert 'class="better"' not in str(_matrix(rows, configs, broken(rows, configs)))
