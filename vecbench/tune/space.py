"""The search space of ``vecbench tune``: the config's own grids, read as ranges.

Each list under an index entry's ``build:`` or ``query:`` is one dimension. A list of numbers is
ordered (the sampler proposes an index into the sorted values, so "more" and "less" mean
something to it); any other list is a set of categories; scalars stay fixed. With several index
entries, which entry is one more categorical dimension. Every proposal is a point of the
exhaustive grid, so tuned and grid answers compare like with like.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Protocol

from vecbench.bench.config import ExperimentConfig, IndexEntry
from vecbench.bench.sweep import expand_grid
from vecbench.errors import ConfigError


class Sampler(Protocol):
    """What a search algorithm's trial offers (Optuna's ``Trial`` has exactly these)."""

    def suggest_int(self, name: str, low: int, high: int) -> int: ...
    def suggest_categorical(self, name: str, choices: Any) -> Any: ...


@dataclass(frozen=True)
class Dimension:
    name: str  # "<entry>.<build|query>.<param>"
    values: tuple[Any, ...]
    ordered: bool

    def pick(self, trial: Sampler) -> Any:
        if self.ordered:
            return self.values[trial.suggest_int(self.name, 0, len(self.values) - 1)]
        return trial.suggest_categorical(self.name, list(self.values))


@dataclass(frozen=True)
class Candidate:
    """One proposed configuration: which entry, and scalar build and query parameters."""

    entry: int
    build: dict[str, Any]
    query: dict[str, Any]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dimensions(prefix: str, grid: dict[str, Any]) -> list[Dimension]:
    found = []
    for param, value in grid.items():
        if isinstance(value, list) and len(value) > 1:
            ordered = all(_is_number(v) for v in value)
            values = tuple(sorted(set(value))) if ordered else tuple(value)
            found.append(Dimension(f"{prefix}.{param}", values, ordered))
    return found


def _grid(params: dict[str, Any] | list[dict[str, Any]]) -> dict[str, Any]:
    if isinstance(params, list):
        raise AssertionError("checked by SearchSpace: tune searches grids only")
    return params


def entry_label(entry: IndexEntry, index: int) -> str:
    return f"{index}:{entry.label or entry.adapter}"


class SearchSpace:
    """The dimensions of every index entry in a config."""

    def __init__(self, config: ExperimentConfig) -> None:
        for entry in config.indexes:
            if isinstance(entry.build, list) or isinstance(entry.query, list):
                raise ConfigError(
                    f"vecbench tune searches grids: give {entry.adapter}'s build and query as a mapping "
                    "of value lists, not a list of parameter sets"
                )
        self.entries = list(config.indexes)
        self.grids = [(_grid(e.build), _grid(e.query)) for e in self.entries]
        self.labels = [entry_label(e, i) for i, e in enumerate(self.entries)]
        self.dimensions = [
            (_dimensions(f"{label}.build", build), _dimensions(f"{label}.query", query))
            for label, (build, query) in zip(self.labels, self.grids, strict=True)
        ]

    def grid_size(self) -> int:
        """How many (build, query) points the exhaustive grid of the config has."""
        return sum(len(expand_grid(e.build)) * len(expand_grid(e.query)) for e in self.entries)

    def propose(self, trial: Sampler) -> Candidate:
        index = 0
        if len(self.entries) > 1:
            index = self.labels.index(trial.suggest_categorical("index", self.labels))
        grid_build, grid_query = self.grids[index]
        build_dims, query_dims = self.dimensions[index]
        build = {k: v for k, v in grid_build.items() if not isinstance(v, list)}
        build |= {k: v[0] for k, v in grid_build.items() if isinstance(v, list) and len(v) == 1}
        query = {k: v for k, v in grid_query.items() if not isinstance(v, list)}
        query |= {k: v[0] for k, v in grid_query.items() if isinstance(v, list) and len(v) == 1}
        for dim in build_dims:
            build[dim.name.rsplit(".", 1)[1]] = dim.pick(trial)
        for dim in query_dims:
            query[dim.name.rsplit(".", 1)[1]] = dim.pick(trial)
        return Candidate(index, build, query)

    def grid(self) -> list[dict[str, Any]]:
        """Every point of the grid as sampler parameters (what ``propose`` reads back from a trial
        whose parameters were fixed in advance, e.g. Optuna's ``enqueue_trial``)."""
        points: list[dict[str, Any]] = []
        for label, (build_dims, query_dims) in zip(self.labels, self.dimensions, strict=True):
            dims = [*build_dims, *query_dims]
            choices = [range(len(d.values)) if d.ordered else d.values for d in dims]
            for combo in itertools.product(*choices):
                params: dict[str, Any] = {"index": label} if len(self.entries) > 1 else {}
                points.append(params | {d.name: value for d, value in zip(dims, combo, strict=True)})
        return points

    def entry_config(self, candidate: Candidate) -> dict[str, Any]:
        """The one-point index entry a trial runs, as config data."""
        entry = self.entries[candidate.entry]
        data = entry.model_dump(mode="json", exclude_none=True, exclude={"build", "query"})
        return {**data, "build": candidate.build, "query": candidate.query}
