"""An experiment with a runbook, as an engine experiment: everything validated first, then one
worker per build point.

Like the index sweep (``vecbench.bench.runner``): the dataset, the runbook (parsed, scaled and
replayed for liveness), every adapter's build parameters, policy and declared capabilities are
checked before any index is built; the exact truth of every search step is computed (or read from
its cache) in this process; each build point runs in its own worker; rows land as points finish:
``OUT/results.parquet`` (one per point, with the streaming summary) and ``OUT/steps.parquet``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from vecbench.bench.calibration import calibration_ms, job_calibration
from vecbench.bench.config import ExperimentConfig
from vecbench.bench.engine import Scope
from vecbench.bench.environment import collect_environment
from vecbench.bench.messages import Built
from vecbench.bench.plan import BuildTask
from vecbench.bench.records import base_row, failed_row, load_raw
from vecbench.bench.sweep import BuildPoint, QueryPoint, canonical_json, sweep_points
from vecbench.bench.worker import WorkerTask
from vecbench.bench.workloads import Timing
from vecbench.core.atomic import atomic_write_text
from vecbench.datasets import Dataset, load_dataset
from vecbench.datasets.ground_truth import default_cache_dir
from vecbench.errors import ConfigError
from vecbench.indexes.registry import get_adapter_class
from vecbench.reports.parts import PartedTable
from vecbench.reports.result_folder import check_same_experiment
from vecbench.reports.sinks import RunContext, warn_line
from vecbench.reports.store import ResultStore
from vecbench.streaming.index import update_mode
from vecbench.streaming.policy import Policy, parse_policy
from vecbench.streaming.records import STEP_COLUMNS, step_rows, summary
from vecbench.streaming.runbook import Runbook, load_runbook
from vecbench.streaming.truth import streaming_truth
from vecbench.streaming.workload import RunbookSource, StreamingOps

STEPS_FILE = "steps.parquet"


@dataclasses.dataclass(frozen=True)
class StreamPoint:
    """A build point under a policy: its keys include the runbook's steps and the policy."""

    point: BuildPoint
    policy: Policy
    mode: str


def runbook_path(path: str) -> Path:
    """The runbook file as given, with ``$VECBENCH_SHARED_DATA`` and ``~`` expanded."""
    return Path(os.path.expanduser(os.path.expandvars(path)))


def plan(config: ExperimentConfig, dataset: Dataset) -> tuple[Runbook, list[StreamPoint]]:
    """The runbook and the points, every check done: a one-line ConfigError before any build."""
    spec = config.runbook
    assert spec is not None
    if config.filters:
        raise ConfigError("filters and a runbook cannot be combined yet; drop filters or runbook")
    if config.repeats != 1:
        raise ConfigError("a runbook runs each build point once; set repeats: 1")
    runbook = load_runbook(runbook_path(spec.path), spec.key, dataset.n_base, spec.scale, spec.max_pts)
    if config.k > runbook.steps[0].rows:
        raise ConfigError(
            f"k={config.k} is larger than the runbook's first insert ({runbook.steps[0].rows} ids); lower k"
        )
    deletes = any(step.operation in ("delete", "replace") for step in runbook.steps)
    found: dict[str, StreamPoint] = {}
    for entry in config.indexes:
        points, notes = sweep_points(config.model_copy(update={"indexes": [entry]}), dataset.fingerprint)
        for note in notes:
            warn_line(f"warning: {note}")
        cls = get_adapter_class(entry.adapter)
        policy = parse_policy(entry.policy, entry.adapter, cls.capabilities)
        mode = update_mode(entry.adapter, cls.capabilities, policy, deletes)
        for point in points:
            adapter = cls(dataset.metric, **point.build_params)
            adapter.check_data(runbook.steps[0].rows, dataset.dim)  # what the first build indexes
            if config.threads != 1 and not cls.capabilities.thread_control:
                raise ConfigError(f"adapter '{entry.adapter}' cannot set search threads; use threads: 1")
            keyed = rekey(point, runbook, policy)
            if entry.label is None:  # tables and plots tell the policies of one adapter apart
                keyed = dataclasses.replace(keyed, label=f"{entry.adapter} [{policy.label()}]")
            if keyed.key in found:
                warn_line(
                    f"warning: {keyed.label} {canonical_json(keyed.build_params)} under {policy.label()} is listed twice; running it once"
                )
                continue
            found[keyed.key] = StreamPoint(keyed, policy, mode)
    return runbook, list(found.values())


def rekey(point: BuildPoint, runbook: Runbook, policy: Policy) -> BuildPoint:
    """Keys that also hash the runbook's steps and the policy (never those of a static sweep)."""

    def digest(*parts: str) -> str:
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]

    build_key = digest(point.key, "runbook", runbook.digest(), canonical_json({"policy": policy.as_json()}))
    queries = tuple(
        QueryPoint(q.params, digest(build_key, canonical_json(q.params))) for q in point.query_points
    )
    return dataclasses.replace(point, key=build_key, query_points=queries)


@dataclasses.dataclass(frozen=True)
class StreamQuery:
    """One query point of a build point under a policy: a row of results.parquet and its steps."""

    query: QueryPoint
    stream: StreamPoint


class StreamingExperiment:
    """A config with a runbook into one output folder (``OUT/results.parquet`` and
    ``OUT/steps.parquet``), driven by the one engine like index sweeps and pipelines."""

    independent_tasks = True
    scope: Scope = "index"

    def __init__(self, config: ExperimentConfig, store: ResultStore) -> None:
        self.config = config
        self.store = store
        self.steps_table = PartedTable(store.out_dir, STEPS_FILE, STEP_COLUMNS)

    def prepare(self) -> RunContext:
        config, store = self.config, self.store
        self.dataset = dataset = load_dataset(config.dataset)
        self.runbook, self.points = plan(config, dataset)
        cache_dir = Path(config.cache_dir) if config.cache_dir else default_cache_dir()
        self.truth = streaming_truth(
            self.runbook, dataset.queries, dataset.base, dataset.metric, config.k, dataset.fingerprint, cache_dir
        )
        self.label = str(config.dataset.label())
        check_same_experiment(store, config.name, self.label, dataset.fingerprint)
        store.prepare()
        environment = {**collect_environment(config.threads), "calibration": job_calibration()}
        store.write_environment(environment)
        atomic_write_text(
            store.out_dir / "config.yaml", yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
        )
        return RunContext(
            out_dir=store.out_dir,
            experiment=config.name,
            config=config.model_dump(mode="json"),
            environment=environment,
            dataset_label=self.label,
            dataset_fingerprint=dataset.fingerprint,
        )

    def tasks(self) -> Sequence[BuildTask[StreamQuery]]:
        return [
            BuildTask(
                label=f"{stream.point.label} {stream.policy.label()}",
                points=tuple((q.key, StreamQuery(q, stream)) for q in stream.point.query_points),
                timeout_s=stream.point.timeout_s,
                build=stream.point,
            )
            for stream in self.points
        ]

    def finished_keys(self) -> set[str]:
        return self.store.finished_keys()

    def worker_task(self, task: BuildTask[StreamQuery], points: Sequence[StreamQuery], repeat: int) -> WorkerTask:
        """One worker plays the runbook on one build for the query points still to do."""
        config, stream = self.config, points[0].stream
        first = self.runbook.steps[0]
        workload = StreamingOps(
            points=tuple((p.query.key, p.query.params) for p in points),
            steps=self.runbook.steps,
            n_ids=self.runbook.n_ids,
            policy=stream.policy,
            mode=stream.mode,
            timing=Timing(config.k, config.runs, config.warmup_queries, config.latency),
            freshness_sample=config.runbook.freshness_sample if config.runbook else 0,
        )
        return WorkerTask(
            adapter=stream.point.adapter,
            build_params=stream.point.build_params,
            source=RunbookSource(config.dataset, self.dataset.fingerprint, (first.start, first.end)),
            workloads=(workload,),
            threads=config.threads,
            raw_dir=str(self.store.raw_dir),
            memory_limit_bytes=int(config.memory_limit_gb * 2**30) if config.memory_limit_gb else None,
            repeat=repeat,
        )

    def in_process(self, task: BuildTask[StreamQuery], points: Sequence[StreamQuery]) -> Iterator[tuple[str, Any]]:
        raise AssertionError("every streaming task runs in a worker")

    def records(
        self, task: BuildTask[StreamQuery], point: StreamQuery, outcome: list[Any] | str, builds: Sequence[Built]
    ) -> list[dict[str, Any]]:
        """The point's row (with the streaming summary); its steps go to steps.parquet first."""
        config, stream, runbook = self.config, point.stream, self.runbook
        dataset = self.dataset
        row = base_row(config.name, dataset, self.label, stream.point, point.query, config.k)
        row.update(
            policy=stream.policy.label(), update_mode=stream.mode, runbook=runbook.name, runbook_scale=runbook.scale
        )
        if isinstance(outcome, str):
            row = failed_row(row, outcome)
        else:
            measured = outcome[-1]
            raw = load_raw(measured.raw_path)
            ident = {name: row[name] for name in ("experiment", "adapter", "label", "point_key", "build_key")}
            steps = step_rows(
                raw, runbook, self.truth, dataset.queries, dataset.base, dataset.metric, config.k,
                {**ident, "policy": stream.policy.label()},
            )  # fmt: skip
            self.steps_table.append(steps)
            row.update(summary(steps, raw, runbook))
            row.update(
                status="ok",
                rss_peak_bytes=measured.rss_peak_bytes,
                calibration_ms=calibration_ms(raw["calibration_ns"]),
                raw_path=str(Path(measured.raw_path).relative_to(self.store.out_dir)),
            )
        row.update(threads=config.threads, runs=config.runs, repeats=config.repeats)
        if builds:
            built = builds[-1]
            row.update(
                build_s=built.build_s,
                rss_before_build_bytes=built.rss_before_build_bytes,
                build_threads=built.build_threads,
            )
            if row.get("index_bytes") is None:
                row["index_bytes"] = built.index_bytes
        return [row]

    def closing_records(self) -> list[dict[str, Any]]:
        self.steps_table.compact()  # the step parts into steps.parquet, beside results.parquet
        return []

    def close(self) -> None:
        """Nothing to remove: raw arrays and step parts stay in the output folder."""
