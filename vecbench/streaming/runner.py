"""Runs an experiment with a runbook: everything validated first, then one worker per build point.

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
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from tqdm import tqdm

from vecbench.bench.calibration import calibration_ms, job_calibration
from vecbench.bench.config import ExperimentConfig
from vecbench.bench.engine import run_worker
from vecbench.bench.environment import collect_environment
from vecbench.bench.messages import Built
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
from vecbench.streaming.index import update_mode
from vecbench.streaming.policy import Policy, parse_policy
from vecbench.streaming.records import STEP_COLUMNS, step_rows, summary
from vecbench.streaming.runbook import Runbook, load_runbook
from vecbench.streaming.truth import StepTruth, streaming_truth
from vecbench.streaming.workload import RunbookSource, StreamingOps

if TYPE_CHECKING:
    from vecbench.bench.runner import Runner, RunSummary

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


def run_streaming(runner: Runner) -> RunSummary:
    """``Runner.run`` for a config with a runbook (the runner's store, sinks and executor)."""
    from vecbench.bench.runner import RunSummary

    started = time.monotonic()
    config, store = runner.config, runner.store
    dataset = load_dataset(config.dataset)
    runbook, points = plan(config, dataset)
    cache_dir = Path(config.cache_dir) if config.cache_dir else default_cache_dir()
    truth = streaming_truth(
        runbook, dataset.queries, dataset.base, dataset.metric, config.k, dataset.fingerprint, cache_dir
    )
    check_same_experiment(store, config.name, str(config.dataset.label()), dataset.fingerprint)
    store.prepare()
    steps_table = PartedTable(store.out_dir, STEPS_FILE, STEP_COLUMNS)
    environment = {**collect_environment(config.threads), "calibration": job_calibration()}
    store.write_environment(environment)
    atomic_write_text(
        store.out_dir / "config.yaml", yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    )
    runner.sinks.start(
        RunContext(
            out_dir=store.out_dir,
            experiment=config.name,
            config=config.model_dump(mode="json"),
            environment=environment,
            dataset_label=str(config.dataset.label()),
            dataset_fingerprint=dataset.fingerprint,
        )
    )
    done = store.finished_keys()
    todo = [p for p in points if any(q.key not in done for q in p.point.query_points)]
    total = sum(len(p.point.query_points) for p in points)
    skipped = total - sum(sum(q.key not in done for q in p.point.query_points) for p in todo)
    failed = 0
    bar = tqdm(total=total - skipped, unit="point", disable=not runner.progress, dynamic_ncols=True)
    completed = False
    try:
        for stream in todo:
            bar.set_description(f"{stream.point.label} {stream.policy.label()}")
            for row in run_point(runner, stream, runbook, truth, dataset, environment, steps_table):
                failed += row["status"] != "ok"
                bar.update(1)
        store.compact()
        steps_table.compact()
        completed = True
    finally:
        bar.close()
        runner.sinks.finish(completed)
    return RunSummary(store.out_dir, total, total - skipped, skipped, failed, time.monotonic() - started)


def run_point(
    runner: Runner,
    stream: StreamPoint,
    runbook: Runbook,
    truth: dict[int, StepTruth],
    dataset: Dataset,
    environment: dict[str, Any],
    steps_table: PartedTable,
) -> list[dict[str, Any]]:
    """One worker plays the runbook on one build; each query point becomes a row and its steps."""
    config, point = runner.config, stream.point
    first = runbook.steps[0]
    workload = StreamingOps(
        points=tuple((q.key, q.params) for q in point.query_points),
        steps=runbook.steps,
        n_ids=runbook.n_ids,
        policy=stream.policy,
        mode=stream.mode,
        timing=Timing(config.k, config.runs, config.warmup_queries, config.latency),
        freshness_sample=config.runbook.freshness_sample if config.runbook else 0,
    )
    task = WorkerTask(
        adapter=point.adapter,
        build_params=point.build_params,
        source=RunbookSource(config.dataset, dataset.fingerprint, (first.start, first.end)),
        workloads=(workload,),
        threads=config.threads,
        raw_dir=str(runner.store.raw_dir),
        memory_limit_bytes=int(config.memory_limit_gb * 2**30) if config.memory_limit_gb else None,
    )
    by_key = {q.key: q for q in point.query_points}
    builds: list[Built] = []
    rows: list[dict[str, Any]] = []
    label = str(config.dataset.label())
    for key, outcome in run_worker(runner.executor, task, point.timeout_s, builds.append):
        row = base_row(config.name, dataset, label, point, by_key[key], config.k)
        row.update(
            policy=stream.policy.label(),
            update_mode=stream.mode,
            runbook=runbook.name,
            runbook_scale=runbook.scale,
        )
        if isinstance(outcome, str):
            row = failed_row(row, outcome)
        else:
            raw = load_raw(outcome.raw_path)
            ident = {name: row[name] for name in ("experiment", "adapter", "label", "point_key", "build_key")}
            steps = step_rows(
                raw,
                runbook,
                truth,
                dataset.queries,
                dataset.base,
                dataset.metric,
                config.k,
                {**ident, "policy": stream.policy.label()},
            )
            steps_table.append(steps)
            row.update(summary(steps, raw, runbook))
            row.update(
                status="ok",
                rss_peak_bytes=outcome.rss_peak_bytes,
                calibration_ms=calibration_ms(raw["calibration_ns"]),
                raw_path=str(Path(outcome.raw_path).relative_to(runner.store.out_dir)),
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
        runner.store.append([row], environment)
        rows.append(row)
        if runner.on_row is not None:
            runner.on_row(row)
        runner.sinks.row(row)
    return rows
