"""What every faiss-backed adapter shares: metric mapping, size, threads, search, filtered search, add."""

from __future__ import annotations

from typing import Any, ClassVar

import faiss
import numpy as np

from vecbench.core.errors import UnsupportedError
from vecbench.indexes.base import IndexAdapter, Metric, SearchResult
from vecbench.indexes.faiss_filter import FaissBitmap, FaissFilter, filtered_search


def faiss_metric(metric: Metric) -> int:
    """faiss metric constant; angular runs as inner product over normalised vectors."""
    return faiss.METRIC_L2 if metric is Metric.EUCLIDEAN else faiss.METRIC_INNER_PRODUCT


def serialized_bytes(index: faiss.Index) -> int:
    """Size of a faiss index as serialised: what it would take on disk or in memory."""
    return int(faiss.serialize_index(index).nbytes)


class FaissAdapter(IndexAdapter):
    """What the faiss adapters share: threads, plain ``index.search``, append-only add, size."""

    libraries: ClassVar[tuple[str, ...]] = ("faiss-cpu",)
    index: Any
    # The bitmap of the last mask handles were built from: a per-query filter reuses it.
    _shared_bitmap: tuple[np.ndarray, FaissBitmap] | None = None

    def _apply_threads(self, n_threads: int) -> None:
        # faiss's OpenMP thread count is process-wide: one benchmark worker runs one index.
        faiss.omp_set_num_threads(n_threads)

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        distances, ids = self.index.search(queries, k)
        return SearchResult(ids.astype(np.int64, copy=False), distances)

    def filter_handle(self, allowed: np.ndarray, excluded: np.ndarray | None = None) -> FaissFilter:
        self._require_built()
        cached = self._shared_bitmap
        if cached is None or cached[0] is not allowed:
            cached = self._shared_bitmap = (allowed, FaissBitmap(allowed))
        return FaissFilter(cached[1], excluded)

    def search_filtered(self, queries: np.ndarray, k: int, handle: FaissFilter) -> SearchResult:
        params = handle.params(tuple(sorted(self.query_params.items())), self._search_params)
        return filtered_search(self.index, queries, k, params)

    def _search_params(self, selector: Any) -> Any:
        """SearchParameters carrying ``selector`` and this adapter's current query parameters."""
        raise NotImplementedError

    # Whether the built index stores caller-given ids (IVF, IDMap) and removes them (remove_ids).
    # Indexes that number items in insertion order only (HNSW, refined IVF-PQ) leave both False.
    own_ids: ClassVar[bool] = False

    def add(self, vectors: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        self._require_built()
        prepared = self.prepare_vectors(np.asarray(vectors).reshape(-1, self.dim))
        n = prepared.shape[0]
        default = np.arange(self.n_items, self.n_items + n, dtype=np.int64)
        ids = default if ids is None else np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        if ids.shape[0] != n:
            raise ValueError(f"{self.name}: {ids.shape[0]} ids for {n} vectors")
        if n == 0:
            return ids
        if self.takes_ids():
            self.index.add_with_ids(prepared, ids)
        elif self.n_items == int(self.index.ntotal) and np.array_equal(ids, default):
            self.index.add(prepared)
        else:
            raise UnsupportedError(
                f"{self.name}: this index numbers items in insertion order; add under ids "
                f"{self.n_items}.. in order"
            )
        self.n_items = max(self.n_items, int(ids.max()) + 1)
        return ids

    def takes_ids(self) -> bool:
        """Whether this built index stores caller-given ids (``add_with_ids``)."""
        return self.own_ids

    def delete(self, ids: np.ndarray) -> None:
        """``remove_ids``: the items leave the index (memory is returned, lists are compacted)."""
        if not self.capabilities.delete:
            raise UnsupportedError(f"adapter '{self.name}' does not support delete")
        self._require_built()
        ids = np.unique(np.asarray(ids, dtype=np.int64))
        removed = int(self.index.remove_ids(ids))
        if removed != ids.shape[0]:
            raise ValueError(f"{self.name}: {ids.shape[0] - removed} of the ids to delete were not in the index")

    def index_bytes(self) -> int | None:
        return serialized_bytes(self.index)
