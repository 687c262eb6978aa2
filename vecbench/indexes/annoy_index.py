"""Spotify's annoy: a forest of random-projection trees, searched one query at a time.

annoy handles angular natively, so vectors are not normalised here; its angular distance is
sqrt(2 - 2 cos), the euclidean distance between the normalised vectors (same order as cosine). For
'dot' it returns the dot product itself, larger being nearer. The harness recomputes distances anyway.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from annoy import AnnoyIndex

from vecbench.indexes.base import Capabilities, ConformanceGrid, IndexAdapter, Metric, ParamSpec, SearchResult

ANNOY_METRICS: dict[Metric, Literal["euclidean", "angular", "dot"]] = {
    Metric.EUCLIDEAN: "euclidean",
    Metric.ANGULAR: "angular",
    Metric.INNER_PRODUCT: "dot",
}


class AnnoyAdapter(IndexAdapter):
    """annoy.AnnoyIndex. Immutable once built, and single-threaded at query time."""

    name: ClassVar[str] = "annoy"
    # A built forest is only read by searches, so several threads may search it at once.
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric), thread_safe=True, releases_gil=True, effort_param="search_k"
    )
    libraries: ClassVar[tuple[str, ...]] = ("annoy",)
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"n_trees": 10},
        thorough={"search_k": 100_000},
        effort=(10, 100, 1000, 10_000),
        tiny_build={"n_trees": 2},
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "n_trees": ParamSpec(int, 100, "trees in the forest: more is more accurate and larger", minimum=1),
        "seed": ParamSpec(
            int, 42, "annoy's random seed; the trees depend on it and on build_threads", minimum=0
        ),
        "build_threads": ParamSpec(int, 0, "threads building trees (0: all CPUs)", minimum=0),
    }
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "search_k": ParamSpec(
            int, -1, "tree nodes inspected per query (-1: annoy's n_trees * k)", minimum=-1
        ),
    }
    normalise_for_angular: ClassVar[bool] = False

    def _build(self, data: np.ndarray) -> None:
        p = self.build_params
        index = AnnoyIndex(data.shape[1], ANNOY_METRICS[self.metric])
        index.set_seed(p["seed"])
        for item, vector in enumerate(data):
            index.add_item(item, vector)
        index.build(p["n_trees"], n_jobs=p["build_threads"] or -1)
        self.index = index
        self.size: int | None = None

    def index_bytes(self) -> int | None:
        """Size of annoy's saved file, learned once by saving to a temporary file.

        annoy's ``save`` always re-opens the index memory-mapped from the file it wrote (its usual
        deployment mode); loading with prefault keeps the pages resident, so searches afterwards run
        as fast as before. The runner asks right after ``build``, so every timed search sees the
        same mapping. The file is unlinked at once; on POSIX the mapping outlives it.
        """
        if self.size is None:
            with tempfile.TemporaryDirectory(prefix="vecbench-annoy-", ignore_cleanup_errors=True) as tmp:
                path = os.path.join(tmp, "index.ann")
                self.index.save(path, prefault=True)
                self.size = os.path.getsize(path)
        return self.size

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self.search_k = int(params["search_k"])

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        # annoy has no batch call: a tight loop over rows, filling preallocated arrays.
        ids = np.full((queries.shape[0], k), -1, dtype=np.int64)
        distances = np.full((queries.shape[0], k), np.inf, dtype=np.float32)
        search, search_k = self.index.get_nns_by_vector, self.search_k
        for row, query in enumerate(queries):
            found, dist = search(query, k, search_k, True)
            ids[row, : len(found)] = found
            distances[row, : len(dist)] = dist
        return SearchResult(ids, distances)

    def _search_one(self, query: np.ndarray, k: int) -> SearchResult:
        found, dist = self.index.get_nns_by_vector(query, k, self.search_k, True)
        ids = np.full(k, -1, dtype=np.int64)
        distances = np.full(k, np.inf, dtype=np.float32)
        ids[: len(found)] = found
        distances[: len(dist)] = dist
        return SearchResult(ids, distances)
