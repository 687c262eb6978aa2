"""The worker's filtered half: each (filter, strategy) is prepared once, then every query point is
measured by the very function that measures unfiltered points (``measure_query_point``: calibration
kernel, warm-up, batch wall and CPU time over ``runs``, single-query latencies with gc paused, raw
arrays on disk), through a shim that addresses queries by row so per-query filters know the query.

What a strategy prepares per filter (bitmaps, callables, the passing subset, partition indexes) is
built outside the timed regions, as a system with a fixed filter would hold it ready.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vecbench.bench.calibration import CalibrationKernel
from vecbench.bench.filter_plan import FilterDef, active_filter
from vecbench.bench.worker import Failed, WorkerTask, measure_query_point, one_line
from vecbench.datasets import Dataset
from vecbench.filters.ground_truth import filter_key
from vecbench.filters.strategies.base import FilteredSearch, Strategy, StrategyContext
from vecbench.filters.strategies.registry import make_strategy
from vecbench.indexes.base import IndexAdapter
from vecbench.indexes.registry import get_adapter_class

BRUTE_FORCE = "exact-subset"


@dataclass(frozen=True)
class FilteredTask:
    """The filters (with the keys the runner computed) and the points: (key, query params, filter, strategy)."""

    filters: tuple[FilterDef, ...]
    filter_keys: tuple[str, ...]
    points: tuple[tuple[str, dict[str, Any], int, Any], ...]


class StrategySearches:
    """What ``measure_query_point`` calls on an adapter, served by a strategy; "queries" are row numbers."""

    def __init__(self, adapter: IndexAdapter, strategy: Strategy) -> None:
        self.adapter, self.strategy = adapter, strategy

    def search_prepared(self, rows: np.ndarray, k: int) -> FilteredSearch:
        return self.strategy.search_batch(rows, k)

    def search_one_prepared(self, row: np.ndarray, k: int) -> FilteredSearch:
        return self.strategy.search_one(int(row), k)

    def reset_counters(self) -> None:
        self.adapter.reset_counters()

    def distance_computations(self) -> int | None:
        """The index's count; none for brute force, which never touches the index."""
        return None if self.strategy.label() == BRUTE_FORCE else self.adapter.distance_computations()


def candidates_array(result: FilteredSearch) -> dict[str, np.ndarray]:
    """The raw array filtered rows add: candidates fetched from the index per query (-1: brute force)."""
    return {"candidates": np.asarray(result.candidates, dtype=np.int64)}


def run_filtered(
    adapter: IndexAdapter,
    dataset: Dataset,
    queries: np.ndarray,
    task: WorkerTask,
    kernel: CalibrationKernel,
    build_ns: int,
    send: Callable[[Any], None],
    wait_for_runner: Callable[[], Any],
) -> None:
    """Measure every filtered point of this build point, in (filter, strategy) groups."""
    assert task.filtered is not None
    filtered = task.filtered
    ctx = StrategyContext(
        adapter=adapter,
        adapter_class=get_adapter_class(task.adapter),
        build_params=task.build_params,
        base=dataset.base,
        queries=queries,
        metric=dataset.metric,
        threads=task.threads,
        attributes=dataset.attributes,
    )
    rows = np.arange(queries.shape[0])
    groups: dict[tuple[int, str], list[tuple[str, dict[str, Any], Any]]] = {}
    for key, params, fi, spec in filtered.points:
        groups.setdefault((fi, repr(spec)), []).append((key, params, spec))
    actives: dict[int, Any] = {}
    for (fi, _), items in groups.items():
        try:
            if fi not in actives:
                actives[fi] = active_filter(dataset, filtered.filters[fi])
                if filter_key(filtered.filters[fi].canonical, actives[fi]) != filtered.filter_keys[fi]:
                    raise RuntimeError("the filter selects other items in the worker than in the runner")
            strategy = make_strategy(items[0][2])
            strategy.prepare(ctx, actives[fi])
        except (BrokenPipeError, EOFError):
            raise
        except Exception as exc:  # this filter or strategy cannot run here: its points fail, the rest go on
            for key, _, _ in items:
                send(Failed(one_line(exc), key))
                wait_for_runner()
            continue
        searches: Any = StrategySearches(adapter, strategy)  # duck-typed where an adapter is expected
        for key, params, _ in items:
            try:
                adapter.set_query_params(**params)
                strategy.apply_query_params(params)
                done = measure_query_point(searches, rows, task, key, kernel, build_ns, candidates_array)
                send(dataclasses.replace(done, strategy=strategy.label()))
            except (BrokenPipeError, EOFError):
                raise
            except Exception as exc:
                send(Failed(one_line(exc), key))
            wait_for_runner()
