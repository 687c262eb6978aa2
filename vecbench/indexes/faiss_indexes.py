"""faiss's approximate indexes: HNSW, IVF-Flat and IVF-PQ (with optional exact re-ranking).

Query parameters are set as attributes on the built index (``hnsw.efSearch``, ``nprobe``,
``k_factor``) so that a timed search is one plain ``index.search`` call, as fast as a bare faiss loop.
Angular and inner product both run as faiss inner product; angular vectors arrive normalised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import faiss
import numpy as np

from vecbench.core.errors import UnsupportedError
from vecbench.errors import ConfigError
from vecbench.indexes.base import (
    Capabilities,
    ConformanceGrid,
    Metric,
    ParamSpec,
    resolve_params,
)
from vecbench.indexes.faiss_base import FaissAdapter, faiss_metric
from vecbench.indexes.faiss_filter import FAISS

NLIST = ParamSpec(int, 1024, "number of IVF lists (k-means centroids); about sqrt(n) is usual", minimum=1)
NPROBE = ParamSpec(int, 1, "IVF lists scanned per query (clamped to nlist by faiss)", minimum=1)
# faiss's CPU indexes are safe for concurrent searches (its wiki, "Threads and asynchronous calls").
IVF_CAPABILITIES = Capabilities(
    metrics=frozenset(Metric),
    add=True,
    delete=True,  # remove_ids over the inverted lists
    native_filter=True,
    thread_control=True,
    thread_safe=True,
    releases_gil=True,  # faiss's SWIG wrapper drops the GIL around search
    effort_param="nprobe",
)


def check_nlist(adapter: str, nlist: int, n_items: int) -> None:
    """k-means cannot train more centroids than there are points; say so before training starts."""
    if nlist > n_items:
        raise ConfigError(
            f"{adapter}: nlist={nlist} exceeds the {n_items} items to index; "
            f"set nlist <= {n_items} (about sqrt(n) = {max(1, round(n_items**0.5))} is usual)"
        )


def hnsw_stats() -> Any:
    """faiss's global HNSW search statistics (absent from its type stubs)."""
    cvar: Any = faiss.cvar
    return cvar.hnsw_stats


def ivf_stats() -> Any:
    """faiss's global IVF search statistics (absent from its type stubs)."""
    cvar: Any = faiss.cvar
    return cvar.indexIVF_stats


class FaissHNSWAdapter(FaissAdapter):
    """faiss's HNSW over flat (uncompressed) vectors."""

    name: ClassVar[str] = "faiss-hnsw"
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric),
        add=True,
        native_filter=True,
        thread_control=True,
        thread_safe=True,
        releases_gil=True,
        effort_param="ef_search",
    )
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"M": 16, "ef_construction": 40},
        thorough={"ef_search": 400},
        effort=(10, 40, 160, 640),
        tiny_build={"M": 4},
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "M": ParamSpec(int, 32, "graph neighbours per node (layer 0 keeps 2*M)", minimum=2),
        "ef_construction": ParamSpec(int, 40, "candidate list size while inserting", minimum=1),
    }
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "ef_search": ParamSpec(
            int, 16, "candidate list size per query (faiss uses max(ef_search, k))", minimum=1
        ),
    }

    def _build(self, data: np.ndarray) -> None:
        self.index = faiss.IndexHNSWFlat(data.shape[1], self.build_params["M"], faiss_metric(self.metric))
        self.index.hnsw.efConstruction = self.build_params["ef_construction"]
        self.index.add(data)

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self.index.hnsw.efSearch = params["ef_search"]

    def _search_params(self, selector: Any) -> Any:
        return FAISS.SearchParametersHNSW(sel=selector, efSearch=self.query_params["ef_search"])

    def distance_computations(self) -> int | None:
        return int(hnsw_stats().ndis)

    def reset_counters(self) -> None:
        hnsw_stats().reset()


class FaissIVFAdapter(FaissAdapter):
    """faiss IVF-Flat: k-means lists of full vectors, exact distances within the scanned lists."""

    name: ClassVar[str] = "faiss-ivf"
    capabilities: ClassVar[Capabilities] = IVF_CAPABILITIES
    own_ids: ClassVar[bool] = True
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {"nlist": NLIST}
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {"nprobe": NPROBE}
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"nlist": 16}, thorough={"nprobe": 16}, effort=(1, 2, 4, 16), tiny_build={"nlist": 2}
    )

    def check_data(self, n_items: int, dim: int) -> None:
        check_nlist(self.name, self.build_params["nlist"], n_items)

    def _build(self, data: np.ndarray) -> None:
        dim, metric = data.shape[1], faiss_metric(self.metric)
        self.index = faiss.IndexIVFFlat(faiss.IndexFlat(dim, metric), dim, self.build_params["nlist"], metric)
        self.index.train(data)
        self.index.add(data)

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self.index.nprobe = params["nprobe"]

    def _search_params(self, selector: Any) -> Any:
        return FAISS.SearchParametersIVF(sel=selector, nprobe=self.query_params["nprobe"])

    def distance_computations(self) -> int | None:
        """Distances to vectors in the scanned lists; the nlist coarse distances are not counted."""
        return int(ivf_stats().ndis)

    def reset_counters(self) -> None:
        ivf_stats().reset()


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


class FaissIVFPQAdapter(FaissAdapter):
    """faiss IVF-PQ, optionally wrapped in IndexRefineFlat to re-rank k * k_factor candidates exactly."""

    name: ClassVar[str] = "faiss-ivfpq"
    # With refine: true faiss's IndexRefineFlat has neither add_with_ids nor remove_ids; ids are
    # then positions in its flat store, added in order, and a delete removes the item from the IVF
    # lists (so it is never a candidate) while its full vector stays in the store until a rebuild.
    capabilities: ClassVar[Capabilities] = IVF_CAPABILITIES
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        # with exact re-ranking, so that thorough settings (all lists, 10k candidates) are near exact
        build={"nlist": 16, "m": 8, "nbits": 6, "refine": True},
        thorough={"nprobe": 16, "k_factor": 10},
        effort=(1, 2, 4, 16),
        tiny_build={"nlist": 1, "m": 4, "nbits": 2, "refine": True},
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "nlist": NLIST,
        "m": ParamSpec(
            int, 0, "sub-quantizers; must divide the dimension (0: dim/2 for even dims, else dim)", minimum=0
        ),
        "nbits": ParamSpec(
            int, 8, "bits per sub-quantizer code (2**nbits centroids each)", minimum=1, maximum=16
        ),
        "refine": ParamSpec(bool, False, "keep the full vectors and re-rank k * k_factor candidates exactly"),
    }
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "nprobe": NPROBE,
        "k_factor": ParamSpec(
            float, 1.0, "candidates re-ranked per result, as a multiple of k (refine only)", minimum=1
        ),
    }

    def sub_quantizers(self, dim: int) -> int:
        """The configured m, or the default of two dimensions per sub-quantizer where dim allows it."""
        m = int(self.build_params["m"])
        if m:
            return m
        return dim // 2 if dim % 2 == 0 else dim

    def check_data(self, n_items: int, dim: int) -> None:
        nlist, nbits = self.build_params["nlist"], self.build_params["nbits"]
        check_nlist(self.name, nlist, n_items)
        m = self.sub_quantizers(dim)
        if dim % m:
            raise ConfigError(
                f"{self.name}: m={m} does not divide the dimension {dim}; use one of {divisors(dim)}"
            )
        if n_items < 2**nbits:
            raise ConfigError(
                f"{self.name}: nbits={nbits} trains {2**nbits} centroids per sub-quantizer from only "
                f"{n_items} items; set nbits <= {n_items.bit_length() - 1}"
            )

    def set_query_params(self, **params: Any) -> None:
        """Reject k_factor without refine up front: without re-ranking it would silently do nothing."""
        resolved = resolve_params(self.name, self.query_param_specs, {**self.query_params, **params})
        if not self.build_params["refine"] and resolved["k_factor"] != 1.0:
            raise ConfigError(
                f"{self.name}: k_factor={resolved['k_factor']:g} only applies with refine: true; "
                "set refine: true or drop k_factor"
            )
        super().set_query_params(**params)

    def _build(self, data: np.ndarray) -> None:
        # Constructors, not index_factory: the factory switches on polysemous training for 8-bit codes,
        # which only serves Hamming pre-filtering (not exposed here) and dominates the build time.
        p, dim, metric = self.build_params, data.shape[1], faiss_metric(self.metric)
        quantizer = faiss.IndexFlat(dim, metric)
        self.ivf = faiss.IndexIVFPQ(quantizer, dim, p["nlist"], self.sub_quantizers(dim), p["nbits"], metric)
        self.index = faiss.IndexRefineFlat(self.ivf) if p["refine"] else self.ivf
        self.index.train(data)
        self.index.add(data)

    def takes_ids(self) -> bool:
        return not self.build_params["refine"]

    def add(self, vectors: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        if not self.build_params["refine"]:
            return super().add(vectors, ids)
        self._require_built()
        prepared = self.prepare_vectors(np.asarray(vectors).reshape(-1, self.dim))
        store = self.index.refine_index
        default = np.arange(store.ntotal, store.ntotal + prepared.shape[0], dtype=np.int64)
        if ids is not None and not np.array_equal(np.asarray(ids, dtype=np.int64).reshape(-1), default):
            raise UnsupportedError(
                f"{self.name}: with refine: true items are numbered in insertion order; add under "
                f"ids {store.ntotal}.. in order"
            )
        self.ivf.add_with_ids(prepared, default)
        store.add(prepared)
        self.index.ntotal = store.ntotal
        self.n_items = int(store.ntotal)
        return default

    def delete(self, ids: np.ndarray) -> None:
        """``remove_ids`` on the IVF lists (with refine the full vectors stay in the store)."""
        self._require_built()
        ids = np.unique(np.asarray(ids, dtype=np.int64))
        ivf: Any = self.ivf  # the stubs take only an IDSelector; faiss wraps an id array itself
        removed = int(ivf.remove_ids(ids))
        if removed != ids.shape[0]:
            raise ValueError(f"{self.name}: {ids.shape[0] - removed} of the ids to delete were not in the index")

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self.ivf.nprobe = params["nprobe"]
        if self.build_params["refine"]:
            self.index.k_factor = params["k_factor"]

    def _search_params(self, selector: Any) -> Any:
        ivf = FAISS.SearchParametersIVF(sel=selector, nprobe=self.query_params["nprobe"])
        if not self.build_params["refine"]:
            return ivf
        # The selector filters the IVF-PQ candidates; re-ranking only reorders what passed.
        return FAISS.IndexRefineSearchParameters(
            base_index_params=ivf, k_factor=self.query_params["k_factor"]
        )

    def distance_computations(self) -> int | None:
        """PQ code distances in the scanned lists; coarse and re-ranking distances are not counted."""
        return int(ivf_stats().ndis)

    def reset_counters(self) -> None:
        ivf_stats().reset()
