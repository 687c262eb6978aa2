"""``auto``: choose a strategy per filter from its estimated pass-rate, with thresholds from the config.

The pass-rate is estimated on a seeded sample of items, as a query planner would, not measured on
all of them. Below ``exact_below`` brute force over the passing items wins (there are few); at or
above ``post_above`` post-filtering with adaptive over-fetch finds k survivors quickly; in between the
library's native filter if the adapter declares one, else adaptive post-filtering. The choice is
recorded in every result row's ``strategy`` column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from vecbench.errors import ConfigError
from vecbench.filters.strategies.base import FilteredSearch, Strategy
from vecbench.filters.strategies.exact_subset import ExactSubset
from vecbench.filters.strategies.post import PostFilter
from vecbench.filters.strategies.pre import PreFilter
from vecbench.indexes.base import ParamSpec

SAMPLE_SEED = 0


class Auto(Strategy):
    name: ClassVar[str] = "auto"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "exact_below": ParamSpec(
            float, 0.02, "estimated pass-rate below which to brute-force the subset", minimum=0.0, maximum=1.0
        ),
        "post_above": ParamSpec(
            float, 0.5, "estimated pass-rate from which to post-filter", minimum=0.0, maximum=1.0
        ),
        "sample": ParamSpec(int, 10_000, "items sampled to estimate the pass-rate", minimum=1),
    }

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if self.params["exact_below"] > self.params["post_above"]:
            raise ConfigError(
                f"strategy 'auto': exact_below={self.params['exact_below']:g} is above "
                f"post_above={self.params['post_above']:g}; it must not be"
            )
        self.delegate: Strategy | None = None
        self.estimate: float | None = None

    def label(self) -> str:
        return self.delegate.label() if self.delegate is not None else self.name

    def choose(self, estimate: float, native: bool) -> Strategy:
        """The strategy for a filter with this estimated pass-rate on an adapter with(out) native filtering."""
        if estimate < self.params["exact_below"]:
            return ExactSubset()
        if estimate >= self.params["post_above"] or not native:
            return PostFilter(overfetch="adaptive")
        return PreFilter()

    def estimate_pass_rate(self, mask: np.ndarray) -> float:
        n = mask.shape[0]
        size = min(self.params["sample"], n)
        sample = np.random.default_rng(SAMPLE_SEED).choice(n, size=size, replace=False)
        return float(mask[sample].mean())

    def _prepare(self) -> None:
        ctx, active = self.context, self.filter
        self.estimate = self.estimate_pass_rate(active.mask)
        self.delegate = self.choose(self.estimate, ctx.adapter.capabilities.native_filter)
        self.delegate.prepare(ctx, active)

    def apply_query_params(self, params: Mapping[str, Any]) -> None:
        if self.delegate is not None:
            self.delegate.apply_query_params(params)

    def search_batch(self, rows: np.ndarray, k: int) -> FilteredSearch:
        assert self.delegate is not None, "prepare() first"
        return self.delegate.search_batch(rows, k)

    def search_one(self, row: int, k: int) -> FilteredSearch:
        assert self.delegate is not None, "prepare() first"
        return self.delegate.search_one(row, k)
