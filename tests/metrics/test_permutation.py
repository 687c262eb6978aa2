"""The paired randomisation test, multiplicity correction, and intervals that hold their own delta."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vecbench.metrics import beyond_accuracy as ba
from vecbench.metrics.significance import (
    EXACT_MAX_CLUSTERS,
    adjust,
    paired_bootstrap,
    paired_bootstrap_statistics,
    paired_permutation,
    paired_permutation_statistics,
)


@pytest.mark.parametrize(("moved", "expected"), [(4, 2 / 16), (5, 2 / 32)])
def test_a_few_requests_all_moving_one_way_give_the_exact_sign_flip_p(moved: int, expected: float) -> None:
    """The issue's case: 4-5 of 300 requests (different users) improve, the rest tie."""
    users = np.arange(300)
    base = np.zeros(300)
    better = base.copy()
    better[:moved] = 0.5
    p = paired_permutation(better, base, users)
    assert p == pytest.approx(expected)
    assert p > 0.05  # not significant, whatever the bootstrap interval says
    boot = paired_bootstrap(better, base, users, 1000, seed=0)
    assert boot.low <= boot.delta <= boot.high


def test_exact_enumeration_matches_a_brute_force_over_user_swaps() -> None:
    """Independent reference: swap each subset of users, recompute the mean difference directly."""
    rng = np.random.default_rng(3)
    users = np.array([0, 0, 1, 2, 2, 2, 3, 4, 5, 5])
    a, b = rng.normal(size=10), rng.normal(size=10)
    observed = abs(np.mean(a - b))
    extreme = 0
    patterns = list(itertools.product((False, True), repeat=6))
    for swap in patterns:
        flipped = np.array(swap)[users]
        diff = np.where(flipped, b - a, a - b)
        extreme += abs(diff.mean()) >= observed - 1e-12
    assert paired_permutation(a, b, users) == pytest.approx(extreme / len(patterns))


def test_monte_carlo_is_seeded_and_finds_a_clear_shift() -> None:
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(100), 2)
    base = rng.random(200)
    shifted = base + 0.05 + rng.normal(0, 0.01, 200)
    assert EXACT_MAX_CLUSTERS < 100
    p = paired_permutation(shifted, base, users, permutations=500, seed=1)
    assert p == pytest.approx(1 / 501)  # nothing as extreme: the smallest p the draws allow
    noise = base + rng.normal(0, 0.05, 200)
    assert paired_permutation(noise, base, users, 500, seed=1) == paired_permutation(noise, base, users, 500, seed=1)
    assert paired_permutation(noise, base, users, 500, seed=1) > 0.01
    assert paired_permutation(base, base, users) == 1.0
    assert np.isnan(paired_permutation(np.full(3, np.nan), np.zeros(3), np.arange(3)))


def test_catalogue_permutation_matches_a_brute_force_over_user_swaps() -> None:
    rng = np.random.default_rng(5)
    catalogue = np.arange(20)
    users = np.repeat(np.arange(5), 2)
    a, b = rng.integers(0, 20, (10, 3)), rng.integers(0, 20, (10, 3))
    stats = {name: ba.on_catalogue(fn, catalogue) for name, fn in ba.CATALOGUE_METRICS.items()}
    got = paired_permutation_statistics(a, b, users, stats)
    for name in ba.CATALOGUE_METRICS:
        plain = getattr(ba, name)
        observed = abs(plain(a, catalogue) - plain(b, catalogue))
        extreme = 0
        patterns = list(itertools.product((False, True), repeat=5))
        for swap in patterns:
            flipped = np.array(swap)[users][:, None]
            a2, b2 = np.where(flipped, b, a), np.where(flipped, a, b)
            extreme += abs(plain(a2, catalogue) - plain(b2, catalogue)) >= observed * (1 - 1e-9) - 1e-15
        assert got[name] == pytest.approx(extreme / len(patterns)), name
    assert paired_permutation_statistics(a, a, users, stats) == dict.fromkeys(stats, 1.0)


def test_catalogue_interval_holds_its_delta_when_resamples_are_degenerate() -> None:
    """The reported bug: one user of 400 differs by a single item; nearly every resampled coverage
    difference is 0 and the mean-shifted interval used to sit beside the observed delta of 0."""
    users = np.arange(400)
    catalogue = np.arange(500)
    a = np.stack([users, users + 1], axis=1) % 500
    b = a.copy()
    b[0, 1] = 499  # user 0 sees item 499 instead of item 1, which user 1 shows anyway...
    a[0, 1] = 2  # ... and in A item 2, which user 1 also shows: A covers one item fewer
    stats = {"coverage": ba.on_catalogue(ba.coverage_of, catalogue)}
    got = paired_bootstrap_statistics(a, b, users, stats, resamples=1000, seed=0)["coverage"]
    assert got.delta == pytest.approx(-1 / 500)
    assert got.low <= got.delta <= got.high
    same_coverage = b.copy()
    same_coverage[0, 1] = 498  # a different unseen item: coverage equal, the lists differ
    tie = paired_bootstrap_statistics(same_coverage, b, users, stats, resamples=1000, seed=0)["coverage"]
    assert tie.delta == 0.0 and tie.low <= 0.0 <= tie.high and not tie.significant


def test_holm_and_benjamini_hochberg_against_hand_computed_values() -> None:
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.005])
    holm = adjust(p, "holm")  # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, running max
    assert holm[[4, 0, 2, 1]] == pytest.approx([0.02, 0.03, 0.06, 0.06])
    assert np.isnan(holm[3])
    bh = adjust(p, "bh")  # 0.005*4/1, 0.01*4/2, 0.03*4/3, 0.04*4/4, running min from the top
    assert bh[[4, 0, 2, 1]] == pytest.approx([0.02, 0.02, 0.04, 0.04])
    assert adjust(p, "none")[[0, 1]] == pytest.approx([0.01, 0.04])
    assert adjust(np.array([0.9, 0.8]), "holm").max() == 1.0
    assert np.isnan(adjust(np.array([np.nan]), "bh")).all()
