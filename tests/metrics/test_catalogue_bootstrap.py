"""The paired cluster bootstrap of catalogue-level metrics (coverage, Gini, entropy of exposure)."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.metrics import beyond_accuracy as ba
from vecbench.metrics import significance
from vecbench.metrics.significance import _draws, paired_bootstrap_statistic, paired_bootstrap_statistics

CATALOGUE = np.arange(30)
USERS = np.repeat(np.arange(6), 2)  # 6 users, 2 requests each


def statistics(catalogue: np.ndarray = CATALOGUE) -> dict[str, ba.Statistic]:
    return {name: ba.on_catalogue(fn, catalogue) for name, fn in ba.CATALOGUE_METRICS.items()}


def test_identical_runs_give_zero_delta_and_a_zero_interval() -> None:
    lists = np.array([[u, (u + 3) % 6] for u in USERS])
    for name, result in paired_bootstrap_statistics(lists, lists, USERS, statistics(), 200, seed=0).items():
        assert (result.delta, result.low, result.high) == (0.0, 0.0, 0.0), name
        assert not result.significant and result.n == 12


def test_a_strict_superset_of_items_has_a_coverage_interval_above_zero() -> None:
    narrow = np.array([[u, -1] for u in USERS])  # user u is shown item u: 6 of 30 items
    request = np.arange(12)
    wide = np.array(
        [[u, 10 + r] for u, r in zip(USERS, request, strict=True)]
    )  # plus one new item per request
    result = paired_bootstrap_statistic(wide, narrow, USERS, ba.on_catalogue(ba.coverage_of, CATALOGUE), 500)
    assert result.delta == pytest.approx((18 - 6) / 30)  # hand count: 18 items shown against 6
    assert 0 < result.low <= result.delta <= result.high and result.significant
    assert (
        paired_bootstrap_statistic(narrow, wide, USERS, ba.on_catalogue(ba.coverage_of, CATALOGUE), 500).high
        < 0
    )


@pytest.mark.parametrize("chunk_cells", [8_000_000, 70])  # one chunk of resamples, or several
def test_resamples_match_a_direct_recomputation_on_the_resampled_requests(
    chunk_cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Independent reference: rebuild each resample's requests and call the plain metric functions."""
    monkeypatch.setattr(significance, "_CHUNK_CELLS", chunk_cells)
    rng = np.random.default_rng(7)
    users = rng.integers(0, 15, 40)
    a, b = rng.integers(-1, 35, (40, 5)), rng.integers(-1, 35, (40, 5))  # items 30..34: outside the catalogue
    resamples, seed = 60, 3
    got = paired_bootstrap_statistics(a, b, users, statistics(), resamples, seed, level=0.9)
    distinct = np.unique(users)
    for name in ba.CATALOGUE_METRICS:
        plain = getattr(ba, name)
        assert got[name].delta == pytest.approx(plain(a, CATALOGUE) - plain(b, CATALOGUE), abs=1e-12)
        diffs = []
        for draw in _draws(distinct.size, resamples, seed):
            rows = np.concatenate([np.flatnonzero(users == distinct[c]) for c in draw])
            diffs.append(plain(a[rows], CATALOGUE) - plain(b[rows], CATALOGUE))
        low, high = np.percentile(diffs, [5, 95]) + (got[name].delta - np.mean(diffs))
        assert (got[name].low, got[name].high) == (
            pytest.approx(low, abs=1e-12),
            pytest.approx(high, abs=1e-12),
        )


def test_the_same_seed_gives_the_same_draws_as_the_per_request_bootstrap() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 30, (12, 3)), rng.integers(0, 30, (12, 3))
    stat = ba.on_catalogue(ba.gini_of, CATALOGUE)
    assert paired_bootstrap_statistic(a, b, USERS, stat, 100, seed=4) == paired_bootstrap_statistic(
        a, b, USERS, stat, 100, seed=4
    )
    assert paired_bootstrap_statistic(a, b, USERS, stat, 100, seed=4) != paired_bootstrap_statistic(
        a, b, USERS, stat, 100, seed=5
    )


def test_mismatched_runs_are_refused() -> None:
    with pytest.raises(ValueError, match="one list per request"):
        paired_bootstrap_statistic(
            np.zeros((3, 2), int),
            np.zeros((2, 2), int),
            np.arange(3),
            ba.on_catalogue(ba.coverage_of, CATALOGUE),
        )
