"""Latency statistics derived from raw per-query samples."""

from __future__ import annotations

import numpy as np

PERCENTILES = {"p50": 50.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}


def latency_summary(samples_ns: np.ndarray) -> dict[str, float]:
    """p50/p95/p99/p99.9/mean/max in milliseconds from nanosecond samples (NaN when none)."""
    samples = np.asarray(samples_ns, dtype=np.float64) / 1e6
    keys = [*(f"latency_{name}_ms" for name in PERCENTILES), "latency_mean_ms", "latency_max_ms"]
    if samples.size == 0:
        return dict.fromkeys(keys, float("nan"))
    values = np.percentile(samples, list(PERCENTILES.values()))
    summary = {f"latency_{name}_ms": float(v) for name, v in zip(PERCENTILES, values, strict=True)}
    summary["latency_mean_ms"] = float(samples.mean())
    summary["latency_max_ms"] = float(samples.max())
    return summary
