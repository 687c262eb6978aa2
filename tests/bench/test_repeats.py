"""Whole-point repeats, CPU times and calibration samples: what the gate's statistics are built on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.bench.test_runner import FAULTY, config_with
from vecbench.bench.calibration import SAMPLES_PER_SIDE
from vecbench.bench.records import load_raw
from vecbench.bench.runner import Runner
from vecbench.reports.store import ResultStore, raw_file_name

BALLAST_BYTES = 2**30


@pytest.fixture(scope="module")
def repeated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("repeats")
    config = config_with(
        [
            {"adapter": "hnswlib", "build": {"M": 8, "build_threads": 1}, "query": {"ef": [10, 40]}},
            {"adapter": FAULTY, "label": "reject", "query": {"reject": True}},
        ],
        repeats=2,
        runs=3,
    )
    ballast = np.ones(BALLAST_BYTES // 8)  # resident in the runner while it spawns the workers
    Runner(config, out, progress=False).run()
    assert ballast.nbytes == BALLAST_BYTES
    return out


def test_each_repeat_writes_its_own_raw_file_and_one_row_pools_them(repeated: Path) -> None:
    frame = ResultStore(repeated).read()
    ok = frame[frame["status"] == "ok"]
    assert len(frame) == 3 and len(ok) == 2 and (frame["repeats"] == 2).all()
    for _, row in ok.iterrows():
        raws = [load_raw(repeated / "raw" / raw_file_name(row["point_key"], r)) for r in range(2)]
        assert row["raw_path"] == f"raw/{row['point_key']}.npz"
        batch = np.concatenate([raw["batch_ns"] for raw in raws])
        latencies = np.concatenate([raw["latencies_ns"] for raw in raws])
        assert batch.shape == (6,) and latencies.shape == (100,)
        assert row["qps"] == pytest.approx(np.median(50 / (batch / 1e9)))
        assert row["latency_p50_ms"] == pytest.approx(np.percentile(latencies / 1e6, 50))
        for raw in raws:
            assert (
                raw["calibration_ns"].shape == (2 * SAMPLES_PER_SIDE,) and (raw["calibration_ns"] > 0).all()
            )
            assert raw["build_ns"].shape == (1,) and raw["build_ns"][0] > 0
            assert raw["batch_cpu_ns"].shape == (3,) and raw["latencies_cpu_ns"].shape == (50,)
        cpu = np.concatenate([raw["batch_cpu_ns"] for raw in raws])
        assert row["cpu_ms_per_query"] == pytest.approx(np.median(cpu) / 1e6 / 50)
        assert row["calibration_ms"] > 0 and row["cpu_latency_p50_ms"] > 0


def test_cpu_time_never_exceeds_wall_time_for_a_single_thread(repeated: Path) -> None:
    for path in (repeated / "raw").glob("*.npz"):
        raw = load_raw(path)
        # the CPU clock brackets the wall clock, so allow its own read cost (a system call, ~1-2 us)
        assert (raw["batch_cpu_ns"] <= raw["batch_ns"] * 1.05 + 50_000).all()
        assert np.median(raw["latencies_cpu_ns"]) <= np.median(raw["latencies_ns"]) + 5_000


def test_a_point_failing_in_the_first_repeat_is_not_run_again(repeated: Path) -> None:
    frame = ResultStore(repeated).read()
    failed = frame[frame["status"] == "failed"].iloc[0]
    assert "injected rejection" in failed["error"]
    assert not list((repeated / "raw").glob(f"{failed['point_key']}*"))


def test_environment_records_the_job_calibration(repeated: Path) -> None:
    calibration = json.loads((repeated / "environment.json").read_text())["calibration"]
    assert calibration["median_ms"] > 0 and len(calibration["samples_ms"]) == 16
    assert "IndexFlatL2" in calibration["kernel"]


def test_worker_peak_memory_excludes_the_runner(repeated: Path) -> None:
    """ru_maxrss survives execve: a worker would report the runner's 1 GiB ballast as its own peak."""
    peaks = ResultStore(repeated).read()["rss_peak_bytes"].dropna()
    assert len(peaks) == 2 and (peaks > 10 * 2**20).all() and (peaks < BALLAST_BYTES / 2).all()
