"""The streaming workload: play a runbook on one built index, timing every step.

The worker builds the index on the runbook's first insert (that step's time is the build time),
then this workload applies each later step under the entry's policy: update steps are timed one
call each (``rows`` and ``seconds``), a rebuild the policy asks for is timed after its step, and
at every search step each query point is timed like a static point (warm-up, batch QPS, single-
query latency) with the raw ids (tags) kept per step. Freshness is measured by querying: a sample
of each insert's items is searched for with their own vectors after every later update step until
each appears in the top k (time from the start of its insert call); likewise deleted items until
they stop appearing. Nothing here compares with ground truth: the engine does, from the raw arrays.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from vecbench.bench.messages import Failed, Measured
from vecbench.bench.workloads import Prepared, Timing, WorkerContext, WriteRaw, failure, time_point
from vecbench.datasets import load_dataset
from vecbench.datasets.spec import DatasetSpec
from vecbench.streaming.index import StreamIndex
from vecbench.streaming.policy import Policy
from vecbench.streaming.runbook import LiveState, Step

# How each step reached the index (the ``applied`` column of steps.parquet).
APPLIED = ("search", "build", "incremental", "tombstone", "buffered")


@dataclass(frozen=True)
class StreamPrepared(Prepared):
    """The data of a streaming worker: ``base`` is what the first insert builds on; ``vectors`` all
    rows the runbook draws from."""

    vectors: np.ndarray | None = None


@dataclass(frozen=True)
class RunbookSource:
    """A dataset loaded in the worker; the index is built on the first insert's rows."""

    spec: DatasetSpec
    fingerprint: str
    first: tuple[int, int]

    def load(self) -> Prepared:
        dataset = load_dataset(self.spec)
        if dataset.fingerprint != self.fingerprint:
            raise RuntimeError("dataset changed between the runner and the worker (fingerprint mismatch)")
        start, end = self.first
        return StreamPrepared(
            np.asarray(dataset.base[start:end]), dataset.queries, dataset.metric, vectors=dataset.base
        )


class Probes:
    """Items searched for with their own vectors until they appear (inserts) or vanish (deletes)."""

    def __init__(self, appear: bool) -> None:
        self.appear = appear
        self.tags: list[np.ndarray] = []
        self.vectors: list[np.ndarray] = []
        self.started: list[np.ndarray] = []
        self.done: list[np.ndarray] = []  # elapsed ns per finished item

    def add(self, tags: np.ndarray, vectors: np.ndarray, started_ns: int) -> None:
        if tags.size:
            self.tags.append(tags)
            self.vectors.append(vectors)
            self.started.append(np.full(tags.size, started_ns, dtype=np.int64))

    def drop(self, tags: np.ndarray) -> None:
        """Items changed again before they were seen: they no longer stand for that change."""
        for i, pending in enumerate(self.tags):
            keep = ~np.isin(pending, tags)
            self.tags[i], self.vectors[i], self.started[i] = (
                pending[keep],
                self.vectors[i][keep],
                self.started[i][keep],
            )

    def probe(self, index: StreamIndex, k: int) -> None:
        if not self.tags or sum(t.size for t in self.tags) == 0:
            return
        tags, vectors, started = (np.concatenate(x) for x in (self.tags, self.vectors, self.started))
        found = index.search_prepared(vectors, k)
        now = time.perf_counter_ns()
        present = (found.ids == tags[:, None]).any(axis=1)
        finished = present if self.appear else ~present
        self.done.append(now - started[finished])
        self.tags, self.vectors, self.started = [tags[~finished]], [vectors[~finished]], [started[~finished]]

    def result(self) -> np.ndarray:
        """Elapsed ns of every sampled item, -1 for those never seen to change."""
        never = sum(t.size for t in self.tags)
        return np.concatenate([*self.done, np.full(never, -1, dtype=np.int64)]).astype(np.int64)


@dataclass(frozen=True)
class StreamingOps:
    """One runbook played on one build, measuring every query point at every search step."""

    points: tuple[tuple[str, dict[str, Any]], ...]  # (point key, query params)
    steps: tuple[Step, ...]
    n_ids: int
    policy: Policy
    mode: str
    timing: Timing
    freshness_sample: int

    def point_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.points)

    def run(self, ctx: WorkerContext, write_raw: WriteRaw) -> Iterator[Measured | Failed]:
        try:
            arrays, extra = ctx.calibrated(self.play, ctx)
        except Exception as exc:  # the library refused an update or a search: every point fails
            for key, _ in self.points:
                yield failure(key, exc)
            return
        shared, per_point = arrays
        for key, _ in self.points:
            path = ctx.raw_path(key)
            write_raw(path, **shared, **per_point[key], **extra)
            yield Measured(key, str(path), ctx.peak_rss(), None, self.policy.label())

    def play(self, ctx: WorkerContext) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
        data = ctx.data
        if not isinstance(data, StreamPrepared) or data.vectors is None:
            raise TypeError("a streaming workload needs a RunbookSource")
        vectors, k = data.vectors, self.timing.k
        first = self.steps[0]
        state = LiveState(self.n_ids)
        state.apply(first)
        index = StreamIndex(ctx.adapter, first.tags(), self.mode, self.n_ids, ctx.threads)
        probe_params = self.points[0][1]
        n = len(self.steps)
        step_ns = np.zeros(n, dtype=np.int64)
        rebuild_ns = np.full(n, -1, dtype=np.int64)
        applied = np.zeros(n, dtype=np.int8)
        live = np.zeros(n, dtype=np.int64)
        step_ns[0], applied[0], live[0] = ctx.build_ns, APPLIED.index("build"), state.live
        per_point: dict[str, dict[str, np.ndarray]] = {key: {} for key, _ in self.points}
        appear, vanish = Probes(appear=True), Probes(appear=False)  # the first insert is the build
        for i, step in enumerate(self.steps[1:], start=1):
            if step.operation == "search":
                live[i] = state.live
                for key, params in self.points:
                    index.set_query_params(params)
                    timed = time_point(index, ctx.queries, self.timing)
                    for name in ("ids", "batch_ns", "latencies_ns", "batch_cpu_ns", "latencies_cpu_ns"):
                        per_point[key][f"s{step.number}_{name}"] = timed.arrays[name]
                continue
            rows = step.vector_rows()
            batch = np.ascontiguousarray(vectors[rows]) if step.operation != "delete" else None
            tags = step.tags()
            appear.drop(tags)  # changed again before seen: no longer that change
            vanish.drop(tags)
            if step.operation == "delete":
                vanish.add(*self._sample_of(tags, state, vectors, index), time.perf_counter_ns())
            started = time.perf_counter_ns()
            if self.mode != "buffered" and step.rows:
                if step.operation == "insert":
                    index.insert(batch, tags)  # type: ignore[arg-type]
                elif step.operation == "delete":
                    index.delete(tags)
                else:
                    index.replace(batch, tags)  # type: ignore[arg-type]
            step_ns[i] = time.perf_counter_ns() - started
            applied[i] = APPLIED.index(
                "buffered"
                if self.mode == "buffered"
                else "incremental"
                if self.mode == "native"
                else "tombstone"
            )
            state.apply(step)
            live[i] = state.live
            if step.operation != "delete":
                self._sample(appear, step, vectors, index, started)
            index.since["steps"] += 1
            index.since["rows"] += step.rows
            if self.mode == "buffered":
                index.since["deleted"] += step.rows if step.operation != "insert" else 0
            if self.policy.rebuild_due(index.since["steps"], index.since["rows"], index.deleted_share()):
                live_tags = state.live_tags()
                live_vectors = np.ascontiguousarray(vectors[state.row_of_tag[live_tags]])
                began = time.perf_counter_ns()
                index.rebuild(live_vectors, live_tags, probe_params)
                rebuild_ns[i] = time.perf_counter_ns() - began
            index.set_query_params(probe_params)
            appear.probe(index, k)
            vanish.probe(index, k)
        shared: dict[str, np.ndarray] = {
            "steps": np.asarray([s.number for s in self.steps], dtype=np.int64),
            "step_ns": step_ns,
            "rebuild_ns": rebuild_ns,
            "applied": applied,
            "live": live,
            "visible_ns": appear.result(),
            "gone_ns": vanish.result(),
            "index_bytes_end": np.asarray(
                [-1 if index.adapter is None else (index.adapter.index_bytes() or -1)], dtype=np.int64
            ),
        }
        return shared, per_point

    def _sample(
        self, probes: Probes, step: Step, vectors: np.ndarray, index: StreamIndex, started_ns: int
    ) -> None:
        count = min(self.freshness_sample, step.rows)
        if count == 0:
            return
        pick = np.unique(np.linspace(0, step.rows - 1, count).astype(np.int64))
        rows = step.vector_rows()[pick]
        probes.add(step.tags()[pick], self._prepared(index, vectors[rows]), started_ns)

    def _sample_of(
        self, tags: np.ndarray, state: LiveState, vectors: np.ndarray, index: StreamIndex
    ) -> tuple[np.ndarray, np.ndarray]:
        """A sample of the tags about to be deleted or replaced, with the vectors they hold now."""
        count = min(self.freshness_sample, tags.size)
        if count == 0:
            return tags[:0], np.empty((0, vectors.shape[1]), np.float32)
        pick = tags[np.unique(np.linspace(0, tags.size - 1, count).astype(np.int64))]
        return pick, self._prepared(index, vectors[state.row_of_tag[pick]])

    @staticmethod
    def _prepared(index: StreamIndex, raw: np.ndarray) -> np.ndarray:
        adapter = index.adapter
        return raw.astype(np.float32) if adapter is None else adapter.prepare_vectors(raw)
