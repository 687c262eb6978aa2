"""The kinds of point an index sweep measures on each build: one table, one protocol.

A kind says which points a build point gets (``points``), the worker workload that measures them,
the identifying columns of their rows and the metrics computed from their raw files. The sweep
iterates the table in order (its order is the order a worker measures them), so a new kind of
measurement on a built index is one module with a ``PointKind`` and one line in ``POINT_KINDS``;
neither the experiment nor the engine changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vecbench.bench.config import ExperimentConfig
from vecbench.bench.filter_plan import FilterPlan
from vecbench.bench.messages import Measured
from vecbench.bench.sweep import BuildPoint
from vecbench.bench.workloads import Timing, Workload
from vecbench.core.registry import Registry
from vecbench.datasets import Dataset, GroundTruth
from vecbench.metrics.catalog import Scope, metrics_in

Row = dict[str, Any]
Raw = Mapping[str, Any]

# name -> "module:class"; measured in this order on every build.
POINT_KINDS: Registry[type[PointKind]] = Registry(
    "point kind",
    {
        "static": "vecbench.bench.static_points:StaticKind",
        "filtered": "vecbench.bench.filtered_points:FilteredKind",
        "load": "vecbench.load.points:LoadKind",  # issue 12
    },
)


@dataclass(frozen=True)
class SweepContext:
    """What every kind reads from its sweep: the config, the planned filters, the dataset label."""

    config: ExperimentConfig
    filters: FilterPlan
    dataset_label: str

    @property
    def timing(self) -> Timing:
        config = self.config
        return Timing(config.k, config.runs, config.warmup_queries, config.latency)


class Point(Protocol):
    @property
    def key(self) -> str: ...


class PointKind(Protocol):
    """One kind of measured point. ``metrics`` returns catalogue metrics only (``check_declared``)."""

    def __init__(self, context: SweepContext) -> None: ...

    def points(self, build: BuildPoint) -> Sequence[Any]:
        """This kind's points on a build point (each with a ``key``), in measuring order."""
        ...

    def workload(self, points: Sequence[Any]) -> Workload:
        """The worker workload that measures ``points`` (all of this kind, on one build)."""
        ...

    def identity(self, dataset: Dataset, build: BuildPoint, point: Any) -> Row:
        """The identifying columns of the point's row (known before it is measured)."""
        ...

    def metrics(
        self, point: Any, raws: Sequence[Raw], results: Sequence[Measured], dataset: Dataset, truth: GroundTruth
    ) -> Row:
        """The point's measurements, from the raw files of all its repetitions."""
        ...


def point_kinds(context: SweepContext) -> list[PointKind]:
    """Every registered kind, ready for this sweep, in the table's order."""
    return [POINT_KINDS.get(name)(context) for name in POINT_KINDS.entries]


# Values a kind may add beside its metrics: what ran (the strategy auto chose, the load clients'
# kind), the measured filter pass-rate, and the calibration kernel's time, which says how fast the
# machine ran while the point was measured (the gate reads it as context, never compares it).
DESCRIPTIVE = frozenset({"strategy", "client_kind", "pass_rate", "calibration_ms"})


def check_declared(kind: PointKind, metrics: Row) -> Row:
    """``metrics`` unchanged when every name is an index metric of the catalogue (or descriptive);
    a name missing there is a programming error: the catalogue defines every reported metric."""
    known = metrics_in(Scope.INDEX)
    undeclared = sorted(name for name in metrics if name not in known and name not in DESCRIPTIVE)
    if undeclared:
        raise AssertionError(
            f"point kind {type(kind).__name__} reports {undeclared} without a catalogue entry; "
            "declare them in vecbench/metrics/catalog.py"
        )
    return metrics
