"""The one worker: build an index once, run the task's workloads on it, report each point.

Every kind of measurement (index sweeps, filtered points, pipeline retrieval) runs in this worker,
so each gets the same isolation and accounting: its own process (a crash, a hang or an
out-of-memory build costs one worker, never the run), the memory limit, peak RSS (VmHWM), build
time and the calibration kernel beside every point. Raw arrays go to disk so metrics can be
recomputed; messages (``vecbench.bench.messages``) go back through a pipe.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vecbench.bench.calibration import CalibrationKernel
from vecbench.bench.messages import Built, Failed, Finished, Measured
from vecbench.bench.spawn import die_with_parent, ignore_interrupts, lead_own_group
from vecbench.bench.worker_log import log_path, redirect_output
from vecbench.bench.workloads import Prepared, WorkerContext, Workload, exception_line, failure
from vecbench.core.atomic import atomic_write_text, atomic_writer
from vecbench.datasets import load_dataset
from vecbench.datasets.spec import DatasetSpec
from vecbench.indexes.base import IndexAdapter
from vecbench.indexes.registry import get_adapter_class

__all__ = ["ArraySource", "DataSource", "DatasetSource", "WorkerTask", "exception_line", "worker_main"]


class DataSource(Protocol):
    def load(self) -> Prepared:
        """The base vectors to build on and the queries to search with, in the worker."""
        ...


@dataclass(frozen=True)
class DatasetSource:
    """A dataset by its spec, loaded (memory-mapped where it can be) in the worker; the
    fingerprint proves it is the dataset the runner planned for."""

    spec: DatasetSpec
    fingerprint: str

    def load(self) -> Prepared:
        dataset = load_dataset(self.spec)
        if dataset.fingerprint != self.fingerprint:
            raise RuntimeError("dataset changed between the runner and the worker (fingerprint mismatch)")
        return Prepared(dataset.base, dataset.queries, dataset.metric, dataset.attributes)


@dataclass(frozen=True)
class ArraySource:
    """Arrays shipped with the task (a pipeline's item and user vectors)."""

    data: Prepared

    def load(self) -> Prepared:
        return self.data


@dataclass(frozen=True)
class WorkerTask:
    """Everything a worker needs, picklable for a spawned process."""

    adapter: str
    build_params: dict[str, Any]
    source: DataSource
    workloads: tuple[Workload, ...]
    threads: int
    raw_dir: str
    memory_limit_bytes: int | None = None
    repeat: int = 0  # which whole-point repetition this worker is (raw files are named by it)

    def point_keys(self) -> tuple[str, ...]:
        return tuple(key for workload in self.workloads for key in workload.point_keys())


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


def write_raw(path: Path, **arrays: np.ndarray) -> None:
    """Save raw arrays atomically: a reader never sees a half-written file."""
    with atomic_writer(path) as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]


def record_path(raw_path: str | Path) -> Path:
    """Where the message of a measured point lies beside its raw arrays."""
    return Path(raw_path).with_suffix(".json")


def write_record(measured: Measured, built: Built) -> None:
    """The point's message and its build beside the raw arrays, so rows can be rebuilt from raw/
    alone when a results file is lost (``vecbench results repair``)."""
    record = {"measured": dataclasses.asdict(measured), "built": dataclasses.asdict(built)}
    atomic_write_text(record_path(measured.raw_path), json.dumps(record))


def read_record(raw_path: str | Path) -> tuple[Measured, Built]:
    record = json.loads(record_path(raw_path).read_text())
    return Measured(**record["measured"]), Built(**record["built"])


def run_task(task: WorkerTask, send: Any, wait_for_runner: Any) -> None:
    """Build once, then run each workload, reporting every point through ``send``.

    After each point the worker waits until the runner has stored it (metrics, result file,
    MLflow), so the runner's own work never shares the CPU with a timed region.
    """
    data = task.source.load()
    cls = get_adapter_class(task.adapter)
    adapter = cls(data.metric, **task.build_params)
    try:  # hook: issue 13 (close: a server the adapter started stops here, also after a failed build)
        _build_and_run(task, send, wait_for_runner, data, cls, adapter)
    finally:
        adapter.close()


def _build_and_run(
    task: WorkerTask,
    send: Any,
    wait_for_runner: Any,
    data: Prepared,
    cls: type[IndexAdapter],
    adapter: IndexAdapter,
) -> None:
    rss_before = current_rss_bytes()
    start = time.perf_counter_ns()
    adapter.build(data.base)
    build_ns = time.perf_counter_ns() - start
    built = Built(build_ns / 1e9, adapter.index_bytes(), rss_before, os.cpu_count() or 1)
    send(built)
    queries = adapter.prepare_vectors(data.queries)
    adapter.set_num_threads(task.threads)
    ctx = WorkerContext(
        adapter=adapter,
        adapter_class=cls,
        build_params=task.build_params,
        data=data,
        queries=queries,
        kernel=CalibrationKernel.create(),
        build_ns=build_ns,
        threads=task.threads,
        raw_dir=Path(task.raw_dir),
        repeat=task.repeat,
        peak_rss=peak_rss_bytes,
    )
    for workload in task.workloads:
        for message in workload.run(ctx, write_raw):
            if isinstance(message, Measured):
                try:
                    write_record(message, built)
                except OSError:  # raw arrays without their record could never be recovered
                    Path(message.raw_path).unlink(missing_ok=True)
                    raise
            send(message)
            wait_for_runner()


def worker_main(task: WorkerTask, conn: Connection) -> None:
    """Process entry point: never raises; every failure becomes a message or an exit code."""
    redirect_output(log_path(task))  # hook: issue 17 -- library log lines to OUT/logs, not the terminal
    ignore_interrupts()
    die_with_parent()
    lead_own_group()
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
        conn.send(failure(None, exc))
    finally:
        conn.close()
