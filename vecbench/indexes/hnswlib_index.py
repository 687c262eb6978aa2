"""hnswlib's HNSW graph, with incremental add, (marked) delete and in-place replace.

Ids are hnswlib's labels, chosen by the caller. Deleted items stay in the graph for routing and
are never returned; the index is built with ``allow_replace_deleted`` so that new items reuse their
slots (``replace_deleted``) instead of growing the graph, and a live label given a new vector is
updated in place (hnswlib's ``updatePoint``).

Distances come back as hnswlib computes them: squared L2 for euclidean and ``1 - dot`` for inner
product and angular (the harness recomputes true distances itself). Angular uses space 'ip' over
vectors normalised outside the timed call; hnswlib's 'cosine' would normalise inside it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

import hnswlib
import numpy as np

from vecbench.indexes.base import (
    Capabilities,
    ConformanceGrid,
    IndexAdapter,
    Metric,
    ParamSpec,
    SearchResult,
    pad_ids,
)

SPACES = {Metric.EUCLIDEAN: "l2", Metric.INNER_PRODUCT: "ip", Metric.ANGULAR: "ip"}


class HnswlibAdapter(IndexAdapter):
    """hnswlib.Index. hnswlib searches with max(ef, k) by itself, so ef is never raised here."""

    name: ClassVar[str] = "hnswlib"
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric),
        add=True,
        delete=True,
        replace=True,
        native_filter=True,
        thread_control=True,
        # searches only read the graph; each takes its visited-list buffer from a locked pool
        thread_safe=True,
        releases_gil=True,  # knn_query releases the GIL while it searches
        effort_param="ef",
    )
    libraries: ClassVar[tuple[str, ...]] = ("hnswlib",)
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"M": 8, "ef_construction": 50},
        thorough={"ef": 400},
        effort=(10, 40, 160, 640),
        tiny_build={"M": 4},
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "M": ParamSpec(int, 16, "graph neighbours per node (layer 0 keeps 2*M)", minimum=2),
        "ef_construction": ParamSpec(int, 200, "candidate list size while inserting", minimum=1),
        "seed": ParamSpec(int, 100, "hnswlib's random_seed for level assignment", minimum=0),
        "build_threads": ParamSpec(int, 0, "threads used to insert vectors (0: all CPUs)", minimum=0),
    }
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "ef": ParamSpec(int, 10, "candidate list size per query (hnswlib uses max(ef, k))", minimum=1),
    }

    def _build(self, data: np.ndarray) -> None:
        p = self.build_params
        self.index = hnswlib.Index(space=SPACES[self.metric], dim=data.shape[1])
        self.index.init_index(
            max_elements=data.shape[0],
            ef_construction=p["ef_construction"],
            M=p["M"],
            random_seed=p["seed"],
            allow_replace_deleted=True,
        )
        self.index.add_items(data, np.arange(data.shape[0]), num_threads=self.build_threads())
        self.deleted: set[int] = set()
        self.vacant = 0  # slots of deleted items that no new item has taken yet
        self.live = data.shape[0]
        self._shared_mask: tuple[np.ndarray, HnswlibMask] | None = None
        self.index.set_num_threads(self.num_threads)

    def build_threads(self) -> int:
        return int(self.build_params["build_threads"]) or os.cpu_count() or 1

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self.index.set_ef(params["ef"])

    def _apply_threads(self, n_threads: int) -> None:
        if self.is_built:
            self.index.set_num_threads(n_threads)

    def live_items(self) -> int:
        return self.live

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        # hnswlib raises rather than pad when fewer than k items exist; ask for what exists and pad.
        labels, distances = self._knn(queries, min(k, self.live_items()), self.num_threads)
        return SearchResult(pad_ids(labels, k), pad_distances(distances, k))

    def _search_one(self, query: np.ndarray, k: int) -> SearchResult:
        # One thread: with more, hnswlib would start threads for this single row.
        labels, distances = self._knn(query.reshape(1, -1), min(k, self.live_items()), 1)
        return SearchResult(pad_ids(labels[0], k), pad_distances(distances[0], k))

    def _knn(
        self, queries: np.ndarray, k: int, threads: int, accept: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """knn_query; where hnswlib finds fewer than k for a query (a large k, a sparse filter) it
        raises for the whole batch, so those rows are asked again alone for the most it can return."""
        try:
            return self.index.knn_query(queries, k=k, num_threads=threads, filter=accept)
        except RuntimeError as exc:
            if "contiguous 2D array" not in str(exc):
                raise
        labels = np.full((queries.shape[0], k), -1, dtype=np.int64)
        distances = np.full((queries.shape[0], k), np.inf, dtype=np.float32)
        for row, query in enumerate(queries):
            low, high = 0, k  # the largest count hnswlib can return lies in [low, high]
            found: tuple[np.ndarray, np.ndarray] | None = None
            while low < high:
                middle = (low + high + 1) // 2
                try:
                    found = self.index.knn_query(query[None, :], k=middle, num_threads=1, filter=accept)
                    low = middle
                except RuntimeError:
                    high = middle - 1
            if found is not None:  # the last success asked for exactly ``low``
                labels[row, :low], distances[row, :low] = found[0][0], found[1][0]
        return labels, distances

    def filter_handle(self, allowed: np.ndarray, excluded: np.ndarray | None = None) -> HnswlibFilter:
        self._require_built()
        if self.deleted:  # deletions change between calls: encode a fresh copy without them
            mask = np.array(allowed, dtype=bool)
            gone = np.fromiter(self.deleted, dtype=np.int64)
            mask[gone[gone < mask.shape[0]]] = False
            return HnswlibFilter(HnswlibMask(mask), excluded)
        cached = self._shared_mask
        if cached is None or cached[0] is not allowed:
            cached = self._shared_mask = (allowed, HnswlibMask(np.asarray(allowed, dtype=bool)))
        return HnswlibFilter(cached[1], excluded)

    def search_filtered(self, queries: np.ndarray, k: int, handle: HnswlibFilter) -> SearchResult:
        return self._filtered(queries, k, handle, self.num_threads)

    def search_one_filtered(self, query: np.ndarray, k: int, handle: HnswlibFilter) -> SearchResult:
        result = self._filtered(query.reshape(1, -1), k, handle, 1)
        return SearchResult(result.ids[0], result.distances[0])

    def _filtered(self, queries: np.ndarray, k: int, handle: HnswlibFilter, threads: int) -> SearchResult:
        # hnswlib raises rather than pad when fewer than k items pass: ask for what can be found.
        wanted = min(k, handle.count)
        if wanted == 0:
            n = queries.shape[0]
            return SearchResult(np.full((n, k), -1, np.int64), np.full((n, k), np.inf, np.float32))
        labels, distances = self._knn(queries, wanted, threads, handle.accept)
        return SearchResult(pad_ids(labels, k), pad_distances(distances, k))

    def add(self, vectors: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        """Insert under new labels; slots of deleted items are reused before the graph grows."""
        self._require_built()
        prepared = self.prepare_vectors(np.asarray(vectors).reshape(-1, self.dim))
        n = prepared.shape[0]
        ids = np.arange(self.n_items, self.n_items + n, dtype=np.int64) if ids is None else labels(ids, n)
        if n == 0:
            return ids
        taken = self.deleted.intersection(ids.tolist())
        if taken:
            raise ValueError(
                f"{self.name}: ids {sorted(taken)[:5]} belonged to deleted items; add under new ids"
            )
        grow = max(0, n - self.vacant)
        needed = self.index.get_current_count() + grow
        if needed > self.index.get_max_elements():
            self.index.resize_index(max(needed, self.index.get_max_elements() * 5 // 4))
        self.index.add_items(prepared, ids, num_threads=self.build_threads(), replace_deleted=True)
        self.vacant -= n - grow
        self.live += n
        self.n_items = max(self.n_items, int(ids.max()) + 1)
        return ids

    def delete(self, ids: np.ndarray) -> None:
        """Mark items deleted: they stay in the graph for routing but are never returned."""
        self._require_built()
        ids = np.unique(np.asarray(ids, dtype=np.int64))
        bad = [i for i in ids.tolist() if i < 0 or i in self.deleted]
        if bad:
            raise ValueError(f"{self.name}: cannot delete unknown or already deleted ids {bad[:5]}")
        for item in ids.tolist():
            try:
                self.index.mark_deleted(item)
            except RuntimeError:
                raise ValueError(f"{self.name}: cannot delete unknown id {item}") from None
            self.deleted.add(item)
            self.vacant += 1
            self.live -= 1

    def replace(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """New vectors for live labels, updated in place (the graph links around them are repaired)."""
        self._require_built()
        prepared = self.prepare_vectors(np.asarray(vectors).reshape(-1, self.dim))
        ids = labels(ids, prepared.shape[0])
        gone = [i for i in ids.tolist() if i in self.deleted]
        if gone:
            raise ValueError(f"{self.name}: cannot replace deleted ids {gone[:5]}")
        # replace_deleted=False: with True, hnswlib would move a live label into a vacant slot and
        # leave its old slot returning the same label.
        self.index.add_items(prepared, ids, num_threads=self.build_threads(), replace_deleted=False)

    def index_bytes(self) -> int | None:
        """The size hnswlib's save_index would write, which it computes without writing."""
        return int(self.index.index_file_size())


def labels(ids: np.ndarray, n: int) -> np.ndarray:
    """Caller-given ids as int64 labels, one per vector."""
    out = np.asarray(ids, dtype=np.int64).reshape(-1)
    if out.shape[0] != n:
        raise ValueError(f"hnswlib: {out.shape[0]} ids for {n} vectors")
    if out.size and out.min() < 0:
        raise ValueError("hnswlib: ids must be non-negative")
    return out


def pad_distances(distances: np.ndarray, k: int) -> np.ndarray:
    """Right-pad distances with +inf to k columns, matching -1 id pads."""
    distances = np.asarray(distances, dtype=np.float32)
    missing = k - distances.shape[-1]
    if missing <= 0:
        return distances
    return np.concatenate([distances, np.full((*distances.shape[:-1], missing), np.inf, np.float32)], axis=-1)


class HnswlibMask:
    """A mask as bytes, shared by every handle built from it (one per query for per-query filters)."""

    def __init__(self, mask: np.ndarray) -> None:
        self.count = int(mask.sum())
        self.allowed = mask.astype(np.uint8).tobytes()


class HnswlibFilter:
    """hnswlib's filter is a Python callable on every visited label: a bytes lookup in the shared
    mask, and for a per-query exclusion a set lookup, so a handle costs its excluded ids, not n."""

    def __init__(self, mask: HnswlibMask, excluded: np.ndarray | None = None) -> None:
        self.mask = mask
        allowed = mask.allowed
        skip = frozenset(int(i) for i in ([] if excluded is None else excluded.tolist()) if allowed[i] == 1)
        self.count = mask.count - len(skip)
        if skip:

            def accept(label: int) -> bool:
                return allowed[label] == 1 and label not in skip

        else:

            def accept(label: int) -> bool:
                return allowed[label] == 1

        self.accept = accept
