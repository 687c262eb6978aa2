"""Plan the filtered part of an experiment: filters, strategies, their points, checks and ground truth.

Everything that can be wrong with a filter or a strategy (an unknown attribute, a type mismatch, an
empty ``in``, a filter nothing passes, ``pre`` on an adapter without native filtering, a partition
too small for the build parameters) fails here with one line, before any index is built. Unfiltered
points keep their keys; a filtered point's key adds the filter (text and selected items) and the
strategy to its query point's key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vecbench.bench.config import ExperimentConfig, FilterEntry, StrategySpec
from vecbench.bench.sweep import BuildPoint, expand_grid
from vecbench.datasets import Dataset, GroundTruth
from vecbench.datasets.synthetic_attributes import CORRELATED_SCORE, UNCORRELATED_SCORE
from vecbench.errors import ConfigError
from vecbench.filters.active import ActiveFilter, QueryFilter
from vecbench.filters.evaluate import evaluate
from vecbench.filters.expr import And, Compare, Expr
from vecbench.filters.ground_truth import filter_key, filtered_ground_truth
from vecbench.filters.parse import parse_filter
from vecbench.filters.strategies.base import CheckTarget
from vecbench.filters.strategies.registry import make_strategy
from vecbench.filters.validate import validate_filter
from vecbench.indexes.registry import get_adapter_class

SEEN_SUFFIX = " and not seen"


@dataclass(frozen=True)
class FilterDef:
    """A filter as the runner and every worker rebuild it (picklable)."""

    expr: Expr
    exclude_seen: bool = False
    name: str | None = None  # a label for tables; not part of any key

    @property
    def canonical(self) -> str:
        return self.expr.canonical() + (SEEN_SUFFIX if self.exclude_seen else "")


@dataclass(frozen=True)
class FilteredPoint:
    """One row to measure: a query point of a build point under one filter and one strategy."""

    key: str
    params: dict[str, Any]
    filter_index: int
    strategy: StrategySpec
    strategy_spec: str
    strategy_name: str


@dataclass
class FilterPlan:
    defs: list[FilterDef] = field(default_factory=list)
    actives: list[ActiveFilter] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    truths: list[GroundTruth] = field(default_factory=list)
    points: dict[str, list[FilteredPoint]] = field(default_factory=dict)

    def points_for(self, build: BuildPoint) -> list[FilteredPoint]:
        return self.points.get(build.key, [])


def pass_rate_expr(rate: float, correlated: bool) -> Expr:
    """The named synthetic filter: generated score below ``rate`` (exactly round(rate * n) items pass)."""
    return Compare(CORRELATED_SCORE if correlated else UNCORRELATED_SCORE, "lt", rate)


def filter_defs(entries: list[FilterEntry]) -> list[FilterDef]:
    """Expand each entry's pass-rate x correlated grid; an expression and a pass-rate are both required."""
    defs: list[FilterDef] = []
    for i, entry in enumerate(entries):
        base = parse_filter(entry.expr, f"filters[{i}].expr") if entry.expr is not None else None
        if entry.pass_rate is None:
            if base is None:
                raise ConfigError(f"filters[{i}]: give expr: (a filter expression), pass_rate: or both")
            if entry.correlated not in (False, [False]):
                raise ConfigError(f"filters[{i}]: correlated: only applies with pass_rate:")
            defs.append(FilterDef(base, entry.exclude_seen, entry.name))
            continue
        rates = entry.pass_rate if isinstance(entry.pass_rate, list) else [entry.pass_rate]
        flags = entry.correlated if isinstance(entry.correlated, list) else [entry.correlated]
        for grid in expand_grid({"rate": rates, "correlated": flags}):
            rate = grid["rate"]
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 1:
                raise ConfigError(f"filters[{i}]: pass_rate {rate!r} must be a number in (0, 1]")
            named = pass_rate_expr(float(rate), bool(grid["correlated"]))
            label = f"pass_rate={rate:g}" + (" correlated" if grid["correlated"] else "")
            label = f"{entry.name} {label}" if entry.name else label
            defs.append(FilterDef(named if base is None else And((base, named)), entry.exclude_seen, label))
    return defs


def active_filter(dataset: Dataset, fdef: FilterDef, where: str = "filter") -> ActiveFilter:
    """Evaluate a filter on the dataset, with its per-query part; one-line errors for unusable ones."""
    validate_filter(fdef.expr, dataset.attributes, where)
    assert dataset.attributes is not None
    mask = evaluate(fdef.expr, dataset.attributes, check=False)
    if not mask.any():
        raise ConfigError(f"{where}: no item passes {fdef.expr.canonical()}; widen the filter")
    per_query = None
    if fdef.exclude_seen:
        if dataset.seen is None:
            raise ConfigError(
                f"{where}: exclude_seen needs a dataset that lists each query's seen items "
                "(such as movielens-100k); remove exclude_seen"
            )
        per_query = QueryFilter.exclude(dataset.seen)
    active = ActiveFilter(mask, per_query)
    active.check(dataset.n_base, dataset.n_queries)
    return active


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def plan_filters(
    config: ExperimentConfig, dataset: Dataset, points: list[BuildPoint], cache_dir: Path | None
) -> FilterPlan:
    """Validate every filter and strategy, then compute (or load) each filter's exact ground truth."""
    plan = FilterPlan()
    if not config.filters:
        return plan
    generated = dataset.attributes is not None and UNCORRELATED_SCORE in dataset.attributes
    if not generated and any(e.pass_rate is not None for e in config.filters):
        raise ConfigError(
            "filters with pass_rate: need generated attributes; add attributes: {generate: {}} to the dataset"
        )
    plan.defs = filter_defs(config.filters)
    for i, fdef in enumerate(plan.defs):
        active = active_filter(dataset, fdef, f"filters[{i}]")
        key = filter_key(fdef.canonical, active)
        if key in plan.keys:
            raise ConfigError(f"filters: {fdef.canonical} appears twice; remove one")
        plan.actives.append(active)
        plan.keys.append(key)
    strategies = _strategies_per_point(config, points)
    for point in points:
        target = CheckTarget(
            get_adapter_class(point.adapter),
            point.build_params,
            dataset.metric,
            dataset.dim,
            dataset.attributes,
        )
        planned: list[FilteredPoint] = []
        seen_specs: set[str] = set()
        for spec in strategies[point.key]:
            strategy = make_strategy(spec)
            if strategy.spec() in seen_specs:
                raise ConfigError(
                    f"strategies: {strategy.spec()} appears twice for {point.label}; remove one"
                )
            seen_specs.add(strategy.spec())
            strategy.check(target)
            for fi, fkey in enumerate(plan.keys):
                for query in point.query_points:
                    planned.append(
                        FilteredPoint(
                            key=_digest(query.key, fkey, strategy.spec()),
                            params=query.params,
                            filter_index=fi,
                            strategy=spec,
                            strategy_spec=strategy.spec(),
                            strategy_name=strategy.name,
                        )
                    )
        plan.points[point.key] = planned
    for fdef, active in zip(plan.defs, plan.actives, strict=True):
        plan.truths.append(filtered_ground_truth(dataset, active, fdef.canonical, config.k, cache_dir))
    return plan


def _strategies_per_point(
    config: ExperimentConfig, points: list[BuildPoint]
) -> Mapping[str, list[StrategySpec]]:
    """Each build point's strategies: its index entries' (merged in order), else the config's."""
    out: dict[str, list[StrategySpec]] = {}
    for point in points:
        chosen: list[StrategySpec] = []
        for position in point.entries:  # a merged duplicate adds only strategies not yet listed
            entry = config.indexes[position]
            listed = entry.strategies if entry.strategies is not None else config.strategies
            chosen += listed if not chosen else [spec for spec in listed if spec not in chosen]
        out[point.key] = chosen
    if not all(out.values()):
        raise ConfigError(
            "strategies: is empty; list at least one of pre, post, partition, exact-subset, auto"
        )
    return out
