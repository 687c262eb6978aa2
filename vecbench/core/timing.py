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
    result, wall, _ = time_batches_with_cpu(search, queries, k, runs)
    return result, wall


def time_batches_with_cpu(
    search: Callable[[np.ndarray, int], Any], queries: np.ndarray, k: int, runs: int
) -> tuple[Any, list[int], list[int]]:
    """Like ``time_batches``, plus each run's process CPU time in ns.

    CPU time counts what the search itself cost (all its threads), not the time it waited while
    other processes had the CPU, so on a shared machine it moves far less than wall time does.
    """
    wall: list[int] = []
    cpu: list[int] = []
    result: Any = None
    clock, cpu_clock = time.perf_counter_ns, time.process_time_ns
    with gc_paused():
        for _ in range(runs):
            cpu_start = cpu_clock()
            start = clock()
            result = search(queries, k)
            wall.append(clock() - start)
            cpu.append(cpu_clock() - cpu_start)
    return result, wall, cpu


def time_single_queries(
    search_one: Callable[[np.ndarray, int], Any], queries: np.ndarray, k: int
) -> np.ndarray:
    """Latency of one call per query, in ns. Row views are made before each clock read."""
    return time_single_queries_with_cpu(search_one, queries, k)[0]


def time_single_queries_with_cpu(
    search_one: Callable[[np.ndarray, int], Any], queries: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Wall latency and process CPU time of one call per query, in ns.

    The CPU clock is read outside the wall-clock bracket, so its cost (a system call) never
    enters the wall latencies.
    """
    rows = list(queries)
    wall = np.empty(len(rows), dtype=np.int64)
    cpu = np.empty(len(rows), dtype=np.int64)
    clock, cpu_clock = time.perf_counter_ns, time.process_time_ns
    with gc_paused():
        for i, row in enumerate(rows):
            cpu_start = cpu_clock()
            start = clock()
            search_one(row, k)
            wall[i] = clock() - start
            cpu[i] = cpu_clock() - cpu_start
    return wall, cpu
