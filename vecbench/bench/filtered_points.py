"""Filtered points: query points under each filter and strategy, scored against the filtered truth."""

from __future__ import annotations

from collections.abc import Sequence

from vecbench.bench.filter_plan import FilteredPoint
from vecbench.bench.filtered_records import filtered_base_row, pooled_filtered_metrics
from vecbench.bench.messages import Measured
from vecbench.bench.point_kinds import Raw, Row, SweepContext
from vecbench.bench.sweep import BuildPoint
from vecbench.bench.workloads import FilteredQueries, Workload
from vecbench.datasets import Dataset, GroundTruth


class FilteredKind:
    def __init__(self, context: SweepContext) -> None:
        self.context = context

    def points(self, build: BuildPoint) -> Sequence[FilteredPoint]:
        return self.context.filters.points_for(build)

    def workload(self, points: Sequence[FilteredPoint]) -> Workload:
        """Each filter ships evaluated once (its mask), not re-evaluated by the worker."""
        specs = tuple((q.key, q.params, q.filter_index, q.strategy) for q in points)
        return FilteredQueries(tuple(self.context.filters.actives), specs, self.context.timing)

    def identity(self, dataset: Dataset, build: BuildPoint, point: FilteredPoint) -> Row:
        c = self.context
        fdef = c.filters.defs[point.filter_index]
        return filtered_base_row(c.config.name, dataset, c.dataset_label, build, point, fdef, c.config.k)

    def metrics(
        self,
        point: FilteredPoint,
        raws: Sequence[Raw],
        results: Sequence[Measured],
        dataset: Dataset,
        truth: GroundTruth,
    ) -> Row:
        filters, fi = self.context.filters, point.filter_index
        return {
            **pooled_filtered_metrics(raws, dataset, filters.truths[fi], filters.actives[fi], self.context.config.k),
            "strategy": results[-1].label,  # what ran: auto reports its choice
        }
