"""faiss's native filtered search: an IDSelectorBitmap passed in per-call SearchParameters.

The parameters object also carries the query-time knobs (efSearch, nprobe), because faiss reads
them from the parameters instead of the index when parameters are given. The handle keeps the
bitmap and every SWIG object alive for as long as searches may use them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faiss
import numpy as np

from vecbench.indexes.base import SearchResult, pad_ids

# Builds the SearchParameters for a selector from the adapter's current query parameters.
ParamsFactory = Callable[[Any], Any]

# faiss's type stubs lag its Python API (SearchParametersHNSW, keyword construction): go through Any.
FAISS: Any = faiss


class FaissFilter:
    """A bitmap selector over allowed ids, with the SearchParameters built for it (cached per knob setting)."""

    def __init__(self, allowed: np.ndarray, excluded: np.ndarray | None = None) -> None:
        mask = np.asarray(allowed, dtype=bool)
        if excluded is not None and excluded.size:
            mask = mask.copy()
            mask[excluded] = False
        self.count = int(mask.sum())
        self.bits = np.packbits(mask, bitorder="little")
        self.selector = faiss.IDSelectorBitmap(self.bits.shape[0], faiss.swig_ptr(self.bits))
        self._params: dict[tuple[Any, ...], Any] = {}

    def params(self, key: tuple[Any, ...], factory: ParamsFactory) -> Any:
        """SearchParameters for the current query parameters ``key``, built on first use."""
        found = self._params.get(key)
        if found is None:
            found = self._params[key] = factory(self.selector)
        return found


def filtered_search(index: Any, queries: np.ndarray, k: int, params: Any) -> SearchResult:
    """``index.search`` with parameters; faiss pads with -1 where fewer than k items pass."""
    distances, ids = index.search(queries, k, params=params)
    return SearchResult(pad_ids(ids, k), distances)
