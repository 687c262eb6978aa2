"""Latency histograms: one HdrHistogram per client, merged exactly, stored encoded.

HdrHistogram keeps every value to 3 significant digits over 1 ns .. 1 hour in fixed buckets, so
histograms from many clients and processes add bucket by bucket into exactly the histogram one
client would have recorded, unlike averaging per-client percentiles. Encoded histograms (the
library's compressed, base64 form) go into the raw file so percentiles can be recomputed later.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from hdrh.histogram import HdrHistogram

LOWEST_NS = 1
HIGHEST_NS = 3600 * 10**9
SIGNIFICANT_FIGURES = 3
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9}


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_FIGURES)


def record(histogram: HdrHistogram, value_ns: int) -> None:
    """Record one latency, clamped into the trackable range (0 ns becomes 1 ns)."""
    histogram.record_value(min(max(int(value_ns), LOWEST_NS), HIGHEST_NS))


def merged(histograms: Iterable[HdrHistogram]) -> HdrHistogram:
    total = new_histogram()
    for histogram in histograms:
        total.add(histogram)
    return total


def pack(encoded: Sequence[bytes]) -> dict[str, np.ndarray]:
    """Encoded histograms as two arrays for an ``.npz`` file: the bytes end to end, and offsets."""
    offsets = np.cumsum([0, *(len(e) for e in encoded)]).astype(np.int64)
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
    return {"bytes": data, "offsets": offsets}


def unpack(data: np.ndarray, offsets: np.ndarray) -> list[HdrHistogram]:
    raw = np.asarray(data, dtype=np.uint8).tobytes()
    bounds = np.asarray(offsets, dtype=np.int64)
    return [HdrHistogram.decode(raw[a:b]) for a, b in itertools.pairwise(bounds)]


def summary_ms(histogram: HdrHistogram, prefix: str) -> dict[str, float]:
    """``{prefix}_p50_ms`` .. ``{prefix}_p999_ms`` and ``{prefix}_max_ms``; NaN when empty."""
    if histogram.get_total_count() == 0:
        return {
            **{f"{prefix}_{name}_ms": float("nan") for name in PERCENTILES},
            f"{prefix}_max_ms": float("nan"),
        }
    out = {
        f"{prefix}_{name}_ms": histogram.get_value_at_percentile(q) / 1e6 for name, q in PERCENTILES.items()
    }
    out[f"{prefix}_max_ms"] = histogram.get_max_value() / 1e6
    return out


QUANTILE_SAMPLES = 2000


def quantile_samples(histogram: HdrHistogram, n: int = QUANTILE_SAMPLES) -> np.ndarray:
    """The distribution as ``n`` equally spaced quantiles (ns): a fixed-size sample the gate's
    bootstrap can resample like raw latencies, whatever the number of requests. Each quantile is
    the library's own ``get_value_at_percentile`` rule (first bucket whose running count reaches
    the target, reported as its highest equivalent value), found for all ``n`` at once."""
    total = histogram.get_total_count()
    if total == 0:
        return np.empty(0, dtype=np.int64)
    counts = np.ctypeslib.as_array(histogram.counts)[: histogram.counts_len].astype(np.int64)
    running = np.cumsum(counts)
    levels = (np.arange(n) + 0.5) / n * 100.0
    targets = np.maximum((levels * total / 100 + 0.5).astype(np.int64), 1)
    indices = np.searchsorted(running, targets, side="left")
    values = {
        int(i): histogram.get_highest_equivalent_value(histogram.get_value_from_index(int(i)))
        for i in np.unique(indices)
    }
    return np.asarray([values[int(i)] for i in indices], dtype=np.int64)


def load_latency_samples(raw: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """A load point's merged latency histogram as quantile samples; None for other raw files."""
    if "latency_hist" not in raw:
        return None
    return quantile_samples(merged(unpack(raw["latency_hist"], raw["latency_offsets"])))
