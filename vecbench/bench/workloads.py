"""What a worker does with a built index: one ``Workload`` protocol, one class per kind.

Every workload gets the same ``WorkerContext`` (the built adapter, the data, the calibration
kernel, where raw arrays go) and yields one ``Measured`` or ``Failed`` per point; the worker sends
each and waits for the engine before the next, so no timed region overlaps the engine's work.
Raw arrays always carry ``calibration_ns`` and ``build_ns``, whatever the kind. A new kind of
measurement (streaming updates, open-loop load, ...) is one more class here and one registry line.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
from threadpoolctl import threadpool_limits

from vecbench.bench.calibration import SAMPLES_PER_SIDE, CalibrationKernel
from vecbench.bench.messages import Failed, Measured
from vecbench.bench.remote_measures import remote_arrays
from vecbench.core.config import one_line
from vecbench.core.params import Metric
from vecbench.core.timing import time_batches_with_cpu, time_single_queries_with_cpu
from vecbench.datasets.attributes import Attributes
from vecbench.filters.active import ActiveFilter
from vecbench.filters.strategies.base import FilteredSearch, Strategy, StrategyContext
from vecbench.filters.strategies.registry import make_strategy
from vecbench.indexes.base import IndexAdapter
from vecbench.pipeline.retrieval import retrieve
from vecbench.reports.store import raw_file_name

BRUTE_FORCE = "exact-subset"
T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """The data a worker builds on and searches with: ``queries`` as given (not yet normalised)."""

    base: np.ndarray
    queries: np.ndarray
    metric: Metric
    attributes: Attributes | None = None


@dataclass
class WorkerContext:
    """A built index and everything around it, shared by the workloads of one worker."""

    adapter: IndexAdapter
    adapter_class: type[IndexAdapter]
    build_params: Mapping[str, Any]
    data: Prepared
    queries: np.ndarray  # prepared by the adapter (normalised for angular), outside timed regions
    kernel: CalibrationKernel
    build_ns: int
    threads: int
    raw_dir: Path
    repeat: int
    peak_rss: Callable[[], int]
    shared: dict[str, Any] = field(default_factory=dict)  # what strategies reuse across workloads

    def strategy_context(self, threads: int) -> StrategyContext:
        """What a filter strategy prepares on: this worker's index, data and shared state."""
        return StrategyContext(
            adapter=self.adapter,
            adapter_class=self.adapter_class,
            build_params=self.build_params,
            base=self.data.base,
            queries=self.queries,
            metric=self.data.metric,
            threads=threads,
            attributes=self.data.attributes,
            shared=self.shared,
        )

    def raw_path(self, key: str) -> Path:
        return self.raw_dir / raw_file_name(key, self.repeat)

    def calibrated(self, measure: Callable[..., T], *args: Any) -> tuple[T, dict[str, np.ndarray]]:
        """``measure(*args)`` between two calibration bursts: its value, and the arrays every raw
        file carries (``calibration_ns``: how fast this process ran while it measured; ``build_ns``)."""
        before = self.kernel.time(SAMPLES_PER_SIDE)
        value = measure(*args)
        return value, {
            "calibration_ns": np.concatenate([before, self.kernel.time(SAMPLES_PER_SIDE)]),
            "build_ns": np.asarray([self.build_ns], dtype=np.int64),
        }


WriteRaw = Callable[..., None]


class Workload(Protocol):
    def point_keys(self) -> tuple[str, ...]:
        """The point keys this workload reports, in order."""
        ...

    def run(self, ctx: WorkerContext, write_raw: WriteRaw) -> Iterator[Measured | Failed]: ...


@dataclass(frozen=True)
class Timing:
    """How query points are timed: the config's k, batch runs, warm-up and single-query latency."""

    k: int
    runs: int
    warmup_queries: int
    latency: bool


@dataclass
class TimedPoint:
    """The last batch result, the raw timing arrays, and the distance computations per query of the
    timed batches (None where the library does not count)."""

    result: Any
    arrays: dict[str, np.ndarray]
    per_query: float | None


def time_point(search: Any, queries: np.ndarray, timing: Timing) -> TimedPoint:
    """Warm up, time the batch ``runs`` times, then time single queries. ``search`` offers
    ``search_prepared`` / ``search_one_raw`` and the distance counter."""
    k = timing.k
    if timing.warmup_queries:
        warm = queries[: timing.warmup_queries]
        search.search_prepared(warm, k)
        for row in warm[: min(len(warm), 20)]:
            search.search_one_raw(row, k)  # hook: issue 17
    search.reset_counters()  # distance counts cover the timed batches only
    result, batch_ns, batch_cpu_ns = time_batches_with_cpu(search.search_prepared, queries, k, timing.runs)
    counted = search.distance_computations()
    latencies, latencies_cpu = (
        time_single_queries_with_cpu(search.search_one_raw, queries, k)  # hook: issue 17 (was search_one_prepared)
        if timing.latency
        else (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    )
    arrays: dict[str, np.ndarray] = {
        "ids": np.asarray(result.ids, dtype=np.int64),
        "distances": np.asarray(result.distances, dtype=np.float32),
        "latencies_ns": latencies,
        "batch_ns": np.asarray(batch_ns, dtype=np.int64),
        "batch_cpu_ns": np.asarray(batch_cpu_ns, dtype=np.int64),
        "latencies_cpu_ns": latencies_cpu,
    }
    return TimedPoint(result, arrays, None if counted is None else counted / (len(queries) * timing.runs))


def failure(key: str | None, exc: BaseException) -> Failed:
    return Failed(exception_line(exc), key, disk_full_errno(exc))


def disk_full_errno(exc: BaseException) -> int | None:
    """The error number of a full disk or quota, which no other point can escape either."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return exc.errno
    return None


def exception_line(exc: BaseException) -> str:
    """An exception as 'Type: message' on one printable line of bounded length, for result rows."""
    return one_line(f"{type(exc).__name__}: {str(exc) or 'no message'}")


@dataclass(frozen=True)
class StaticQueries:
    """The dataset's held-out queries at each query point: batch QPS, single-query latency, raw ids."""

    points: tuple[tuple[str, dict[str, Any]], ...]  # (point key, query params)
    timing: Timing

    def point_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.points)

    def run(self, ctx: WorkerContext, write_raw: WriteRaw) -> Iterator[Measured | Failed]:
        adapter = ctx.adapter
        for key, params in self.points:
            try:
                adapter.set_query_params(**params)
                timed, extra = ctx.calibrated(time_point, adapter, ctx.queries, self.timing)
                remote = remote_arrays(adapter, ctx.queries, self.timing.k)  # hook: issue 13
                path = ctx.raw_path(key)
                write_raw(path, **timed.arrays, **extra, **remote)
                yield Measured(key, str(path), ctx.peak_rss(), timed.per_query)
            except Exception as exc:  # the library rejected this query point: record it, go on
                yield failure(key, exc)


class StrategySearches:
    """What ``time_point`` calls, served by a filter strategy; "queries" are row numbers, so
    per-query filters know which query they serve."""

    def __init__(self, adapter: IndexAdapter, strategy: Strategy) -> None:
        self.adapter, self.strategy = adapter, strategy

    def reset_counters(self) -> None:
        self.adapter.reset_counters()

    def distance_computations(self) -> int | None:
        """The index's count; none for brute force, which never touches the index."""
        return None if self.strategy.label() == BRUTE_FORCE else self.adapter.distance_computations()

    def search_prepared(self, rows: np.ndarray, k: int) -> FilteredSearch:
        return self.strategy.search_batch(rows, k)

    def search_one_prepared(self, row: np.ndarray, k: int) -> FilteredSearch:
        return self.strategy.search_one(int(row), k)

    def search_one_raw(self, row: np.ndarray, k: int) -> FilteredSearch:  # hook: issue 17
        """Filtering shapes the answer, so the filtered single query is timed whole."""
        return self.search_one_prepared(row, k)


@dataclass(frozen=True)
class FilteredQueries:
    """Query points under filters and strategies. Each filter comes evaluated (its mask and
    per-query exclusions, computed once by the planner); each (filter, strategy) is prepared once,
    outside the timed regions, as a system with a fixed filter would hold it ready."""

    filters: tuple[ActiveFilter, ...]
    points: tuple[tuple[str, dict[str, Any], int, Any], ...]  # (key, query params, filter, strategy spec)
    timing: Timing

    def point_keys(self) -> tuple[str, ...]:
        return tuple(point[0] for point in self.points)

    def run(self, ctx: WorkerContext, write_raw: WriteRaw) -> Iterator[Measured | Failed]:
        strategy_ctx = ctx.strategy_context(ctx.threads)
        rows = np.arange(ctx.queries.shape[0])
        groups: dict[tuple[int, str], list[tuple[str, dict[str, Any], Any]]] = {}
        for key, params, fi, spec in self.points:
            groups.setdefault((fi, repr(spec)), []).append((key, params, spec))
        for (fi, _), items in groups.items():
            try:
                strategy = make_strategy(items[0][2])
                strategy.prepare(strategy_ctx, self.filters[fi])
            except Exception as exc:  # this filter or strategy cannot run here: its points fail
                for key, _, _ in items:
                    yield failure(key, exc)
                continue
            searches = StrategySearches(ctx.adapter, strategy)
            for key, params, _ in items:
                try:
                    ctx.adapter.set_query_params(**params)
                    strategy.apply_query_params(params)

                    timed, extra = ctx.calibrated(time_point, searches, rows, self.timing)
                    candidates = np.asarray(timed.result.candidates, dtype=np.int64)
                    remote = remote_arrays(ctx.adapter, ctx.queries, self.timing.k, server_time=False)  # hook: issue 13
                    path = ctx.raw_path(key)
                    write_raw(path, **timed.arrays, **extra, **remote, candidates=candidates)
                    yield Measured(key, str(path), ctx.peak_rss(), timed.per_query, strategy.label())
                except Exception as exc:
                    yield failure(key, exc)


@dataclass(frozen=True)
class Retrieval:
    """Stage 1 of a recommendation replay: for every strategy, query point and k, each request's
    candidates through the index, one timed single-threaded search per request. The requests' user
    vectors are the worker's queries; ``index_items`` maps index rows to catalogue items."""

    runs: tuple[tuple[str, int, dict[str, Any], int], ...]  # (key, strategy, query params, k)
    strategies: tuple[Any, ...]
    index_items: np.ndarray
    has_vector: np.ndarray
    active: ActiveFilter

    def point_keys(self) -> tuple[str, ...]:
        return tuple(run[0] for run in self.runs)

    def run(self, ctx: WorkerContext, write_raw: WriteRaw) -> Iterator[Measured | Failed]:
        for s, spec in enumerate(self.strategies):
            runs = [run for run in self.runs if run[1] == s]
            if not runs:
                continue
            strategy = make_strategy(spec)
            try:
                with threadpool_limits(1):
                    strategy.prepare(ctx.strategy_context(1), self.active)
            except Exception as exc:  # this strategy cannot prepare: its runs fail, the others go on
                for key, *_ in runs:
                    yield failure(key, exc)
                continue
            for key, _, params, k in runs:
                try:
                    ctx.adapter.set_query_params(**params)
                    strategy.apply_query_params(params)
                    found, extra = ctx.calibrated(retrieve, strategy, self.index_items, self.has_vector, k)
                    path = ctx.raw_path(key)
                    write_raw(
                        path, items=found.items, latency_ns=found.latency_ns, fetched=found.fetched, **extra
                    )
                    yield Measured(key, str(path), ctx.peak_rss(), None, strategy.label())
                except Exception as exc:
                    yield failure(key, exc)
