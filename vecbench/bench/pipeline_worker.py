"""Stage-1 retrieval of one pipeline index point, in its own process.

Building an index and searching it are the only pipeline steps that run third-party library code,
so, as in index sweeps, they run in a spawned worker, one per build point: a library that crashes,
hangs or exits ends the worker, not the run, and its runs become failed rows with the reason. The
worker writes each run's candidates to a file and reports it; the pipeline runner waits, idle,
until the worker has finished every run of the point before it scores, re-ranks and evaluates, so
none of its work overlaps a timed search.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from vecbench.bench.config import StrategySpec
from vecbench.bench.spawn import Ended, die_with_parent, ignore_interrupts, next_message, spawned
from vecbench.bench.worker import one_line, write_raw
from vecbench.datasets.attributes import Attributes
from vecbench.filters.active import ActiveFilter
from vecbench.filters.strategies.registry import make_strategy
from vecbench.indexes.base import Metric
from vecbench.indexes.registry import get_adapter_class
from vecbench.pipeline.retrieval import Candidates, bind_strategy, retrieve


@dataclass(frozen=True)
class RetrievalTask:
    """One build point with every strategy, query point and k to retrieve for (picklable)."""

    adapter: str
    build_params: dict[str, Any]
    query_params: tuple[dict[str, Any], ...]
    strategies: tuple[StrategySpec, ...]
    k_candidates: tuple[int, ...]
    metric: Metric
    item_vectors: np.ndarray
    index_items: np.ndarray
    user_vectors: np.ndarray
    has_vector: np.ndarray
    active: ActiveFilter
    attributes: Attributes | None
    scratch: Path
    skip: frozenset[tuple[int, int, int]] = frozenset()  # (strategy, query, k) runs already done


@dataclass(frozen=True)
class RunDone:
    """One (strategy, query point, k) run: its candidates file, or why it failed; ``label`` is the
    strategy that ran (``auto`` reports its choice)."""

    strategy: int
    query: int
    k: int
    label: str
    path: Path | None
    error: str | None


@dataclass(frozen=True)
class BuildFailed:
    error: str


@dataclass(frozen=True)
class Finished:
    pass


def run_retrieval(task: RetrievalTask) -> Iterator[RunDone]:
    """Build the index once, then retrieve for every strategy, query point and k."""
    cls = get_adapter_class(task.adapter)
    adapter = cls(task.metric, **task.build_params)
    adapter.build(task.item_vectors)
    for s, spec in enumerate(task.strategies):
        runs = [(q, query, k) for q, query in enumerate(task.query_params) for k in task.k_candidates]
        runs = [(q, query, k) for q, query, k in runs if (s, q, k) not in task.skip]
        if not runs:
            continue
        strategy = make_strategy(spec)
        error = None
        try:
            bind_strategy(
                strategy, adapter, cls, task.build_params, task.item_vectors, task.user_vectors,
                task.metric, task.active, task.attributes,
            )  # fmt: skip
        except Exception as exc:  # this strategy cannot prepare: its runs fail, the others go on
            error = one_line(exc)
        for q, query, k in runs:
            if error is not None:
                yield RunDone(s, q, k, strategy.label(), None, error)
                continue
            try:
                adapter.set_query_params(**query)
                strategy.apply_query_params(query)
                found = retrieve(strategy, task.index_items, task.has_vector, k)
            except Exception as exc:
                yield RunDone(s, q, k, strategy.label(), None, one_line(exc))
                continue
            path = task.scratch / f"{s}-{q}-{k}.npz"
            write_raw(path, items=found.items, latency_ns=found.latency_ns, fetched=found.fetched)
            yield RunDone(s, q, k, strategy.label(), path, None)


def retrieval_main(task: RetrievalTask, conn: Connection) -> None:
    """Process entry point: never raises; every failure becomes a message or an exit code."""
    ignore_interrupts()
    die_with_parent()
    try:
        runs = run_retrieval(task)
        while True:
            try:
                done = next(runs)
            except StopIteration:
                break
            conn.send(done)
        conn.send(Finished())
    except (BrokenPipeError, EOFError):
        os._exit(1)  # the runner is gone: nothing to report to
    except BaseException as exc:  # the build (or the library under it) failed
        conn.send(BuildFailed(one_line(exc)))
    finally:
        conn.close()


def retrieve_in_worker(task: RetrievalTask, timeout_s: float) -> tuple[list[RunDone], str | None]:
    """Every run the worker reported, and why it stopped before finishing (None when it finished)."""
    deadline = time.monotonic() + timeout_s
    runs: list[RunDone] = []
    reason: str | None = None
    with spawned(retrieval_main, task) as (process, receiver):
        while True:
            message = next_message(process, receiver, deadline, timeout_s)
            if isinstance(message, RunDone):
                runs.append(message)
                continue
            if isinstance(message, Ended | BuildFailed):
                reason = message.reason if isinstance(message, Ended) else message.error
            break
    return runs, reason


def load_candidates(path: Path) -> Candidates:
    with np.load(path) as raw:
        return Candidates(raw["items"], raw["latency_ns"], raw["fetched"])
