"""Exact search with faiss's flat index: the reference every other adapter is measured against."""

from __future__ import annotations

from typing import Any, ClassVar

import faiss
import numpy as np

from vecbench.indexes.base import Capabilities, IndexAdapter, Metric, SearchResult
from vecbench.indexes.faiss_filter import FAISS, FaissFilter, filtered_search


def faiss_metric(metric: Metric) -> int:
    """faiss metric constant; angular runs as inner product over normalised vectors."""
    return faiss.METRIC_L2 if metric is Metric.EUCLIDEAN else faiss.METRIC_INNER_PRODUCT


def serialized_bytes(index: faiss.Index) -> int:
    """Size of a faiss index as serialised: what it would take on disk or in memory."""
    return int(faiss.serialize_index(index).nbytes)


class ExactAdapter(IndexAdapter):
    name: ClassVar[str] = "exact"
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric), add=True, native_filter=True, thread_control=True
    )

    def _build(self, data: np.ndarray) -> None:
        self.index = faiss.IndexFlat(data.shape[1], faiss_metric(self.metric))
        self.index.add(data)

    def _apply_threads(self, n_threads: int) -> None:
        faiss.omp_set_num_threads(n_threads)

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        distances, ids = self.index.search(queries, k)
        return SearchResult(ids.astype(np.int64, copy=False), distances)

    def filter_handle(self, allowed: np.ndarray, excluded: np.ndarray | None = None) -> FaissFilter:
        self._require_built()
        return FaissFilter(allowed, excluded)

    def search_filtered(self, queries: np.ndarray, k: int, handle: FaissFilter) -> SearchResult:
        """A full scan that skips items the selector rejects: exact over the allowed items."""
        return filtered_search(self.index, queries, k, handle.params((), self._search_params))

    @staticmethod
    def _search_params(selector: Any) -> Any:
        return FAISS.SearchParameters(sel=selector)

    def add(self, vectors: np.ndarray) -> np.ndarray:
        self._require_built()
        start = self.index.ntotal
        self.index.add(self.prepare_vectors(vectors))
        self.n_items = int(self.index.ntotal)
        return np.arange(start, self.index.ntotal, dtype=np.int64)

    def index_bytes(self) -> int | None:
        return serialized_bytes(self.index)

    def distance_computations(self) -> int | None:
        return None
