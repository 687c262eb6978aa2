"""Filtered points through the runner: rows and columns, exactness, keys, resume, one-line refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from tests.conftest import REPO_ROOT
from vecbench.bench.config import parse_config
from vecbench.bench.filter_plan import filter_defs
from vecbench.bench.filtered_records import filtered_point_metrics
from vecbench.bench.records import load_raw
from vecbench.bench.runner import Runner
from vecbench.datasets import load_dataset
from vecbench.errors import ConfigError
from vecbench.filters.ground_truth import filtered_ground_truth
from vecbench.reports.store import ResultStore

SYNTHETIC: dict[str, Any] = {
    "name": "synthetic",
    "n_base": 2000,
    "n_queries": 30,
    "seed": 1,
    "options": {"dim": 16},
    "attributes": {"generate": {"n_clusters": 20}},
}
INDEXES: list[dict[str, Any]] = [
    {"adapter": "exact"},
    {
        "adapter": "annoy",
        "build": {"n_trees": 5},
        "query": {"search_k": 500},
        "strategies": ["post", "exact-subset"],
    },
]
FILTERS: list[dict[str, Any]] = [
    {"pass_rate": [0.01, 0.5], "correlated": [False, True]},
    {"name": "tagged", "expr": {"tags": {"any": ["t03"]}, "available": True}},
]
STRATEGIES: list[Any] = [
    "pre",
    "post",
    {"name": "post", "overfetch": "fixed", "factor": 1},
    "exact-subset",
    "auto",
]


def config(**changes: Any) -> Any:
    data = {
        "name": "f",
        "dataset": SYNTHETIC,
        "k": 10,
        "indexes": INDEXES,
        "filters": FILTERS,
        "strategies": STRATEGIES,
        "warmup_queries": 5,
        **changes,
    }
    return parse_config(data)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("filtered")
    Runner(config(), out, progress=False).run()
    return out, ResultStore(out).read()


def test_every_filter_strategy_and_query_point_is_a_row(finished: tuple[Path, Any]) -> None:
    _, frame = finished
    filtered = frame[frame["filter"].notna()]
    assert (frame["status"] == "ok").all(), frame.loc[frame["status"] != "ok", "error"].tolist()
    assert len(frame) == 2 + 5 * (5 + 2)  # unfiltered rows + filters x (exact's + annoy's strategies)
    assert set(filtered["filter_name"]) == {
        "pass_rate=0.01",
        "pass_rate=0.01 correlated",
        "pass_rate=0.5",
        "pass_rate=0.5 correlated",
        "tagged",
    }
    rates = filtered.groupby("filter_name")["pass_rate"].first()
    assert rates["pass_rate=0.01"] == 0.01 and rates["pass_rate=0.5 correlated"] == 0.5  # measured, and exact
    assert (filtered["filter_violations"] == 0).all()
    auto = filtered[filtered["strategy_spec"].str.contains('"auto"')]
    assert set(auto["strategy"]) <= {"exact-subset", "pre", "post-adaptive"}
    exact = filtered[(filtered["adapter"] == "exact") & ~filtered["strategy"].str.startswith("post-fixed")]
    assert (exact["recall"] == 1.0).all() and (exact["recall_ids"] == 1.0).all()
    fixed = filtered[filtered["strategy"] == "post-fixed(x1)"].set_index("filter_name")
    assert (
        fixed.loc["pass_rate=0.01", "recall"] < 0.1
        and fixed.loc["pass_rate=0.01", "short_result_frac"] == 1.0
    )
    assert (filtered.loc[filtered["strategy"] == "exact-subset", "overfetch_mean"].isna()).all()
    assert (filtered.loc[filtered["strategy"] == "post-adaptive", "overfetch_mean"] > 1).all()


def test_filtered_metrics_recompute_from_raw_arrays(finished: tuple[Path, Any]) -> None:
    out, frame = finished
    cfg = config()
    dataset = load_dataset(cfg.dataset)
    row = frame[(frame["adapter"] == "annoy") & (frame["filter_name"] == "tagged")].iloc[0]
    from vecbench.bench.filter_plan import active_filter

    fdef = filter_defs(cfg.filters)[-1]
    active = active_filter(dataset, fdef)
    truth = filtered_ground_truth(dataset, active, fdef.canonical, 10, None)
    raw = load_raw(out / row["raw_path"])
    assert raw["candidates"].shape == (30,) and raw["latencies_ns"].shape == (30,)
    for name, value in filtered_point_metrics(raw, dataset, truth, active, 10).items():
        assert row[name] == pytest.approx(value, nan_ok=True), name


def test_unfiltered_keys_do_not_change_and_a_rerun_resumes(
    finished: tuple[Path, Any], tmp_path: Path
) -> None:
    out, frame = finished
    Runner(config(filters=[], indexes=INDEXES[:1]), tmp_path, progress=False).run()
    plain = ResultStore(tmp_path).read()
    assert set(plain["point_key"]) <= set(frame.loc[frame["filter"].isna(), "point_key"])
    summary = Runner(config(), out, progress=False).run()
    assert (summary.points_run, summary.points_skipped) == (0, len(frame))


def test_filtered_ground_truth_is_cached_and_exact(tmp_path: Path) -> None:
    cfg = config()
    dataset = load_dataset(cfg.dataset)
    from vecbench.bench.filter_plan import active_filter
    from vecbench.metrics.distances import pairwise_distances

    fdef = filter_defs(cfg.filters)[0]  # pass_rate 0.01: 20 items
    active = active_filter(dataset, fdef)
    truth = filtered_ground_truth(dataset, active, fdef.canonical, 10, tmp_path)
    assert truth.k == 100 and (truth.ids[:, :20] >= 0).all() and (truth.ids[:, 20:] == -1).all()
    d = pairwise_distances(dataset.queries, dataset.base, dataset.metric).astype(np.float64)
    d[:, ~active.mask] = np.inf
    np.testing.assert_allclose(truth.distances[:, :20], np.sort(d, axis=1)[:, :20], rtol=1e-5)
    cached = list(tmp_path.glob("gtf-*.npz"))
    assert len(cached) == 1 and dataset.fingerprint in cached[0].name
    again = filtered_ground_truth(dataset, active, fdef.canonical, 10, tmp_path)
    assert np.array_equal(again.ids, truth.ids) and len(list(tmp_path.glob("gtf-*.npz"))) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"filters": [{"expr": {"colour": "red"}}]}, "filters[0]: unknown attribute 'colour'"),
        (
            {"filters": [{"expr": {"price": {"gte": "cheap"}}}]},
            "'price' is numeric and compares with a number",
        ),
        ({"filters": [{"expr": {"category": {"in": []}}}]}, "'in' needs at least one value"),
        ({"filters": [{"expr": {"price": {"lt": 0}}}]}, "no item passes"),
        ({"filters": [{"pass_rate": 1.5}]}, "pass_rate 1.5 must be a number in (0, 1]"),
        ({"filters": [{"pass_rate": 0.1, "exclude_seen": True}]}, "exclude_seen needs a dataset that lists"),
        (
            {"indexes": [{"adapter": "annoy"}], "strategies": ["pre"]},
            "strategy 'pre' needs native filtered search, which adapter 'annoy' does not declare",
        ),
        ({"strategies": ["pre", "pre"]}, "appears twice"),
        ({"dataset": {**SYNTHETIC, "attributes": None}}, "need generated attributes"),
    ],
)
def test_bad_filters_and_strategies_fail_before_any_build(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Runner(config(**changes), tmp_path / "out", progress=False).run()
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "out").exists()  # nothing was built or written


def test_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    data = {
        "name": "bad",
        "dataset": SYNTHETIC,
        "indexes": [{"adapter": "exact"}],
        "filters": [{"expr": {"prise": 1}}],
    }
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    done = subprocess.run(
        [sys.executable, "-m", "vecbench.cli", "run", str(path), "--out", str(tmp_path / "o")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: filters[0]: unknown attribute 'prise' (did you mean 'price'?)"
    ]


@pytest.mark.slow  # kept out of the default run for its time; run before resolving
def test_movielens_config_runs_end_to_end(shared_data: Path, tmp_path: Path) -> None:
    """configs/movielens-filtered.yaml, with its data path pointed at the shared folder and fewer points."""
    folder = shared_data / "movielens-100k"
    if not (folder / "u.item").is_file():
        pytest.skip(f"MovieLens 100K not found in {folder}")
    data = yaml.safe_load((REPO_ROOT / "configs" / "movielens-filtered.yaml").read_text())
    data["dataset"].update(path=str(folder), n_queries=200)  # the first 200 users keep the test short
    data["indexes"] = [data["indexes"][0], {**data["indexes"][2], "query": {"ef": 64}}]  # exact and hnswlib
    Runner(parse_config(data), tmp_path, progress=False).run()
    frame = ResultStore(tmp_path).read()
    filtered = frame[frame["filter"].notna()]
    assert (frame["status"] == "ok").all() and len(filtered) == 2 * 2 * 5
    assert set(filtered["filter_name"]) == {
        "comedy or drama, 1990s",
        "sci-fi and thriller since 1980, unseen",
    }
    unseen = filtered[filtered["filter_name"].str.endswith("unseen")]
    assert unseen["filter"].str.endswith("and not seen").all() and (unseen["filter_violations"] == 0).all()
    exact = filtered[(filtered["adapter"] == "exact") & (filtered["strategy"] != "post-fixed(x1)")]
    assert (exact["recall"] == 1.0).all()


def test_repeated_points_pool_every_repetition(tmp_path: Path) -> None:
    cfg = config(
        indexes=[{"adapter": "hnswlib", "build": {"M": 8}, "query": {"ef": 32}}],
        filters=[{"pass_rate": 0.1}],
        strategies=["pre", "auto"],
        repeats=2,
    )
    Runner(cfg, tmp_path, progress=False).run()
    frame = ResultStore(tmp_path).read()
    filtered = frame[frame["filter"].notna()]
    assert (frame["status"] == "ok").all() and len(filtered) == 2 and (filtered["repeats"] == 2).all()
    assert set(filtered["strategy"]) == {"pre"}  # auto picks pre at 10% for an adapter with native filtering
    assert len(list((tmp_path / "raw").glob("*.npz"))) == 2 * len(frame)  # one raw file per repetition
