"""The worker process that builds one index and measures every query point on it.

Running each build point in its own process keeps a crash, a hang or an out-of-memory build from
taking the sweep down, and gives each build point its own memory accounting. The worker reports
back through a pipe; the raw neighbours and latencies go to disk so metrics can be recomputed.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vecbench.bench.calibration import SAMPLES_PER_SIDE, CalibrationKernel
from vecbench.bench.spawn import die_with_parent, ignore_interrupts
from vecbench.bench.timing import time_batches_with_cpu, time_single_queries_with_cpu
from vecbench.datasets import load_dataset
from vecbench.datasets.spec import DatasetSpec
from vecbench.indexes.base import IndexAdapter
from vecbench.indexes.registry import get_adapter_class
from vecbench.reports.store import raw_file_name

if TYPE_CHECKING:
    from vecbench.bench.filtered_worker import FilteredTask


@dataclass(frozen=True)
class WorkerTask:
    """Everything a worker needs, picklable for a spawned process."""

    dataset: DatasetSpec
    fingerprint: str
    adapter: str
    build_params: dict[str, Any]
    query_points: tuple[tuple[str, dict[str, Any]], ...]  # (point key, query params)
    k: int
    threads: int
    runs: int
    warmup_queries: int
    latency: bool
    raw_dir: str
    memory_limit_bytes: int | None = None
    repeat: int = 0  # which whole-point repetition this worker is (raw files are named by it)
    filtered: FilteredTask | None = None  # filtered points, measured after the unfiltered ones


@dataclass(frozen=True)
class Built:
    build_s: float
    index_bytes: int | None
    rss_before_build_bytes: int
    build_threads: int


@dataclass(frozen=True)
class QueryDone:
    key: str
    raw_path: str
    rss_peak_bytes: int
    distance_computations: float | None
    strategy: str | None = None  # filtered points: the strategy that ran (auto reports its choice)


@dataclass(frozen=True)
class Failed:
    """A failure inside the worker: ``key`` None means the build itself failed."""

    error: str
    key: str | None = None


@dataclass(frozen=True)
class Finished:
    extra: dict[str, Any] = field(default_factory=dict)


def peak_rss_bytes() -> int:
    """Peak resident set size of this process's own memory, in bytes.

    Linux's ``ru_maxrss`` survives ``execve``, so in a spawned worker it also holds the runner's
    RSS at the moment it forked (measured: 517 MB in a worker whose own peak was 16 MB). The
    high-water mark in /proc/self/status (VmHWM) belongs to the worker's own address space.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def current_rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def one_line(exc: BaseException) -> str:
    """An exception as 'Type: message' on one line, for result rows."""
    text = " ".join(str(exc).split()) or "no message"
    return f"{type(exc).__name__}: {text}"


def write_raw(path: Path, **arrays: np.ndarray) -> None:
    """Save raw arrays atomically: a reader never sees a half-written file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)


def measure_query_point(
    adapter: IndexAdapter,
    queries: np.ndarray,
    task: WorkerTask,
    key: str,
    kernel: CalibrationKernel,
    build_ns: int,
    extra_arrays: Callable[[Any], Mapping[str, np.ndarray]] | None = None,
) -> QueryDone:
    """Warm up, time the batch ``runs`` times, then time single queries; write raw arrays.

    The calibration kernel is timed just before and just after, so the raw file says how fast this
    process ran while it measured (see ``vecbench.bench.calibration``). ``extra_arrays`` adds
    arrays derived from the batch result to the raw file (filtered points store candidates).
    """
    calibration_before = kernel.time(SAMPLES_PER_SIDE)
    if task.warmup_queries:
        warm = queries[: task.warmup_queries]
        adapter.search_prepared(warm, task.k)
        for row in warm[: min(len(warm), 20)]:
            adapter.search_one_prepared(row, task.k)
    adapter.reset_counters()
    result, batch_ns, batch_cpu_ns = time_batches_with_cpu(
        adapter.search_prepared, queries, task.k, task.runs
    )
    computations = adapter.distance_computations()
    per_query = None if computations is None else computations / (len(queries) * task.runs)
    latencies, latencies_cpu = (
        time_single_queries_with_cpu(adapter.search_one_prepared, queries, task.k)
        if task.latency
        else (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    )
    calibration = np.concatenate([calibration_before, kernel.time(SAMPLES_PER_SIDE)])
    raw_path = Path(task.raw_dir) / raw_file_name(key, task.repeat)
    write_raw(
        raw_path,
        ids=np.asarray(result.ids, dtype=np.int64),
        distances=np.asarray(result.distances, dtype=np.float32),
        latencies_ns=latencies,
        batch_ns=np.asarray(batch_ns, dtype=np.int64),
        batch_cpu_ns=np.asarray(batch_cpu_ns, dtype=np.int64),
        latencies_cpu_ns=latencies_cpu,
        calibration_ns=calibration,
        build_ns=np.asarray([build_ns], dtype=np.int64),
        **(extra_arrays(result) if extra_arrays is not None else {}),
    )
    return QueryDone(key, str(raw_path), peak_rss_bytes(), per_query)


def run_task(task: WorkerTask, send: Any, wait_for_runner: Any) -> None:
    """Build once, then measure each query point, reporting every step through ``send``.

    After each query point the worker waits until the runner has stored the row (metrics, result
    file, MLflow), so the runner's own work never shares the CPU with a timed region.
    """
    dataset = load_dataset(task.dataset)
    if dataset.fingerprint != task.fingerprint:
        raise RuntimeError("dataset changed between the runner and the worker (fingerprint mismatch)")
    adapter = get_adapter_class(task.adapter)(dataset.metric, **task.build_params)
    rss_before = current_rss_bytes()
    start = time.perf_counter_ns()
    adapter.build(dataset.base)
    build_ns = time.perf_counter_ns() - start
    send(Built(build_ns / 1e9, adapter.index_bytes(), rss_before, os.cpu_count() or 1))
    queries = adapter.prepare_vectors(dataset.queries)
    adapter.set_num_threads(task.threads)
    kernel = CalibrationKernel.create()
    for key, params in task.query_points:
        try:
            adapter.set_query_params(**params)
            send(measure_query_point(adapter, queries, task, key, kernel, build_ns))
        except (BrokenPipeError, EOFError):
            raise
        except Exception as exc:  # the library rejected this query point: record it, go on
            send(Failed(one_line(exc), key))
        wait_for_runner()
    if task.filtered is not None:
        from vecbench.bench.filtered_worker import run_filtered  # imported here: it imports this module

        run_filtered(adapter, dataset, queries, task, kernel, build_ns, send, wait_for_runner)


def worker_main(task: WorkerTask, conn: Connection) -> None:
    """Process entry point: never raises; every failure becomes a message or an exit code."""
    ignore_interrupts()
    die_with_parent()
    if task.memory_limit_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (task.memory_limit_bytes, task.memory_limit_bytes))
    try:
        run_task(task, conn.send, conn.recv)
        conn.send(Finished())
    except (BrokenPipeError, EOFError):
        os._exit(1)  # the runner is gone: nothing to report to
    except MemoryError:
        conn.send(Failed("MemoryError: the build ran out of memory (memory_limit_gb or machine memory)"))
    except BaseException as exc:
        conn.send(Failed(one_line(exc)))
    finally:
        conn.close()
