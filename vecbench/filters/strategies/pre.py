"""``pre``: the library's own filtered search (faiss IDSelector parameters, hnswlib's filter function).

Only adapters that declare ``native_filter`` take it; asking it of any other is a config error,
never a silent fall back to another strategy.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vecbench.errors import ConfigError
from vecbench.filters.strategies.base import CheckTarget, FilteredSearch, Strategy


class PreFilter(Strategy):
    name: ClassVar[str] = "pre"

    def check(self, target: CheckTarget) -> None:
        if not target.adapter_class.capabilities.native_filter:
            raise ConfigError(
                f"strategy 'pre' needs native filtered search, which adapter '{target.adapter_class.name}' "
                "does not declare; use post, partition or exact-subset for it"
            )

    def _prepare(self) -> None:
        adapter, active = self.context.adapter, self.filter
        if active.is_per_query:
            n = self.context.queries.shape[0]
            self.handles = [adapter.filter_handle(*active.for_query(q)) for q in range(n)]
        else:
            self.handles = [adapter.filter_handle(active.mask)]

    def search_batch(self, rows: np.ndarray, k: int) -> FilteredSearch:
        adapter, queries = self.context.adapter, self.query_block(rows)
        candidates = np.full(rows.shape[0], k, dtype=np.int64)
        if len(self.handles) == 1:
            found = adapter.search_filtered(queries, k, self.handles[0])
            return FilteredSearch(found.ids, found.distances, candidates)
        # One handle per query: the library takes one filter per call.
        results = [
            adapter.search_one_filtered(q, k, self.handles[row])
            for q, row in zip(queries, rows.tolist(), strict=True)
        ]
        return FilteredSearch(
            np.stack([r.ids for r in results]), np.stack([r.distances for r in results]), candidates
        )

    def search_one(self, row: int, k: int) -> FilteredSearch:
        handle = self.handles[row if len(self.handles) > 1 else 0]
        found = self.context.adapter.search_one_filtered(self.context.queries[row], k, handle)
        return FilteredSearch(found.ids[None, :], found.distances[None, :], np.array([k]))
