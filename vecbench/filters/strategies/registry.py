"""Strategy names -> classes, and parsing of a strategy given as a name or a mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vecbench.errors import ConfigError, closest_hint
from vecbench.filters.strategies.auto import Auto
from vecbench.filters.strategies.base import Strategy
from vecbench.filters.strategies.exact_subset import ExactSubset
from vecbench.filters.strategies.partition import Partition
from vecbench.filters.strategies.post import PostFilter
from vecbench.filters.strategies.pre import PreFilter

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (PreFilter, PostFilter, Partition, ExactSubset, Auto)
}


def strategy_names() -> list[str]:
    return list(STRATEGIES)


def make_strategy(spec: str | Mapping[str, Any]) -> Strategy:
    """``"pre"`` or ``{name: post, overfetch: fixed, factor: 1}`` -> a Strategy with validated parameters."""
    if isinstance(spec, str):
        name, params = spec, {}
    else:
        params = dict(spec)
        name = str(params.pop("name", ""))
    cls = STRATEGIES.get(name)
    if cls is None:
        raise ConfigError(f"unknown strategy '{name}'{closest_hint(name, STRATEGIES)}")
    return cls(**params)
