"""The raw timing samples behind one result row, per repetition, as the gate's statistics need them.

A row's QPS and latency percentiles are summaries; comparing two rows without their samples cannot
tell a regression from noise. ``PointSamples`` keeps, for each whole-point repetition, the batch
wall and CPU times, the per-query wall and CPU latencies, the build time and the calibration-kernel
timings measured beside them, and turns them into a metric's samples, calibrated or not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# Raw arrays the gate reads (and a baseline stores); each is stacked to (repeats, n) per point.
SAMPLE_ARRAYS = (
    "latencies_ns",
    "latencies_cpu_ns",
    "batch_ns",
    "batch_cpu_ns",
    "calibration_ns",
    "build_ns",
    "load_latencies_ns",  # hook: issue 12 (a load point's merged histogram as quantile samples)
)

Statistic = Callable[[np.ndarray], np.ndarray]


def _percentile(q: float) -> Statistic:
    return lambda x: np.percentile(x, q, axis=-1)


def _median(x: np.ndarray) -> np.ndarray:
    return np.median(x, axis=-1)


@dataclass(frozen=True)
class SampledMetric:
    """How a result column is computed from raw samples, so the gate can resample it.

    ``array`` is the raw array; ``scale`` turns one sample into the metric's unit given the number
    of queries; ``statistic`` summarises pooled samples exactly as the result row does; ``paired``
    marks per-query samples (sample j is query j on both sides); ``throughput`` marks rates (QPS),
    which calibration multiplies instead of divides.
    """

    array: str
    scale: Callable[[np.ndarray, int], np.ndarray]
    statistic: Statistic
    paired: bool = False
    throughput: bool = False


def _ms(x: np.ndarray, n: int) -> np.ndarray:
    return x / 1e6


SAMPLED: dict[str, SampledMetric] = {
    "qps": SampledMetric("batch_ns", lambda x, n: n / (x / 1e9), _median, throughput=True),
    "cpu_ms_per_query": SampledMetric("batch_cpu_ns", lambda x, n: x / 1e6 / n, _median),
    "latency_p50_ms": SampledMetric("latencies_ns", _ms, _percentile(50.0), paired=True),
    "latency_p95_ms": SampledMetric("latencies_ns", _ms, _percentile(95.0), paired=True),
    "latency_p99_ms": SampledMetric("latencies_ns", _ms, _percentile(99.0), paired=True),
    "latency_p999_ms": SampledMetric("latencies_ns", _ms, _percentile(99.9), paired=True),
    "latency_mean_ms": SampledMetric("latencies_ns", _ms, lambda x: np.mean(x, axis=-1), paired=True),
    "latency_max_ms": SampledMetric("latencies_ns", _ms, lambda x: np.max(x, axis=-1), paired=True),
    "cpu_latency_p50_ms": SampledMetric("latencies_cpu_ns", _ms, _percentile(50.0), paired=True),
    "build_s": SampledMetric("build_ns", lambda x, n: x / 1e9, _median),
    # hook: issue 12. Latency under load at a fixed offered rate (one load row per rate).
    "load_p50_ms": SampledMetric("load_latencies_ns", _ms, _percentile(50.0)),
    "load_p99_ms": SampledMetric("load_latencies_ns", _ms, _percentile(99.0)),
}


@dataclass(frozen=True)
class PointSamples:
    """Per-repetition raw samples of one point: ``arrays[name]`` is (repeats, n) int64 nanoseconds.

    An array the results predate (or that was switched off, like latency) is absent.
    """

    n_queries: int
    arrays: dict[str, np.ndarray]

    @classmethod
    def from_raws(cls, raws: Sequence[Mapping[str, np.ndarray]], n_queries: int) -> PointSamples:
        """Stack the raw arrays of each repetition (the files the worker wrote)."""
        arrays = {}
        raws = [_with_load_samples(raw) for raw in raws]  # hook: issue 12
        for name in SAMPLE_ARRAYS:
            rows = [np.asarray(raw[name], dtype=np.int64).ravel() for raw in raws if name in raw]
            if len(rows) == len(raws) and len({row.size for row in rows}) == 1 and rows[0].size:
                arrays[name] = np.stack(rows)
        return cls(n_queries, arrays)

    def as_arrays(self) -> dict[str, np.ndarray]:
        """The arrays stored in a baseline's ``samples/<key>.npz``."""
        return {"n_queries": np.asarray(self.n_queries), **self.arrays}

    @classmethod
    def from_arrays(cls, data: Mapping[str, np.ndarray]) -> PointSamples:
        arrays = {name: np.asarray(data[name], dtype=np.int64) for name in SAMPLE_ARRAYS if name in data}
        return cls(int(data["n_queries"]), arrays)

    @classmethod
    def concat(cls, parts: Sequence[PointSamples]) -> PointSamples:
        """The repetitions of several runs of one point as one set (arrays they all hold alike)."""
        arrays = {}
        for name in SAMPLE_ARRAYS:
            stacks = [part.arrays[name] for part in parts if name in part.arrays]
            if len(stacks) == len(parts) and len({stack.shape[1] for stack in stacks}) == 1:
                arrays[name] = np.concatenate(stacks)
        return cls(parts[0].n_queries, arrays)

    @property
    def repeats(self) -> int:
        return int(next(iter(self.arrays.values())).shape[0]) if self.arrays else 0

    @property
    def calibrated(self) -> bool:
        return "calibration_ns" in self.arrays

    def calibration_ms(self) -> np.ndarray:
        """Each repetition's speed: its fastest calibration-kernel pass, in ms.

        The fastest pass, not the median: interference from other processes only ever adds time,
        so the minimum is what the machine itself can do and stays put while the load changes.
        """
        return np.min(self.arrays["calibration_ns"].astype(np.float64), axis=1) / 1e6

    def has(self, metric: str) -> bool:
        """Whether the raw samples this metric needs were recorded."""
        spec = SAMPLED.get(metric)
        return spec is not None and spec.array in self.arrays

    def values(self, metric: str, normalize: bool) -> np.ndarray:
        """(repeats, n) samples of a metric in its unit, or in calibration-kernel units.

        Normalised times are divided by the repetition's kernel time in ms, rates multiplied by
        it: on a machine that runs everything 2x slower, both the metric and the kernel move.
        """
        spec = SAMPLED[metric]
        values = spec.scale(self.arrays[spec.array].astype(np.float64), self.n_queries)
        if not normalize:
            return values
        kernel = self.calibration_ms()[:, None]
        return values * kernel if spec.throughput else values / kernel


WALL_CLOCK_ARRAYS = frozenset({"batch_ns", "latencies_ns", "build_ns", "load_latencies_ns"})


def _with_load_samples(raw: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    """A load point's raw file with its latency histogram as samples (other files unchanged)."""
    from vecbench.load.histogram import load_latency_samples

    samples = load_latency_samples(raw)
    return raw if samples is None else {**raw, "load_latencies_ns": samples}


def is_wall_clock(metric: str) -> bool:
    """Whether a metric is timed by the wall clock, which a busy machine slows (CPU time is not)."""
    spec = SAMPLED.get(metric)
    return spec is not None and spec.array in WALL_CLOCK_ARRAYS


def summarise(metric: str, pooled: np.ndarray) -> np.ndarray:
    """The metric's value from pooled samples (last axis), vectorised over leading axes."""
    return SAMPLED[metric].statistic(pooled)
