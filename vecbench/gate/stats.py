"""Confidence intervals for the ratio current / baseline of a speed metric, by bootstrap.

Two sources of noise are resampled, level by level: whole-point repetitions (independent worker
processes: build, memory layout, what else the machine ran at that moment) and, within them, the
samples a metric is computed from (the queries for latency, the batch runs for QPS). Latency is
*paired*: both sides answered the same queries, so one draw of query indices is applied to both,
and how hard a query is cancels out of the ratio instead of widening the interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vecbench.gate.samples import summarise

MAX_CHUNK_ELEMENTS = 2_000_000  # bounds the memory of one vectorised block of resamples


@dataclass(frozen=True)
class RatioEstimate:
    """current / baseline, with a two-sided interval (None when nothing could be resampled)."""

    ratio: float
    low: float | None
    high: float | None


def _draw(values: np.ndarray, reps: np.ndarray, inner: np.ndarray, paired: bool) -> np.ndarray:
    """Resampled pooled samples, one row per resample: chosen repetitions, then chosen samples."""
    # paired: inner is (c, n), shared by every repetition; else (c, R, n), drawn per repetition
    block = values[reps[:, :, None], inner[:, None, :] if paired else inner]
    return block.reshape(block.shape[0], -1)


def ratio_interval(
    metric: str,
    baseline: np.ndarray,
    current: np.ndarray,
    *,
    paired: bool,
    confidence: float,
    resamples: int,
    rng: np.random.Generator,
) -> RatioEstimate:
    """Bootstrap the ratio of ``metric`` over (repeats, n) sample matrices of both sides.

    ``paired`` needs the same n on both sides, sample j of each repetition being the same query.
    """
    ratio = float(summarise(metric, current.ravel()) / summarise(metric, baseline.ravel()))
    if baseline.size <= 1 and current.size <= 1:
        return RatioEstimate(ratio, None, None)
    if paired and baseline.shape[1] != current.shape[1]:
        raise ValueError("paired samples need the same number of queries on both sides")
    (rb, nb), (rc, nc) = baseline.shape, current.shape
    per_resample = rb * nb + rc * nc
    chunk = max(1, min(resamples, MAX_CHUNK_ELEMENTS // max(per_resample, 1)))
    logs = np.empty(resamples)
    for start in range(0, resamples, chunk):
        c = min(chunk, resamples - start)
        reps_b = rng.integers(rb, size=(c, rb))
        reps_c = rng.integers(rc, size=(c, rc))
        if paired:
            shared = rng.integers(nb, size=(c, nb))
            inner_b = inner_c = shared
        else:
            inner_b = rng.integers(nb, size=(c, rb, nb))
            inner_c = rng.integers(nc, size=(c, rc, nc))
        stat_b = summarise(metric, _draw(baseline, reps_b, inner_b, paired))
        stat_c = summarise(metric, _draw(current, reps_c, inner_c, paired))
        logs[start : start + c] = np.log(stat_c) - np.log(stat_b)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(logs, [alpha, 1.0 - alpha])
    return RatioEstimate(ratio, float(np.exp(low)), float(np.exp(high)))
