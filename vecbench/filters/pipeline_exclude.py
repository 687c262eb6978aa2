"""Native filtered search behind the recommendation pipeline's exclude-seen seam.

``vecbench.pipeline.retrieval.retrieve`` takes any ``ExcludeFilter``; its default over-fetches and
drops. This one asks the library itself to skip the seen items (faiss's IDSelector, hnswlib's filter
function), so an ANN index does not spend its search effort on items that will be thrown away. The
filter is built inside the timed call, because a request's seen list only exists at request time.
"""

from __future__ import annotations

import numpy as np

from vecbench.errors import UnsupportedError
from vecbench.indexes.base import IndexAdapter


class NativeExclude:
    """An ``ExcludeFilter`` through the adapter's native filtered search (adapters declaring native_filter)."""

    def __init__(self) -> None:
        self._everything = np.ones(0, dtype=bool)

    def search(self, adapter: IndexAdapter, query: np.ndarray, k: int, excluded: np.ndarray) -> np.ndarray:
        """``k`` index rows nearest ``query`` that are not in ``excluded`` (-1 pads where fewer remain)."""
        if not adapter.capabilities.native_filter:
            raise UnsupportedError(
                f"adapter '{adapter.name}' has no native filtered search; exclude seen items by over-fetching"
            )
        if self._everything.shape[0] != adapter.n_items:
            self._everything = np.ones(adapter.n_items, dtype=bool)
        handle = adapter.filter_handle(self._everything, np.asarray(excluded, dtype=np.int64))
        return adapter.search_one_filtered(query, k, handle).ids
