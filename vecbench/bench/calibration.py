"""A fixed calibration workload, timed beside every measurement so speeds compare across machines.

Wall-clock QPS and latency depend on the machine and on what else it runs. Timing one small, fixed
kernel in the same process just before and just after each query point measures how fast this
process runs *right now*; the regression gate divides speeds by it, so a baseline recorded on another
machine or under another load can still be compared. The kernel is what ANN search spends most of
its time on: distance computations behind one library call per query (faiss flat single-query
search, single-threaded, over 1 MiB of fixed vectors, so it adds nothing measurable to peak memory).
It tracks CPU speed and CPU contention; it does not model memory latency on data larger than cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from vecbench.bench.timing import gc_paused

KERNEL_DESCRIPTION = "faiss IndexFlatL2 4096x64 float32, 64 single-query searches k=10, 1 thread"
SAMPLES_PER_SIDE = 4  # kernel timings just before and just after each query point
JOB_SAMPLES = 16  # kernel timings by the runner at the start of a job, for environment.json


@dataclass(frozen=True)
class CalibrationKernel:
    """The kernel's fixed inputs, made once per process from a fixed seed."""

    index: faiss.IndexFlatL2
    queries: np.ndarray

    @classmethod
    def create(cls) -> CalibrationKernel:
        rng = np.random.default_rng(20240601)
        index = faiss.IndexFlatL2(64)
        index.add(rng.standard_normal((4096, 64), dtype=np.float32))
        return cls(index, rng.standard_normal((64, 64), dtype=np.float32))

    def _once(self) -> None:
        for row in self.queries:
            self.index.search(row.reshape(1, -1), 10)

    def time(self, samples: int) -> np.ndarray:
        """Wall time of ``samples`` kernel passes in ns, after one untimed warm-up pass."""
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        out = np.empty(samples, dtype=np.int64)
        try:
            with gc_paused():
                self._once()
                for i in range(samples):
                    start = time.perf_counter_ns()
                    self._once()
                    out[i] = time.perf_counter_ns() - start
        finally:
            faiss.omp_set_num_threads(threads)  # leave the search's thread setting as it was
        return out


def calibration_ms(samples_ns: np.ndarray) -> float:
    """One number per measurement: the median kernel time in ms (NaN when there are no samples)."""
    samples = np.asarray(samples_ns, dtype=np.float64)
    return float(np.median(samples) / 1e6) if samples.size else float("nan")


def job_calibration() -> dict[str, Any]:
    """The kernel timed once per job in the runner's process, recorded in ``environment.json``."""
    samples = CalibrationKernel.create().time(JOB_SAMPLES)
    return {
        "kernel": KERNEL_DESCRIPTION,
        "median_ms": calibration_ms(samples),
        "samples_ms": [round(float(v) / 1e6, 4) for v in samples],
    }
