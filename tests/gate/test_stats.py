"""The bootstrap interval: it covers the truth when nothing changed, and pairing and repeats matter."""

from __future__ import annotations

import numpy as np

from vecbench.gate.stats import ratio_interval


def side(rng: np.random.Generator, difficulty: np.ndarray, repeats: int, repeat_sd: float) -> np.ndarray:
    """(repeats, n) latencies: per-query difficulty x per-repeat speed x per-sample noise."""
    speed = np.exp(rng.normal(0.0, repeat_sd, (repeats, 1)))
    return difficulty[None, :] * speed * np.exp(rng.normal(0.0, 0.1, (repeats, difficulty.size)))


def coverage(repeats: int, repeat_sd: float, trials: int = 120) -> float:
    """Share of trials where the 95% interval of an unchanged ratio contains 1."""
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(trials):
        difficulty = np.exp(rng.normal(0.0, 0.5, 150))
        est = ratio_interval(
            "latency_p50_ms",
            side(rng, difficulty, repeats, repeat_sd),
            side(rng, difficulty, repeats, repeat_sd),
            paired=True,
            confidence=0.95,
            resamples=400,
            rng=rng,
        )
        assert est.low is not None and est.high is not None
        hits += est.low <= 1.0 <= est.high
    return hits / trials


def test_interval_covers_an_unchanged_ratio_with_repeats() -> None:
    assert coverage(repeats=3, repeat_sd=0.03) >= 0.9


def test_one_repeat_cannot_see_worker_to_worker_variation() -> None:
    """Why the gate wants repeats: with one worker per side the interval only sees query noise."""
    assert coverage(repeats=1, repeat_sd=0.1) < 0.6 < coverage(repeats=5, repeat_sd=0.1)


def test_pairing_by_query_narrows_the_interval() -> None:
    rng = np.random.default_rng(3)
    difficulty = np.exp(rng.normal(0.0, 0.8, 300))
    base, cur = side(rng, difficulty, 3, 0.0), side(rng, difficulty, 3, 0.0) * 1.2
    widths = {}
    for paired in (True, False):
        est = ratio_interval(
            "latency_mean_ms", base, cur, paired=paired, confidence=0.95, resamples=1000, rng=rng
        )
        assert est.low is not None and est.high is not None and est.low < 1.2 < est.high
        widths[paired] = est.high - est.low
    assert widths[True] < widths[False] / 3


def test_a_single_sample_per_side_has_no_interval() -> None:
    rng = np.random.default_rng(0)
    est = ratio_interval(
        "build_s", np.array([[2.0]]), np.array([[3.0]]), paired=False, confidence=0.95, resamples=500, rng=rng
    )
    assert est.ratio == 1.5 and est.low is None and est.high is None


def test_qps_interval_uses_the_median_of_batch_runs() -> None:
    rng = np.random.default_rng(0)
    base = np.array([[100.0, 101.0, 99.0], [100.0, 102.0, 98.0]])
    est = ratio_interval("qps", base, base * 0.5, paired=False, confidence=0.9, resamples=500, rng=rng)
    assert est.ratio == 0.5 and est.low is not None and est.high is not None
    assert 0.45 < est.low <= 0.5 <= est.high < 0.55
