"""The one protocol every index adapter follows.

Adapters follow sklearn's estimator contract: the constructor only stores (validated) keyword
parameters, all work happens in ``build``, and query-time parameters are set on a built index so that
one build serves every query point of a sweep. Optional behaviour is declared in ``Capabilities``
and checked by the runner; nothing is discovered by probing attributes.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from vecbench.core.errors import UnsupportedError
from vecbench.core.params import Metric, ParamSpec, resolve_params


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do, declared up front so the runner can refuse rather than probe."""

    metrics: frozenset[Metric]
    add: bool = False
    delete: bool = False
    native_filter: bool = False
    thread_control: bool = False
    # ``add``: append items under ids the caller gives; ``delete``: remove items by id, after
    # which they are never returned; ``replace``: overwrite the vector of a live id in place. The
    # streaming workload (vecbench.streaming) chooses how to apply a runbook from these alone.
    replace: bool = False
    thread_safe: bool = False  # several threads may search one built index at once
    # hook: issue 12. Its search runs without the GIL, so client threads search in parallel; load
    # clients are threads only where thread_safe and releases_gil both hold, processes otherwise.
    releases_gil: bool = False
    remote: bool = False  # the index lives in another process or machine (a database server)
    # The query parameter whose increase should never lower recall (used by the conformance suite).
    effort_param: str | None = None


@dataclass
class SearchResult:
    """Neighbour ids (int64, -1 pads) and the library's own distances or scores (float32)."""

    ids: np.ndarray
    distances: np.ndarray
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ConformanceGrid:
    """Small settings at which the conformance suite (``vecbench.testing.check_adapter``) runs an
    adapter on 2,000 seeded 16-d items in seconds; declared on the adapter so a new one needs no table.

    ``build``: build parameters for the 2,000 items. ``thorough``: query parameters at which it
    searches (nearly) everything. ``effort``: rising values of ``capabilities.effort_param``, in big
    steps so noise cannot hide a real drop in recall. ``tiny_build``: build parameters that fit 5 items.
    """

    build: Mapping[str, Any] = field(default_factory=dict)
    thorough: Mapping[str, Any] = field(default_factory=dict)
    effort: tuple[Any, ...] = ()
    tiny_build: Mapping[str, Any] = field(default_factory=dict)


class IndexAdapter(abc.ABC):
    """Base class of every adapter. Subclasses declare ``name``, ``capabilities``, param specs, the
    ``libraries`` they wrap and their ``conformance`` grid.

    Life cycle: ``Adapter(metric, **build_params)`` -> ``check_data(n, dim)`` -> ``build(data)``
    -> ``set_query_params(**query_params)`` -> ``search_batch`` / ``search_one`` (repeatable).
    """

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {}
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {}
    # Distribution names of the library it wraps, as pip knows them: their versions are recorded
    # with every run (vecbench.bench.environment).
    libraries: ClassVar[tuple[str, ...]] = ()
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid()

    def __init__(self, metric: Metric | str, **build_params: Any) -> None:
        self.metric = Metric.parse(metric)
        if self.metric not in self.capabilities.metrics:
            supported = ", ".join(sorted(m.value for m in self.capabilities.metrics))
            raise UnsupportedError(
                f"adapter '{self.name}' does not support metric '{self.metric.value}'; "
                f"it supports: {supported}"
            )
        self.build_params = resolve_params(self.name, self.build_param_specs, build_params)
        self.query_params = resolve_params(self.name, self.query_param_specs, {})
        self.num_threads = 1
        self.is_built = False
        self.n_items = 0
        self.dim = 0

    # ---- validation that needs the data's shape, run before any expensive work -------------
    def check_data(self, n_items: int, dim: int) -> None:  # noqa: B027 (optional hook)
        """Raise ConfigError when build parameters cannot work for data of this shape."""

    # ---- building -------------------------------------------------------------------------
    def build(self, data: np.ndarray) -> None:
        """Build the index over ``data`` (n, d) float32. The caller's array is never modified."""
        data = np.asarray(data)
        if data.ndim != 2 or data.shape[0] == 0:
            raise ValueError(f"{self.name}: build needs a non-empty 2-d array, got shape {data.shape}")
        self.check_data(data.shape[0], data.shape[1])
        self.n_items, self.dim = int(data.shape[0]), int(data.shape[1])
        self._build(self.prepare_vectors(data))
        self.is_built = True
        self.set_query_params(**self.query_params)

    @abc.abstractmethod
    def _build(self, data: np.ndarray) -> None:
        """Library-specific build on prepared (possibly normalised) float32 vectors."""

    # ---- querying -------------------------------------------------------------------------
    def set_query_params(self, **params: Any) -> None:
        """Validate and apply query-time parameters on the built index."""
        resolved = resolve_params(self.name, self.query_param_specs, {**self.query_params, **params})
        self.check_query_params(resolved)
        self.query_params = resolved
        if self.is_built:
            self._apply_query_params(resolved)

    def check_query_params(self, params: Mapping[str, Any]) -> None:  # noqa: B027 (optional hook)
        """Raise ConfigError when resolved query parameters cannot work with this build."""

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:  # noqa: B027 (optional hook)
        """Library-specific: push query parameters into the built index."""

    def set_num_threads(self, n_threads: int) -> None:
        """Set the threads used by searches; adapters without thread control accept only 1."""
        if n_threads != 1 and not self.capabilities.thread_control:
            raise UnsupportedError(f"adapter '{self.name}' searches single-threaded only; set threads: 1")
        self.num_threads = int(n_threads)
        self._apply_threads(self.num_threads)

    def _apply_threads(self, n_threads: int) -> None:  # noqa: B027 (optional hook)
        """Library-specific thread setting."""

    def prepare_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """Return a C-contiguous float32 copy-or-view fit for the library (normalised for angular).

        The harness calls this once, outside any timed region, so searches time only the library.
        """
        out = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.metric is Metric.ANGULAR and self.normalise_for_angular:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            out = out / norms  # a new array: the caller's is untouched
        return np.ascontiguousarray(out, dtype=np.float32)

    # Adapters whose library handles angular natively (annoy) set this False.
    normalise_for_angular: ClassVar[bool] = True

    def search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        """Search many queries at once; ``queries`` are raw (not yet prepared)."""
        return self.search_prepared(self.prepare_vectors(queries), k)

    def search_one(self, query: np.ndarray, k: int) -> SearchResult:
        """Search a single raw query vector (1-d)."""
        prepared = self.prepare_vectors(np.asarray(query).reshape(1, -1))
        return self.search_one_prepared(prepared[0], k)

    def search_prepared(self, queries: np.ndarray, k: int) -> SearchResult:
        """Search queries already passed through ``prepare_vectors``: what the harness times."""
        self._require_built()
        return self._search_batch(queries, k)

    def search_one_prepared(self, query: np.ndarray, k: int) -> SearchResult:
        """Search one prepared query (1-d), as a SearchResult."""
        return self._search_one(query, k)

    def search_one_raw(self, query: np.ndarray, k: int) -> Any:
        """What per-query latency times: one prepared query, answered in the library's own form.

        By default the converted SearchResult. An adapter whose conversion costs measurable time
        per call (ScaNN: about 5 us, a tenth of a fast query) returns the library's answer as is,
        so latency measures the library, as a bare loop over it would; recall never reads it."""
        return self._search_one(query, k)

    @abc.abstractmethod
    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        """Library-specific batch search: ids (nq, k) int64 with -1 padding, distances (nq, k)."""

    def _search_one(self, query: np.ndarray, k: int) -> SearchResult:
        """Library-specific single search; default delegates to a batch of one."""
        result = self._search_batch(query.reshape(1, -1), k)
        return SearchResult(result.ids[0], result.distances[0], result.extra)

    # ---- optional add / delete / replace (declared in capabilities) ----------------------
    def add(self, vectors: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        """Append raw vectors under ``ids`` (int64, not in the index; default: the next ids after
        the highest so far); returns the ids. Only for adapters that declare ``add``."""
        raise UnsupportedError(f"adapter '{self.name}' does not support add")

    def delete(self, ids: np.ndarray) -> None:
        """Remove items by id: never returned afterwards. Only for adapters that declare ``delete``."""
        raise UnsupportedError(f"adapter '{self.name}' does not support delete")

    def replace(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Give live ``ids`` new raw vectors in place. Only for adapters that declare ``replace``."""
        raise UnsupportedError(f"adapter '{self.name}' does not support replace")

    def prepare_updates(self) -> None:  # noqa: B027 (optional hook)
        """Called once on a built index before a stream of updates, outside any timed region: an
        adapter whose static form cannot take them (a flat index that renumbers on removal)
        switches to one that can here."""

    def next_id(self) -> int:
        """The id ``add`` gives by default: one past the highest id so far."""
        return self.n_items

    # ---- optional native filtered search (declared as ``native_filter``) ------------------
    def filter_handle(self, allowed: np.ndarray, excluded: np.ndarray | None = None) -> Any:
        """The library's own form of "only these items": ``allowed`` (n,) bool minus ``excluded`` ids.

        Built once per filter (and per query for per-query filters), outside any timed region, and
        passed to ``search_filtered``. Only for adapters that declare ``native_filter``. Handles
        built from the same ``allowed`` array may share its encoding (a per-query filter over a
        million items must not copy the mask per query), so do not change it in place afterwards.
        """
        raise UnsupportedError(
            f"adapter '{self.name}' has no native filtered search; use the post, partition or "
            "exact-subset strategy for it"
        )

    def search_filtered(self, queries: np.ndarray, k: int, handle: Any) -> SearchResult:
        """Search prepared queries returning only items the handle allows (-1 pads when fewer)."""
        raise UnsupportedError(f"adapter '{self.name}' has no native filtered search")

    def search_one_filtered(self, query: np.ndarray, k: int, handle: Any) -> SearchResult:
        """One prepared query (1-d) under a filter handle."""
        result = self.search_filtered(query.reshape(1, -1), k, handle)
        return SearchResult(result.ids[0], result.distances[0], result.extra)

    # ---- what the index costs -------------------------------------------------------------
    @abc.abstractmethod
    def index_bytes(self) -> int | None:
        """Size of the index in bytes as the library reports it or as serialised; None if unknown."""

    def distance_computations(self) -> int | None:
        """Distance computations since the last ``reset_counters``, where the library exposes them."""
        return None

    def reset_counters(self) -> None:  # noqa: B027 (optional hook)
        """Reset library statistics counters (distance computations)."""

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release what the adapter holds outside this process (a server it started, its tables)."""

    def _require_built(self) -> None:
        if not self.is_built:
            raise RuntimeError(f"{self.name}: call build() before searching")


AdapterFactory = Callable[..., IndexAdapter]


def pad_ids(ids: np.ndarray, k: int) -> np.ndarray:
    """Right-pad an id array with -1 up to k columns (libraries that return fewer than k)."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.shape[-1] >= k:
        return ids[..., :k]
    pad = np.full((*ids.shape[:-1], k - ids.shape[-1]), -1, dtype=np.int64)
    return np.concatenate([ids, pad], axis=-1)
