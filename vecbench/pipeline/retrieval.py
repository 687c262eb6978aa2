"""Stage 1: retrieve ``k`` candidates per request from any index adapter, excluding seen items.

Exclusion goes through the ``ExcludeFilter`` seam. The one strategy here, ``OverFetch``, works
with every adapter: ask for k + (number of excluded items in the index), drop the excluded, and
ask again with twice as many if an approximate index returned too few. Native filtered search
(the filtered-retrieval work) can plug in as another strategy without touching the stages.
Latency is timed per request around the whole filtered search, on a monotonic ns clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from vecbench.bench.timing import gc_paused
from vecbench.datasets.logs.split import Ragged
from vecbench.indexes.base import IndexAdapter


class ExcludeFilter(Protocol):
    """Search one prepared query for ``k`` index rows, none of them in ``excluded`` (sorted rows)."""

    def search(
        self, adapter: IndexAdapter, query: np.ndarray, k: int, excluded: np.ndarray
    ) -> np.ndarray: ...


class OverFetch:
    """Over-fetch and drop: exact for exact search; for ANN, retries until k survive or all were asked."""

    def search(self, adapter: IndexAdapter, query: np.ndarray, k: int, excluded: np.ndarray) -> np.ndarray:
        want = min(k + excluded.size, adapter.n_items)
        while True:
            ids = adapter.search_one_prepared(query, want).ids
            ids = ids[ids >= 0]
            kept = ids[~np.isin(ids, excluded, assume_unique=False)]
            if kept.size >= k or want >= adapter.n_items:
                out = np.full(k, -1, dtype=np.int64)
                out[: min(k, kept.size)] = kept[:k]
                return out
            want = min(2 * want, adapter.n_items)


@dataclass(frozen=True)
class Candidates:
    """Candidate dense item indices per request (-1 pads) and the per-request stage latency."""

    items: np.ndarray
    latency_ns: np.ndarray


def retrieve(
    adapter: IndexAdapter,
    index_items: np.ndarray,
    user_vectors: np.ndarray,
    has_vector: np.ndarray,
    histories: Ragged,
    k: int,
    exclude: ExcludeFilter | None = None,
) -> Candidates:
    """Candidates for each request; requests without a user vector get none (they count as misses).

    ``index_items[row]`` is the dense item index of index row ``row``.
    """
    strategy = exclude or OverFetch()
    row_of = np.full(int(index_items.max()) + 1, -1, dtype=np.int64)
    row_of[index_items] = np.arange(len(index_items))
    queries = adapter.prepare_vectors(user_vectors)  # outside the timed region, as the harness does
    out = np.full((len(user_vectors), k), -1, dtype=np.int64)
    latency = np.zeros(len(user_vectors), dtype=np.int64)
    clock = time.perf_counter_ns
    with gc_paused(), threadpool_limits(1):  # single-query latency, one thread (as the harness times it)
        for r in range(len(user_vectors)):
            if not has_vector[r]:
                continue
            history = histories.row(r)
            seen = row_of[history[history < row_of.size]]
            excluded = np.unique(seen[seen >= 0])
            start = clock()
            rows = strategy.search(adapter, queries[r], k, excluded)
            latency[r] = clock() - start
            out[r] = np.where(rows >= 0, index_items[np.maximum(rows, 0)], -1)
    return Candidates(out, latency)


def popularity_candidates(counts: np.ndarray, histories: Ragged, k: int) -> Candidates:
    """The baseline: the most interacted-with training items the user has not seen, most popular first."""
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] > 0]
    out = np.full((len(histories), k), -1, dtype=np.int64)
    latency = np.zeros(len(histories), dtype=np.int64)
    clock = time.perf_counter_ns
    for r in range(len(histories)):
        start = clock()
        head = order[: k + histories.lengths()[r]]
        kept = head[~np.isin(head, histories.row(r))][:k]
        latency[r] = clock() - start
        out[r, : kept.size] = kept
    return Candidates(out, latency)
