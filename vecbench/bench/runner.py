"""Runs an experiment: validate everything first, then one worker process per build point.

Data flows one way: dataset -> exact ground truth (cached) -> for each build point a worker builds
and measures -> raw arrays on disk -> metrics from the raw arrays -> one row per point appended to
the result store right away, so killing the runner loses nothing already written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from tqdm import tqdm

from vecbench.bench.calibration import job_calibration
from vecbench.bench.config import ExperimentConfig
from vecbench.bench.engine import run_worker
from vecbench.bench.environment import collect_environment
from vecbench.bench.executor import Executor, LocalExecutor
from vecbench.bench.filter_plan import FilteredPoint, FilterPlan, plan_filters
from vecbench.bench.filtered_records import filtered_base_row, pooled_filtered_metrics
from vecbench.bench.messages import Built, Measured
from vecbench.bench.records import base_row, failed_row, load_raw, pooled_metrics
from vecbench.bench.sweep import BuildPoint, QueryPoint, sweep_points
from vecbench.bench.worker import DatasetSource, WorkerTask
from vecbench.bench.workloads import FilteredQueries, StaticQueries, Timing, Workload
from vecbench.core.atomic import atomic_write_text
from vecbench.datasets import Dataset, GroundTruth, exact_ground_truth, load_dataset
from vecbench.datasets.ground_truth import default_cache_dir
from vecbench.errors import ConfigError
from vecbench.indexes.registry import get_adapter_class
from vecbench.reports.result_folder import check_same_experiment
from vecbench.reports.sinks import ResultSink, RunContext, SinkChain, warn_line
from vecbench.reports.store import ResultStore
from vecbench.reports.terminal import short_params, stage


@dataclass(frozen=True)
class RunSummary:
    out_dir: Path
    points_total: int
    points_run: int
    points_skipped: int
    points_failed: int
    wall_s: float


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


class Runner:
    """Executes one experiment config into one output directory, resuming what is already there."""

    def __init__(
        self,
        config: ExperimentConfig,
        out_dir: str | Path,
        progress: bool = True,
        on_row: Callable[[dict[str, Any]], None] | None = None,
        sinks: Sequence[ResultSink] = (),
        executor: Executor | None = None,
    ) -> None:
        self.config = config
        self.store = ResultStore(out_dir)
        self.progress = progress
        self.on_row = on_row
        # Sinks (MLflow, the HTML report) see each row after the result file has it.
        self.sinks = SinkChain(sinks)
        self.plan = FilterPlan()
        self.executor = executor or LocalExecutor()

    def run(self) -> RunSummary:
        started = time.monotonic()
        config = self.config
        with stage(f"loading dataset {config.dataset.label()}", self.progress):  # hook: issue 17
            dataset = load_dataset(config.dataset)
        points, notes = sweep_points(config, dataset.fingerprint)
        for note in notes:
            warn_line(f"warning: {note}")
        validate(config, dataset, points)
        cache_dir = Path(config.cache_dir) if config.cache_dir else default_cache_dir()
        self.plan = plan_filters(config, dataset, points, cache_dir)  # validates filters before any build
        with stage(f"exact ground truth ({dataset.n_queries:,} queries x {dataset.n_base:,} items, k={config.k})", self.progress):  # hook: issue 17
            truth = exact_ground_truth(dataset, config.k, cache_dir)
        check_same_experiment(self.store, config.name, str(config.dataset.label()), dataset.fingerprint)

        self.store.prepare()
        environment = {**collect_environment(config.threads), "calibration": job_calibration()}
        self.store.write_environment(environment)
        atomic_write_text(self.store.out_dir / "config.yaml", _config_yaml(config))
        self.sinks.start(
            RunContext(
                out_dir=self.store.out_dir,
                experiment=config.name,
                config=config.model_dump(mode="json"),
                environment=environment,
                dataset_label=str(config.dataset.label()),
                dataset_fingerprint=dataset.fingerprint,
            )
        )
        done = self.store.finished_keys()
        keys = {p.key: [q.key for q in self._points(p)] for p in points}
        total = sum(len(k) for k in keys.values())
        todo = [p for p in points if any(key not in done for key in keys[p.key])]
        skipped = total - sum(sum(key not in done for key in keys[p.key]) for p in todo)
        failed = 0
        bar = tqdm(total=total - skipped, unit="point", disable=not self.progress, dynamic_ncols=True)
        completed = False
        try:
            for point in todo:
                bar.set_description(_bar_label(point))
                for row in self._run_build_point(point, dataset, truth, done, environment):
                    failed += row["status"] != "ok"
                    bar.update(1)
            self.store.compact()  # the parts into results.parquet, before sinks attach it
            completed = True
        finally:
            bar.close()
            self.sinks.finish(completed)
        return RunSummary(
            self.store.out_dir, total, total - skipped, skipped, failed, time.monotonic() - started
        )

    def _run_build_point(
        self,
        point: BuildPoint,
        dataset: Dataset,
        truth: GroundTruth,
        done: set[str],
        environment: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Run ``repeats`` workers; every query point ends as exactly one row (ok or failed).

        Rows are written as the last repetition reports each point, so with ``repeats: 1`` a row
        lands on disk the moment its point is measured.
        """
        config = self.config
        todo = [q for q in self._points(point) if q.key not in done]
        label = str(config.dataset.label())
        finished: dict[str, list[Measured]] = {q.key: [] for q in todo}
        errors: dict[str, str] = {}
        builds: list[Built] = []
        rows: list[dict[str, Any]] = []

        def emit(query: QueryPoint | FilteredPoint) -> None:
            row = self._row(dataset, label, point, query)
            if query.key in errors:
                row = failed_row(row, errors[query.key])
            else:
                row.update(self._measured(finished[query.key], dataset, truth, query))
            row = self._with_build(row, builds)
            self.store.append([row], environment)
            rows.append(row)
            if self.on_row is not None:
                self.on_row(row)
            self.sinks.row(row)

        for repeat in range(config.repeats):
            final = repeat == config.repeats - 1
            queries = [q for q in todo if q.key not in errors]
            if not queries:
                break
            for query, outcome in self._drive_worker(point, dataset, queries, repeat, builds):
                if isinstance(outcome, str):
                    errors.setdefault(query.key, outcome)
                else:
                    finished[query.key].append(outcome)
                if final:
                    emit(query)
        emitted = {row["point_key"] for row in rows}
        for query in todo:  # points that failed in an earlier repetition
            if query.key not in emitted:
                emit(query)
        return rows

    def _drive_worker(
        self,
        point: BuildPoint,
        dataset: Dataset,
        queries: list[QueryPoint | FilteredPoint],
        repeat: int,
        builds: list[Built],
    ) -> Iterator[tuple[QueryPoint | FilteredPoint, Measured | str]]:
        """Start one worker and yield each query point's outcome: its raw result or an error."""
        config = self.config
        by_key = {q.key: q for q in queries}
        task = WorkerTask(
            adapter=point.adapter,
            build_params=point.build_params,
            source=DatasetSource(config.dataset, dataset.fingerprint),
            workloads=self._workloads(queries),
            threads=config.threads,
            raw_dir=str(self.store.raw_dir),
            memory_limit_bytes=int(config.memory_limit_gb * 2**30) if config.memory_limit_gb else None,
            repeat=repeat,
        )
        for key, outcome in run_worker(self.executor, task, point.timeout_s, builds.append):
            yield by_key[key], outcome

    def _workloads(self, queries: list[QueryPoint | FilteredPoint]) -> tuple[Workload, ...]:
        """Unfiltered query points first, then the filtered ones with their filters evaluated once."""
        config = self.config
        timing = Timing(config.k, config.runs, config.warmup_queries, config.latency)
        static = tuple((q.key, q.params) for q in queries if isinstance(q, QueryPoint))
        filtered = tuple(
            (q.key, q.params, q.filter_index, q.strategy) for q in queries if isinstance(q, FilteredPoint)
        )
        workloads: list[Workload] = []
        if static:
            workloads.append(StaticQueries(static, timing))
        if filtered:
            workloads.append(FilteredQueries(tuple(self.plan.actives), filtered, timing))
        return tuple(workloads)

    def _points(self, point: BuildPoint) -> list[QueryPoint | FilteredPoint]:
        """The unfiltered query points of a build point, then its filtered ones."""
        return [*point.query_points, *self.plan.points_for(point)]

    def _row(
        self, dataset: Dataset, label: str, point: BuildPoint, query: QueryPoint | FilteredPoint
    ) -> dict[str, Any]:
        """The identifying columns of an unfiltered or a filtered row."""
        config = self.config
        if isinstance(query, QueryPoint):
            return base_row(config.name, dataset, label, point, query, config.k)
        fdef = self.plan.defs[query.filter_index]
        return filtered_base_row(config.name, dataset, label, point, query, fdef, config.k)

    def _measured(
        self, results: list[Measured], dataset: Dataset, truth: GroundTruth, query: QueryPoint | FilteredPoint
    ) -> dict[str, Any]:
        """Columns of a finished point, from the raw files of all its repetitions."""
        raws = [load_raw(result.raw_path) for result in results]
        counts = [r.distance_computations for r in results if r.distance_computations is not None]
        metrics: dict[str, Any]
        if isinstance(query, FilteredPoint):
            fi = query.filter_index
            metrics = {
                **pooled_filtered_metrics(
                    raws, dataset, self.plan.truths[fi], self.plan.actives[fi], self.config.k
                ),
                "strategy": results[-1].label,  # what ran: auto reports its choice
            }
        else:
            metrics = pooled_metrics(raws, dataset, truth, self.config.k)
        return {
            **metrics,
            "status": "ok",
            "rss_peak_bytes": max(result.rss_peak_bytes for result in results),
            "distance_computations": float(np.mean(counts)) if counts else None,
            "raw_path": str(Path(results[0].raw_path).relative_to(self.store.out_dir)),
        }

    def _with_build(self, row: dict[str, Any], builds: list[Built]) -> dict[str, Any]:
        row.update(threads=self.config.threads, runs=self.config.runs, repeats=self.config.repeats)
        if builds:
            built = builds[-1]
            row.update(
                build_s=float(np.median([b.build_s for b in builds])),
                index_bytes=built.index_bytes,
                rss_before_build_bytes=built.rss_before_build_bytes,
                build_threads=built.build_threads,
            )
        return row


def _bar_label(point: BuildPoint) -> str:  # hook: issue 17 -- the bar leaves out default values
    return f"{point.label} {short_params(point.adapter, json.dumps(point.build_params))}".strip()


def _config_yaml(config: ExperimentConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
