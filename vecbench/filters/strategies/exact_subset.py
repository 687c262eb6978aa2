"""``exact-subset``: brute force over the passing items only: exact, and cheap when few pass.

The passing vectors are gathered into a flat faiss index once per filter (what a system with a
fixed filter would keep), so the timed search is the scan itself, with the experiment's thread
count. Per-query exclusions fetch ``k`` plus the query's excluded count and drop the excluded; a
mask per query gathers its own subset inside the timed call, as it would have to per request.
"""

from __future__ import annotations

from typing import ClassVar

import faiss
import numpy as np

from vecbench.filters.strategies.base import NOT_FETCHED, FilteredSearch, Strategy, take_passing
from vecbench.indexes.base import pad_ids
from vecbench.indexes.faiss_base import faiss_metric


class ExactSubset(Strategy):
    name: ClassVar[str] = "exact-subset"

    def _prepare(self) -> None:
        ctx, active = self.context, self.filter
        faiss.omp_set_num_threads(ctx.threads)
        self.faiss_metric = faiss_metric(ctx.metric)
        pq = active.per_query
        self.per_query_masks = pq is not None and pq.masks is not None
        n = ctx.queries.shape[0]
        self.extra = np.zeros(n, dtype=np.int64)
        if self.per_query_masks:
            return
        self.subset = np.flatnonzero(active.mask)
        self.index = faiss.IndexFlat(ctx.prepared_base.shape[1], self.faiss_metric)
        self.index.add(np.ascontiguousarray(ctx.prepared_base[self.subset]))
        if pq is not None and pq.excluded is not None:
            self.extra = np.array([int(active.mask[ids].sum()) for ids in pq.excluded], dtype=np.int64)

    def search_batch(self, rows: np.ndarray, k: int) -> FilteredSearch:
        if self.per_query_masks:
            parts = [self.search_one(row, k) for row in rows.tolist()]
            return FilteredSearch(
                np.concatenate([p.ids for p in parts]),
                np.concatenate([p.distances for p in parts]),
                np.concatenate([p.candidates for p in parts]),
            )
        fetch = k + int(self.extra[rows].max())
        distances, local = self.index.search(self.query_block(rows), fetch)
        ids = np.where(local >= 0, self.subset[np.maximum(local, 0)], -1)
        ok = self.filter.passes_block(rows, ids) if self.filter.is_per_query else ids >= 0
        ids, distances = take_passing(ids, distances, ok, k)
        return FilteredSearch(ids, distances, np.full(rows.shape[0], NOT_FETCHED, dtype=np.int64))

    def search_one(self, row: int, k: int) -> FilteredSearch:
        if not self.per_query_masks:
            return self.search_batch(np.array([row]), k)
        ctx = self.context
        allowed, _ = self.filter.for_query(row)
        subset = np.flatnonzero(allowed)
        ids = np.full((1, k), -1, dtype=np.int64)
        distances = np.full((1, k), np.inf, dtype=np.float32)
        if subset.size:
            found_d, local = faiss.knn(
                ctx.queries[row : row + 1],
                np.ascontiguousarray(ctx.prepared_base[subset]),
                min(k, subset.size),
                metric=self.faiss_metric,
            )
            ids = pad_ids(np.where(local >= 0, subset[np.maximum(local, 0)], -1), k)
            distances[:, : found_d.shape[1]] = found_d
        return FilteredSearch(ids, distances, np.array([NOT_FETCHED]))
