"""The index sweep as an engine experiment: one worker per build point, one row per query point.

Data flows one way: dataset -> exact ground truth (cached) -> for each build point a worker builds
and measures -> raw arrays on disk -> metrics from the raw arrays -> one row per point appended to
the result store right away, so killing the run loses nothing already written.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from vecbench.bench.calibration import job_calibration
from vecbench.bench.config import ExperimentConfig
from vecbench.bench.engine import Row, Scope
from vecbench.bench.environment import collect_environment
from vecbench.bench.filter_plan import FilterPlan, plan_filters
from vecbench.bench.messages import Built, Measured
from vecbench.bench.plan import BuildTask, SweepPoint, ann_tasks
from vecbench.bench.point_kinds import PointKind, SweepContext, check_declared, point_kinds
from vecbench.bench.records import failed_row, load_raw
from vecbench.bench.remote_measures import remote_metrics
from vecbench.bench.sweep import BuildPoint, expand_sweep, sweep_points
from vecbench.bench.worker import WorkerTask
from vecbench.bench.workloads import Workload
from vecbench.capacity.sizes import check_sized_experiment, data_source, sized_datasets, sized_points
from vecbench.core.atomic import atomic_write_text
from vecbench.datasets import Dataset, GroundTruth, exact_ground_truth
from vecbench.datasets.ground_truth import default_cache_dir
from vecbench.errors import ConfigError
from vecbench.indexes.registry import get_adapter_class
from vecbench.reports.sinks import RunContext, warn_line
from vecbench.reports.store import ResultStore
from vecbench.reports.terminal import stage


def validate(config: ExperimentConfig, dataset: Dataset, points: list[BuildPoint]) -> None:
    """Reject anything that would fail later, before any index is built."""
    if config.k > dataset.n_base:
        raise ConfigError(
            f"k={config.k} is larger than the base set ({dataset.n_base} vectors); lower k or use more data"
        )
    for point in points:
        cls = get_adapter_class(point.adapter)
        adapter = cls(dataset.metric, **point.build_params)  # checks metric support and build params
        adapter.check_data(dataset.n_base, dataset.dim)
        if config.threads != 1 and not cls.capabilities.thread_control:
            raise ConfigError(
                f"adapter '{point.adapter}' cannot set search threads; use threads: 1 or remove it from the config"
            )


class AnnExperiment:
    """An experiment config's index sweep into one output folder."""

    independent_tasks = True
    scope: Scope = "index"

    def __init__(self, config: ExperimentConfig, store: ResultStore, progress: bool = False) -> None:
        self.config = config
        self.store = store
        # Lines around the silent steps (loading, ground truth), on a terminal only: a pipe or a log
        # gets the outcome alone, so a bad config stays one line.
        self.progress = progress and sys.stderr.isatty()
        self.filters = FilterPlan()

    # ---- before anything runs -------------------------------------------------------------
    def plan(self) -> None:
        """Load the dataset, expand and check every point, plan the filters and ground truth;
        nothing is written (a recovery plans the same way to rebuild rows from raw/)."""
        config = self.config
        with stage(f"loading dataset {config.dataset.label()}", self.progress):
            self.datasets = sized_datasets(config)  # hook: issue 14 -- one per size, largest last
        self.dataset = dataset = self.datasets[-1]
        points, notes = sweep_points(config, dataset.fingerprint)
        for note in notes:
            warn_line(f"warning: {note}")
        validate(config, dataset, points)
        cache_dir = Path(config.cache_dir) if config.cache_dir else default_cache_dir()
        self.filters = plan_filters(config, dataset, points, cache_dir)  # checked before any build
        shape = f"{dataset.n_queries:,} queries x {dataset.n_base:,} items, k={config.k}"
        with stage(f"exact ground truth ({shape})", self.progress):
            self.truth: GroundTruth = exact_ground_truth(
                dataset, config.k, cache_dir, backend=config.ground_truth.backend
            )  # hook: issue 15
        self.label = str(config.dataset.label())
        # hook: issue 14 -- every build point at every size, each with its size's data and truth
        work = sized_points(config, self.datasets, points, self.truth, cache_dir, expand_sweep)
        self._data = {point.key: (data, truth) for point, data, truth in work}
        kinds = point_kinds(SweepContext(config, self.filters, self.label))
        self._tasks = ann_tasks([point for point, _, _ in work], kinds, config.repeats)

    def prepare(self) -> RunContext:
        config = self.config
        self.plan()
        check_sized_experiment(self.store, config, self.datasets)  # hook: issue 14 -- rows of any size resume
        self.store.prepare()
        environment = {**collect_environment(config.threads), "calibration": job_calibration()}
        self.store.write_environment(environment)
        atomic_write_text(
            self.store.out_dir / "config.yaml", yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
        )
        return RunContext(
            out_dir=self.store.out_dir,
            experiment=config.name,
            config=config.model_dump(mode="json"),
            environment=environment,
            dataset_label=self.label,
            dataset_fingerprint=self.dataset.fingerprint,
        )

    def tasks(self) -> Sequence[BuildTask[SweepPoint]]:
        return self._tasks

    def finished_keys(self) -> set[str]:
        return self.store.finished_keys()

    # ---- what a worker does -----------------------------------------------------------------
    def worker_task(self, task: BuildTask[SweepPoint], points: Sequence[SweepPoint], repeat: int) -> WorkerTask:
        config = self.config
        build = _build_of(task)
        return WorkerTask(
            adapter=build.adapter,
            build_params=build.build_params,
            source=data_source(config, self._data[build.key][0]),  # hook: issue 14 -- this size's data
            workloads=self._workloads(points),
            threads=config.threads,
            raw_dir=str(self.store.raw_dir),
            memory_limit_bytes=int(config.memory_limit_gb * 2**30) if config.memory_limit_gb else None,
            repeat=repeat,
        )

    def in_process(self, task: BuildTask[SweepPoint], points: Sequence[SweepPoint]) -> Iterator[tuple[str, Any]]:
        raise AssertionError("every index sweep task runs in a worker")

    def _workloads(self, points: Sequence[SweepPoint]) -> tuple[Workload, ...]:
        """One workload per kind among ``points``, in the order the plan put them (table order)."""
        by_kind: dict[int, tuple[PointKind, list[Any]]] = {}
        for p in points:
            by_kind.setdefault(id(p.kind), (p.kind, []))[1].append(p.point)
        return tuple(kind.workload(measured) for kind, measured in by_kind.values())

    # ---- rows ---------------------------------------------------------------------------------
    def records(
        self, task: BuildTask[SweepPoint], point: SweepPoint, outcome: list[Any] | str, builds: Sequence[Built]
    ) -> list[Row]:
        """One row: the point's identity, then its metrics from the raw files of every repetition
        (or the reason it failed), then what the builds measured."""
        build = _build_of(task)
        row = self._identity(build, point)
        if isinstance(outcome, str):
            row = failed_row(row, outcome)
        else:
            row.update(self._measured(outcome, point, *self._data[build.key]))
        row.update(threads=self.config.threads, runs=self.config.runs, repeats=self.config.repeats)
        if builds:
            built = builds[-1]
            row.update(
                build_s=float(np.median([b.build_s for b in builds])),
                index_bytes=built.index_bytes,
                rss_before_build_bytes=built.rss_before_build_bytes,
                build_threads=built.build_threads,
            )
        return [row]

    def closing_records(self) -> list[Row]:
        return []

    def close(self) -> None:
        """Nothing to remove: raw arrays stay in the output folder."""

    def _identity(self, build: BuildPoint, point: SweepPoint) -> Row:
        return point.kind.identity(self._data[build.key][0], build, point.point)

    def _measured(self, results: list[Measured], point: SweepPoint, dataset: Dataset, truth: GroundTruth) -> Row:
        """Columns of a finished point, from the raw files of all its repetitions."""
        raws = [load_raw(result.raw_path) for result in results]
        counts = [r.distance_computations for r in results if r.distance_computations is not None]
        metrics = check_declared(point.kind, point.kind.metrics(point.point, raws, results, dataset, truth))
        metrics.update(remote_metrics(raws))  # hook: issue 13
        return {
            **metrics,
            "status": "ok",
            "rss_peak_bytes": max(result.rss_peak_bytes for result in results),
            "distance_computations": float(np.mean(counts)) if counts else None,
            "raw_path": str(Path(results[0].raw_path).relative_to(self.store.out_dir)),
        }


def _build_of(task: BuildTask[SweepPoint]) -> BuildPoint:
    if task.build is None:
        raise AssertionError("an index sweep task always names its build point")
    return task.build
