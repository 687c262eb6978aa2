"""Size sweeps: every point at every size, nested subsamples, fixed queries, exact truth per size."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.capacity.conftest import SIZES, SWEEP
from vecbench.bench.config import parse_config
from vecbench.bench.sweep import expand_sweep
from vecbench.capacity.sizes import sized_datasets, subsample_rows
from vecbench.datasets import DatasetSpec, exact_ground_truth, load_dataset
from vecbench.errors import ConfigError


def test_every_point_runs_at_every_size_with_n_base(sweep: pd.DataFrame) -> None:
    assert sorted(sweep["n_base"].tolist()) == SIZES
    assert (sweep["status"] == "ok").all()
    assert sweep["point_key"].nunique() == len(SIZES)
    # the index grows with the base: bytes strictly increase with n
    ordered = sweep.sort_values("n_base")
    assert np.all(np.diff(ordered["index_bytes"].to_numpy()) > 0)


def test_sizes_share_queries_and_each_has_its_own_exact_truth() -> None:
    datasets = sized_datasets(parse_config(SWEEP))
    assert [d.n_base for d in datasets] == SIZES
    assert all(np.array_equal(d.queries, datasets[0].queries) for d in datasets)
    # synthetic: the base at n is the generator's base at n (a prefix), so keys match a plain run
    plain = load_dataset(DatasetSpec(**{**SWEEP["dataset"], "n_base": SIZES[1]}))
    assert plain.fingerprint == datasets[1].fingerprint
    truth = exact_ground_truth(datasets[0], 10, None)
    assert truth.ids.max() < SIZES[0]


def test_subsamples_are_nested_and_spread_over_the_base() -> None:
    spec = DatasetSpec(name="glove-6b-50", seed=4)
    small, large = subsample_rows(spec, 10_000, 1000), subsample_rows(spec, 10_000, 4000)
    assert set(small.tolist()) <= set(large.tolist())
    assert small.max() > 5000  # not a prefix of a frequency-ordered file


def test_without_sizes_point_keys_are_unchanged() -> None:
    config: dict[str, Any] = {k: v for k, v in SWEEP.items() if k != "sizes"}
    config["dataset"] = {**config["dataset"], "n_base": SIZES[-1]}
    plain = parse_config(config)
    sized = parse_config({**config, "sizes": [SIZES[-1]]})
    (one,) = sized_datasets(plain)
    (same,) = sized_datasets(sized)
    assert one.fingerprint == same.fingerprint
    keys = [q.key for p in expand_sweep(plain, one.fingerprint) for q in p.query_points]
    assert keys == [q.key for p in expand_sweep(sized, same.fingerprint) for q in p.query_points]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sizes": [100, 100]}, "lists a size twice"),
        ({"sizes": [0, 100]}, "sizes"),
        ({"sizes": []}, "sizes"),
        ({"dataset": {"name": "synthetic", "n_base": 500}, "sizes": [100, 1000]}, "raise n_base"),
        ({"filters": [{"pass_rate": 0.5}]}, "cannot be combined with filters"),
    ],
)
def test_bad_sizes_are_one_line_errors(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        sized_datasets(parse_config({**SWEEP, **change}))
    assert "\n" not in str(info.value)


def test_a_build_parameter_that_cannot_fit_the_smallest_size_names_it(tmp_path: Any) -> None:
    from vecbench.bench.runner import Runner

    config = parse_config(
        {**SWEEP, "sizes": [100, 400], "indexes": [{"adapter": "faiss-ivf", "build": {"nlist": 200}}]}
    )
    with pytest.raises(ConfigError, match="at size 100"):
        Runner(config, tmp_path, progress=False).run()


def test_the_report_draws_every_size_on_one_chart_per_cost(sweep: pd.DataFrame) -> None:
    from vecbench.reports.html.size_charts import has_sizes, size_charts

    assert has_sizes(sweep) and not has_sizes(sweep[sweep["n_base"] == SIZES[0]])
    charts = size_charts(sweep, {}, "synthetic")
    assert [c.name for c in charts] == ["size-memory", "size-build", "size-p99", "size-recall"]
    (line,) = charts[0].ax.get_lines()[:1]
    assert list(line.get_xdata()) == SIZES


def test_a_size_sweep_resumes_and_refuses_another_experiment(sweep_dir: Any) -> None:
    from vecbench.bench.runner import Runner

    summary = Runner(parse_config(SWEEP), sweep_dir, progress=False).run()
    assert summary.points_run == 0 and summary.points_skipped == len(SIZES)
    other = parse_config({**SWEEP, "dataset": {**SWEEP["dataset"], "seed": 99}})
    with pytest.raises(ConfigError, match="does not have"):
        Runner(other, sweep_dir, progress=False).run()
