"""The pipeline end to end on the synthetic log, through ``vecbench run``, and its bad-config errors."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from vecbench.bench.pipeline_config import parse_pipeline_config
from vecbench.bench.pipeline_runner import PipelineRunner
from vecbench.cli import main
from vecbench.errors import ConfigError
from vecbench.metrics.relevance import RELEVANCE, hit_matrix
from vecbench.reports.pipeline_store import COLUMNS, PipelineStore

SYNTHETIC: dict[str, Any] = {
    "kind": "pipeline",
    "name": "synthetic-test",
    "log": {"name": "synthetic", "seed": 0, "options": {"n_users": 500, "n_items": 300, "events_per_user": 25}},
    "split": {"train_fraction": 0.8, "replay_steps": 2, "min_history": 3},
    "embedding": {"kind": "svd", "dim": 16},
    "retrieval": {
        "k_candidates": [50],
        "indexes": [
            {"adapter": "hnswlib", "build": {"M": 4, "ef_construction": 8, "build_threads": 1}, "query": {"ef": [2, 400]}},
            {"adapter": "vecbench.testing.faults:FaultInjectingAdapter", "label": "faulty", "build": {"fault": "raise"}},
        ],
    },
    "scorer": {"kind": "learned", "max_iter": 30},
    "rerank": [{"kind": "mmr", "lambda": 0.8, "pool": 50}, {"kind": "category_cap", "max_per_category": 4}],
    "evaluation": {"cutoffs": [10, 20], "bootstrap": 300},
    "drift": {"probe_items": 50, "k": 10},
    "compare": [["exact", "hnswlib M=4 ef_construction=8 ef=2 post-adaptive"]],
}
WEAK = "hnswlib M=4 ef_construction=8 ef=2 post-adaptive"


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, str]:
    out = tmp_path_factory.mktemp("pipeline")
    config = out / "pipeline.yaml"
    config.write_text(yaml.safe_dump(SYNTHETIC))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["run", str(config), "--out", str(out / "run"), "--no-progress"]) == 0
    return out / "run", PipelineStore(out / "run").read(), printed.getvalue()


def value(frame: pd.DataFrame, retrieval: str, stage: str, metric: str, cohort: str = "all") -> pd.Series:
    rows = frame[
        (frame["retrieval"] == retrieval) & (frame["stage"] == stage) & (frame["metric"] == metric) & (frame["cohort"] == cohort)
    ]
    assert len(rows) == 1, (retrieval, stage, metric, cohort)
    return rows.iloc[0]


def test_every_configuration_stage_and_metric_is_stored(synthetic_run: tuple[Path, pd.DataFrame, str]) -> None:
    out, frame, printed = synthetic_run
    assert set(COLUMNS) <= set(frame.columns)
    labels = set(frame["retrieval"])
    assert {"exact", "popularity", "-"} <= labels and sum(label.startswith("hnswlib") for label in labels) == 2
    ok = frame[frame["status"] == "ok"]
    assert set(ok["stage"]) == {"retrieval", "scoring", "final", "embedding"}
    metrics = set(ok["metric"])
    for name in ["ndcg@10", "recall@20", "hit_rate@10", "precision@10", "mrr@10", "map@20", "candidate_recall@50",
                 "coverage@10", "gini@10", "entropy@10", "novelty@10", "intra_list_diversity@10",
                 "long_tail_share@10", "average_popularity@10", "latency_p50_ms", "neighbour_jaccard@10"]:  # fmt: skip
        assert name in metrics, name
    assert {"activity:cold", "activity:medium", "activity:heavy", "popularity:tail"} <= set(ok["cohort"])
    for stage in ("retrieval", "scoring", "final"):
        assert value(frame, "exact", stage, "latency_p50_ms")["value"] > 0
    assert (out / "pipeline_checks.json").is_file() and (out / "config.yaml").is_file()
    assert "ndcg@10" in printed and "exact" in printed and "drift" in printed
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        assert main(["results", "show", str(out)]) == 0
    assert "popularity" in shown.getvalue() and "Δndcg@10" in shown.getvalue()


def test_failed_index_point_is_a_row_and_the_run_goes_on(synthetic_run: tuple[Path, pd.DataFrame, str]) -> None:
    _, frame, _ = synthetic_run
    failed = frame[frame["status"] == "failed"]
    assert len(failed) == 1 and failed.iloc[0]["retrieval"].startswith("faulty")
    assert "RuntimeError: injected failure during build" in failed.iloc[0]["error"]


def test_ann_rows_carry_deltas_and_intervals_against_exact(synthetic_run: tuple[Path, pd.DataFrame, str]) -> None:
    _, frame, _ = synthetic_run
    exact = value(frame, "exact", "final", "ndcg@10")
    assert pd.isna(exact["delta"])
    weak = value(frame, "hnswlib M=4 ef_construction=8 ef=2 post-adaptive", "final", "ndcg@10")
    assert weak["exact_value"] == pytest.approx(exact["value"])
    assert weak["delta"] == pytest.approx(weak["value"] - exact["value"])
    assert weak["delta_low"] <= weak["delta"] <= weak["delta_high"]
    for metric in ("coverage@10", "gini@10", "entropy@10"):  # catalogue metrics: recomputed per resample
        for stage in ("retrieval", "final"):
            row = value(frame, "hnswlib M=4 ef_construction=8 ef=2 post-adaptive", stage, metric)
            assert row["delta"] == pytest.approx(row["value"] - value(frame, "exact", stage, metric)["value"])
            assert np.isfinite([row["delta_low"], row["delta_high"]]).all() and row["delta_low"] <= row["delta_high"]
    assert np.isnan(value(frame, "hnswlib M=4 ef_construction=8 ef=2 post-adaptive", "final", "latency_p50_ms")["delta_low"])
    candidate = value(frame, "hnswlib M=4 ef_construction=8 ef=2 post-adaptive", "retrieval", "candidate_recall@50")
    assert candidate["value"] <= value(frame, "exact", "retrieval", "candidate_recall@50")["value"] + 1e-9


def test_collaborative_pipeline_beats_popularity_on_the_synthetic_log(synthetic_run: tuple[Path, pd.DataFrame, str]) -> None:
    _, frame, _ = synthetic_run
    popularity = value(frame, "popularity", "retrieval", "ndcg@10")  # retrieval alone, whatever the scorer does
    # the interval excludes zero; on this small log the Holm-corrected randomisation test need not
    assert popularity["delta_high"] < 0 and popularity["p_value"] < 0.1, "exact collaborative > popularity"
    coverage = value(frame, "popularity", "final", "coverage@10")
    assert coverage["value"] < value(frame, "exact", "final", "coverage@10")["value"]
    assert coverage["delta_high"] < 0 and bool(coverage["significant"]), "popularity shows far fewer items"


def test_metrics_recompute_from_the_raw_lists(synthetic_run: tuple[Path, pd.DataFrame, str]) -> None:
    out, frame, _ = synthetic_run
    row = value(frame, "exact", "final", "ndcg@10")
    with np.load(out / "pipeline_raw" / f"{row['point_key']}.npz") as raw:
        final = raw["final_items"]
    with np.load(out / "pipeline_raw" / "requests.npz") as req:
        indptr, values = req["targets_indptr"], req["targets"]
    targets = [values[indptr[i] : indptr[i + 1]] for i in range(len(indptr) - 1)]
    again = RELEVANCE["ndcg"](hit_matrix(final, targets), np.diff(indptr), 10).mean()
    assert again == pytest.approx(row["value"])


def test_drift_rows_compare_embedding_versions(synthetic_run: tuple[Path, pd.DataFrame, str]) -> None:
    _, frame, _ = synthetic_run
    drift = frame[frame["stage"] == "embedding"].set_index("cohort")["value"]
    assert set(drift.index) == {"versions:0-1", "versions:0-2", "versions:1-2"}
    assert ((drift > 0) & (drift < 1)).all()


def test_every_delta_lies_inside_its_interval_and_p_values_are_corrected(
    synthetic_run: tuple[Path, pd.DataFrame, str],
) -> None:
    _, frame, _ = synthetic_run
    paired = frame[frame["delta_low"].notna()]
    assert len(paired) > 100
    assert ((paired["delta_low"] <= paired["delta"]) & (paired["delta"] <= paired["delta_high"])).all()
    tested = frame[frame["p_value"].notna()]
    assert set(tested.index) == set(paired.index)  # every interval has its test beside it
    assert ((tested["p_value"] > 0) & (tested["p_value"] <= 1)).all()
    assert (tested["p_adjusted"] >= tested["p_value"] - 1e-12).all() and (tested["correction"] == "holm").all()
    assert (tested["significant"].astype(bool) == (tested["p_adjusted"] < tested["alpha"])).all()
    # Holm by hand on one family: every configuration's final ndcg@10 against exact, and the pairs
    family = tested[(tested["stage"] == "final") & (tested["metric"] == "ndcg@10") & (tested["cohort"] == "all")]
    p = np.sort(family["p_value"].to_numpy())
    holm = np.minimum(np.maximum.accumulate(p * (len(p) - np.arange(len(p)))), 1)
    assert np.sort(family["p_adjusted"].to_numpy()) == pytest.approx(holm)
    assert frame.loc[frame["retrieval"] == "exact", "p_value"].isna().all()


def test_replay_windows_are_cohorts(synthetic_run: tuple[Path, pd.DataFrame, str]) -> None:
    out, frame, _ = synthetic_run
    with np.load(out / "pipeline_raw" / "requests.npz") as req:
        steps = req["step"]
    windows = frame[(frame["retrieval"] == "exact") & (frame["stage"] == "final") & (frame["metric"] == "ndcg@10")
                    & frame["cohort"].str.startswith("window:")].set_index("cohort")  # fmt: skip
    assert set(windows.index) == {f"window:{s}" for s in np.unique(steps)} and len(windows) == 2
    assert windows["n_requests"].sum() == value(frame, "exact", "final", "ndcg@10")["n_requests"]
    assert (windows.loc["window:0", "n_requests"]) == (steps == 0).sum()


def test_compare_pairs_and_the_scorer_check_are_paired_rows(synthetic_run: tuple[Path, pd.DataFrame, str]) -> None:
    _, frame, _ = synthetic_run
    pair = value(frame, f"exact vs {WEAK}", "final", "ndcg@10")
    weak = value(frame, WEAK, "final", "ndcg@10")
    assert pair["adapter"] == "compare" and pair["compared_with"] == WEAK
    assert pair["delta"] == pytest.approx(-weak["delta"]) and pair["exact_value"] == pytest.approx(weak["value"])
    assert pair["p_value"] == pytest.approx(weak["p_value"])  # the same users swapped: the same test
    check = value(frame, "exact/scoring vs exact/retrieval", "scoring", "ndcg@10")
    assert check["value"] == pytest.approx(value(frame, "exact", "scoring", "ndcg@10")["value"])
    assert check["exact_value"] == pytest.approx(value(frame, "exact", "retrieval", "ndcg@10")["value"])
    assert set(frame.loc[frame["retrieval"] == "exact/scoring vs exact/retrieval", "stage"]) == {"scoring"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"retrieval": {"k_candidates": [5]}}, "below the longest cut-off"),
        ({"scorer": {"kind": "learnt"}}, "did you mean 'learned'"),
        ({"split": {"train_fraction": 0.8, "replay_step": 2}}, "unknown key 'split.replay_step'"),
        ({"embeddings": {"kind": "svd"}}, "did you mean 'embedding'"),
        ({"retrieval": {"indexes": [{"adapter": "hnswlibb"}]}}, "did you mean 'hnswlib'"),
        ({"compare": [["exact", "populartiy"]]}, "compare: 'populartiy' names no configuration"),
        ({"evaluation": {"correction": "bonferroni"}}, "evaluation.correction"),
    ],
)
def test_bad_configs_are_one_line_errors(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        PipelineRunner(parse_pipeline_config({**SYNTHETIC, "compare": [], **change}), tmp_path, progress=False).run()
    assert "\n" not in str(info.value)


def test_cli_prints_a_one_line_error_for_a_bad_pipeline_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**SYNTHETIC, "log": {"name": "movielens-100k"}}))
    assert main(["run", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "needs path" in err and err.count("\n") == 1
