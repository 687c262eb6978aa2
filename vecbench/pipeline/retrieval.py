"""Stage 1: retrieve ``k`` candidates per request through a filter strategy.

What a request may receive is one ``ActiveFilter`` over the index rows: the stage's attribute
filter as a shared mask, and per request the items its user has already seen (excluded ids). The
search is one of the filtered-retrieval strategies (``vecbench.filters.strategies``): ``post``
over-fetches and drops (any adapter), ``pre`` has the library skip them (faiss IDSelector,
hnswlib's filter function), ``exact-subset`` brute-forces the passing items (the exact reference),
``partition`` and ``auto``. As in index sweeps, a strategy prepares what it keeps per filter
(bitmaps, filter functions, the passing subset) before the timed loop; each request is then timed
around the one filtered search, single-threaded, on a monotonic ns clock.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from vecbench.core.params import Metric
from vecbench.core.timing import gc_paused
from vecbench.datasets.attributes import Attributes
from vecbench.datasets.logs.split import Ragged
from vecbench.filters.active import ActiveFilter, QueryFilter
from vecbench.filters.strategies.base import Strategy, StrategyContext
from vecbench.filters.strategies.exact_subset import ExactSubset
from vecbench.indexes.base import IndexAdapter
from vecbench.indexes.exact import ExactAdapter


@dataclass(frozen=True)
class StageFilter:
    """What stage 1 may return over the whole catalogue: ``allowed`` dense items (None: every item),
    and whether each request's seen items are excluded."""

    allowed: np.ndarray | None = None
    exclude_seen: bool = True

    def active(self, index_items: np.ndarray, histories: Ragged) -> ActiveFilter:
        """The filter over index rows (``index_items[row]`` is the row's dense item index)."""
        mask = np.ones(len(index_items), dtype=bool) if self.allowed is None else self.allowed[index_items]
        if not self.exclude_seen:
            return ActiveFilter(mask)
        row_of = np.full(int(index_items.max()) + 1, -1, dtype=np.int64)
        row_of[index_items] = np.arange(len(index_items))
        seen = []
        for r in range(len(histories)):
            history = histories.row(r)
            rows = row_of[history[history < row_of.size]]
            seen.append(rows[rows >= 0])
        return ActiveFilter(mask, QueryFilter.exclude(seen))


@dataclass(frozen=True)
class Candidates:
    """Candidate dense item indices per request (-1 pads), the per-request stage latency, and the
    candidates asked of the index per request (-1: answered by brute force; 0: no search ran)."""

    items: np.ndarray
    latency_ns: np.ndarray
    fetched: np.ndarray


def load_candidates(path: Path) -> Candidates:
    """A retrieval run's candidates as a worker wrote them."""
    with np.load(path) as raw:
        return Candidates(raw["items"], raw["latency_ns"], raw["fetched"])


def bind_strategy(
    strategy: Strategy,
    adapter: IndexAdapter,
    adapter_class: type[IndexAdapter],
    build_params: Mapping[str, Any],
    item_vectors: np.ndarray,
    user_vectors: np.ndarray,
    metric: Metric,
    active: ActiveFilter,
    attributes: Attributes | None = None,
) -> None:
    """Prepare ``strategy`` on a built index for these requests and this filter (untimed)."""
    queries = adapter.prepare_vectors(user_vectors)  # outside the timed region, as the harness does
    context = StrategyContext(
        adapter=adapter,
        adapter_class=adapter_class,
        build_params=build_params,
        base=item_vectors,
        queries=queries,
        metric=metric,
        threads=1,
        attributes=attributes,
    )
    with threadpool_limits(1):
        strategy.prepare(context, active)


def retrieve(strategy: Strategy, index_items: np.ndarray, has_vector: np.ndarray, k: int) -> Candidates:
    """Candidates for each request through a prepared strategy; requests without a user vector get
    none (they count as misses)."""
    n = has_vector.shape[0]
    out = np.full((n, k), -1, dtype=np.int64)
    latency = np.zeros(n, dtype=np.int64)
    fetched = np.zeros(n, dtype=np.int64)
    clock = time.perf_counter_ns
    with gc_paused(), threadpool_limits(1):  # single-query latency, one thread (as the harness times it)
        for r in np.flatnonzero(has_vector).tolist():
            start = clock()
            found = strategy.search_one(r, k)
            latency[r] = clock() - start
            rows = found.ids[0]
            out[r] = np.where(rows >= 0, index_items[np.maximum(rows, 0)], -1)
            fetched[r] = found.candidates[0]
    return Candidates(out, latency, fetched)


def exact_strategy(
    item_vectors: np.ndarray, user_vectors: np.ndarray, metric: Metric, active: ActiveFilter
) -> Strategy:
    """Exact retrieval, prepared once for every k: brute force over the items each request may get."""
    adapter = ExactAdapter(metric)
    adapter.build(item_vectors)
    strategy = ExactSubset()
    bind_strategy(strategy, adapter, ExactAdapter, {}, item_vectors, user_vectors, metric, active)
    return strategy


def exact_candidates(
    item_vectors: np.ndarray,
    index_items: np.ndarray,
    user_vectors: np.ndarray,
    has_vector: np.ndarray,
    histories: Ragged,
    k: int,
    metric: Metric,
    stage_filter: StageFilter | None = None,
) -> Candidates:
    """Exact retrieval under the stage filter for one k."""
    active = (stage_filter or StageFilter()).active(index_items, histories)
    strategy = exact_strategy(item_vectors, user_vectors, metric, active)
    return retrieve(strategy, index_items, has_vector, k)


def popularity_candidates(
    counts: np.ndarray, histories: Ragged, k: int, stage_filter: StageFilter | None = None
) -> Candidates:
    """The baseline: the most interacted-with training items the request may get, most popular first."""
    rule = stage_filter or StageFilter()
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] > 0]
    if rule.allowed is not None:
        order = order[rule.allowed[order]]
    out = np.full((len(histories), k), -1, dtype=np.int64)
    latency = np.zeros(len(histories), dtype=np.int64)
    lengths = histories.lengths() if rule.exclude_seen else np.zeros(len(histories), dtype=np.int64)
    clock = time.perf_counter_ns
    for r in range(len(histories)):
        start = clock()
        head = order[: k + lengths[r]]
        kept = (head[~np.isin(head, histories.row(r))] if rule.exclude_seen else head)[:k]
        latency[r] = clock() - start
        out[r, : kept.size] = kept
    return Candidates(out, latency, np.full(len(histories), -1, dtype=np.int64))
