"""Stage-1 attribute filters and filter strategies through the whole pipeline on the synthetic log.

Every configuration (exact, popularity and each index with each strategy) must return only items
that pass the filter and that the user has not seen; targets are restricted to passing items; the
rows say which filter and strategy produced them; bad filters fail before anything is trained.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from vecbench.bench.pipeline_config import parse_pipeline_config
from vecbench.bench.pipeline_runner import PipelineRunner
from vecbench.datasets.logs.registry import LogSpec, load_log
from vecbench.datasets.logs.split import SplitSpec, split_log
from vecbench.errors import ConfigError
from vecbench.reports.pipeline_store import PipelineStore

LOG = {"name": "synthetic", "seed": 1, "options": {"n_users": 400, "n_items": 400, "events_per_user": 25}}
SPLIT = {"train_fraction": 0.8, "replay_steps": 2, "min_history": 3}
FILTER = {"categories": {"any": ["cluster-0", "cluster-1", "cluster-2"]}}
FILTERED: dict[str, Any] = {
    "kind": "pipeline",
    "name": "synthetic-filtered",
    "log": LOG,
    "split": SPLIT,
    "embedding": {"kind": "svd", "dim": 16},
    "retrieval": {
        "k_candidates": [30],
        "filter": FILTER,
        "filter_name": "three clusters",
        "strategies": ["pre", "post"],
        "indexes": [
            {"adapter": "hnswlib", "build": {"M": 8, "ef_construction": 32, "build_threads": 1}, "query": {"ef": 40}},
            {"adapter": "faiss-hnsw", "build": {"M": 8, "ef_construction": 32}, "query": {"ef_search": 40}},
            {"adapter": "annoy", "build": {"n_trees": 5}, "query": {"search_k": 400}, "strategies": ["post"]},
        ],
    },
    "scorer": {"kind": "similarity"},
    "rerank": [{"kind": "mmr", "lambda": 0.8, "pool": 30}],
    "evaluation": {"cutoffs": [10], "bootstrap": 200},
    "drift": None,
}


def run(config: dict[str, Any], out: Path) -> pd.DataFrame:
    PipelineRunner(parse_pipeline_config(config), out, progress=False).run()
    return PipelineStore(out).read()


@pytest.fixture(scope="module")
def filtered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("filtered")
    return out, run(FILTERED, out)


def passing_items() -> np.ndarray:
    log = load_log(LogSpec.model_validate(LOG))
    clusters = [c[0] for c in log.items.categories]
    return np.array([c in ("cluster-0", "cluster-1", "cluster-2") for c in clusters])


def final_row(frame: pd.DataFrame, retrieval: str, metric: str = "ndcg@10") -> pd.Series:
    rows = frame[(frame["retrieval"] == retrieval) & (frame["stage"] == "final") & (frame["metric"] == metric)
                 & (frame["cohort"] == "all")]  # fmt: skip
    assert len(rows) == 1, retrieval
    return rows.iloc[0]


def test_every_configuration_returns_only_passing_unseen_items(filtered: tuple[Path, pd.DataFrame]) -> None:
    out, frame = filtered
    allowed = passing_items()
    with np.load(out / "pipeline_raw" / "requests.npz") as req:
        targets = np.split(req["targets"], req["targets_indptr"][1:-1])
    log = load_log(LogSpec.model_validate(LOG))
    replay = split_log(log, SplitSpec.model_validate(SPLIT))
    requests = replay.requests.with_targets_in(allowed)
    assert len(requests) == len(targets) < len(replay.requests)  # requests without a passing target dropped
    assert all(allowed[t].all() and t.size for t in targets)
    keys = frame[(frame["status"] == "ok") & (frame["stage"] == "retrieval")].drop_duplicates("point_key")
    assert set(keys["retrieval"]) >= {"exact", "popularity"} and len(keys) == 2 + 2 * 2 + 1
    for key in keys["point_key"]:
        with np.load(out / "pipeline_raw" / f"{key}.npz") as raw:
            candidates = raw["retrieval_items"]
        for r in range(len(requests)):
            row = candidates[r][candidates[r] >= 0]
            assert allowed[row].all() and not np.isin(row, requests.history_items.row(r)).any(), key


def test_rows_name_the_filter_and_the_strategy_that_ran(filtered: tuple[Path, pd.DataFrame]) -> None:
    _, frame = filtered
    ok = frame[frame["status"] == "ok"]
    assert (ok["filter"] == 'categories has any ["cluster-0", "cluster-1", "cluster-2"] and not seen').all()
    assert (ok["filter_name"] == "three clusters").all()
    assert ok["pass_rate"].between(0.2, 0.5).all() and ok["pass_rate"].nunique() == 1
    strategy = ok.drop_duplicates("point_key").set_index("retrieval")["strategy"]
    assert strategy["exact"] == "exact-subset" and strategy["popularity"] == "popularity"
    assert strategy["hnswlib M=8 ef_construction=32 ef=40 pre"] == "pre"
    assert strategy["faiss-hnsw M=8 ef_construction=32 ef_search=40 post-adaptive"] == "post-adaptive"
    assert strategy["annoy n_trees=5 search_k=400 post-adaptive"] == "post-adaptive"
    post = ok[ok["strategy"] == "post-adaptive"]
    assert (post["overfetch_mean"] >= 1).all()  # post asks the index for at least k per request
    assert ok[ok["strategy"] == "pre"]["overfetch_mean"].eq(1).all()
    assert ok[ok["retrieval"] == "exact"]["overfetch_mean"].isna().all()


def test_each_strategy_is_compared_with_filtered_exact_retrieval(filtered: tuple[Path, pd.DataFrame]) -> None:
    _, frame = filtered
    exact = final_row(frame, "exact")
    for label in ("hnswlib M=8 ef_construction=32 ef=40 pre", "hnswlib M=8 ef_construction=32 ef=40 post-adaptive"):
        row = final_row(frame, label)
        assert row["exact_value"] == pytest.approx(exact["value"])
        assert row["delta_low"] <= row["delta"] <= row["delta_high"]
    popularity = final_row(frame, "popularity")
    assert popularity["exact_value"] == pytest.approx(exact["value"])


def test_targets_all_keeps_every_request(tmp_path: Path) -> None:
    config = copy.deepcopy(FILTERED)
    config["retrieval"].update(targets="all", indexes=[], strategies=["post"])
    frame = run(config, tmp_path)
    log = load_log(LogSpec.model_validate(LOG))
    replay = split_log(log, SplitSpec.model_validate(SPLIT))
    checks = json.loads((tmp_path / "pipeline_checks.json").read_text())
    assert checks["requests"] == len(replay.requests) and checks["requests_without_passing_target"] == 0
    assert set(frame["retrieval"]) == {"exact", "popularity", "exact/scoring vs exact/retrieval"}


def test_without_exclude_seen_seen_items_may_come_back(tmp_path: Path) -> None:
    config = copy.deepcopy(FILTERED)
    config["retrieval"].update(filter=None, filter_name=None, exclude_seen=False, indexes=[])
    frame = run(config, tmp_path)
    assert (frame["filter"] == "none").all() and (frame["pass_rate"] == 1.0).all()
    log = load_log(LogSpec.model_validate(LOG))
    requests = split_log(log, SplitSpec.model_validate(SPLIT)).requests
    key = frame[frame["retrieval"] == "exact"]["point_key"].iloc[0]
    with np.load(tmp_path / "pipeline_raw" / f"{key}.npz") as raw:
        candidates = raw["retrieval_items"]
    seen = sum(np.isin(candidates[r], requests.history_items.row(r)).sum() for r in range(len(requests)))
    assert seen > 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"filter": {"categorie": {"any": ["cluster-0"]}}}, "unknown attribute 'categorie'.*categories"),
        ({"filter": {"categories": {"any": ["cluster-99"]}}}, 'no item has tag "cluster-99"'),
        ({"filter": {"categories": "cluster-0"}}, "'categories' is tags"),
        ({"filter": {"released": {"lt": "2000-01-01"}}}, "no item of log 'synthetic' passes"),
        # released after the cutoff (2021-01-20): no training events, so no embedding to index
        ({"filter": {"released": {"gte": "2021-02-01"}}}, "none of the .* items with an embedding passes"),
        ({"filter": None, "filter_name": "x"}, "filter_name names a filter"),
        ({"strategies": ["prefilter"]}, "unknown strategy 'prefilter'"),
        ({"indexes": [{"adapter": "annoy", "strategies": ["pre"]}]}, "native filtered search"),
        ({"indexes": [{"adapter": "hnswlib", "strategies": [{"name": "partition"}]}]}, "needs attribute"),
        ({"targets": "some"}, "retrieval.targets"),
    ],
)
def test_bad_filters_are_one_line_errors_before_any_index_is_built(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    config = copy.deepcopy(FILTERED)
    config["retrieval"].update(change)
    with pytest.raises(ConfigError, match=message) as info:
        PipelineRunner(parse_pipeline_config(config), tmp_path, progress=False).run()
    assert "\n" not in str(info.value)
    assert not (tmp_path / "pipeline.parquet").exists()


def test_a_table_log_without_a_catalogue_has_nothing_to_filter_on(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("user,item,timestamp\n" + "".join(f"u{i % 7},i{i % 11},{i}\n" for i in range(200)))
    config = copy.deepcopy(FILTERED)
    config["log"] = {"name": "table", "path": str(log)}
    config["retrieval"].update(filter={"year": {"gte": 1990}})
    with pytest.raises(ConfigError, match="unknown attribute 'year'"):
        PipelineRunner(parse_pipeline_config(config), tmp_path, progress=False).run()


def test_a_table_log_takes_its_attributes_from_an_items_file(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("user,item,timestamp\n" + "".join(f"u{i % 7},i{i % 11},{i}\n" for i in range(200)))
    items = tmp_path / "items.csv"
    items.write_text("item,title,categories,year\n" + "".join(
        f"i{i},Film {i},{'Comedy|Drama' if i % 2 else 'Horror'},{1980 + i}\n" for i in range(11)
    ))  # fmt: skip
    loaded = load_log(LogSpec(name="table", path=str(log), items=str(items)))
    attributes = loaded.items.attributes
    assert attributes is not None and attributes.schema().keys() == {"categories", "year"}
    position = list(loaded.items.ids).index("i3")
    assert attributes["year"].values[position] == 1983  # type: ignore[union-attr]
    assert attributes["categories"].row_tags(position) == ["Comedy", "Drama"]  # type: ignore[union-attr]
    assert loaded.items.titles[position] == "Film 3"


def test_every_strategy_gets_its_own_label_and_auto_names_its_choice(tmp_path: Path) -> None:
    config = copy.deepcopy(FILTERED)
    config["retrieval"].update(
        strategies=["pre", "auto", "post", {"name": "post", "factor": 1}],
        indexes=[FILTERED["retrieval"]["indexes"][0]],
    )
    frame = run(config, tmp_path)
    points = frame[frame["adapter"] != "compare"].drop_duplicates("point_key")  # configurations, not pairs
    assert points["retrieval"].is_unique and len(points) == 2 + 4
    auto = points[points["retrieval"].str.contains(" auto:")]
    assert len(auto) == 1 and auto["retrieval"].iloc[0].endswith(f"auto:{auto['strategy'].iloc[0]}")
    assert auto["strategy"].iloc[0] in {"pre", "post-adaptive", "exact-subset"}
    posts = points[points["strategy"] == "post-adaptive"]["retrieval"]
    assert any("factor=1.0" in label for label in posts) and any("factor=2.0" in label for label in posts)
