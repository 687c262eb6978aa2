"""usearch's HNSW with quantized storage: f32, f16, bf16, i8, or b1 (sign bits, Hamming distance).

The second library of the quantization comparison. ``dtype`` is the codec; ``refine`` keeps the
float vectors and re-ranks ``k * k_factor`` candidates exactly (b1 has no float distances of its
own, so it is most useful with refine). Bytes come from the serialized index (``Index.save()``),
plus the refine vectors when kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from usearch.index import BatchMatches, Index

from vecbench.indexes.base import Capabilities, ConformanceGrid, IndexAdapter, Metric, ParamSpec, SearchResult
from vecbench.indexes.faiss_quantized import check_k_factor, exact_rerank

DTYPES = ("f32", "f16", "bf16", "i8", "b1")
# Angular runs as cosine and inner product as ip; vectors arrive normalised for angular.
METRICS = {Metric.EUCLIDEAN: "l2sq", Metric.ANGULAR: "cos", Metric.INNER_PRODUCT: "ip"}


class UsearchAdapter(IndexAdapter):
    """usearch HNSW; ``dtype`` chooses the stored codec."""

    name: ClassVar[str] = "usearch"
    libraries: ClassVar[tuple[str, ...]] = ("usearch",)
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric), thread_control=True, thread_safe=True, effort_param="ef_search"
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "dtype": ParamSpec(str, "f16", "stored codec: f32, f16, bf16, i8 or b1 (sign bits)", choices=DTYPES),
        "M": ParamSpec(int, 16, "graph neighbours per node (usearch's connectivity)", minimum=2),
        "ef_construction": ParamSpec(
            int, 128, "candidate list size while inserting (expansion_add)", minimum=1
        ),
        "refine": ParamSpec(
            bool, False, "keep the float vectors and re-rank k * k_factor candidates exactly"
        ),
    }
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "ef_search": ParamSpec(int, 64, "candidate list size per query (expansion_search)", minimum=1),
        "k_factor": ParamSpec(
            float, 1.0, "candidates re-ranked per result, as a multiple of k (refine only)", minimum=1
        ),
    }
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"dtype": "i8", "M": 16, "ef_construction": 64, "refine": True},
        thorough={"ef_search": 400, "k_factor": 10},
        effort=(10, 40, 160, 640),
        tiny_build={"M": 4, "refine": True},
    )
    index: Any
    center: np.ndarray
    vectors: np.ndarray | None = None

    def check_query_params(self, params: Mapping[str, Any]) -> None:
        check_k_factor(self, params)

    def _codes(self, vectors: np.ndarray) -> np.ndarray:
        """What usearch stores: floats, or for b1 the packed sign bits of the centred vectors."""
        if self.build_params["dtype"] == "b1":
            return np.packbits(vectors > self.center, axis=1)
        return vectors

    def _build(self, data: np.ndarray) -> None:
        p = self.build_params
        binary = p["dtype"] == "b1"
        self.center = data.mean(axis=0).astype(np.float32)
        self.index = Index(
            ndim=math.ceil(data.shape[1] / 8) * 8 if binary else data.shape[1],
            metric="hamming" if binary else METRICS[self.metric],
            dtype=p["dtype"],
            connectivity=p["M"],
            expansion_add=p["ef_construction"],
        )
        self.index.add(np.arange(data.shape[0], dtype=np.uint64), self._codes(data), threads=self.num_threads)
        self.vectors = data.copy() if p["refine"] else None

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self.index.expansion_search = params["ef_search"]

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        depth = min(self.n_items, max(k, math.ceil(k * self.query_params["k_factor"])))
        if self.vectors is not None:
            self.index.expansion_search = max(self.query_params["ef_search"], depth)
        matches = self.index.search(self._codes(queries), depth, threads=self.num_threads)
        keys = np.asarray(matches.keys, dtype=np.int64).reshape(len(queries), -1)
        distances = np.asarray(matches.distances, dtype=np.float32).reshape(len(queries), -1)
        # one query comes back as Matches (exactly its hits), several as BatchMatches (padded, counted)
        counts = (
            np.asarray(matches.counts).reshape(-1)
            if isinstance(matches, BatchMatches)
            else np.array([keys.shape[1]])
        )
        found = np.arange(keys.shape[1])[None, :] < counts[:, None]
        keys = np.where(found, keys, -1)
        if self.vectors is not None:
            return exact_rerank(self.vectors, queries, keys, k, self.metric is not Metric.EUCLIDEAN)
        width = min(k, keys.shape[1])
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        dists = np.full((len(queries), k), np.inf, dtype=np.float32)
        ids[:, :width], dists[:, :width] = keys[:, :width], np.where(found, distances, np.inf)[:, :width]
        return SearchResult(ids, dists)

    def index_bytes(self) -> int | None:
        extra = self.vectors.nbytes if self.vectors is not None else 0
        return len(self.index.save()) + int(extra)
