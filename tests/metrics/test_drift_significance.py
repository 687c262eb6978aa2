"""Neighbour-set stability and the paired bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.indexes.base import Metric
from vecbench.metrics.drift import jaccard, neighbour_stability
from vecbench.metrics.significance import paired_bootstrap


def test_jaccard_hand_cases() -> None:
    assert jaccard([np.array([1, 2])], [np.array([2, 3])]).tolist() == [pytest.approx(1 / 3)]
    assert jaccard([np.array([1, 2])], [np.array([1, 2])]).tolist() == [1.0]
    assert jaccard([np.array([1])], [np.array([2])]).tolist() == [0.0]


def test_stability_is_one_under_rotation_and_falls_under_noise() -> None:
    rng = np.random.default_rng(0)
    items = np.arange(300)
    vectors = rng.normal(size=(300, 8))
    rotation, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    probes = np.arange(0, 300, 10)
    same = neighbour_stability((items, vectors), (items, vectors @ rotation), probes, 10, Metric.ANGULAR)
    assert same.min() == pytest.approx(1.0)
    noisy = neighbour_stability(
        (items, vectors), (items, vectors + rng.normal(scale=0.5, size=vectors.shape)), probes, 10, Metric.ANGULAR
    )
    assert 0.0 < noisy.mean() < 0.9


def test_bootstrap_detects_a_real_shift_and_not_noise() -> None:
    rng = np.random.default_rng(1)
    users = np.repeat(np.arange(100), 2)
    base = rng.random(200)
    same = paired_bootstrap(base, base, users, 500, seed=0)
    assert same.delta == 0.0 and same.low == 0.0 and same.high == 0.0 and not same.significant
    shifted = paired_bootstrap(base + 0.05 + rng.normal(0, 0.01, 200), base, users, 500, seed=0)
    assert shifted.significant and shifted.low < 0.05 < shifted.high
    noise = paired_bootstrap(base + rng.normal(0, 0.05, 200), base, users, 500, seed=0)
    assert noise.low < 0 < noise.high
    again = paired_bootstrap(base + rng.normal(0, 0.05, 200), base, users, 500, seed=0)
    assert paired_bootstrap(base, base + 1, users, 200, seed=3) == paired_bootstrap(base, base + 1, users, 200, seed=3)
    assert again.n == 200


def test_bootstrap_ignores_undefined_requests() -> None:
    a = np.array([1.0, np.nan, 3.0])
    result = paired_bootstrap(a, np.zeros(3), np.arange(3), 100)
    assert result.n == 2 and result.delta == pytest.approx(2.0)
