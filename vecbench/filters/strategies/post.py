"""``post``: search the unfiltered index, drop what fails, with fixed or adaptive over-fetch.

Works with every adapter. ``overfetch: fixed`` asks for ``k * factor`` once (``factor: 1`` is
post-filtering without over-fetch, the collapse to show); ``adaptive`` starts there and grows the
request by ``growth`` until k results survive or ``max_candidates`` (0: the whole index) is reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from vecbench.filters.strategies.base import FilteredSearch, Strategy
from vecbench.filters.strategies.overfetch import Schedule, overfetch_search
from vecbench.indexes.base import ParamSpec, SearchResult

OVERFETCH_SPECS: Mapping[str, ParamSpec] = {
    "overfetch": ParamSpec(
        str, "adaptive", "grow the request until k survive, or ask once", choices=("adaptive", "fixed")
    ),
    "factor": ParamSpec(float, 2.0, "candidates asked for first, as a multiple of k", minimum=1.0),
    "growth": ParamSpec(float, 2.0, "adaptive: multiplier of the request while short of k", minimum=1.01),
    "max_candidates": ParamSpec(int, 0, "adaptive: most candidates asked for (0: every item)", minimum=0),
}


class PostFilter(Strategy):
    name: ClassVar[str] = "post"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = OVERFETCH_SPECS

    def label(self) -> str:
        p = self.params
        return "post-adaptive" if p["overfetch"] == "adaptive" else f"post-fixed(x{p['factor']:g})"

    def schedule(self, k: int) -> Schedule:
        p, n = self.params, self.context.adapter.n_items
        ceiling = min(n, p["max_candidates"] or n)
        if p["overfetch"] == "fixed":
            return Schedule.make(k, p["factor"], n, 1.0, adaptive=False)
        return Schedule.make(k, p["factor"], ceiling, p["growth"], adaptive=True)

    def search_batch(self, rows: np.ndarray, k: int) -> FilteredSearch:
        adapter = self.context.adapter
        return overfetch_search(
            adapter.search_prepared, self.query_block(rows), rows, k, self.filter, self.schedule(k)
        )

    def search_one(self, row: int, k: int) -> FilteredSearch:
        adapter = self.context.adapter

        def one(queries: np.ndarray, fetch: int) -> SearchResult:
            found = adapter.search_one_prepared(queries[0], fetch)
            return SearchResult(found.ids[None, :], found.distances[None, :])

        queries = self.context.queries[row : row + 1]
        return overfetch_search(one, queries, np.array([row]), k, self.filter, self.schedule(k))
