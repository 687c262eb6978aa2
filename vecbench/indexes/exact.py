"""Exact search with faiss's flat index: the reference every other adapter is measured against."""

from __future__ import annotations

from typing import Any, ClassVar

import faiss
import numpy as np

from vecbench.indexes.base import Capabilities, ConformanceGrid, Metric
from vecbench.indexes.faiss_base import FaissAdapter, faiss_metric
from vecbench.indexes.faiss_filter import FAISS


class ExactAdapter(FaissAdapter):
    name: ClassVar[str] = "exact"
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric), add=True, native_filter=True, thread_control=True, thread_safe=True,
        releases_gil=True,  # faiss's SWIG wrapper drops the GIL around search
    )
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid()

    def _build(self, data: np.ndarray) -> None:
        self.index = faiss.IndexFlat(data.shape[1], faiss_metric(self.metric))
        self.index.add(data)

    def _search_params(self, selector: Any) -> Any:
        """A full scan that skips items the selector rejects: exact over the allowed items."""
        return FAISS.SearchParameters(sel=selector)
