"""Post-filtering with over-fetch: ask the index for more than k, drop what fails, grow if short.

Shared by the post strategy (over the whole index) and the partition strategy (inside partitions
that only partly pass). Fixed over-fetch asks once; adaptive multiplies the request by ``growth``
until k candidates survive, the index runs out (it returned fewer than asked), or the ceiling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vecbench.filters.active import ActiveFilter
from vecbench.filters.strategies.base import FilteredSearch, take_passing
from vecbench.indexes.base import SearchResult

# (prepared queries, how many to fetch) -> result with global ids
Searcher = Callable[[np.ndarray, int], SearchResult]


@dataclass(frozen=True)
class Schedule:
    """How many candidates to ask for: ``first``, then times ``growth`` up to ``ceiling`` if adaptive."""

    first: int
    ceiling: int
    growth: float
    adaptive: bool

    @classmethod
    def make(cls, k: int, factor: float, ceiling: int, growth: float, adaptive: bool) -> Schedule:
        ceiling = max(k, ceiling)
        return cls(min(ceiling, max(k, math.ceil(k * factor))), ceiling, growth, adaptive)

    def next(self, fetch: int) -> int:
        return min(self.ceiling, max(fetch + 1, math.ceil(fetch * self.growth)))


def overfetch_search(
    search: Searcher,
    queries: np.ndarray,
    rows: np.ndarray,
    k: int,
    active: ActiveFilter,
    schedule: Schedule,
) -> FilteredSearch:
    """Post-filtered top-k for ``queries`` (the prepared queries at ``rows``)."""
    n = queries.shape[0]
    out_ids = np.full((n, k), -1, dtype=np.int64)
    out_d = np.full((n, k), np.inf, dtype=np.float32)
    candidates = np.zeros(n, dtype=np.int64)
    pending = np.arange(n)
    fetch = schedule.first
    while True:
        block = queries if pending.size == n else queries[pending]
        found = search(block, fetch)
        ok = active.passes_block(rows[pending], found.ids)
        exhausted = (found.ids >= 0).sum(axis=1) < fetch
        if not schedule.adaptive or fetch >= schedule.ceiling:
            done = np.ones(pending.size, dtype=bool)
        else:
            done = exhausted | (ok.sum(axis=1) >= k)
        ids, dist = take_passing(found.ids[done], found.distances[done], ok[done], k)
        out_ids[pending[done]], out_d[pending[done]] = ids, dist
        candidates[pending] = fetch
        pending = pending[~done]
        if pending.size == 0:
            return FilteredSearch(out_ids, out_d, candidates)
        fetch = schedule.next(fetch)
