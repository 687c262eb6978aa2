"""Result directories with known timing distributions, for testing the gate's logic without runs.

Samples are drawn the way measurements behave: every query has its own fixed difficulty (the same
on both sides, so pairing matters), each repetition has its own speed factor, and every sample gets
multiplicative noise. ``slowdown`` scales the true cost, which is what an injected regression does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from vecbench.reports.store import ResultStore, raw_file_name

QUERY_SEED = 12345  # query difficulties are a property of the dataset: the same for every side


@dataclass(frozen=True)
class FakePoint:
    key: str
    label: str = "hnswlib"
    query_params: dict[str, Any] = field(default_factory=lambda: {"ef": 32})
    recall: float = 0.95
    latency_us: float = 30.0
    slowdown: float = 1.0
    index_bytes: int = 1_000_000
    rss_peak_bytes: int = 200_000_000
    status: str = "ok"
    repeats: int = 3
    runs: int = 3
    n_queries: int = 300
    noise: float = 0.05  # sd of log-noise per sample
    repeat_noise: float = 0.03  # sd of log-speed per repetition
    calibration_ms: float = 1.8
    calibrated: bool = True
    load: float = 1.0  # a busy machine: wall-clock samples and the kernel slow by this, CPU time does not

    def with_(self, **changes: Any) -> FakePoint:
        return replace(self, **changes)


def fabricate(
    out: Path,
    points: list[FakePoint],
    *,
    seed: int = 0,
    hostname: str = "host-a",
    cpu_model: str = "cpu-x",
    fingerprint: str = "fp-1",
    dataset: str = "synthetic",
    threads: int = 1,
) -> Path:
    """Write ``results.parquet``, ``environment.json`` and raw files for ``points`` into ``out``."""
    rng = np.random.default_rng(seed)
    store = ResultStore(out)
    store.prepare()
    env = {"hostname": hostname, "cpu_model": cpu_model, "calibration": {"median_ms": 1.8}}
    store.write_environment(env)
    rows = []
    for point in points:
        row: dict[str, Any] = {
            "experiment": "fake",
            "dataset": dataset,
            "dataset_fingerprint": fingerprint,
            "metric": "euclidean",
            "n_base": 1000,
            "n_queries": point.n_queries,
            "dim": 8,
            "adapter": point.label,
            "label": point.label,
            "build_params": json.dumps({"M": 8}),
            "query_params": json.dumps(point.query_params, sort_keys=True),
            "k": 10,
            "status": point.status,
            "point_key": point.key,
            "build_key": "b-" + point.key,
            "threads": threads,
            "runs": point.runs,
            "repeats": point.repeats,
        }
        if point.status == "ok":
            row.update(_raw_files(store, point, rng))
        else:
            row["error"] = "RuntimeError: injected"
        rows.append(row)
    store.append(rows, env)
    return out


def _raw_files(store: ResultStore, point: FakePoint, rng: np.random.Generator) -> dict[str, Any]:
    difficulty = np.random.default_rng(QUERY_SEED).lognormal(0.0, 0.4, point.n_queries)
    cost_ns = point.latency_us * 1e3 * point.slowdown
    latencies, batches, kernels = [], [], []
    for repeat in range(point.repeats):
        speed = float(np.exp(rng.normal(0.0, point.repeat_noise)))
        lat = cost_ns * difficulty * speed * np.exp(rng.normal(0.0, point.noise, point.n_queries))
        batch = cost_ns * point.n_queries * 0.7 * speed * np.exp(rng.normal(0.0, point.noise, point.runs))
        arrays = {
            "ids": np.zeros((point.n_queries, 10), dtype=np.int64),
            "latencies_ns": (lat * point.load).astype(np.int64),
            "latencies_cpu_ns": (lat * 0.98).astype(np.int64),
            "batch_ns": (batch * point.load).astype(np.int64),
            "batch_cpu_ns": (batch * 0.99).astype(np.int64),
            "build_ns": np.asarray([int(2e8 * speed * point.load)], dtype=np.int64),
        }
        if point.calibrated:
            cal = point.calibration_ms * point.load * 1e6 * np.exp(np.abs(rng.normal(0.0, 0.02, 8)))
            arrays["calibration_ns"] = cal.astype(np.int64)
            kernels.append(cal)
        np.savez(store.raw_dir / raw_file_name(point.key, repeat), **arrays)  # type: ignore[arg-type]
        latencies.append(lat)
        batches.append(batch)
    pooled = np.concatenate(latencies) * point.load / 1e6
    return {
        "calibration_ms": float(np.median(np.concatenate(kernels)) / 1e6) if kernels else float("nan"),
        "recall": point.recall,
        "recall_ids": point.recall,
        "qps": float(np.median(point.n_queries / (np.concatenate(batches) * point.load / 1e9))),
        "latency_p50_ms": float(np.percentile(pooled, 50)),
        "latency_p95_ms": float(np.percentile(pooled, 95)),
        "latency_p99_ms": float(np.percentile(pooled, 99)),
        "cpu_ms_per_query": float(np.median(np.concatenate(batches)) * 0.99 / 1e6 / point.n_queries),
        "build_s": 0.2,
        "index_bytes": point.index_bytes,
        "rss_peak_bytes": point.rss_peak_bytes,
        "raw_path": f"raw/{raw_file_name(point.key)}",
    }
