"""The raw timing samples behind one result row, per repetition, as the gate's statistics need them.

A row's QPS and latency percentiles are summaries; comparing two rows without their samples cannot
tell a regression from noise. ``PointSamples`` keeps, for each whole-point repetition, the batch
wall times, the per-query latencies, the build time and the calibration-kernel timings measured
beside them, and turns them into a metric's value with or without calibration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

SAMPLE_ARRAYS = ("latencies_ns", "batch_ns", "calibration_ns", "build_ns")

# Speed metric -> statistic over pooled per-query latencies in ms (vectorised over rows of a 2-d array).
LATENCY_STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "latency_p50_ms": lambda x: np.percentile(x, 50.0, axis=-1),
    "latency_p95_ms": lambda x: np.percentile(x, 95.0, axis=-1),
    "latency_p99_ms": lambda x: np.percentile(x, 99.0, axis=-1),
    "latency_p999_ms": lambda x: np.percentile(x, 99.9, axis=-1),
    "latency_mean_ms": lambda x: np.mean(x, axis=-1),
    "latency_max_ms": lambda x: np.max(x, axis=-1),
}
SAMPLED_METRICS = frozenset({"qps", "build_s", *LATENCY_STATISTICS})


@dataclass(frozen=True)
class PointSamples:
    """Per-repetition raw samples of one point. Arrays are (repeats, n) int64 nanoseconds."""

    n_queries: int
    latencies_ns: np.ndarray
    batch_ns: np.ndarray
    calibration_ns: np.ndarray  # (repeats, 0) when the results predate calibration
    build_ns: np.ndarray  # (repeats,) or (0,) when unknown

    @classmethod
    def from_raws(cls, raws: Sequence[Mapping[str, np.ndarray]], n_queries: int) -> PointSamples:
        """Stack the raw arrays of each repetition (the files the worker wrote, or a baseline's)."""

        def stack(name: str) -> np.ndarray:
            rows = [np.asarray(raw.get(name, np.empty(0)), dtype=np.int64).ravel() for raw in raws]
            if len({row.size for row in rows}) != 1:
                return np.empty((len(rows), 0), dtype=np.int64)  # ragged: treat as not recorded
            return np.stack(rows)

        build = stack("build_ns")
        return cls(
            n_queries=n_queries,
            latencies_ns=stack("latencies_ns"),
            batch_ns=stack("batch_ns"),
            calibration_ns=stack("calibration_ns"),
            build_ns=build[:, 0] if build.shape[1] else np.empty(0, dtype=np.int64),
        )

    def as_arrays(self) -> dict[str, np.ndarray]:
        """The arrays stored in a baseline's ``samples/<key>.npz`` (n_queries kept as a 0-d array)."""
        return {
            "n_queries": np.asarray(self.n_queries),
            "latencies_ns": self.latencies_ns,
            "batch_ns": self.batch_ns,
            "calibration_ns": self.calibration_ns,
            "build_ns": self.build_ns,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> PointSamples:
        return cls(
            n_queries=int(arrays["n_queries"]),
            latencies_ns=np.asarray(arrays["latencies_ns"], dtype=np.int64),
            batch_ns=np.asarray(arrays["batch_ns"], dtype=np.int64),
            calibration_ns=np.asarray(arrays["calibration_ns"], dtype=np.int64),
            build_ns=np.asarray(arrays["build_ns"], dtype=np.int64),
        )

    @property
    def repeats(self) -> int:
        return int(self.batch_ns.shape[0])

    @property
    def calibrated(self) -> bool:
        return self.calibration_ns.size > 0 and self.calibration_ns.shape[0] == self.repeats

    def calibration_ms(self) -> np.ndarray:
        """Median calibration-kernel time of each repetition, in ms: how fast that worker ran."""
        return np.median(self.calibration_ns.astype(np.float64), axis=1) / 1e6

    def values(self, metric: str, normalize: bool) -> np.ndarray:
        """Per-repetition sample matrix of a speed metric, in its unit or in kernel units.

        Latency (ms) and build time (s) are divided by the repetition's calibration time in ms, QPS
        multiplied by it: on a machine running everything 2x slower both move together.
        """
        scale = self.calibration_ms() if normalize else np.ones(self.repeats)
        if metric in LATENCY_STATISTICS:
            return self.latencies_ns.astype(np.float64) / 1e6 / scale[:, None]
        if metric == "qps":
            return self.n_queries / (self.batch_ns.astype(np.float64) / 1e9) * scale[:, None]
        if metric == "build_s":
            return (self.build_ns.astype(np.float64) / 1e9 / scale)[:, None]
        raise KeyError(f"no raw samples for metric '{metric}'")

    def has(self, metric: str) -> bool:
        """Whether the raw samples this metric needs were recorded."""
        if metric in LATENCY_STATISTICS:
            return self.latencies_ns.size > 0
        if metric == "qps":
            return self.batch_ns.size > 0
        return metric == "build_s" and self.build_ns.size == self.repeats and self.repeats > 0


def summarise(metric: str, pooled: np.ndarray) -> np.ndarray:
    """The metric's value from pooled samples (last axis), vectorised over leading axes.

    Same definitions as the result row: QPS is the median over batch runs, build time the median
    over repetitions, latencies the percentile (or mean, max) over every pooled query.
    """
    statistic = LATENCY_STATISTICS.get(metric)
    if statistic is not None:
        return statistic(pooled)
    return np.median(pooled, axis=-1)
