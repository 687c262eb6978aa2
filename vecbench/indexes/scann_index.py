"""Google's ScaNN: k-means partitions, anisotropic product quantisation, optional exact re-ordering.

Threads: ``search_batched`` runs on the calling thread only. ``search_batched_parallel`` adds a
pool of ``set_num_threads(n)`` workers *beside* the calling thread (measured: n + 1 busy threads), so
n threads in total needs a pool of n - 1, and ``set_num_threads(0)`` crashes the process (ScaNN
1.4.2). One thread therefore means ``search_batched``, never the parallel call.

Distances come back as ScaNN reports them: squared L2 for euclidean, the dot product (larger is
nearer) for inner product and angular. Where fewer than k neighbours are found, batched searches pad
with id 0 and a NaN distance and single searches return shorter arrays; both become -1 pads here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import scann

from vecbench.errors import ConfigError
from vecbench.indexes.base import Capabilities, ConformanceGrid, IndexAdapter, Metric, ParamSpec, SearchResult

SCANN_METRICS = {
    Metric.EUCLIDEAN: "squared_l2",
    Metric.INNER_PRODUCT: "dot_product",
    Metric.ANGULAR: "dot_product",
}
# Queries per search_batched call: what search_batched_parallel hands each thread.
CHUNK = 256
# score_ah's default hash ("lut16") trains 16 centroids per block: fewer items cannot train it.
AH_CENTROIDS = 16


class ScannAdapter(IndexAdapter):
    """ScaNN tree + asymmetric hashing (+ re-ordering), the configuration its authors recommend."""

    name: ClassVar[str] = "scann"
    # thread_safe stays False: ScaNN documents no guarantee for searches from several threads at once.
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric), thread_control=True, effort_param="leaves_to_search"
    )
    libraries: ClassVar[tuple[str, ...]] = ("scann",)
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"num_leaves": 20},
        thorough={"leaves_to_search": 20},
        effort=(1, 2, 5, 20),
        tiny_build={"num_leaves": 2},
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "num_leaves": ParamSpec(int, 1000, "k-means partitions; about sqrt(n) is usual", minimum=1),
        "dims_per_block": ParamSpec(int, 2, "dimensions per quantisation block", minimum=1),
        "anisotropic_threshold": ParamSpec(float, 0.2, "anisotropic quantisation threshold (eta)"),
        "reorder": ParamSpec(bool, True, "re-score reorder_k candidates with exact distances"),
        "training_sample_size": ParamSpec(int, 0, "items sampled to train (0: all)", minimum=0),
        "spherical": ParamSpec(
            bool, False, "spherical k-means for the tree (unit-norm centroids)", keyed_only_if_set=True
        ),
        "quantize_centroids": ParamSpec(
            bool, False, "score the tree's centroids with int8 codes", keyed_only_if_set=True
        ),
    }
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "leaves_to_search": ParamSpec(int, 10, "partitions scanned per query", minimum=1),
        "reorder_k": ParamSpec(
            int, 100, "candidates re-ordered exactly (reorder only; must be >= k)", minimum=1
        ),
    }

    def check_data(self, n_items: int, dim: int) -> None:
        p = self.build_params
        if p["num_leaves"] > n_items:
            raise ConfigError(
                f"{self.name}: num_leaves={p['num_leaves']} exceeds the {n_items} items to index; "
                f"set num_leaves <= {n_items} (about sqrt(n) = {max(1, round(n_items**0.5))} is usual)"
            )
        if n_items < AH_CENTROIDS:
            raise ConfigError(
                f"{self.name}: needs at least {AH_CENTROIDS} items to train its quantiser, got {n_items}; "
                "use the exact adapter for so few"
            )
        if p["dims_per_block"] > dim:
            raise ConfigError(
                f"{self.name}: dims_per_block={p['dims_per_block']} exceeds the dimension {dim}"
            )

    def _build(self, data: np.ndarray) -> None:
        p = self.build_params
        sample = min(p["training_sample_size"] or data.shape[0], data.shape[0])
        builder = (
            scann.scann_ops_pybind.builder(data, 10, SCANN_METRICS[self.metric])
            .tree(
                num_leaves=p["num_leaves"],
                num_leaves_to_search=1,
                training_sample_size=sample,
                spherical=p["spherical"],
                quantize_centroids=p["quantize_centroids"],
            )
            .score_ah(
                p["dims_per_block"],
                anisotropic_quantization_threshold=p["anisotropic_threshold"],
                training_sample_size=sample,
            )
        )
        if p["reorder"]:
            builder = builder.reorder(self.query_params["reorder_k"])
        self.searcher = builder.build()
        self._apply_threads(self.num_threads)

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self.leaves = int(params["leaves_to_search"])
        self.reorder_k = int(params["reorder_k"])

    def _apply_threads(self, n_threads: int) -> None:
        # Resizing restarts ScaNN's pool: done here, never inside a timed search.
        if self.is_built and n_threads > 1:
            self.searcher.set_num_threads(n_threads - 1)

    def check_k(self, k: int) -> None:
        # ScaNN returns at most reorder_k neighbours when re-ordering: refuse rather than pad silently.
        if self.build_params["reorder"] and self.reorder_k < k:
            raise ConfigError(f"{self.name}: reorder_k={self.reorder_k} is below k={k}; set reorder_k >= {k}")

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        self.check_k(k)
        if self.num_threads > 1:
            ids, distances = self.searcher.search_batched_parallel(
                queries, k, self.reorder_k, self.leaves, batch_size=CHUNK
            )
            return to_result(ids, distances, k)
        # One thread: search_batched, in the same chunks the parallel path gives each thread. One
        # call over a large batch took about twice the CPU time of 256-query chunks (ScaNN 1.4.2).
        ids = np.empty((queries.shape[0], k), dtype=np.uint32)
        distances = np.empty((queries.shape[0], k), dtype=np.float32)
        for start in range(0, queries.shape[0], CHUNK):
            stop = start + CHUNK
            ids[start:stop], distances[start:stop] = self.searcher.search_batched(
                queries[start:stop], k, self.reorder_k, self.leaves
            )
        return to_result(ids, distances, k)

    def _search_one(self, query: np.ndarray, k: int) -> SearchResult:
        self.check_k(k)
        ids, distances = self.search_one_raw(query, k)
        return to_result(ids, distances, k)

    def search_one_raw(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """ScaNN's own (uint32 ids, distances), unconverted: the -1 padding and int64 ids of
        ``to_result`` cost about 5 us per call, which latency must not charge to ScaNN. k is checked
        by the batch search that precedes every timed loop."""
        return self.searcher.search(
            query, final_num_neighbors=k, pre_reorder_num_neighbors=self.reorder_k, leaves_to_search=self.leaves
        )

    def index_bytes(self) -> int | None:
        """Bytes of ScaNN's serialised assets (partitioner, codebook, codes, re-ordering vectors)."""
        with tempfile.TemporaryDirectory(prefix="vecbench-scann-") as tmp:
            self.searcher.serialize(tmp)
            return sum(entry.stat().st_size for entry in os.scandir(tmp) if entry.is_file())


def to_result(ids: np.ndarray, distances: np.ndarray, k: int) -> SearchResult:
    """int64 ids padded with -1 (distance +inf) to k columns.

    Batched searches pad short rows with id 0 and a NaN distance (0 is a real id, so the NaN is the
    only sign); single searches return shorter arrays.
    """
    shape, found = (*ids.shape[:-1], k), ids.shape[-1]
    out_ids = np.full(shape, -1, dtype=np.int64)
    out_distances = np.full(shape, np.inf, dtype=np.float32)
    padded = np.isnan(distances)
    out_ids[..., :found] = np.where(padded, -1, ids.astype(np.int64))
    out_distances[..., :found] = np.where(padded, np.inf, distances)
    return SearchResult(out_ids, out_distances)
