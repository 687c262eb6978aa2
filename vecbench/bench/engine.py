"""The one engine: plan -> skip finished keys -> executor -> records -> store -> sinks.

Index sweeps (``ann_experiment``) and recommendation pipelines (``recsys_experiment``) run through
``run_experiment``; an experiment says what to build, what each worker measures and how outcomes
become rows, and the engine does the rest the same way for both: resume per point key, one worker
per task through the executor, rows on disk as each point finishes, then the live sinks.

``run_worker`` is the loop over one worker's messages, so a build that fails, a worker that
crashes, exits or hangs, and a library that rejects one point are handled the same way for every
kind of measurement: each point the worker did not report gets the reason.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

from tqdm import tqdm

from vecbench.bench.executor import Executor
from vecbench.bench.messages import Built, Ended, EngineMessage, Failed, Finished, Measured
from vecbench.bench.plan import BuildTask
from vecbench.bench.worker import WorkerTask
from vecbench.bench.worker_log import with_log_tail
from vecbench.reports.sinks import RunContext, SinkChain

Outcome = Measured | str  # a point's measurement, or why it has none
Row = dict[str, Any]
P = TypeVar("P")
Scope = Literal["index", "pipeline"]


def run_worker(
    executor: Executor, task: WorkerTask, timeout_s: float, on_built: Callable[[Built], None] = lambda _: None
) -> Iterator[tuple[str, Outcome]]:
    """Yield ``(point key, outcome)`` for every point of ``task``, in the order they finish.

    The worker waits while the consumer handles each yielded point (the executor releases it when
    the next one is asked for), so whatever the consumer does never overlaps a timed region.
    """
    pending = dict.fromkeys(task.point_keys())
    # Closed here, not by the garbage collector: a Ctrl-C while the worker winds down must reach
    # the engine (an exception in a collected generator's clean-up is printed and dropped).
    with contextlib.closing(executor.run(task, timeout_s)) as messages:
        yield from _outcomes(messages, pending, task, on_built)


def _outcomes(
    messages: Iterator[EngineMessage], pending: dict[str, None], task: WorkerTask, on_built: Callable[[Built], None]
) -> Iterator[tuple[str, Outcome]]:
    for message in messages:
        if isinstance(message, Failed) and message.disk_errno is not None:
            # The disk holding the results is full: every later point would fail the same way.
            raise OSError(message.disk_errno, os.strerror(message.disk_errno), str(Path(task.raw_dir) / "-"))
        if isinstance(message, Built):
            on_built(message)
        elif isinstance(message, Measured) and message.key in pending:
            del pending[message.key]
            yield message.key, message
        elif isinstance(message, Failed) and message.key in pending:
            del pending[message.key]
            yield message.key, message.error
        elif isinstance(message, Failed | Ended | Finished):
            reason = (
                message.error if isinstance(message, Failed)
                else message.reason if isinstance(message, Ended)
                else "worker finished without reporting this point"
            )  # fmt: skip
            if pending and not isinstance(message, Failed):
                reason = with_log_tail(reason, task)  # hook: issue 17 -- a crash shows its last log lines
            for key in list(pending):
                del pending[key]
                yield key, reason
            return


class RowStore(Protocol):
    def append(self, rows: Iterable[Mapping[str, Any]]) -> None: ...
    def compact(self) -> int: ...


class Experiment(Protocol[P]):
    """One kind of experiment, as the engine drives it."""

    scope: Scope  # which table its rows are: each finished index point, or pipeline configuration
    independent_tasks: bool  # tasks may run at once (a pipeline's points need its reference first)

    @property
    def store(self) -> RowStore: ...

    def prepare(self) -> RunContext:
        """Validate everything, write the config and environment; what the sinks are started with."""
        ...

    def tasks(self) -> Sequence[BuildTask[P]]: ...

    def finished_keys(self) -> set[str]:
        """Point keys the output folder holds in full: a resumed run skips them."""
        ...

    def worker_task(self, task: BuildTask[P], points: Sequence[P], repeat: int) -> WorkerTask:
        """What one worker builds and measures for the points still to do."""
        ...

    def in_process(self, task: BuildTask[P], points: Sequence[P]) -> Iterator[tuple[str, Any]]:
        """Outcomes of a task that builds no index (``task.in_process``)."""
        ...

    def records(self, task: BuildTask[P], point: P, outcome: list[Any] | str, builds: Sequence[Built]) -> list[Row]:
        """The rows of one finished point: its outcomes over every repetition, or why it failed."""
        ...

    def closing_records(self) -> list[Row]:
        """Rows computed from the whole run once every point is stored (none for most kinds)."""
        ...

    def close(self) -> None:
        """Remove what the run needed only while it ran; called however the run ends."""
        ...


@dataclass(frozen=True)
class EngineSummary:
    points_total: int
    points_run: int
    points_skipped: int
    points_failed: int
    wall_s: float


@dataclass
class Engine(Generic[P]):
    """Runs one experiment through an executor into its store and the live sinks."""

    experiment: Experiment[P]
    executor: Executor
    sinks: SinkChain
    progress: bool = True
    on_row: Callable[[Row], None] | None = None
    _publishing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run(self) -> EngineSummary:
        started = time.monotonic()
        experiment = self.experiment
        self.sinks.start(experiment.prepare())
        tasks = experiment.tasks()
        done = experiment.finished_keys()
        done = {key for task in tasks if not task.always for key in task.keys} & done
        total = sum(len(task.points) for task in tasks)
        skipped = sum(key in done for task in tasks for key in task.keys)
        self._failed = 0
        self._bar = tqdm(total=total - skipped, unit="point", disable=not self.progress, dynamic_ncols=True)
        completed = False
        try:
            work = [(task, [(k, p) for k, p in task.points if k not in done]) for task in tasks]
            self._run_tasks([(task, todo) for task, todo in work if todo])
            self._publish(experiment.closing_records())
            experiment.store.compact()  # the parts into the result file, before sinks attach it
            completed = True
        finally:
            self._bar.close()
            experiment.close()
            self.sinks.finish(completed)
        return EngineSummary(total, total - skipped, skipped, self._failed, time.monotonic() - started)

    def _run_tasks(self, work: list[tuple[BuildTask[P], list[tuple[str, P]]]]) -> None:
        """Each task in turn, or up to the executor's ``slots`` at once (a cluster) where the
        experiment's tasks are independent of each other; the first error stops the rest."""
        slots = self.executor.slots if self.experiment.independent_tasks else 1
        if slots <= 1:
            for task, todo in work:
                self._run_task(task, todo)
            return
        pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="vecbench-task")
        futures = [pool.submit(self._run_task, task, todo) for task, todo in work]
        try:
            for future in as_completed(futures):
                future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _run_task(self, task: BuildTask[P], todo: list[tuple[str, P]]) -> None:
        for rows in self._task_records(task, todo):
            with self._publishing:  # one point at a time into the store and the sinks
                self._failed += any(row.get("status") != "ok" for row in rows)
                self._bar.set_description(task.label)
                self._publish(rows)
                self._bar.update(1)

    def _task_records(self, task: BuildTask[P], todo: list[tuple[str, P]]) -> Iterator[list[Row]]:
        """Run ``task.repeats`` workers; every point ends as its rows (measured or failed).

        Rows come as the last repetition reports each point, so with one repetition a point's rows
        reach the store the moment it is measured. A point that fails in one repetition is not
        measured again and ends with that reason.
        """
        experiment = self.experiment
        points = dict(todo)
        outcomes: dict[str, list[Any]] = {key: [] for key in points}
        errors: dict[str, str] = {}
        builds: list[Built] = []
        emitted: set[str] = set()
        for repeat in range(task.repeats):
            final = repeat == task.repeats - 1
            live = [(key, point) for key, point in todo if key not in errors]
            if not live:
                break
            if task.in_process:
                stream: Iterator[tuple[str, Any]] = experiment.in_process(task, [p for _, p in live])
            else:
                work = experiment.worker_task(task, [p for _, p in live], repeat)
                stream = run_worker(self.executor, work, task.timeout_s, builds.append)
            for key, outcome in stream:
                if isinstance(outcome, str):
                    errors.setdefault(key, outcome)
                else:
                    outcomes[key].append(outcome)
                if final:
                    emitted.add(key)
                    yield experiment.records(task, points[key], errors.get(key, outcomes[key]), builds)
        for key, point in todo:  # points that failed in an earlier repetition
            if key not in emitted:
                reason = errors.get(key, "the worker reported no outcome for this point")
                yield experiment.records(task, point, reason, builds)

    def _publish(self, rows: list[Row]) -> None:
        """The result file first, then the sinks: each index point, or each pipeline configuration."""
        if not rows:
            return
        self.experiment.store.append(rows)
        if self.experiment.scope == "index":
            for row in rows:
                if self.on_row is not None:
                    self.on_row(row)
                self.sinks.row(row)
            return
        by_key: dict[str, list[Row]] = {}
        for row in rows:
            by_key.setdefault(str(row["point_key"]), []).append(row)
        for configuration in by_key.values():
            self.sinks.configuration(configuration)
