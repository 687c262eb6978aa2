"""faiss's native filtered search: an IDSelectorBitmap passed in per-call SearchParameters.

The parameters object also carries the query-time knobs (efSearch, nprobe), because faiss reads
them from the parameters instead of the index when parameters are given. Handles built from the
same mask share one bitmap; a per-query exclusion adds a small id set (IDSelectorBatch) that the
handle subtracts (IDSelectorAnd with IDSelectorNot), so a handle per query costs its excluded
ids rather than another n / 8 bytes. The handle keeps every SWIG object it uses alive.
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


class FaissBitmap:
    """An IDSelectorBitmap over a mask, shared by every handle built from that mask."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = np.asarray(mask, dtype=bool)
        self.count = int(self.mask.sum())
        self.bits = np.packbits(self.mask, bitorder="little")
        self.selector = faiss.IDSelectorBitmap(self.bits.shape[0], faiss.swig_ptr(self.bits))


class FaissFilter:
    """A selector over the allowed ids minus ``excluded``, with the SearchParameters built for it
    (cached per knob setting)."""

    def __init__(self, bitmap: FaissBitmap, excluded: np.ndarray | None = None) -> None:
        self.bitmap = bitmap
        skip = np.unique(np.asarray([] if excluded is None else excluded, dtype=np.int64))
        skip = skip[bitmap.mask[skip]]  # only ids that would otherwise pass
        self.count = bitmap.count - int(skip.size)
        self.selector = bitmap.selector
        if skip.size:
            self.skip = skip
            self.batch = FAISS.IDSelectorBatch(skip.size, faiss.swig_ptr(skip))
            self.not_batch = FAISS.IDSelectorNot(self.batch)
            self.selector = FAISS.IDSelectorAnd(bitmap.selector, self.not_batch)
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
