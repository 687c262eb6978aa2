"""How far each point's speed figures could move between timings, read from its raw samples.

A result row holds one median per speed figure; a choice between two points whose figures differ by
less than that movement is a coin toss on a shared machine. The interval of a point is the range of
its batch timings (every run of every repetition). Wall-clock figures (QPS, latency, build time) are
widened to the calibration band: the calibration kernel is timed eight times around each point, the
same fixed work every time, so the spread of its wall times is how much any wall-clock timing moved on
this machine while the point ran. CPU time leaves out the waiting that moves the kernel's wall time,
so that band would overstate its noise: a CPU figure's interval is its samples' range alone, and
with one batch timing (the default ``runs: 1, repeats: 1``) there is none, which reports say.

Figures that are not timings (recall, index size) are deterministic: their interval is the value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vecbench.metrics.catalog import METRICS, MetricKind
from vecbench.reports.store import RAW_DIR, raw_file_name

# Speed figures with one sample per batch run in the raw file: column -> (raw key, rate?).
BATCH_SAMPLES: dict[str, tuple[str, bool]] = {
    "qps": ("batch_ns", True),
    "cpu_ms_per_query": ("batch_cpu_ns", False),
}


@dataclass(frozen=True)
class Interval:
    """A figure's measured range; ``samples`` batch timings and whether a calibration band widened it."""

    low: float
    high: float
    samples: int = 0
    calibrated: bool = False

    def overlaps(self, other: Interval) -> bool:
        """True when neither interval lies wholly beyond the other (NaN bounds never overlap)."""
        return bool(self.low <= other.high and other.low <= self.high)


def _raws(out_dir: Path, point_key: str, repeats: int) -> list[Mapping[str, np.ndarray]]:
    found: list[Mapping[str, np.ndarray]] = []
    for repeat in range(max(repeats, 1)):
        path = out_dir / RAW_DIR / raw_file_name(point_key, repeat)
        if not path.is_file():
            continue
        try:
            with np.load(path) as data:
                wanted = ("batch_ns", "batch_cpu_ns", "calibration_ns", "ids")
                found.append({name: data[name] for name in wanted if name in data.files})
        except (OSError, ValueError):
            continue  # an unreadable raw file leaves the point without an interval, never stops a report
    return found


def _band(raws: list[Mapping[str, np.ndarray]]) -> tuple[float, float]:
    """(fastest, slowest) calibration time relative to its median, over every repetition's samples."""
    samples = [np.asarray(r["calibration_ns"], dtype=np.float64) for r in raws if "calibration_ns" in r]
    pooled = np.concatenate(samples) if samples else np.empty(0)
    pooled = pooled[pooled > 0]
    if pooled.size < 2:
        return (1.0, 1.0)
    median = float(np.median(pooled))
    return (float(pooled.min()) / median, float(pooled.max()) / median)


def point_interval(
    row: Mapping[str, Any] | pd.Series, column: str, raws: list[Mapping[str, np.ndarray]]
) -> Interval:
    """The interval of ``row[column]``: batch-sample range and calibration band for timings."""
    value = _num(row.get(column))
    if not math.isfinite(value):
        return Interval(math.nan, math.nan)
    info = METRICS.get(column)
    if info is None or info.kind is not MetricKind.SPEED:
        return Interval(value, value)
    fast, slow = _band(raws) if not column.startswith("cpu_") else (1.0, 1.0)
    rate = BATCH_SAMPLES.get(column, ("", info.higher_is_better))[1]
    # a timing scales with the kernel's time; a rate (queries per second) with its inverse
    low, high = (value / slow, value / fast) if rate else (value * fast, value * slow)
    samples = 0
    if column in BATCH_SAMPLES:
        key = BATCH_SAMPLES[column][0]
        values: list[float] = []
        for raw in raws:
            if key in raw and "ids" in raw and len(raw["ids"]):
                batch = np.asarray(raw[key], dtype=np.float64)
                batch = batch[batch > 0]
                n = len(raw["ids"])
                values.extend((n / (batch / 1e9)) if rate else (batch / 1e6 / n))
        samples = len(values)
        if values:
            low, high = min(low, min(values)), max(high, max(values))
    return Interval(low, high, samples, (fast, slow) != (1.0, 1.0))


def intervals(frame: pd.DataFrame, out_dir: Path | None, column: str) -> pd.DataFrame:
    """``low``, ``high``, ``samples`` and ``calibrated`` of ``column`` for every row (same index)."""
    records = []
    for _, row in frame.iterrows():
        key, repeats = row.get("point_key"), _num(row.get("repeats"))
        raws = (
            _raws(out_dir, str(key), int(repeats) if math.isfinite(repeats) else 1)
            if out_dir is not None and isinstance(key, str) and row.get("status") == "ok"
            else []
        )
        found = point_interval(row, column, raws)
        records.append(
            {"low": found.low, "high": found.high, "samples": found.samples, "calibrated": found.calibrated}
        )
    return pd.DataFrame(records, index=frame.index, columns=["low", "high", "samples", "calibrated"])


def single_repeat(frame: pd.DataFrame) -> bool:
    """True when every finished point was measured by one worker run (``repeats: 1``)."""
    if frame.empty or "repeats" not in frame:
        return False
    repeats = pd.to_numeric(frame.loc[frame["status"] == "ok", "repeats"], errors="coerce").dropna()
    return not repeats.empty and int(repeats.max()) <= 1


ONE_REPEAT_WARNING = (
    "this run has one repeat: each point was timed by one worker process, so its noise interval comes "
    "from that process alone (its batch runs and the calibration kernel around it); set repeats: 3 "
    "for intervals across processes"
)


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
