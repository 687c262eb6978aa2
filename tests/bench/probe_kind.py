"""A point kind that is not part of vecbench: a test adds it to the table with one line, nothing else.

Each build gets one probe point, which searches the first ten queries once as a batch and reports
its QPS; its rows carry a column of their own (``probe_queries``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vecbench.bench.messages import Failed, Measured
from vecbench.bench.point_kinds import Raw, Row, SweepContext
from vecbench.bench.records import base_row
from vecbench.bench.sweep import BuildPoint, QueryPoint, _digest
from vecbench.bench.workloads import WorkerContext, Workload, WriteRaw
from vecbench.datasets import Dataset, GroundTruth

PROBE_QUERIES = 10


@dataclass(frozen=True)
class ProbePoint:
    key: str


@dataclass(frozen=True)
class ProbeQueries:
    keys: tuple[str, ...]
    k: int

    def point_keys(self) -> tuple[str, ...]:
        return self.keys

    def run(self, ctx: WorkerContext, write_raw: WriteRaw) -> Iterator[Measured | Failed]:
        for key in self.keys:
            start = time.perf_counter_ns()
            ctx.adapter.search_prepared(ctx.queries[:PROBE_QUERIES], self.k)
            path = ctx.raw_path(key)
            write_raw(path, batch_ns=np.asarray([time.perf_counter_ns() - start]))
            yield Measured(key, str(path), ctx.peak_rss(), None)


class ProbeKind:
    def __init__(self, context: SweepContext) -> None:
        self.context = context

    def points(self, build: BuildPoint) -> Sequence[ProbePoint]:
        return [ProbePoint(_digest(build.key, "probe"))]

    def workload(self, points: Sequence[ProbePoint]) -> Workload:
        return ProbeQueries(tuple(p.key for p in points), self.context.config.k)

    def identity(self, dataset: Dataset, build: BuildPoint, point: ProbePoint) -> Row:
        c = self.context
        row = base_row(c.config.name, dataset, c.dataset_label, build, QueryPoint({}, point.key), c.config.k)
        return {**row, "probe_queries": PROBE_QUERIES}

    def metrics(
        self, point: ProbePoint, raws: Sequence[Raw], results: Sequence[Measured], dataset: Dataset, truth: GroundTruth
    ) -> Row:
        seconds = np.median([float(raw["batch_ns"][0]) for raw in raws]) / 1e9
        return {"qps": PROBE_QUERIES / seconds}


class UndeclaredKind(ProbeKind):
    """Reports a metric the catalogue does not define."""

    def metrics(self, *args: Any) -> Row:
        return {"qps": 1.0, "sparkle": 2.0}
