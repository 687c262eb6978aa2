"""Load points: a build's query points driven by an open- or closed-loop load generator (``load:``)."""

from __future__ import annotations

from collections.abc import Sequence

from vecbench.bench.messages import Measured
from vecbench.bench.point_kinds import Raw, Row, SweepContext
from vecbench.bench.sweep import BuildPoint
from vecbench.bench.workloads import Workload
from vecbench.datasets import Dataset, GroundTruth
from vecbench.load.plan import LoadQueryPoint, load_points
from vecbench.load.records import load_base_row, load_metrics
from vecbench.load.workload import LoadQueries


class LoadKind:
    def __init__(self, context: SweepContext) -> None:
        self.context = context

    def points(self, build: BuildPoint) -> Sequence[LoadQueryPoint]:
        return load_points(self.context.config, build)

    def workload(self, points: Sequence[LoadQueryPoint]) -> Workload:
        return LoadQueries(tuple((q.key, q.params, q.load) for q in points), self.context.config.k)

    def identity(self, dataset: Dataset, build: BuildPoint, point: LoadQueryPoint) -> Row:
        c = self.context
        return load_base_row(c.config.name, dataset, c.dataset_label, build, point, c.config.k)

    def metrics(
        self,
        point: LoadQueryPoint,
        raws: Sequence[Raw],
        results: Sequence[Measured],
        dataset: Dataset,
        truth: GroundTruth,
    ) -> Row:
        return load_metrics(raws)
