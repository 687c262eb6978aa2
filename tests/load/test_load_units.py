"""Arrival schedules, exact histogram merges, the M/D/1 model and the load: config (fast, no worker)."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.bench.config import parse_config
from vecbench.bench.sweep import expand_sweep
from vecbench.errors import ConfigError
from vecbench.load.histogram import merged, new_histogram, pack, record, summary_ms, unpack
from vecbench.load.queueing import md1_response_quantile
from vecbench.load.schedule import arrival_offsets_ns
from vecbench.load.spec import Burst

BASE = {
    "name": "units",
    "dataset": {"name": "synthetic", "n_base": 500, "n_queries": 20, "seed": 0, "options": {"dim": 8}},
    "indexes": [{"adapter": "exact"}, {"adapter": "hnswlib", "query": {"ef": [10, 40]}}],
}


def test_constant_schedule_is_evenly_spaced_at_the_rate() -> None:
    offsets = arrival_offsets_ns(200.0, "constant", 2.0)
    assert len(offsets) == 400
    assert set(np.diff(offsets).tolist()) <= {5_000_000, 4_999_999, 5_000_001}


def test_poisson_schedule_has_the_rate_and_exponential_gaps() -> None:
    offsets = arrival_offsets_ns(1000.0, "poisson", 20.0, seed=3)
    assert abs(len(offsets) - 20_000) < 4 * np.sqrt(20_000)
    gaps = np.diff(offsets) / 1e9
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.05)  # exponential: CV = 1
    assert np.array_equal(offsets, arrival_offsets_ns(1000.0, "poisson", 20.0, seed=3))  # seeded


def test_burst_multiplies_the_rate_during_on_phases() -> None:
    offsets = arrival_offsets_ns(100.0, "constant", 4.0, Burst(on_s=1.0, off_s=1.0, factor=5.0))
    seconds = offsets / 1e9
    on = ((seconds % 2.0) < 1.0).sum()
    off = len(seconds) - on
    assert on == pytest.approx(1000, abs=2) and off == pytest.approx(200, abs=2)


def test_histograms_merge_exactly_across_clients() -> None:
    rng = np.random.default_rng(0)
    values = rng.lognormal(13, 1, size=30_000).astype(np.int64)
    whole, parts = new_histogram(), [new_histogram() for _ in range(3)]
    for i, value in enumerate(values):
        record(whole, int(value))
        record(parts[i % 3], int(value))
    packed = pack([p.encode() for p in parts])
    again = merged(unpack(packed["bytes"], packed["offsets"]))
    assert summary_ms(again, "x") == summary_ms(whole, "x")
    assert again.get_total_count() == len(values)
    # and a percentile of the merge is not the mean of the clients' percentiles of a skewed split
    assert summary_ms(whole, "x")["x_p99_ms"] == pytest.approx(np.percentile(values, 99) / 1e6, rel=2e-3)


def test_md1_model_matches_a_simulated_queue() -> None:
    rng = np.random.default_rng(1)
    rate, service = 250.0, 0.002
    gaps = rng.exponential(1 / rate, 200_000)
    wait, waits = 0.0, np.empty(len(gaps))
    for i, gap in enumerate(gaps):  # Lindley's recursion
        waits[i] = wait
        wait = max(0.0, wait + service - gap)
    simulated = np.percentile(waits + service, [90, 99])
    model = [md1_response_quantile(q, rate, service) for q in (0.90, 0.99)]
    assert model == pytest.approx(simulated, rel=0.03)


def test_load_points_leave_existing_point_keys_alone() -> None:
    plain = parse_config(BASE)
    loaded = dict(BASE)
    loaded["indexes"] = [
        {"adapter": "exact", "load": {"mode": "open", "rate": [100, 200], "duration_s": 1}},
        {"adapter": "hnswlib", "query": {"ef": [10, 40]}, "load": {"mode": "closed", "clients": [1, 2]}},
    ]
    with_load = parse_config(loaded)
    keys = [[q.key for q in p.query_points] for p in expand_sweep(plain, "fp")]
    assert keys == [[q.key for q in p.query_points] for p in expand_sweep(with_load, "fp")]
    from vecbench.load.plan import load_points

    points = expand_sweep(with_load, "fp")
    loads = [load_points(with_load, p) for p in points]
    assert [len(x) for x in loads] == [2, 4]  # each rate, each (query point x client count)
    assert {x.query_key for x in loads[1]} == set(keys[1])
    assert len({x.key for group in loads for x in group} | {k for ks in keys for k in ks}) == 2 + 4 + 3


@pytest.mark.parametrize(
    ("load", "message"),
    [
        ({"mode": "open", "duration_s": 1}, "mode: open needs rate"),
        ({"mode": "closed"}, "mode: closed needs clients"),
        ({"mode": "closed", "clients": [1], "rate": [5]}, "belong to mode: open"),
        ({"mode": "open", "rate": [0]}, "every rate must be in"),
        ({"mode": "open", "rate": [10], "arrivals": "bursty"}, "arrivals"),
        ({"mode": "open", "rate": [10], "duraton_s": 3}, "did you mean 'duration_s'"),
        ({"mode": "closed", "clients": [1], "duration_s": 1e9}, "duration_s"),
    ],
)
def test_bad_load_blocks_are_one_line_errors(load: dict[str, object], message: str) -> None:
    data = dict(BASE)
    data["indexes"] = [{"adapter": "exact", "load": load}]
    with pytest.raises(ConfigError, match=message) as err:
        parse_config(data)
    assert "\n" not in str(err.value)


def test_load_override_reaches_every_entry_without_its_own() -> None:
    from vecbench.load.override import with_load
    from vecbench.load.plan import load_points

    data = dict(BASE)
    data["indexes"] = [{"adapter": "exact", "load": {"mode": "open", "rate": [5]}}, BASE["indexes"][1]]
    config = with_load(parse_config(data), "{mode: closed, clients: [1, 2]}")
    counts = [len(load_points(config, p)) for p in expand_sweep(config, "fp")]
    assert counts == [1, 4]  # the exact entry keeps its own; hnswlib: 2 query points x 2 client counts
    with pytest.raises(ConfigError, match=r"--load: .*mode") as err:
        with_load(parse_config(BASE), "{rate: [5]}")
    assert "\n" not in str(err.value)


def test_quantile_samples_follow_the_library_percentiles() -> None:
    from vecbench.load.histogram import QUANTILE_SAMPLES, quantile_samples

    histogram = new_histogram()
    for value in np.random.default_rng(2).lognormal(12, 1.5, size=5000).astype(np.int64):
        record(histogram, int(value))
    samples = quantile_samples(histogram)
    levels = (np.arange(QUANTILE_SAMPLES) + 0.5) / QUANTILE_SAMPLES * 100.0
    assert len(samples) == QUANTILE_SAMPLES and np.all(np.diff(samples) >= 0)
    for i in (0, 500, 1980, 1999):
        assert samples[i] == histogram.get_value_at_percentile(float(levels[i]))
