"""Choices that hold under noise: intervals from raw samples, 'equivalent' best points, frontiers
that keep points beaten only within the noise, and the one-repeat warning.

The raw files are written the way the worker writes them (np.savez of the timing arrays), with
timings chosen so the expected answers can be worked out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from vecbench.reports.constraints import Constraints, best_choices, constraints_from
from vecbench.reports.frontier import WITHIN_NOISE, frontier, speed_column
from vecbench.reports.noise import ONE_REPEAT_WARNING, intervals, point_interval
from vecbench.reports.schema import conform
from vecbench.reports.store import RAW_DIR, raw_file_name
from vecbench.reports.table import format_results

N = 100  # queries per batch


def write_point(out: Path, key: str, cpu_ms: list[float], wall_ms: list[float], repeat: int = 0) -> None:
    """One repetition's raw file: per-run batch CPU and wall time for N queries, a steady kernel."""
    (out / RAW_DIR).mkdir(parents=True, exist_ok=True)
    np.savez(
        out / RAW_DIR / raw_file_name(key, repeat),
        ids=np.zeros((N, 10), dtype=np.int64),
        batch_cpu_ns=np.asarray([ms * 1e6 * N for ms in cpu_ms], dtype=np.int64),
        batch_ns=np.asarray([ms * 1e6 * N for ms in wall_ms], dtype=np.int64),
        calibration_ns=np.full(8, 2_000_000, dtype=np.int64),
    )


def row(
    key: str, adapter: str, recall: float, cpu_ms: float, repeats: int = 1, **extra: Any
) -> dict[str, Any]:
    return {"experiment": "x", "dataset": "d", "dataset_fingerprint": "f", "k": 10, "n_queries": N,
            "adapter": adapter, "label": adapter, "build_params": json.dumps({"b": key}), "query_params": "{}",
            "recall": recall, "cpu_ms_per_query": cpu_ms, "qps": 1000.0 / cpu_ms, "latency_p99_ms": 1.0,
            "index_bytes": 1000, "build_s": 1.0, "status": "ok", "point_key": key, "repeats": repeats,
            **extra}  # fmt: skip


def test_intervals_come_from_the_samples(tmp_path: Path) -> None:
    write_point(tmp_path, "a", [0.10, 0.12], [0.2, 0.3])
    write_point(tmp_path, "a", [0.11], [0.25], repeat=1)
    frame = conform(pd.DataFrame([row("a", "x", 0.9, 0.11, repeats=2, qps=4000.0)]))
    cpu = intervals(frame, tmp_path, "cpu_ms_per_query").iloc[0]
    assert (cpu["low"], cpu["high"], cpu["samples"]) == (pytest.approx(0.10), pytest.approx(0.12), 3)
    qps = intervals(frame, tmp_path, "qps").iloc[0]
    assert qps["low"] == pytest.approx(1000 / 0.3) and qps["high"] == pytest.approx(1000 / 0.2)
    fixed = point_interval(frame.iloc[0], "recall", [])
    assert (fixed.low, fixed.high) == (0.9, 0.9)  # recall is deterministic: no interval


def test_a_wall_clock_figure_widens_to_the_calibration_band(tmp_path: Path) -> None:
    """The kernel took 1-3 ms around the point (median 2): a wall timing could have been 0.5x-1.5x."""
    write_point(tmp_path, "a", [0.1], [0.2])
    raw = dict(np.load(tmp_path / RAW_DIR / "a.npz"))
    raw["calibration_ns"] = np.asarray([1, 2, 2, 2, 2, 2, 2, 3], dtype=np.int64) * 1_000_000
    values = row("a", "x", 0.9, 0.1, latency_p99_ms=4.0)
    p99 = point_interval(values, "latency_p99_ms", [raw])
    assert (p99.low, p99.high, p99.calibrated) == (pytest.approx(2.0), pytest.approx(6.0), True)
    cpu = point_interval(values, "cpu_ms_per_query", [raw])  # CPU time does not count the waiting
    assert (cpu.low, cpu.high) == (pytest.approx(0.1), pytest.approx(0.1))


def test_best_is_lowest_cpu_time_and_overlapping_points_are_equivalent(tmp_path: Path) -> None:
    write_point(tmp_path, "fast", [0.100, 0.104, 0.108], [0.1, 0.5, 0.9])
    write_point(tmp_path, "close", [0.106, 0.110, 0.112], [0.1, 0.1, 0.1])
    write_point(tmp_path, "slow", [0.200, 0.210, 0.220], [0.05, 0.05, 0.05])  # highest wall QPS
    frame = conform(
        pd.DataFrame(
            [
                row("fast", "a", 0.95, 0.104, qps=2000.0),
                row("close", "b", 0.95, 0.110, qps=10000.0),
                row("slow", "c", 0.95, 0.210, qps=20000.0),
            ]
        )
    )
    assert Constraints().objective == "cpu_ms_per_query"
    choices = best_choices(frame, Constraints(recall_min=0.9), tmp_path)
    overall = choices[0]
    assert overall.row is not None and overall.row["point_key"] == "fast"
    assert [r["point_key"] for r in overall.equivalent] == ["close"]
    assert {c.scope: c.versus for c in choices[1:]} == {"a": "best", "b": "equivalent", "c": "worse"}
    # without the raw samples nothing is known about the noise: only exact ties would be equivalent
    assert best_choices(frame, Constraints(recall_min=0.9))[0].equivalent == ()
    by_qps = best_choices(frame, Constraints(recall_min=0.9, objective="qps"), tmp_path)[0]
    assert by_qps.row is not None and by_qps.row["point_key"] == "slow"


def test_objective_cpu_time_is_a_config_key() -> None:
    assert (
        constraints_from({"constraints": {"objective": "cpu_ms_per_query"}}).objective == "cpu_ms_per_query"
    )
    assert speed_column("recall") == "cpu_ms_per_query" and speed_column("qps") == "qps"


def test_frontier_keeps_a_point_beaten_within_the_noise(tmp_path: Path) -> None:
    write_point(tmp_path, "top", [0.10, 0.14], [0.1])  # recall 0.99, 7.1-10k queries per CPU-s
    write_point(tmp_path, "near", [0.13, 0.15], [0.1])  # lower recall, slower, ranges overlap
    write_point(tmp_path, "far", [0.40, 0.41], [0.1])  # lower recall and far slower
    write_point(tmp_path, "low", [0.05, 0.05], [0.1])  # lowest recall but fastest: on the frontier
    frame = conform(
        pd.DataFrame(
            [
                row("top", "a", 0.99, 0.12),
                row("near", "a", 0.98, 0.14),
                row("far", "a", 0.97, 0.405),
                row("low", "a", 0.90, 0.05),
            ]
        )
    )
    found = frontier(frame, "cpu_ms_per_query", ["adapter"], tmp_path).set_index("point_key")["frontier"]
    assert found.to_dict() == {"top": "yes", "near": WITHIN_NOISE, "low": "yes"}
    shown = format_results(frame, pareto=True, out_dir=tmp_path, objective="cpu_ms_per_query")
    assert "3 of 4 finished point(s)" in shown and "off the frontier: a b=far" in shown
    assert "within noise" in shown and ONE_REPEAT_WARNING in shown
