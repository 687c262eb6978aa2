"""faiss's quantized indexes: scalar quantizers and RaBitQ on IVF and HNSW, PQ FastScan, binary HNSW.

Each adapter's name says its codec. Every one can keep the full vectors beside the codes
(``refine: true``, faiss's IndexRefineFlat) and re-rank ``k * k_factor`` candidates exactly, with
``k_factor`` a query parameter so one build serves every re-ranking depth. Bytes per vector come
from the serialized index (codes, graph or lists, and the refine vectors when kept).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import faiss
import numpy as np

from vecbench.errors import ConfigError
from vecbench.indexes.base import (
    Capabilities,
    ConformanceGrid,
    IndexAdapter,
    Metric,
    ParamSpec,
    SearchResult,
    pad_ids,
)
from vecbench.indexes.faiss_base import FaissAdapter, faiss_metric, serialized_bytes
from vecbench.indexes.faiss_indexes import NLIST, NPROBE, check_nlist, divisors

SQ_CODECS = {"sq8": "SQ8", "sq6": "SQ6", "sq4": "SQ4", "fp16": "SQfp16", "bf16": "SQbf16"}
REFINE = ParamSpec(bool, False, "keep the full vectors and re-rank k * k_factor candidates exactly")
K_FACTOR = ParamSpec(
    float, 1.0, "candidates re-ranked per result, as a multiple of k (refine only)", minimum=1
)
PQ4_CENTROIDS = 16  # FastScan codes are 4 bits per sub-quantizer
HNSW_M = ParamSpec(int, 32, "graph neighbours per node (layer 0 keeps 2*M)", minimum=2)
EF_CONSTRUCTION = ParamSpec(int, 40, "candidate list size while inserting", minimum=1)
EF_SEARCH = ParamSpec(int, 16, "candidate list size per query (at least k * k_factor is searched)", minimum=1)


def check_k_factor(adapter: IndexAdapter, params: Mapping[str, Any]) -> None:
    """k_factor without refine would silently do nothing: refuse it."""
    if not adapter.build_params["refine"] and params["k_factor"] != 1.0:
        raise ConfigError(
            f"{adapter.name}: k_factor={params['k_factor']:g} only applies with refine: true; "
            "set refine: true or drop k_factor"
        )


class FaissFactoryAdapter(FaissAdapter):
    """A faiss index made from an index_factory string, optionally inside IndexRefineFlat."""

    # faiss's RaBitQ on HNSW supports only L2; angular runs as L2 over normalised vectors there.
    l2_only: ClassVar[bool] = False
    inner: Any

    @abc.abstractmethod
    def factory(self, dim: int) -> str:
        """The index_factory description of the codec and its structure."""

    def filter_handle(self, allowed: np.ndarray, excluded: np.ndarray | None = None) -> Any:
        """No native filtering declared (selectors are not wired through the codecs and refine)."""
        return IndexAdapter.filter_handle(self, allowed, excluded)

    def faiss_metric_type(self) -> int:
        return faiss.METRIC_L2 if self.l2_only else faiss_metric(self.metric)

    def _configure(self, inner: Any) -> None:
        """Build-time settings applied before training and adding (efConstruction)."""

    def check_query_params(self, params: Mapping[str, Any]) -> None:
        check_k_factor(self, params)

    def _build(self, data: np.ndarray) -> None:
        self.inner = faiss.index_factory(data.shape[1], self.factory(data.shape[1]), self.faiss_metric_type())
        self._configure(self.inner)
        self.index = faiss.IndexRefineFlat(self.inner) if self.build_params["refine"] else self.inner
        self.index.train(data)
        self.index.add(data)

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self._apply_effort(params)
        if self.build_params["refine"]:
            self.index.k_factor = params["k_factor"]

    @abc.abstractmethod
    def _apply_effort(self, params: Mapping[str, Any]) -> None:
        """Push the structure's own query parameter (efSearch, nprobe)."""


class _HNSWCodec(FaissFactoryAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric), add=True, thread_control=True, thread_safe=True, effort_param="ef_search"
    )
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {"ef_search": EF_SEARCH, "k_factor": K_FACTOR}

    def _configure(self, inner: Any) -> None:
        inner.hnsw.efConstruction = self.build_params["ef_construction"]

    def _apply_effort(self, params: Mapping[str, Any]) -> None:
        self.inner.hnsw.efSearch = params["ef_search"]


class _IVFCodec(FaissFactoryAdapter):
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric), add=True, thread_control=True, thread_safe=True, effort_param="nprobe"
    )
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {"nprobe": NPROBE, "k_factor": K_FACTOR}

    def check_data(self, n_items: int, dim: int) -> None:
        check_nlist(self.name, self.build_params["nlist"], n_items)

    def _apply_effort(self, params: Mapping[str, Any]) -> None:
        faiss.extract_index_ivf(self.inner).nprobe = params["nprobe"]


SQ_QTYPE = ParamSpec(str, "sq8", "scalar codec: sq8, sq6, sq4 (bits per dimension), fp16 or bf16",
                     choices=tuple(SQ_CODECS))  # fmt: skip


class FaissHNSWSQAdapter(_HNSWCodec):
    """HNSW over scalar-quantized vectors (IndexHNSWSQ): SQ8/SQ6/SQ4, fp16 or bf16 per dimension."""

    name: ClassVar[str] = "faiss-hnsw-sq"
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "M": HNSW_M, "ef_construction": EF_CONSTRUCTION, "qtype": SQ_QTYPE, "refine": REFINE,
    }  # fmt: skip
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"M": 16, "ef_construction": 40, "qtype": "sq8"},
        thorough={"ef_search": 400},
        effort=(10, 40, 160, 640),
        tiny_build={"M": 4},
    )

    def factory(self, dim: int) -> str:
        return f"HNSW{self.build_params['M']},{SQ_CODECS[self.build_params['qtype']]}"


class FaissIVFSQAdapter(_IVFCodec):
    """IVF lists of scalar-quantized vectors (IndexIVFScalarQuantizer)."""

    name: ClassVar[str] = "faiss-ivf-sq"
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "nlist": NLIST,
        "qtype": SQ_QTYPE,
        "refine": REFINE,
    }
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"nlist": 16, "qtype": "sq8"},
        thorough={"nprobe": 16},
        effort=(1, 2, 4, 16),
        tiny_build={"nlist": 2},
    )

    def factory(self, dim: int) -> str:
        return f"IVF{self.build_params['nlist']},{SQ_CODECS[self.build_params['qtype']]}"


RABITQ_BITS = ParamSpec(
    int, 1, "bits per dimension of the RaBitQ code (1: the original RaBitQ)", minimum=1, maximum=9
)


class FaissIVFRaBitQAdapter(_IVFCodec):
    """IVF lists of RaBitQ codes (1-bit or multi-bit), optionally with the FastScan kernels."""

    name: ClassVar[str] = "faiss-ivf-rabitq"
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "nlist": NLIST,
        "nbits": RABITQ_BITS,
        "fastscan": ParamSpec(bool, False, "FastScan (SIMD lookup-table) distance kernels"),
        "refine": REFINE,
    }
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"nlist": 16, "nbits": 4, "refine": True},
        thorough={"nprobe": 16, "k_factor": 10},
        effort=(1, 2, 4, 16),
        tiny_build={"nlist": 1, "refine": True},
    )

    def factory(self, dim: int) -> str:
        nbits = self.build_params["nbits"]
        codec = "RaBitQfs" if self.build_params["fastscan"] else "RaBitQ"
        return f"IVF{self.build_params['nlist']},{codec}{nbits if nbits > 1 else ''}"


class FaissHNSWRaBitQAdapter(_HNSWCodec):
    """HNSW over 1-bit RaBitQ codes (faiss supports L2 only: angular runs on normalised vectors)."""

    name: ClassVar[str] = "faiss-hnsw-rabitq"
    l2_only: ClassVar[bool] = True
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset({Metric.EUCLIDEAN, Metric.ANGULAR}),
        add=True,
        thread_control=True,
        thread_safe=True,
        effort_param="ef_search",
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "M": HNSW_M, "ef_construction": EF_CONSTRUCTION, "refine": REFINE,
    }  # fmt: skip
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"M": 16, "ef_construction": 40, "refine": True},
        thorough={"ef_search": 400, "k_factor": 10},
        effort=(10, 40, 160, 640),
        tiny_build={"M": 4, "refine": True},
    )

    def factory(self, dim: int) -> str:
        return f"HNSW{self.build_params['M']}_RaBitQ"


class FaissIVFPQFastScanAdapter(_IVFCodec):
    """IVF lists of 4-bit PQ codes searched with the FastScan SIMD kernels (IndexIVFPQFastScan)."""

    name: ClassVar[str] = "faiss-ivf-pqfs"
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "nlist": NLIST,
        "m": ParamSpec(int, 0, "4-bit sub-quantizers; must divide the dimension (0: dim/2)", minimum=0),
        "refine": REFINE,
    }
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"nlist": 16, "m": 8, "refine": True},
        thorough={"nprobe": 16, "k_factor": 10},
        effort=(1, 2, 4, 16),
        tiny_build={"nlist": 1, "m": 4, "refine": True},
    )

    def sub_quantizers(self, dim: int) -> int:
        return int(self.build_params["m"]) or max(1, dim // 2)

    def check_data(self, n_items: int, dim: int) -> None:
        super().check_data(n_items, dim)
        if n_items < PQ4_CENTROIDS:
            raise ConfigError(
                f"{self.name}: 4-bit PQ trains {PQ4_CENTROIDS} centroids per sub-quantizer from only "
                f"{n_items} items; index at least {PQ4_CENTROIDS} items or use faiss-ivfpq with nbits <= "
                f"{max(1, n_items.bit_length() - 1)}"
            )
        m = self.sub_quantizers(dim)
        if dim % m:
            raise ConfigError(
                f"{self.name}: m={m} does not divide the dimension {dim}; use one of {divisors(dim)}"
            )

    def factory(self, dim: int) -> str:
        return f"IVF{self.build_params['nlist']},PQ{self.sub_quantizers(dim)}x4fs"


def exact_rerank(
    data: np.ndarray, queries: np.ndarray, candidates: np.ndarray, k: int, inner_product: bool
) -> SearchResult:
    """The k nearest of each query's candidate ids by exact float32 distance (-1 candidates dropped)."""
    ids = np.full((len(queries), k), -1, dtype=np.int64)
    dists = np.full((len(queries), k), np.inf, dtype=np.float32)
    for row, (query, cand) in enumerate(zip(queries, candidates, strict=True)):
        cand = cand[cand >= 0]
        if cand.size == 0:
            continue
        vectors = data[cand]
        if inner_product:
            d = -(vectors @ query)
        else:
            diff = vectors - query
            d = np.einsum("ij,ij->i", diff, diff)
        order = np.argsort(d, kind="stable")[:k]
        ids[row, : order.size] = cand[order]
        dists[row, : order.size] = d[order]
    return SearchResult(ids, dists)


class FaissBinaryHNSWAdapter(IndexAdapter):
    """HNSW over the sign bits of the centred vectors (IndexBinaryHNSW, Hamming distance): d bits a
    vector. ``refine`` keeps the float vectors and re-ranks ``k * k_factor`` candidates exactly."""

    name: ClassVar[str] = "faiss-binary-hnsw"
    libraries: ClassVar[tuple[str, ...]] = ("faiss-cpu",)
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric), thread_control=True, thread_safe=True, effort_param="ef_search"
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "M": HNSW_M, "ef_construction": EF_CONSTRUCTION,
        "refine": ParamSpec(bool, True, "keep the float vectors and re-rank k * k_factor candidates exactly"),
    }  # fmt: skip
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "ef_search": EF_SEARCH,
        "k_factor": ParamSpec(float, 1.0, "Hamming candidates per result, as a multiple of k", minimum=1),
    }
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"M": 16, "ef_construction": 40},
        thorough={"ef_search": 800, "k_factor": 40},
        effort=(10, 40, 160, 640),
        tiny_build={"M": 4},
    )
    index: Any
    center: np.ndarray
    vectors: np.ndarray | None = None

    def check_query_params(self, params: Mapping[str, Any]) -> None:
        check_k_factor(self, params)

    def bits(self, vectors: np.ndarray) -> np.ndarray:
        return np.packbits(vectors > self.center, axis=1)

    def _build(self, data: np.ndarray) -> None:
        self.center = data.mean(axis=0).astype(np.float32)
        codes = self.bits(data)
        self.index = faiss.IndexBinaryHNSW(codes.shape[1] * 8, self.build_params["M"])
        self.index.hnsw.efConstruction = self.build_params["ef_construction"]
        self.index.add(codes)
        self.vectors = data.copy() if self.build_params["refine"] else None

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self.index.hnsw.efSearch = params["ef_search"]

    def _apply_threads(self, n_threads: int) -> None:
        faiss.omp_set_num_threads(n_threads)

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        depth = min(self.n_items, max(k, math.ceil(k * self.query_params["k_factor"])))
        if self.vectors is not None:
            self.index.hnsw.efSearch = max(self.query_params["ef_search"], depth)
        distances, ids = self.index.search(self.bits(queries), depth)
        if self.vectors is None:
            return SearchResult(pad_ids(ids, k), distances[:, :k].astype(np.float32))
        return exact_rerank(self.vectors, queries, ids, k, self.metric is not Metric.EUCLIDEAN)

    def index_bytes(self) -> int | None:
        extra = self.vectors.nbytes if self.vectors is not None else 0
        return int(faiss.serialize_index_binary(self.index).nbytes) + int(extra) + self.center.nbytes


__all__ = [
    "FaissBinaryHNSWAdapter",
    "FaissHNSWRaBitQAdapter",
    "FaissHNSWSQAdapter",
    "FaissIVFPQFastScanAdapter",
    "FaissIVFRaBitQAdapter",
    "FaissIVFSQAdapter",
    "serialized_bytes",
]
