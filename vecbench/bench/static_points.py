"""Static points: the dataset's held-out queries at each query point of a build, no filter."""

from __future__ import annotations

from collections.abc import Sequence

from vecbench.bench.messages import Measured
from vecbench.bench.point_kinds import Raw, Row, SweepContext
from vecbench.bench.records import base_row, pooled_metrics
from vecbench.bench.sweep import BuildPoint, QueryPoint
from vecbench.bench.workloads import StaticQueries, Workload
from vecbench.datasets import Dataset, GroundTruth


class StaticKind:
    def __init__(self, context: SweepContext) -> None:
        self.context = context

    def points(self, build: BuildPoint) -> Sequence[QueryPoint]:
        return build.query_points

    def workload(self, points: Sequence[QueryPoint]) -> Workload:
        return StaticQueries(tuple((q.key, q.params) for q in points), self.context.timing)

    def identity(self, dataset: Dataset, build: BuildPoint, point: QueryPoint) -> Row:
        c = self.context
        return base_row(c.config.name, dataset, c.dataset_label, build, point, c.config.k)

    def metrics(
        self, point: QueryPoint, raws: Sequence[Raw], results: Sequence[Measured], dataset: Dataset, truth: GroundTruth
    ) -> Row:
        return pooled_metrics(raws, dataset, truth, self.context.config.k)
