"""Strategy names -> classes, and parsing of a strategy given as a name or a mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vecbench.core.registry import Registry
from vecbench.filters.strategies.base import Strategy

# Adding a strategy is its module and one line here (the key is the class's ``name``).
STRATEGIES: Registry[type[Strategy]] = Registry(
    "strategy",
    {
        "pre": "vecbench.filters.strategies.pre:PreFilter",
        "post": "vecbench.filters.strategies.post:PostFilter",
        "partition": "vecbench.filters.strategies.partition:Partition",
        "exact-subset": "vecbench.filters.strategies.exact_subset:ExactSubset",
        "auto": "vecbench.filters.strategies.auto:Auto",
    },
    base=Strategy,
)


def strategy_names() -> list[str]:
    return STRATEGIES.names()


def make_strategy(spec: str | Mapping[str, Any]) -> Strategy:
    """``"pre"`` or ``{name: post, overfetch: fixed, factor: 1}`` -> a Strategy with validated parameters."""
    if isinstance(spec, str):
        name, params = spec, {}
    else:
        params = dict(spec)
        name = str(params.pop("name", ""))
    return STRATEGIES.get(name)(**params)
