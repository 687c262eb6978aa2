"""What the engine runs: a config becomes ``BuildTask`` values, one per index build.

A task names the point keys it will produce (known before anything runs, so a resumed run skips
what is finished), how often its worker is repeated and its timeout. What the worker measures and
how its outcomes become rows is the experiment's business (``ann_experiment``,
``recsys_experiment``); the engine only sees tasks and keys.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from vecbench.bench.point_kinds import PointKind
from vecbench.bench.sweep import BuildPoint
from vecbench.reports.terminal import short_params

P = TypeVar("P")


@dataclass(frozen=True)
class BuildTask(Generic[P]):
    """One index build and the points measured on it.

    ``points`` pairs each point key with what the experiment needs to measure and record it.
    ``in_process`` tasks have no index to build (a pipeline baseline): the experiment produces
    their outcomes itself, the engine still stores and publishes them like every other.
    ``always`` tasks run even when their rows are stored: later points are compared with them.
    """

    label: str
    points: tuple[tuple[str, P], ...]
    timeout_s: float
    build: BuildPoint | None = None
    repeats: int = 1
    in_process: bool = False
    always: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.points)


@dataclass(frozen=True)
class SweepPoint:
    """A point of an index sweep and the kind that measures and records it."""

    kind: PointKind
    point: Any

    @property
    def key(self) -> str:
        return str(self.point.key)


def ann_tasks(points: list[BuildPoint], kinds: Sequence[PointKind], repeats: int) -> list[BuildTask[SweepPoint]]:
    """One task per build point: the points of every kind on it, kind after kind in table order."""
    tasks = []
    for point in points:
        measured = [SweepPoint(kind, q) for kind in kinds for q in kind.points(point)]
        tasks.append(
            BuildTask(
                label=f"{point.label} {short_params(point.adapter, json.dumps(point.build_params))}".strip(),
                points=tuple((q.key, q) for q in measured),
                timeout_s=point.timeout_s,
                build=point,
                repeats=repeats,
            )
        )
    return tasks
