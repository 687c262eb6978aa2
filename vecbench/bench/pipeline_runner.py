"""Runs a pipeline experiment: log -> split -> embeddings (checked) -> for exact retrieval, the
baselines and every index point: retrieve -> score -> re-rank -> metrics -> rows in the store.

Every configuration is evaluated on the same requests, so each one is compared with exact
retrieval request by request (paired bootstrap over users; catalogue metrics are recomputed on
the same resampled users; latencies get a delta without interval). Rows are written as each point
finishes. Each index build point retrieves in its own worker process (``pipeline_worker``), so a
library that fails, crashes or hangs (``timeout_s`` of the index entry) leaves failed rows with the
reason and the run goes on; exact retrieval, scoring, re-ranking and evaluation run here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from tqdm import tqdm

from vecbench.bench.calibration import calibration_ms
from vecbench.bench.config import StrategySpec
from vecbench.bench.engine import run_worker
from vecbench.bench.environment import collect_environment
from vecbench.bench.executor import Executor, LocalExecutor
from vecbench.bench.messages import Built, Measured
from vecbench.bench.pipeline_config import PipelineConfig
from vecbench.bench.sweep import canonical_json, expand_grid
from vecbench.bench.worker import ArraySource, WorkerTask, exception_line, write_raw
from vecbench.bench.workloads import Prepared, Retrieval
from vecbench.core.atomic import atomic_write_text
from vecbench.datasets.attributes import Attributes
from vecbench.datasets.logs.base import InteractionLog
from vecbench.datasets.logs.registry import load_log
from vecbench.datasets.logs.split import Replay, split_log, split_warnings
from vecbench.errors import ConfigError, DatasetError
from vecbench.filters.active import ActiveFilter
from vecbench.filters.strategies.base import CheckTarget
from vecbench.filters.strategies.registry import make_strategy
from vecbench.indexes.base import Metric, resolve_params
from vecbench.indexes.registry import get_adapter_class
from vecbench.metrics.distances import normalised
from vecbench.metrics.drift import neighbour_stability
from vecbench.metrics.filtered import overfetch_mean, short_result_fraction
from vecbench.pipeline.baselines import BaselineData, baseline_candidates, fitted_baseline, make_baseline
from vecbench.pipeline.cold_start import cold_candidates, cold_target_share
from vecbench.pipeline.comparison import TestSettings, metric_rows
from vecbench.pipeline.embeddings.base import ItemEmbedder, ItemVectors, make_embedder
from vecbench.pipeline.embeddings.checks import check_vectors
from vecbench.pipeline.evaluation import EvalContext, Key, Value, evaluate
from vecbench.pipeline.features import ItemStats, RequestStats
from vecbench.pipeline.pairs import check_pairs, compare_rows, pairs_of
from vecbench.pipeline.reranking import Reranker, make_reranker
from vecbench.pipeline.retrieval import Candidates, load_candidates
from vecbench.pipeline.scoring import Scorer, make_scorer
from vecbench.pipeline.stage_filter import stage_filter_from_config
from vecbench.pipeline.stages import StageInputs, StageLists, run_stages
from vecbench.pipeline.training import learned_examples
from vecbench.pipeline.users import user_matrix
from vecbench.reports.pipeline_store import PipelineStore
from vecbench.reports.sinks import ResultSink, RunContext, SinkChain

Results = dict[Key, Value]
DEFAULT_TIMEOUT_S = 1800.0  # per build point, in its worker (an index entry's timeout_s overrides)


@dataclass(frozen=True)
class IndexPoint:
    """One adapter build point with its query points, validated before any work."""

    adapter: str
    label: str
    build_params: dict[str, Any]
    query_params: tuple[dict[str, Any], ...]
    strategies: tuple[StrategySpec, ...]
    timeout_s: float


@dataclass(frozen=True)
class Identity:
    """What names one configuration's rows: its label, adapter, parameters and filter strategy
    (the label of what ran, and the requested spec that keys it)."""

    label: str
    adapter: str
    build: dict[str, Any]
    query: dict[str, Any]
    strategy: str
    strategy_spec: str
    key_label: str = ""  # the label as requested (auto before its choice); the label if empty


@dataclass(frozen=True)
class WorkerFigures:
    """What the worker measured around a run, as index sweeps record it: build time, index size,
    peak RSS (VmHWM) and the calibration kernel's median time beside the run."""

    build_s: float | None
    index_bytes: int | None
    rss_peak_bytes: int
    calibration_ms: float

    def columns(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class PlannedRun:
    """One (strategy, query point, k) of a build point: the key its rows get, and once it ran, the
    identity of what ran (``auto`` names its choice) and the worker's figures."""

    key: str
    strategy: int
    query: dict[str, Any]
    k: int
    identity: Identity
    strategy_name: str
    point: IndexPoint | None = None  # None for exact retrieval, whose label never changes
    worker: WorkerFigures | None = None

    def ran(self, measured: Measured, built: Built | None) -> PlannedRun:
        with np.load(measured.raw_path) as raw:
            calibration = calibration_ms(raw["calibration_ns"])
        figures = WorkerFigures(
            built.build_s if built else None, built.index_bytes if built else None,
            measured.rss_peak_bytes, calibration,
        )  # fmt: skip
        identity = self.identity
        if self.point is not None and measured.label is not None:  # exact keeps its fixed label
            shown = (
                self.strategy_name
                if measured.label == identity.strategy
                else f"{self.strategy_name}:{measured.label}"
            )
            identity = dataclasses.replace(
                identity, label=_label(self.point, self.query, shown), strategy=measured.label
            )
        return dataclasses.replace(self, identity=identity, worker=figures)


@dataclass(frozen=True)
class PipelineSummary:
    out_dir: Path
    runs: int
    failed: int
    wall_s: float
    checks: list[str]
    skipped: int = 0  # index runs already finished in OUT by an earlier run of the same config


def config_fingerprint(config: PipelineConfig) -> str:
    """16 hex digits over everything that shapes every row's value: the log, split, embedding,
    metric, users, stage-1 filter, scorer, re-rankers, baselines, evaluation and drift. The index
    list is left out (each configuration keys its own rows), so adding an index resumes."""
    data = config.model_dump(mode="json")
    data.pop("memory_limit_gb", None)  # how workers are run, not what the rows measure
    data["retrieval"] = {k: v for k, v in data["retrieval"].items() if k not in ("indexes", "strategies")}
    data.pop("compare", None)  # pairs are evaluated afresh from the stored lists at the end of each run
    return hashlib.blake2b(canonical_json(data).encode(), digest_size=8).hexdigest()


def expand_points(config: PipelineConfig, metric: Metric) -> list[IndexPoint]:
    """The configured index points (exact is the reference and runs anyway), checked up front."""
    points = []
    for entry in config.retrieval.indexes:
        if entry.adapter == "exact":
            continue
        cls = get_adapter_class(entry.adapter)
        strategies = tuple(entry.strategies or config.retrieval.strategies)
        for spec in strategies:
            make_strategy(spec)  # names and parameters, before anything is trained
        for build in expand_grid(entry.build):
            params = resolve_params(entry.adapter, cls.build_param_specs, build)
            cls(metric, **params)  # refuses an unsupported metric before anything is trained
            queries = tuple(
                resolve_params(entry.adapter, cls.query_param_specs, q) for q in expand_grid(entry.query)
            )
            label = entry.label or entry.adapter
            timeout = entry.timeout_s or DEFAULT_TIMEOUT_S
            points.append(IndexPoint(entry.adapter, label, params, queries, strategies, timeout))
    return points


def check_strategies(
    points: list[IndexPoint], metric: Metric, dim: int, attributes: Attributes | None
) -> None:
    """Each point's strategies against its adapter and the indexed items (before any index is built)."""
    for point in points:
        cls = get_adapter_class(point.adapter)
        for spec in point.strategies:
            make_strategy(spec).check(CheckTarget(cls, point.build_params, metric, dim, attributes))


class PipelineRunner:
    def __init__(
        self,
        config: PipelineConfig,
        out_dir: str | Path,
        progress: bool = True,
        executor: Executor | None = None,
        sinks: Sequence[ResultSink] = (),
    ) -> None:
        self.config = config
        self.executor = executor or LocalExecutor()
        self.sinks = SinkChain(sinks)  # each configuration reaches them as it finishes
        self.store = PipelineStore(out_dir)
        self.progress = progress

    def run(self) -> PipelineSummary:
        started = time.monotonic()
        config = self.config
        self.fingerprint = config_fingerprint(config)
        self.finished = self._finished_keys()
        self.skipped = 0
        log = load_log(config.log)
        self.stage = stage_filter_from_config(config.retrieval, log)
        replay = self._split(log)
        embedder = make_embedder(config.embedding)
        metric = Metric.parse(config.metric) if config.metric else embedder.default_metric
        points = expand_points(config, metric)
        pairs = pairs_of(config.compare)
        check_pairs(
            pairs, ["exact", *(make_baseline(spec).label for spec in config.baselines), *point_labels(points)]
        )
        scorer = make_scorer(config.scorer)
        rerankers = [make_reranker(spec) for spec in config.rerank]
        self.list_length = max(config.evaluation.cutoffs)
        if min(config.retrieval.k_candidates) < self.list_length:
            raise ConfigError(
                f"k_candidates {min(config.retrieval.k_candidates)} is below the longest cut-off "
                f"{self.list_length}; raise k_candidates or lower evaluation.cutoffs"
            )

        vectors = embedder.fit(replay.train, metric)
        report = check_vectors(vectors, replay.train)
        attributes = None if log.items.attributes is None else log.items.attributes.take(vectors.items)
        check_strategies(points, metric, vectors.dim, attributes)
        inputs = self._inputs(replay, vectors, metric)
        cold = config.retrieval.cold_start
        self.cold_share = cold_target_share(replay, vectors.items)
        self.cold = None if cold is None else cold_candidates(
            cold, replay, vectors.items, self.stage.rule, max(config.retrieval.k_candidates)
        )  # fmt: skip
        active = self.stage.rule.active(vectors.items, replay.requests.history_items)
        if not active.mask.any():
            raise ConfigError(
                f"retrieval.filter: none of the {len(vectors.items)} items with an embedding passes "
                f"{self.stage.text}; the passing items have no training events, so loosen the filter"
            )
        if scorer.needs_training:
            self._train(scorer, replay.train, embedder, metric)
        self.scorer_note = scorer.note
        ctx = EvalContext.build(
            replay.requests, replay.train, vectors.items, inputs.unit_vectors,
            config.evaluation.cutoffs, config.evaluation.beyond_k,
        )  # fmt: skip
        self.meta = {
            "experiment": config.name,
            "log": config.log.label(),
            "split": canonical_json(config.split.model_dump(exclude_defaults=True)) or config.split.kind,
            "embedding": vectors.description,
            "scorer": canonical_json(config.scorer.model_dump()),
            "rerank": ",".join(canonical_json(r.model_dump()) for r in config.rerank) or "none",
            "config_fingerprint": self.fingerprint,
            "filter": self.stage.text,
            "filter_name": self.stage.name,
            "pass_rate": active.pass_rate(len(replay.requests)),
            "correction": config.evaluation.correction,
            "alpha": 1 - config.evaluation.level,
        }
        ev = config.evaluation
        self.tests = TestSettings(ev.bootstrap, ev.permutations, ev.level, ev.seed)
        self._prepare_output(replay, report.as_dict(), log)
        self.sinks.start(
            RunContext(
                out_dir=self.store.out_dir,
                experiment=config.name,
                config=config.model_dump(mode="json"),
                environment=self.environment,
                dataset_label=config.log.label(),
                dataset_fingerprint=self.fingerprint,
            )
        )
        completed = False

        total = len(config.retrieval.k_candidates) * (
            1 + len(config.baselines) + sum(len(p.query_params) * len(p.strategies) for p in points)
        )
        bar = tqdm(total=total, unit="run", disable=not self.progress, dynamic_ncols=True)
        failed = 0
        try:
            reference: dict[int, Results] = {}
            exact = IndexPoint("exact", "exact", {}, ({},), ("exact-subset",), DEFAULT_TIMEOUT_S)
            bar.set_description("exact")
            exact_runs = self._planned_runs(exact, exact=True)  # always: it is the reference
            for run, outcome in self._retrieve(
                exact, exact_runs, vectors, attributes, active, inputs, metric
            ):
                if isinstance(outcome, str):
                    raise DatasetError(
                        f"exact retrieval failed, so nothing can be compared with it: {outcome}"
                    )
                lists = self._stages(outcome, inputs, scorer, rerankers, self.list_length)
                reference[run.k] = evaluate(lists, ctx)
                self._emit(run.identity, run.k, outcome, lists, reference[run.k], None, ctx, run.worker)
                bar.update(1)
            for spec in config.baselines:
                generator = fitted_baseline(
                    spec, BaselineData(replay.train, replay.log, replay.as_of_request)
                )
                scored = generator.params["score"]
                for k in config.retrieval.k_candidates:
                    found = baseline_candidates(generator, replay.requests, k, self.stage.rule)
                    lists = self._stages(
                        found, inputs, scorer if scored else None, rerankers, self.list_length
                    )
                    name = generator.label
                    key = Identity(name, spec.kind, {}, {}, name, name)
                    self._emit(key, k, found, lists, evaluate(lists, ctx), reference[k], ctx)
                    bar.update(1)
            for point in points:
                failed += self._run_point(
                    point, vectors, attributes, active, inputs, scorer, rerankers, ctx, reference, bar, metric
                )
            self._store(self._drift_rows(embedder, replay, vectors, metric))
            self._store(
                compare_rows(pairs, self.store.read(), self.store.raw_dir, ctx, self.tests, self._pair_base)
            )
            self.store.compact()  # the parts into pipeline.parquet
            completed = True
        finally:
            bar.close()
            self.sinks.finish(completed)
        wall = time.monotonic() - started
        checks = [*report.lines(), *(f"warning: {w}" for w in split_warnings(config.split))]
        if self.cold_share > 0:
            reach = (
                "blended in by retrieval.cold_start" if self.cold else "unreachable: set retrieval.cold_start"
            )
            checks.append(f"cold start: {self.cold_share:.1%} of targets have no training events ({reach})")
        return PipelineSummary(self.store.out_dir, total, failed, wall, checks, self.skipped)

    # ---- setup -----------------------------------------------------------------------------
    def _stages(self, found: Candidates, inputs: StageInputs, scorer: Scorer | None,
                rerankers: list[Reranker], length: int) -> StageLists:  # fmt: skip
        """Scoring and re-ranking, then the cold-start blend where the config declares one."""
        lists = run_stages(found, inputs, scorer, rerankers, length)
        return lists if self.cold is None else self.cold.blend(lists)

    def _finished_keys(self) -> set[str]:
        """Keys of configurations OUT already holds in full; refuses results of another config."""
        existing = self.store.read()
        if existing.empty:
            return set()
        prints = set(existing["config_fingerprint"].dropna()) if "config_fingerprint" in existing else set()
        if prints != {self.fingerprint}:
            raise ConfigError(
                f"{self.store.out_dir} holds pipeline results of another configuration (its log, split, "
                "embedding, users, filter, scorer, re-ranking or evaluation differ); give another --out "
                f"or delete {self.store.path}"
            )
        ok = existing.groupby("point_key")["status"].agg(lambda status: bool((status == "ok").all()))
        return {str(key) for key, done in ok.items() if done}

    def _split(self, log: InteractionLog) -> Replay:
        """The replay, its targets restricted to the items the stage filter passes when asked."""
        replay = split_log(log, self.config.split)
        self.dropped_requests = 0
        allowed = self.stage.rule.allowed
        if allowed is None or self.config.retrieval.targets == "all":
            return replay
        requests = replay.requests.with_targets_in(allowed)
        if len(requests) == 0:
            raise DatasetError(
                f"no request of {log.name} has a held-out item passing retrieval.filter; "
                "loosen the filter or set retrieval.targets: all"
            )
        self.dropped_requests = len(replay.requests) - len(requests)
        return dataclasses.replace(replay, requests=requests)

    def _inputs(self, replay: Replay, vectors: ItemVectors, metric: Metric) -> StageInputs:
        n_items = replay.log.n_items
        user_vectors, self.has_vector = user_matrix(replay.requests, vectors, n_items, self.config.users)
        unit = np.zeros((n_items, vectors.dim), dtype=np.float32)
        unit[vectors.items] = normalised(vectors.vectors)
        return StageInputs(
            requests=replay.requests,
            user_vectors=user_vectors,
            item_vectors=vectors.vectors,
            rows=vectors.rows_of(n_items),
            unit_vectors=unit,
            metric=metric,
            stats=ItemStats.from_log(replay.train),
            categories=replay.log.items.categories,
            stats_at=RequestStats(replay.log, replay.requests.time) if replay.as_of_request else None,
        )

    def _train(self, scorer: Scorer, train: InteractionLog, embedder: ItemEmbedder, metric: Metric) -> None:
        p = scorer.params
        examples = learned_examples(
            train, embedder, metric, self.config.users, max(self.config.retrieval.k_candidates),
            p["train_fraction"], p["max_requests"], p["seed"], self.config.split,
            self.config.retrieval.exclude_seen,
        )  # fmt: skip
        scorer.fit(examples)

    def _prepare_output(self, replay: Replay, checks: dict[str, Any], log: InteractionLog) -> None:
        self.store.prepare()
        out = self.store.out_dir
        atomic_write_text(
            out / "config.yaml", yaml.safe_dump(self.config.model_dump(mode="json"), sort_keys=False)
        )
        self.environment = collect_environment(1)
        atomic_write_text(out / "environment.json", json.dumps(self.environment, indent=2))
        requests = replay.requests
        self.store.write_checks(
            {
                "log": log.describe(),
                "split": replay.protocol,
                "split_warnings": split_warnings(self.config.split),
                "cold_target_share": self.cold_share,
                "train_events": replay.train.n_events,
                "requests": len(requests),
                "requests_without_passing_target": self.dropped_requests,
                "filter": self.stage.text,
                "pass_rate": self.meta["pass_rate"],
                "users": int(np.unique(requests.user).size),
                "requests_without_user_vector": int((~self.has_vector).sum()),
                "embedding": checks,
                "scorer": self.scorer_note,
            }
        )
        write_raw(
            self.store.raw_dir / "requests.npz",
            user=requests.user,
            time=requests.time,
            step=requests.step,
            targets_indptr=requests.targets.indptr,
            targets=requests.targets.values,
            history_lengths=requests.history_items.lengths(),
        )

    # ---- one index point -------------------------------------------------------------------
    def _run_point(
        self,
        point: IndexPoint,
        vectors: ItemVectors,
        attributes: Attributes | None,
        active: ActiveFilter,
        inputs: StageInputs,
        scorer: Scorer,
        rerankers: list[Reranker],
        ctx: EvalContext,
        reference: dict[int, Results],
        bar: Any,
        metric: Metric,
    ) -> int:
        """Retrieve in a worker (build once; every strategy, query point and k); each run is scored,
        re-ranked, evaluated and stored while the worker waits. Returns the number of failed runs."""
        planned = self._planned_runs(point, exact=False)
        todo = [run for run in planned if run.key not in self.finished]  # an earlier run did the rest
        failed = 0
        bar.set_description(f"{point.label} {canonical_json(point.build_params)}")
        for run, outcome in self._retrieve(point, todo, vectors, attributes, active, inputs, metric):
            try:
                if isinstance(outcome, str):
                    raise RuntimeError(outcome)
                lists = self._stages(outcome, inputs, scorer, rerankers, self.list_length)
                self._emit(
                    run.identity,
                    run.k,
                    outcome,
                    lists,
                    evaluate(lists, ctx),
                    reference[run.k],
                    ctx,
                    run.worker,
                )
            except Exception as exc:
                failed += 1
                row = self._row(run.identity, run.k)
                row.update(status="failed", error=_reason(exc), stage="-", metric="-", cohort="-")
                self._store([row])
            bar.update(1)
        self.skipped += len(planned) - len(todo)
        bar.update(len(planned) - len(todo))
        return failed

    def _retrieval(
        self, todo: list[PlannedRun], point: IndexPoint, vectors: ItemVectors, active: ActiveFilter
    ) -> Retrieval:
        runs = tuple((run.key, run.strategy, run.query, run.k) for run in todo)
        return Retrieval(runs, point.strategies, vectors.items, self.has_vector, active)

    def _planned_runs(self, point: IndexPoint, exact: bool) -> list[PlannedRun]:
        """Every (strategy, query point, k) of a build point with the key its rows get."""
        ks = tuple(self.config.retrieval.k_candidates)
        names = strategy_names(point.strategies)
        runs = []
        for s, spec in enumerate(point.strategies):
            asked = make_strategy(spec)
            for query in point.query_params:
                for k in ks:
                    key_label = "exact" if exact else _label(point, query, names[s])
                    identity = Identity(key_label, point.adapter, point.build_params if not exact else {},
                                        query, asked.label(), asked.spec(), key_label)  # fmt: skip
                    key = self._key(key_label, identity.build, query, k, asked.spec())
                    runs.append(PlannedRun(key, s, query, k, identity, names[s], None if exact else point))
        return runs

    def _retrieve(
        self,
        point: IndexPoint,
        todo: list[PlannedRun],
        vectors: ItemVectors,
        attributes: Attributes | None,
        active: ActiveFilter,
        inputs: StageInputs,
        metric: Metric,
    ) -> Iterator[tuple[PlannedRun, Candidates | str]]:
        """Each run's candidates (or why it has none), from a worker run by the executor, as every
        index is run: exact retrieval's latencies are measured exactly as the others'."""
        if not todo:
            return
        config = self.config
        by_key = {run.key: run for run in todo}
        built: list[Built] = []
        with tempfile.TemporaryDirectory(prefix="retrieval-", dir=self.store.out_dir) as scratch:
            task = WorkerTask(
                adapter=point.adapter,
                build_params=point.build_params,
                source=ArraySource(Prepared(vectors.vectors, inputs.user_vectors, metric, attributes)),
                workloads=(self._retrieval(todo, point, vectors, active),),
                threads=1,
                raw_dir=scratch,
                memory_limit_bytes=int(config.memory_limit_gb * 2**30) if config.memory_limit_gb else None,
            )
            for key, outcome in run_worker(self.executor, task, point.timeout_s, built.append):
                run = by_key[key]
                if isinstance(outcome, str):
                    yield run, outcome
                    continue
                run = run.ran(outcome, built[-1] if built else None)
                yield run, load_candidates(Path(outcome.raw_path))

    # ---- rows --------------------------------------------------------------------------------
    def _pair_base(self, label: str, k: int | None) -> dict[str, Any]:
        """Identity of a comparison's rows (``compare`` pairs): the pair's label, at one k."""
        return self._row(Identity(label, "compare", {}, {}, "compare", "compare"), k)

    def _key(
        self, key_label: str, build: dict[str, Any], query: dict[str, Any], k: int | None, strategy_spec: str
    ) -> str:
        """A configuration's point key: this config's fingerprint, its requested label, parameters,
        k, the stage filter and the requested strategy (so it is known before anything runs)."""
        parts = [self.config.name, self.fingerprint, key_label, canonical_json(build), canonical_json(query),
                 str(k), self.stage.text, strategy_spec]  # fmt: skip
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]

    def _row(self, key: Identity, k: int | None) -> dict[str, Any]:
        digest = self._key(key.key_label or key.label, key.build, key.query, k, key.strategy_spec)
        return {
            **self.meta,
            "retrieval": key.label,
            "adapter": key.adapter,
            "build_params": canonical_json(key.build),
            "query_params": canonical_json(key.query),
            "strategy": key.strategy,
            "k_candidates": k,
            "point_key": digest,
            "status": "ok",
            "finished_at": time.time(),
        }

    def _emit(
        self,
        key: Identity,
        k: int,
        found: Candidates,
        lists: StageLists,
        results: Results,
        reference: Results | None,
        ctx: EvalContext,
        worker: WorkerFigures | None = None,
    ) -> None:
        base = self._row(key, k)
        if worker is not None:
            base.update(worker.columns())
        served = found.items[self.has_vector]
        base.update(
            short_result_frac=short_result_fraction(served, k) if served.size else float("nan"),
            overfetch_mean=overfetch_mean(found.fetched[self.has_vector], k),
        )
        write_raw(
            self.store.raw_dir / f"{base['point_key']}.npz",
            **{f"{stage}_items": ranked for stage, ranked in lists.lists().items()},
            **{f"{stage}_latency_ns": ns for stage, ns in lists.latency_ns.items()},
        )
        self._store(metric_rows(base, results, reference, ctx.clusters, self.tests))

    def _store(self, rows: list[dict[str, Any]]) -> None:
        """Rows of finished configurations: the result file first, then the live sinks (MLflow),
        one configuration at a time."""
        if not rows:
            return
        self.store.append(rows)
        by_key: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_key.setdefault(str(row["point_key"]), []).append(row)
        for configuration in by_key.values():
            self.sinks.configuration(configuration)

    def _drift_rows(
        self, embedder: ItemEmbedder, replay: Replay, vectors: ItemVectors, metric: Metric
    ) -> list[dict[str, Any]]:
        """Neighbour-set stability across the replay's time windows (and versus a second embedding)."""
        spec = self.config.drift
        if spec is None:
            return []
        log = replay.log
        end = int(log.timestamp[-1]) + 1
        times = [*replay.step_times, end] if replay.step_times else [end]
        versions = [(vectors.items, vectors.vectors)]
        versions += [
            (v.items, v.vectors)
            for v in (embedder.fit(log.before(t), metric) for t in times[1 if replay.step_times else 0 :])
        ]
        common = vectors.items
        for items, _ in versions[1:]:
            common = np.intersect1d(common, items)
        rng = np.random.default_rng(spec.seed)
        probes = np.sort(rng.choice(common, size=min(spec.probe_items, common.size), replace=False))
        rows = []
        pairs = [(0, j) for j in range(1, len(versions))] + [(j - 1, j) for j in range(2, len(versions))]
        base = self._row(Identity("-", "-", {}, {}, "-", "-"), None)
        for a, b in pairs:
            values = neighbour_stability(versions[a], versions[b], probes, spec.k, metric)
            rows.append({**base, "stage": "embedding", "metric": f"neighbour_jaccard@{spec.k}",
                         "cohort": f"versions:{a}-{b}", "higher_is_better": True,
                         "value": float(values.mean()), "n_requests": int(values.size)})  # fmt: skip
        if spec.versus is not None:
            other_embedder = make_embedder(spec.versus)
            other = other_embedder.fit(replay.train, other_embedder.default_metric)
            shared = np.intersect1d(vectors.items, other.items)
            picked = np.sort(rng.choice(shared, size=min(spec.probe_items, shared.size), replace=False))
            values = neighbour_stability(
                (vectors.items, vectors.vectors),
                (other.items, other.vectors),
                picked,
                spec.k,
                metric,
                other.metric,
            )
            rows.append({**base, "stage": "embedding", "metric": f"neighbour_jaccard@{spec.k}",
                         "cohort": f"versus:{spec.versus.kind}", "higher_is_better": True,
                         "value": float(values.mean()), "n_requests": int(values.size)})  # fmt: skip
        base_key = base["point_key"]
        for row in rows:
            row["point_key"] = base_key
        return rows


def point_labels(points: list[IndexPoint]) -> list[str]:
    """The requested label of every configuration of the index points (``compare:`` names them)."""
    return [
        _label(point, query, name)
        for point in points
        for name in strategy_names(point.strategies)
        for query in point.query_params
    ]


def strategy_names(specs: tuple[StrategySpec, ...]) -> list[str]:
    """A distinct name per requested strategy for row labels: its label (``pre``,
    ``post-adaptive``, ``auto``), with its parameters where two would otherwise read the same."""
    made = [make_strategy(spec) for spec in specs]
    labels = [strategy.label() for strategy in made]
    return [
        label
        if labels.count(label) == 1
        else f"{label}({' '.join(f'{k}={v}' for k, v in strategy.params.items())})"
        for label, strategy in zip(labels, made, strict=True)
    ]


def _reason(exc: Exception) -> str:
    """A worker's reason as it gave it; anything raised here as 'Type: message'."""
    return str(exc) if isinstance(exc, RuntimeError) and str(exc) else exception_line(exc)


def _label(point: IndexPoint, query: dict[str, Any], strategy: str) -> str:
    params = {**point.build_params, **query}
    shown = " ".join(f"{k}={v}" for k, v in params.items() if k not in ("seed", "build_threads"))
    return f"{point.label} {shown} {strategy}".replace("  ", " ").strip()
