"""An adapter under a runbook: tags in, tags out, whichever way the adapter takes updates.

The stream numbers the items it gives an index (labels 0, 1, ... never reused) and maps labels
back to tags inside every timed search, as an id map inside a library would. How a change reaches
the index follows the adapter's declared capabilities alone:

- ``native``: the adapter declares ``delete``: adds and deletes go to the library (a replace is the
  library's in-place update where it declares ``replace``, else a delete and an add);
- ``tombstone``: it declares ``add`` and a native filter but no delete (faiss HNSW): deleted labels
  are kept out of every search by a filter over the live labels until the next rebuild;
- ``buffered``: the policy rebuilds in batches (or the adapter cannot add): changes wait and the
  index serves its last build until the policy rebuilds it from the live items.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from vecbench.errors import ConfigError
from vecbench.indexes.base import Capabilities, IndexAdapter, SearchResult
from vecbench.streaming.policy import Policy

MODES = ("native", "tombstone", "buffered")


def update_mode(adapter: str, capabilities: Capabilities, policy: Policy, deletes: bool) -> str:
    """How this adapter takes the runbook's changes under this policy; a one-line error if it cannot."""
    if policy.buffered:
        return "buffered"
    if not deletes or capabilities.delete:
        return "native"
    if capabilities.native_filter:
        return "tombstone"
    raise ConfigError(
        f"index '{adapter}' declares neither delete nor a native filter to serve this runbook's deletes "
        f"incrementally; use policy {{rebuild_every: N}}"
    )


class StreamIndex:
    """One index as a runbook changes it; ``search_prepared`` / ``search_one_prepared`` return tags."""

    def __init__(self, adapter: IndexAdapter, tags: np.ndarray, mode: str, n_ids: int, threads: int) -> None:
        self.cls = type(adapter)
        self.metric, self.build_params = adapter.metric, dict(adapter.build_params)
        self.mode, self.n_ids, self.threads = mode, n_ids, threads
        self.rebuilds = 0
        self._install(adapter, tags)

    def _install(self, adapter: IndexAdapter | None, tags: np.ndarray) -> None:
        """Take a freshly built index whose labels 0..m-1 hold ``tags``."""
        self.adapter = adapter
        self.tag_of = np.full(max(16, 2 * tags.size), -1, dtype=np.int64)  # label -> tag
        self.tag_of[: tags.size] = tags
        self.label_of = np.full(self.n_ids, -1, dtype=np.int64)  # tag -> label
        self.label_of[tags] = np.arange(tags.size)
        self.next_label = int(tags.size)
        self.tombstoned = np.zeros(0, dtype=bool)
        self.handle: Any = None
        self.since = {"steps": 0, "rows": 0, "deleted": 0, "added": 0, "held": int(tags.size)}
        if adapter is not None and self.mode != "buffered":
            adapter.prepare_updates()

    # ---- changes ------------------------------------------------------------------------------
    def insert(self, vectors: np.ndarray, tags: np.ndarray) -> None:
        adapter = self._require()
        labels = np.arange(self.next_label, self.next_label + tags.size, dtype=np.int64)
        adapter.add(vectors, labels)
        if self.next_label + tags.size > self.tag_of.size:
            grown = np.full(max(2 * self.tag_of.size, self.next_label + tags.size), -1, dtype=np.int64)
            grown[: self.tag_of.size] = self.tag_of
            self.tag_of = grown
        self.tag_of[labels] = tags
        self.label_of[tags] = labels
        self.next_label += int(tags.size)
        self.since["added"] += int(tags.size)
        if self.mode == "tombstone" and self.tombstoned.any():
            self._refresh_filter()

    def delete(self, tags: np.ndarray) -> None:
        adapter = self._require()
        labels = self.label_of[tags]
        if self.mode == "native":
            adapter.delete(labels)
        else:
            grown = np.zeros(self.next_label, dtype=bool)
            grown[: self.tombstoned.size] = self.tombstoned
            grown[labels] = True
            self.tombstoned = grown
            self._refresh_filter()
        self.label_of[tags] = -1
        self.since["deleted"] += int(tags.size)

    def replace(self, vectors: np.ndarray, tags: np.ndarray) -> None:
        adapter = self._require()
        if self.mode == "native" and self.cls.capabilities.replace:
            adapter.replace(self.label_of[tags], vectors)
            return
        self.delete(tags)
        self.insert(vectors, tags)

    def _refresh_filter(self) -> None:
        """The tombstone filter over every label given so far (labels past the mask would not pass)."""
        allowed = np.ones(self.next_label, dtype=bool)
        allowed[: self.tombstoned.size] = ~self.tombstoned
        self.handle = self._require().filter_handle(allowed)

    def deleted_share(self) -> float:
        since = self.since
        return since["deleted"] / max(1, since["held"] + since["added"])

    def rebuild(self, vectors: np.ndarray, tags: np.ndarray, query_params: Mapping[str, Any]) -> None:
        """Drop the index, then build a new one over the live items (blocking: nothing is served meanwhile)."""
        self.adapter = None
        adapter: IndexAdapter | None = None
        if tags.size:
            adapter = self.cls(self.metric, **self.build_params)
            adapter.build(vectors)
            adapter.set_num_threads(self.threads)
            adapter.set_query_params(**query_params)
        self._install(adapter, tags)
        self.rebuilds += 1

    def _require(self) -> IndexAdapter:
        if self.adapter is None:
            raise RuntimeError("the index is empty: nothing was live at the last rebuild")
        return self.adapter

    # ---- searching (what time_point calls) ----------------------------------------------------
    def set_query_params(self, params: Mapping[str, Any]) -> None:
        if self.adapter is not None:
            self.adapter.set_query_params(**params)

    def reset_counters(self) -> None:
        if self.adapter is not None:
            self.adapter.reset_counters()

    def distance_computations(self) -> int | None:
        return None

    def search_prepared(self, queries: np.ndarray, k: int) -> SearchResult:
        adapter = self.adapter
        if adapter is None:
            return SearchResult(
                np.full((queries.shape[0], k), -1, np.int64),
                np.full((queries.shape[0], k), np.inf, np.float32),
            )
        found = (
            adapter.search_filtered(queries, k, self.handle)
            if self.handle is not None
            else adapter.search_prepared(queries, k)
        )
        return SearchResult(self._tags(found.ids), found.distances)

    def search_one_prepared(self, query: np.ndarray, k: int) -> SearchResult:
        adapter = self.adapter
        if adapter is None:
            return SearchResult(np.full(k, -1, np.int64), np.full(k, np.inf, np.float32))
        found = (
            adapter.search_one_filtered(query, k, self.handle)
            if self.handle is not None
            else adapter.search_one_prepared(query, k)
        )
        return SearchResult(self._tags(found.ids), found.distances)

    def search_one_raw(self, query: np.ndarray, k: int) -> SearchResult:
        """Single-query latency times the whole answer: mapping labels back to tags is part of
        serving a changing catalogue."""
        return self.search_one_prepared(query, k)

    def _tags(self, labels: np.ndarray) -> np.ndarray:
        labels = np.asarray(labels, dtype=np.int64)
        return np.where(labels >= 0, self.tag_of[np.maximum(labels, 0)], -1)
