"""Timed regions: a monotonic nanosecond clock, warm-up first, gc off while timing, raw samples kept."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic garbage collector inside a timed region, restoring its prior state."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def time_batches(
    search: Callable[[np.ndarray, int], Any], queries: np.ndarray, k: int, runs: int
) -> tuple[Any, list[int]]:
    """Run the whole batch ``runs`` times; return the last result and each run's wall time in ns."""
    durations: list[int] = []
    result: Any = None
    with gc_paused():
        for _ in range(runs):
            start = time.perf_counter_ns()
            result = search(queries, k)
            durations.append(time.perf_counter_ns() - start)
    return result, durations


def time_single_queries(
    search_one: Callable[[np.ndarray, int], Any], queries: np.ndarray, k: int
) -> np.ndarray:
    """Latency of one call per query, in ns. Row views are made before each clock read."""
    rows = list(queries)
    samples = np.empty(len(rows), dtype=np.int64)
    clock = time.perf_counter_ns
    with gc_paused():
        for i, row in enumerate(rows):
            start = clock()
            search_one(row, k)
            samples[i] = clock() - start
    return samples
