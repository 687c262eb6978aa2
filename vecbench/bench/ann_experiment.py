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
from vecbench.bench.filter_plan import FilteredPoint, FilterPlan, plan_filters
from vecbench.bench.filtered_records import filtered_base_row, pooled_filtered_metrics
from vecbench.bench.messages import Built, Measured
from vecbench.bench.plan import AnnPoint, BuildTask, ann_tasks
from vecbench.bench.records import base_row, failed_row, load_raw, pooled_metrics
from vecbench.bench.remote_measures import remote_metrics
from vecbench.bench.sweep import BuildPoint, QueryPoint, expand_sweep, sweep_points
from vecbench.bench.worker import WorkerTask
from vecbench.bench.workloads import FilteredQueries, StaticQueries, Timing, Workload
from vecbench.capacity.sizes import check_sized_experiment, data_source, sized_datasets, sized_points
from vecbench.core.atomic import atomic_write_text
from vecbench.datasets import Dataset, GroundTruth, exact_ground_truth
from vecbench.datasets.ground_truth import default_cache_dir
from vecbench.errors import ConfigError
from vecbench.indexes.registry import get_adapter_class
from vecbench.load.plan import LoadQueryPoint, load_points
from vecbench.load.records import load_base_row, load_metrics
from vecbench.load.workload import LoadQueries
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
        self._tasks = ann_tasks(
            [point for point, _, _ in work], self.filters, config.repeats,
            lambda point: load_points(config, point),  # hook: issue 12
        )  # fmt: skip

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

    def tasks(self) -> Sequence[BuildTask[AnnPoint]]:
        return self._tasks

    def finished_keys(self) -> set[str]:
        return self.store.finished_keys()

    # ---- what a worker does -----------------------------------------------------------------
    def worker_task(self, task: BuildTask[AnnPoint], points: Sequence[AnnPoint], repeat: int) -> WorkerTask:
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

    def in_process(self, task: BuildTask[AnnPoint], points: Sequence[AnnPoint]) -> Iterator[tuple[str, Any]]:
        raise AssertionError("every index sweep task runs in a worker")

    def _workloads(self, points: Sequence[AnnPoint]) -> tuple[Workload, ...]:
        """Unfiltered query points first, then the filtered ones with their filters evaluated once."""
        config = self.config
        timing = Timing(config.k, config.runs, config.warmup_queries, config.latency)
        static = tuple((q.key, q.params) for q in points if isinstance(q, QueryPoint))
        filtered = tuple(
            (q.key, q.params, q.filter_index, q.strategy) for q in points if isinstance(q, FilteredPoint)
        )
        workloads: list[Workload] = []
        if static:
            workloads.append(StaticQueries(static, timing))
        if filtered:
            workloads.append(FilteredQueries(tuple(self.filters.actives), filtered, timing))
        loads = tuple((q.key, q.params, q.load) for q in points if isinstance(q, LoadQueryPoint))
        if loads:  # hook: issue 12
            workloads.append(LoadQueries(loads, config.k))
        return tuple(workloads)

    # ---- rows ---------------------------------------------------------------------------------
    def records(
        self, task: BuildTask[AnnPoint], point: AnnPoint, outcome: list[Any] | str, builds: Sequence[Built]
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

    def _identity(self, build: BuildPoint, point: AnnPoint) -> Row:
        """The identifying columns of an unfiltered or a filtered row."""
        config = self.config
        dataset = self._data[build.key][0]
        if isinstance(point, LoadQueryPoint):  # hook: issue 12
            return load_base_row(config.name, dataset, self.label, build, point, config.k)
        if isinstance(point, QueryPoint):
            return base_row(config.name, dataset, self.label, build, point, config.k)
        fdef = self.filters.defs[point.filter_index]
        return filtered_base_row(config.name, dataset, self.label, build, point, fdef, config.k)

    def _measured(self, results: list[Measured], point: AnnPoint, dataset: Dataset, truth: GroundTruth) -> Row:
        """Columns of a finished point, from the raw files of all its repetitions."""
        raws = [load_raw(result.raw_path) for result in results]
        counts = [r.distance_computations for r in results if r.distance_computations is not None]
        metrics: Row
        if isinstance(point, LoadQueryPoint):  # hook: issue 12
            metrics = load_metrics(raws)
        elif isinstance(point, FilteredPoint):
            fi = point.filter_index
            metrics = {
                **pooled_filtered_metrics(
                    raws, dataset, self.filters.truths[fi], self.filters.actives[fi], self.config.k
                ),
                "strategy": results[-1].label,  # what ran: auto reports its choice
            }
        else:
            metrics = pooled_metrics(raws, dataset, truth, self.config.k)
        metrics.update(remote_metrics(raws))  # hook: issue 13
        return {
            **metrics,
            "status": "ok",
            "rss_peak_bytes": max(result.rss_peak_bytes for result in results),
            "distance_computations": float(np.mean(counts)) if counts else None,
            "raw_path": str(Path(results[0].raw_path).relative_to(self.store.out_dir)),
        }


def _build_of(task: BuildTask[AnnPoint]) -> BuildPoint:
    if task.build is None:
        raise AssertionError("an index sweep task always names its build point")
    return task.build
