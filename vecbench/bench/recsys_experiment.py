"""The recommendation pipeline as an engine experiment: log -> split -> embeddings (checked) -> for
exact retrieval, the baselines and every index point: retrieve -> score -> re-rank -> metrics -> rows.

Every configuration is evaluated on the same requests, so each one is compared with exact
retrieval request by request (paired bootstrap over users; catalogue metrics are recomputed on
the same resampled users; latencies get a delta without interval). Exact retrieval and every index
retrieve in a worker run by the executor, so their latencies are measured the same way; a library
that fails, crashes or hangs leaves failed rows with the reason and the run goes on. Scoring,
re-ranking and evaluation run here while the worker waits.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from vecbench.bench.engine import Row, Scope
from vecbench.bench.environment import collect_environment
from vecbench.bench.messages import Built, Measured
from vecbench.bench.pipeline_config import PipelineConfig
from vecbench.bench.plan import BuildTask
from vecbench.bench.recsys_drift import drift_rows
from vecbench.bench.recsys_plan import (
    EXACT,
    BaselineRun,
    Identity,
    IndexPoint,
    PlannedRun,
    RunKeys,
    WorkerFigures,
    check_strategies,
    config_fingerprint,
    expand_points,
    failure_reason,
    planned_runs,
    point_labels,
)
from vecbench.bench.sweep import canonical_json
from vecbench.bench.worker import ArraySource, WorkerTask, write_raw
from vecbench.bench.workloads import Prepared, Retrieval
from vecbench.core.atomic import atomic_write_text
from vecbench.datasets.attributes import Attributes
from vecbench.datasets.logs.base import InteractionLog
from vecbench.datasets.logs.registry import load_log
from vecbench.datasets.logs.split import Replay, split_log, split_warnings
from vecbench.errors import ConfigError, DatasetError
from vecbench.filters.active import ActiveFilter
from vecbench.indexes.base import Metric
from vecbench.metrics.distances import normalised
from vecbench.metrics.filtered import overfetch_mean, short_result_fraction
from vecbench.pipeline.baselines import BaselineData, baseline_candidates, fitted_baseline, make_baseline
from vecbench.pipeline.cold_start import ColdCandidates, cold_candidates, cold_target_share
from vecbench.pipeline.comparison import TestSettings, metric_rows
from vecbench.pipeline.embeddings.base import ItemEmbedder, ItemVectors, make_embedder
from vecbench.pipeline.embeddings.checks import check_vectors
from vecbench.pipeline.evaluation import EvalContext, Key, Value, evaluate
from vecbench.pipeline.features import ItemStats, RequestStats
from vecbench.pipeline.pairs import check_pairs, compare_rows, pairs_of
from vecbench.pipeline.reranking import Reranker, make_reranker
from vecbench.pipeline.retrieval import Candidates, load_candidates
from vecbench.pipeline.scoring import Scorer, make_scorer
from vecbench.pipeline.stage_filter import StageFilterSetup, stage_filter_from_config
from vecbench.pipeline.stages import StageInputs, StageLists, run_stages
from vecbench.pipeline.training import learned_examples
from vecbench.pipeline.users import user_matrix
from vecbench.reports.pipeline_store import PipelineStore
from vecbench.reports.sinks import RunContext

Results = dict[Key, Value]
PipelinePoint = PlannedRun | BaselineRun


class RecsysExperiment:
    """A pipeline config into one output folder, resumed per configuration."""

    independent_tasks = False
    scope: Scope = "pipeline"

    def __init__(self, config: PipelineConfig, store: PipelineStore) -> None:
        self.config = config
        self.store = store
        self.reference: dict[int, Results] = {}  # exact retrieval's results per k_candidates
        self.checks: list[str] = []
        self.scratch: Path | None = None

    # ---- before anything runs ---------------------------------------------------------------
    def prepare(self) -> RunContext:
        config = self.config
        self.fingerprint = config_fingerprint(config)
        self._check_folder()
        log = load_log(config.log)
        self.stage: StageFilterSetup = stage_filter_from_config(config.retrieval, log)
        self.keys = RunKeys(config.name, self.fingerprint, self.stage.text)
        self.replay = replay = self._split(log)
        self.embedder = embedder = make_embedder(config.embedding)
        self.metric = metric = Metric.parse(config.metric) if config.metric else embedder.default_metric
        self.points = expand_points(config, metric)
        self.pairs = pairs_of(config.compare)
        check_pairs(
            self.pairs,
            ["exact", *(make_baseline(spec).label for spec in config.baselines), *point_labels(self.points)],
        )
        self.scorer: Scorer = make_scorer(config.scorer)
        self.rerankers: list[Reranker] = [make_reranker(spec) for spec in config.rerank]
        self.list_length = max(config.evaluation.cutoffs)
        if min(config.retrieval.k_candidates) < self.list_length:
            raise ConfigError(
                f"k_candidates {min(config.retrieval.k_candidates)} is below the longest cut-off "
                f"{self.list_length}; raise k_candidates or lower evaluation.cutoffs"
            )
        self.vectors = vectors = embedder.fit(replay.train, metric)
        report = check_vectors(vectors, replay.train)
        self.attributes: Attributes | None = (
            None if log.items.attributes is None else log.items.attributes.take(vectors.items)
        )
        check_strategies(self.points, metric, vectors.dim, self.attributes)
        self.inputs = self._inputs(replay, vectors, metric)
        self.cold_share = cold_target_share(replay, vectors.items)
        cold = config.retrieval.cold_start
        self.cold: ColdCandidates | None = None if cold is None else cold_candidates(
            cold, replay, vectors.items, self.stage.rule, max(config.retrieval.k_candidates)
        )  # fmt: skip
        self.active = self._active_filter()
        if self.scorer.needs_training:
            self._train(replay.train, embedder, metric)
        self.ctx = EvalContext.build(
            replay.requests, replay.train, vectors.items, self.inputs.unit_vectors,
            config.evaluation.cutoffs, config.evaluation.beyond_k,
        )  # fmt: skip
        self.meta = self._meta()
        ev = config.evaluation
        self.tests = TestSettings(ev.bootstrap, ev.permutations, ev.level, ev.seed)
        self._prepare_output(report.as_dict(), log)
        self.checks = self._checks(report.lines())
        return RunContext(
            out_dir=self.store.out_dir,
            experiment=config.name,
            config=config.model_dump(mode="json"),
            environment=self.environment,
            dataset_label=config.log.label(),
            dataset_fingerprint=self.fingerprint,
        )

    def tasks(self) -> Sequence[BuildTask[PipelinePoint]]:
        """Exact retrieval first (the reference every other configuration is compared with), then
        the baselines, then every index build point."""
        ks = tuple(self.config.retrieval.k_candidates)

        def points(runs: Sequence[PipelinePoint]) -> tuple[tuple[str, PipelinePoint], ...]:
            return tuple((run.key, run) for run in runs)

        exact = BuildTask[PipelinePoint](
            "exact", points(planned_runs(EXACT, ks, self.keys, exact=True)), EXACT.timeout_s, always=True
        )
        baselines = []
        for spec in self.config.baselines:
            label = make_baseline(spec).label
            runs = []
            for k in ks:
                identity = Identity(label, spec.kind, {}, {}, label, label)
                runs.append(BaselineRun(self.keys.of(identity, k), k, identity))
            baselines.append(
                BuildTask[PipelinePoint](label, points(runs), EXACT.timeout_s, in_process=True, always=True)
            )
        indexes = [
            BuildTask[PipelinePoint](
                f"{point.label} {canonical_json(point.build_params)}",
                points(planned_runs(point, ks, self.keys)),
                point.timeout_s,
            )
            for point in self.points
        ]
        return [exact, *baselines, *indexes]

    def finished_keys(self) -> set[str]:
        return self._finished

    # ---- what a worker does -------------------------------------------------------------------
    def worker_task(
        self, task: BuildTask[PipelinePoint], points: Sequence[PipelinePoint], repeat: int
    ) -> WorkerTask:
        runs = [run for run in points if isinstance(run, PlannedRun)]
        point = runs[0].point or EXACT
        if self.scratch is None:
            self.scratch = Path(tempfile.mkdtemp(prefix="retrieval-", dir=self.store.out_dir))
        memory = self.config.memory_limit_gb
        retrieval = Retrieval(
            tuple((run.key, run.strategy, run.query, run.k) for run in runs),
            point.strategies, self.vectors.items, self.has_vector, self.active,
        )  # fmt: skip
        return WorkerTask(
            adapter=point.adapter,
            build_params=point.build_params,
            source=ArraySource(
                Prepared(self.vectors.vectors, self.inputs.user_vectors, self.metric, self.attributes)
            ),
            workloads=(retrieval,),
            threads=1,
            raw_dir=str(self.scratch),
            memory_limit_bytes=int(memory * 2**30) if memory else None,
            repeat=repeat,
        )

    def in_process(
        self, task: BuildTask[PipelinePoint], points: Sequence[PipelinePoint]
    ) -> Iterator[tuple[str, Any]]:
        """A baseline's candidates per k, fitted once on the training log."""
        spec = next(s for s in self.config.baselines if make_baseline(s).label == task.label)
        replay = self.replay
        generator = fitted_baseline(spec, BaselineData(replay.train, replay.log, replay.as_of_request))
        self.scored_baseline = bool(generator.params["score"])
        for run in points:
            if isinstance(run, BaselineRun):
                yield run.key, baseline_candidates(generator, replay.requests, run.k, self.stage.rule)

    # ---- rows ----------------------------------------------------------------------------------
    def records(
        self,
        task: BuildTask[PipelinePoint],
        point: PipelinePoint,
        outcome: list[Any] | str,
        builds: Sequence[Built],
    ) -> list[Row]:
        """A configuration's metric rows: scored, re-ranked and evaluated against exact retrieval."""
        exact = isinstance(point, PlannedRun) and point.point is None
        if isinstance(outcome, str):
            if exact:
                raise DatasetError(f"exact retrieval failed, so nothing can be compared with it: {outcome}")
            return [self._failed(point.identity, point.k, outcome)]
        if isinstance(point, BaselineRun):
            scorer = self.scorer if self.scored_baseline else None
            return self._evaluated(point.identity, point.k, outcome[0], scorer, self.reference[point.k])
        measured: Measured = outcome[-1]
        run = point.ran(measured, builds[-1] if builds else None)
        raw = Path(measured.raw_path)
        try:
            found = load_candidates(raw)
            raw.unlink(missing_ok=True)
            if exact:
                lists = self._stages(found, self.scorer)
                self.reference[run.k] = results = evaluate(lists, self.ctx)
                return self._rows(run.identity, run.k, found, lists, results, None, run.worker)
            return self._evaluated(run.identity, run.k, found, self.scorer, self.reference[run.k], run.worker)
        except DatasetError:
            raise
        except Exception as exc:
            if exact:
                raise
            return [self._failed(run.identity, run.k, failure_reason(exc))]

    def closing_records(self) -> list[Row]:
        """Neighbour stability across windows (``drift``), then the ``compare`` pairs, read from the
        stored lists of this and earlier runs."""
        drift = drift_rows(
            self.config.drift, self.embedder, self.replay, self.vectors, self.metric,
            self._row(Identity("-", "-", {}, {}, "-", "-"), None),
        )  # fmt: skip
        pairs = compare_rows(self.pairs, self.store.read(), self.store.raw_dir, self.ctx, self.tests, self._pair_base)
        return [*drift, *pairs]

    def close(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def _evaluated(
        self,
        identity: Identity,
        k: int,
        found: Candidates,
        scorer: Scorer | None,
        reference: Results,
        worker: WorkerFigures | None = None,
    ) -> list[Row]:
        lists = self._stages(found, scorer)
        return self._rows(identity, k, found, lists, evaluate(lists, self.ctx), reference, worker)

    def _stages(self, found: Candidates, scorer: Scorer | None) -> StageLists:
        """Scoring and re-ranking, then the cold-start blend where the config declares one."""
        lists = run_stages(found, self.inputs, scorer, self.rerankers, self.list_length)
        return lists if self.cold is None else self.cold.blend(lists)

    def _rows(
        self,
        identity: Identity,
        k: int,
        found: Candidates,
        lists: StageLists,
        results: Results,
        reference: Results | None,
        worker: WorkerFigures | None,
    ) -> list[Row]:
        """The metric rows of one configuration; its ranked lists and stage latencies go to raw/."""
        base = self._row(identity, k)
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
        return metric_rows(base, results, reference, self.ctx.clusters, self.tests)

    def _failed(self, identity: Identity, k: int, reason: str) -> Row:
        row = self._row(identity, k)
        row.update(status="failed", error=reason, stage="-", metric="-", cohort="-")
        return row

    def _pair_base(self, label: str, k: int | None) -> Row:
        """Identity of a comparison's rows (``compare`` pairs): the pair's label, at one k."""
        return self._row(Identity(label, "compare", {}, {}, "compare", "compare"), k)

    def _row(self, identity: Identity, k: int | None) -> Row:
        return {
            **self.meta,
            "retrieval": identity.label,
            "adapter": identity.adapter,
            "build_params": canonical_json(identity.build),
            "query_params": canonical_json(identity.query),
            "strategy": identity.strategy,
            "k_candidates": k,
            "point_key": self.keys.of(identity, k),
            "status": "ok",
            "finished_at": time.time(),
        }

    # ---- setup ---------------------------------------------------------------------------------
    def _check_folder(self) -> None:
        """Keys of configurations OUT already holds in full; refuses results of another config."""
        existing = self.store.read()
        self._finished: set[str] = set()
        if existing.empty:
            return
        prints = set(existing["config_fingerprint"].dropna()) if "config_fingerprint" in existing else set()
        if prints != {self.fingerprint}:
            raise ConfigError(
                f"{self.store.out_dir} holds pipeline results of another configuration (its log, split, "
                "embedding, users, filter, scorer, re-ranking or evaluation differ); give another --out "
                f"or delete {self.store.path}"
            )
        ok = existing.groupby("point_key")["status"].agg(lambda status: bool((status == "ok").all()))
        self._finished = {str(key) for key, done in ok.items() if done}

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

    def _active_filter(self) -> ActiveFilter:
        active = self.stage.rule.active(self.vectors.items, self.replay.requests.history_items)
        if not active.mask.any():
            raise ConfigError(
                f"retrieval.filter: none of the {len(self.vectors.items)} items with an embedding passes "
                f"{self.stage.text}; the passing items have no training events, so loosen the filter"
            )
        return active

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

    def _train(self, train: InteractionLog, embedder: ItemEmbedder, metric: Metric) -> None:
        p = self.scorer.params
        config = self.config
        examples = learned_examples(
            train, embedder, metric, config.users, max(config.retrieval.k_candidates),
            p["train_fraction"], p["max_requests"], p["seed"], config.split, config.retrieval.exclude_seen,
        )  # fmt: skip
        self.scorer.fit(examples)

    def _meta(self) -> Row:
        """The columns every row of this run shares."""
        config = self.config
        return {
            "experiment": config.name,
            "log": config.log.label(),
            "split": canonical_json(config.split.model_dump(exclude_defaults=True)) or config.split.kind,
            "embedding": self.vectors.description,
            "scorer": canonical_json(config.scorer.model_dump()),
            "rerank": ",".join(canonical_json(r.model_dump()) for r in config.rerank) or "none",
            "config_fingerprint": self.fingerprint,
            "filter": self.stage.text,
            "filter_name": self.stage.name,
            "pass_rate": self.active.pass_rate(len(self.replay.requests)),
            "correction": config.evaluation.correction,
            "alpha": 1 - config.evaluation.level,
        }

    def _checks(self, embedding_lines: list[str]) -> list[str]:
        """What the CLI prints under the summary: the embedding checks, split and cold-start notes."""
        checks = [*embedding_lines, *(f"warning: {w}" for w in split_warnings(self.config.split))]
        if self.cold_share > 0:
            reach = "blended in by retrieval.cold_start" if self.cold else "unreachable: set retrieval.cold_start"
            checks.append(f"cold start: {self.cold_share:.1%} of targets have no training events ({reach})")
        return checks

    def _prepare_output(self, checks: dict[str, Any], log: InteractionLog) -> None:
        self.store.prepare()
        out = self.store.out_dir
        atomic_write_text(
            out / "config.yaml", yaml.safe_dump(self.config.model_dump(mode="json"), sort_keys=False)
        )
        self.environment = collect_environment(1)
        atomic_write_text(out / "environment.json", json.dumps(self.environment, indent=2))
        requests = self.replay.requests
        self.store.write_checks(
            {
                "log": log.describe(),
                "split": self.replay.protocol,
                "split_warnings": split_warnings(self.config.split),
                "cold_target_share": self.cold_share,
                "train_events": self.replay.train.n_events,
                "requests": len(requests),
                "requests_without_passing_target": self.dropped_requests,
                "filter": self.stage.text,
                "pass_rate": self.meta["pass_rate"],
                "users": int(np.unique(requests.user).size),
                "requests_without_user_vector": int((~self.has_vector).sum()),
                "embedding": checks,
                "scorer": self.scorer.note,
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


__all__ = ["IndexPoint", "RecsysExperiment"]
