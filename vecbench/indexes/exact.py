"""Exact search with faiss's flat index: the reference every other adapter is measured against."""

from __future__ import annotations

from typing import Any, ClassVar

import faiss
import numpy as np

from vecbench.indexes.base import Capabilities, ConformanceGrid, Metric
from vecbench.indexes.faiss_base import FaissAdapter, faiss_metric
from vecbench.indexes.faiss_filter import FAISS


class ExactAdapter(FaissAdapter):
    """A flat scan. For updates it runs through ``IndexIDMap`` (a flat index alone renumbers the
    items after a removal); static sweeps keep the bare flat index, so their figures are unchanged."""

    name: ClassVar[str] = "exact"
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric),
        add=True,
        delete=True,
        native_filter=True,
        thread_control=True,
        thread_safe=True,
        releases_gil=True,  # faiss's SWIG wrapper drops the GIL around search
    )
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid()

    def _build(self, data: np.ndarray) -> None:
        self.index = faiss.IndexFlat(data.shape[1], faiss_metric(self.metric))
        self.index.add(data)
        self.mapped = False

    def prepare_updates(self) -> None:
        self._require_built()
        self._id_mapped()

    def takes_ids(self) -> bool:
        return self.mapped

    def add(self, vectors: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        if ids is not None and not self.mapped:
            self._id_mapped()
        return super().add(vectors, ids)

    def delete(self, ids: np.ndarray) -> None:
        self._id_mapped()
        super().delete(ids)

    def _id_mapped(self) -> None:
        """Move the vectors into an IndexIDMap over a fresh flat index, keeping ids 0..n-1."""
        if self.mapped:
            return
        flat: Any = self.index
        vectors = flat.reconstruct_n(0, flat.ntotal)
        mapped = faiss.IndexIDMap(faiss.IndexFlat(self.dim, faiss_metric(self.metric)))
        mapped.add_with_ids(vectors, np.arange(flat.ntotal, dtype=np.int64))
        self.index, self.mapped = mapped, True
        self._shared_bitmap = None

    def _search_params(self, selector: Any) -> Any:
        """A full scan that skips items the selector rejects: exact over the allowed items."""
        return FAISS.SearchParameters(sel=selector)
