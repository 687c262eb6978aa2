"""``partition``: one index per value of a categorical attribute; queries go to the partitions that
hold passing items, and the results are merged.

Partitions whose items all pass are searched plainly; the others are post-filtered with adaptive
over-fetch inside the partition. Candidates from all partitions are merged by exact distance over
the prepared vectors (libraries report distances in different conventions). Items with no value form
their own partition. Partitions smaller than ``exact_below`` are brute-forced rather than indexed,
so small values need no build parameters of their own (an IVF cannot train 1,024 lists on 100 items).
The partition indexes are built once per build point and shared by every filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import faiss
import numpy as np

from vecbench.datasets.attributes import CategoricalColumn
from vecbench.errors import ConfigError, closest_hint
from vecbench.filters.strategies.base import CheckTarget, FilteredSearch, Strategy, StrategyContext
from vecbench.filters.strategies.overfetch import Schedule, overfetch_search
from vecbench.indexes.base import IndexAdapter, Metric, ParamSpec, SearchResult
from vecbench.indexes.faiss_base import faiss_metric

MISSING = "(missing)"


@dataclass
class Part:
    """One partition: its value, the global ids it holds (sorted), and its index."""

    value: str
    ids: np.ndarray
    adapter: IndexAdapter | None  # None: brute force over ``flat``
    flat: Any = None

    def search(self, queries: np.ndarray, fetch: int) -> SearchResult:
        """Up to ``fetch`` neighbours as global ids, padded with -1 to ``fetch`` columns."""
        wanted = min(fetch, self.ids.shape[0])
        if self.adapter is not None:
            found = self.adapter.search_prepared(queries, wanted)
            distances, local = found.distances, found.ids
        else:
            distances, local = self.flat.search(queries, wanted)
        ids = np.full((queries.shape[0], fetch), -1, dtype=np.int64)
        ids[:, :wanted] = np.where(local >= 0, self.ids[np.maximum(local, 0)], -1)
        dist = np.full((queries.shape[0], fetch), np.inf, dtype=np.float32)
        dist[:, :wanted] = distances
        return SearchResult(ids, dist)


def partition_values(column: CategoricalColumn) -> list[tuple[str, np.ndarray]]:
    """(value, ids) of every non-empty partition, missing values last."""
    parts = [(value, np.flatnonzero(column.codes == code)) for code, value in enumerate(column.categories)]
    parts.append((MISSING, np.flatnonzero(column.codes < 0)))
    return [(value, ids) for value, ids in parts if ids.size]


class Partition(Strategy):
    name: ClassVar[str] = "partition"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "attribute": ParamSpec(str, "", "categorical attribute whose values get an index each"),
        "exact_below": ParamSpec(
            int, 0, "partitions with fewer items are brute-forced, not indexed", minimum=0
        ),
    }

    def check(self, target: CheckTarget) -> None:
        column = self._column(target.attributes)
        small = self.params["exact_below"]
        adapter = target.adapter_class(target.metric, **target.build_params)
        for value, ids in partition_values(column):
            if ids.size < small:
                continue
            try:
                adapter.check_data(int(ids.size), target.dim)
            except ConfigError as exc:
                raise ConfigError(
                    f"strategy 'partition': partition '{value}' of '{self.params['attribute']}' has {ids.size} "
                    f"items: {exc}; or set exact_below above {ids.size} to brute-force small partitions"
                ) from None

    def _column(self, attributes: Any) -> CategoricalColumn:
        name = self.params["attribute"]
        if not name:
            raise ConfigError(
                "strategy 'partition' needs attribute: the categorical attribute to partition by"
            )
        if attributes is None:
            raise ConfigError("strategy 'partition' needs item attributes; the dataset has none")
        if name not in attributes:
            raise ConfigError(
                f"strategy 'partition': unknown attribute '{name}'{closest_hint(name, list(attributes))}"
            )
        column = attributes[name]
        if not isinstance(column, CategoricalColumn):
            raise ConfigError(
                f"strategy 'partition': '{name}' is {column.kind.value}; partitions need a categorical attribute"
            )
        return column

    def _prepare(self) -> None:
        ctx, active = self.context, self.filter
        self.parts = build_parts(ctx, self._column(ctx.attributes), self.params["exact_below"])
        self.routed: list[tuple[Part, bool]] = []
        for part in self.parts:
            passing = int(active.mask[part.ids].sum())
            if passing:
                self.routed.append((part, passing == part.ids.size and not active.is_per_query))

    def apply_query_params(self, params: Mapping[str, Any]) -> None:
        for part in self.parts:
            if part.adapter is not None:
                part.adapter.set_query_params(**params)

    def search_batch(self, rows: np.ndarray, k: int) -> FilteredSearch:
        queries = self.query_block(rows)
        found: list[np.ndarray] = []
        candidates = np.zeros(rows.shape[0], dtype=np.int64)
        for part, whole in self.routed:
            if whole:
                found.append(part.search(queries, k).ids)
                candidates += min(k, part.ids.size)
            else:
                schedule = Schedule.make(k, 2.0, part.ids.size, 2.0, adaptive=True)
                inner = overfetch_search(part.search, queries, rows, k, self.filter, schedule)
                found.append(inner.ids)
                candidates += inner.candidates
        ids, distances = merge_nearest(self.context.prepared_base, queries, found, k, self.context.metric)
        return FilteredSearch(ids, distances, candidates)


def build_parts(ctx: StrategyContext, column: CategoricalColumn, exact_below: int) -> list[Part]:
    """The partition indexes for this attribute, built on first use and shared across filters."""
    key = f"partition:{id(column)}:{exact_below}"
    if key in ctx.shared:
        parts: list[Part] = ctx.shared[key]
        return parts
    parts = []
    for value, ids in partition_values(column):
        if ids.size < exact_below:
            flat = faiss.IndexFlat(ctx.prepared_base.shape[1], faiss_metric(ctx.metric))
            flat.add(np.ascontiguousarray(ctx.prepared_base[ids]))
            parts.append(Part(value, ids, None, flat))
            continue
        adapter = ctx.adapter_class(ctx.metric, **ctx.build_params)
        adapter.build(np.asarray(ctx.base[ids]))
        adapter.set_query_params(**ctx.adapter.query_params)
        adapter.set_num_threads(ctx.threads)
        parts.append(Part(value, ids, adapter))
    ctx.shared[key] = parts
    return parts


def merge_nearest(
    prepared_base: np.ndarray, queries: np.ndarray, found: list[np.ndarray], k: int, metric: Metric
) -> tuple[np.ndarray, np.ndarray]:
    """Top k of the candidates by exact distance (smaller is nearer; -1 ids never win)."""
    n = queries.shape[0]
    if not found:
        return np.full((n, k), -1, dtype=np.int64), np.full((n, k), np.inf, dtype=np.float32)
    ids = np.concatenate(found, axis=1)
    valid = ids >= 0
    rows = prepared_base[np.where(valid, ids, 0)]
    if metric is Metric.EUCLIDEAN:
        dist = ((rows - queries[:, None, :]) ** 2).sum(axis=2)
    else:
        dist = -np.einsum("qd,qmd->qm", queries, rows)
    dist = np.where(valid, dist, np.inf).astype(np.float32)
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    top_ids = np.where(np.take_along_axis(valid, order, axis=1), np.take_along_axis(ids, order, axis=1), -1)
    top_d = np.take_along_axis(dist, order, axis=1)
    if top_ids.shape[1] < k:
        pad = k - top_ids.shape[1]
        top_ids = np.concatenate([top_ids, np.full((n, pad), -1, np.int64)], axis=1)
        top_d = np.concatenate([top_d, np.full((n, pad), np.inf, np.float32)], axis=1)
    return top_ids, top_d
