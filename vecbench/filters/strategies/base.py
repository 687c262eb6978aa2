"""The protocol every filter strategy follows, and what it is given to work with.

A strategy is built from validated keyword parameters, checked against the adapter class and the
data before any index exists (``check``), then bound to a built adapter and one filter
(``prepare``: everything a real system would precompute per filter happens here, outside timed
regions), then searched many times. Queries are addressed by row number, so a per-query filter
("exclude what this user has seen") knows which query it serves; rows are always contiguous.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from vecbench.datasets.attributes import Attributes
from vecbench.filters.active import ActiveFilter
from vecbench.indexes.base import IndexAdapter, Metric, ParamSpec, resolve_params

NOT_FETCHED = -1  # candidates value of a query answered by brute force rather than the index


@dataclass(frozen=True)
class FilteredSearch:
    """ids (nq, k) int64 padded with -1, library distances, and candidates fetched from the index per query."""

    ids: np.ndarray
    distances: np.ndarray
    candidates: np.ndarray


@dataclass(frozen=True)
class CheckTarget:
    """What a strategy is checked against before any index is built."""

    adapter_class: type[IndexAdapter]
    build_params: Mapping[str, Any]
    metric: Metric
    dim: int
    attributes: Attributes | None


@dataclass
class StrategyContext:
    """A built adapter and the data around it, shared by every strategy of one build point.

    ``shared`` holds what strategies build once per build point and reuse across filters (the
    partition indexes); ``queries`` are already prepared (normalised for angular).
    """

    adapter: IndexAdapter
    adapter_class: type[IndexAdapter]
    build_params: Mapping[str, Any]
    base: np.ndarray
    queries: np.ndarray
    metric: Metric
    threads: int = 1
    attributes: Attributes | None = None
    shared: dict[str, Any] = field(default_factory=dict)
    _prepared_base: np.ndarray | None = None

    @property
    def prepared_base(self) -> np.ndarray:
        """The base as the adapter sees it (normalised for angular), made once on first use."""
        if self._prepared_base is None:
            self._prepared_base = self.adapter.prepare_vectors(self.base)
        return self._prepared_base


class Strategy(abc.ABC):
    """Base class: subclasses declare ``name``, ``param_specs`` and implement the search."""

    name: ClassVar[str]
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {}

    def __init__(self, **params: Any) -> None:
        self.params = resolve_params(f"strategy '{self.name}'", self.param_specs, params)
        self.ctx: StrategyContext | None = None
        self.active: ActiveFilter | None = None

    def spec(self) -> str:
        """Canonical text of the requested strategy and its parameters: part of the result key."""
        return json.dumps({"name": self.name, **self.params}, sort_keys=True, separators=(",", ":"))

    def label(self) -> str:
        """Short name of what actually ran, for the ``strategy`` column (auto reports its choice)."""
        return self.name

    # ---- before anything is built -----------------------------------------------------------
    def check(self, target: CheckTarget) -> None:  # noqa: B027 (optional hook)
        """Raise ConfigError when this strategy cannot run with this adapter or data."""

    # ---- per filter, untimed ----------------------------------------------------------------
    def prepare(self, ctx: StrategyContext, active: ActiveFilter) -> None:
        """Bind to a built adapter and one filter; precompute what a real system would cache."""
        self.ctx, self.active = ctx, active
        self._prepare()

    def _prepare(self) -> None:  # noqa: B027 (optional hook)
        """Strategy-specific preparation."""

    def apply_query_params(self, params: Mapping[str, Any]) -> None:  # noqa: B027 (optional hook)
        """Called after the adapter's query parameters change (partitions forward them)."""

    # ---- timed ------------------------------------------------------------------------------
    @abc.abstractmethod
    def search_batch(self, rows: np.ndarray, k: int) -> FilteredSearch:
        """Search the queries at ``rows`` (contiguous, ascending) under the filter."""

    def search_one(self, row: int, k: int) -> FilteredSearch:
        """One query; the default is a batch of one."""
        return self.search_batch(np.array([row]), k)

    # ---- helpers ----------------------------------------------------------------------------
    @property
    def context(self) -> StrategyContext:
        if self.ctx is None:
            raise RuntimeError(f"strategy '{self.name}': call prepare() before searching")
        return self.ctx

    @property
    def filter(self) -> ActiveFilter:
        if self.active is None:
            raise RuntimeError(f"strategy '{self.name}': call prepare() before searching")
        return self.active

    def query_block(self, rows: np.ndarray) -> np.ndarray:
        """The prepared queries at contiguous ``rows``, as a view (no copy inside timed regions)."""
        return self.context.queries[int(rows[0]) : int(rows[-1]) + 1]


def take_passing(
    ids: np.ndarray, distances: np.ndarray, ok: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """First ``k`` entries per row where ``ok`` holds, in their original order; -1 / +inf pad the rest."""
    order = np.argsort(~ok, axis=1, kind="stable")[:, :k]
    kept = np.take_along_axis(ok, order, axis=1)
    out_ids = np.where(kept, np.take_along_axis(ids, order, axis=1), -1)
    out_d = np.where(kept, np.take_along_axis(np.asarray(distances, np.float32), order, axis=1), np.inf)
    missing = k - out_ids.shape[1]
    if missing > 0:
        out_ids = np.concatenate([out_ids, np.full((out_ids.shape[0], missing), -1, np.int64)], axis=1)
        out_d = np.concatenate([out_d, np.full((out_d.shape[0], missing), np.inf)], axis=1)
    return out_ids.astype(np.int64, copy=False), out_d.astype(np.float32, copy=False)
