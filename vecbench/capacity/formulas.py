"""Closed-form bytes per vector that libraries and vendors publish, to check the fitted constant against.

faiss wiki ("Guidelines to choose an index", memory): HNSW costs ``d*4 + M*2*4`` bytes per vector,
IVF lists store each code plus an 8-byte id. OpenSearch's k-NN docs: HNSW ``1.1 * (4*d + 8*M)``,
IVF ``1.1 * 4*d`` per vector (the nlist centroids are a fixed cost, not per vector). The code sizes of
the quantizers follow from their definitions (SQ8: 1 byte a dimension, RaBitQ: 1 bit a dimension plus
its per-vector correction factors, PQ: m * nbits / 8 bytes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SQ_BYTES_PER_DIM = {"sq8": 1.0, "sq6": 0.75, "sq4": 0.5, "fp16": 2.0, "bf16": 2.0}
USEARCH_BYTES_PER_DIM = {"f32": 4.0, "f16": 2.0, "bf16": 2.0, "i8": 1.0, "b1": 1 / 8}
IVF_ID_BYTES = 8
RABITQ_FACTOR_BYTES = 8  # two float32 correction factors per code


def _graph(m: int) -> float:
    """Layer-0 links of an HNSW graph: 2*M int32 neighbours per vector."""
    return 2 * m * 4


def _refine(params: Mapping[str, Any], dim: int) -> float:
    return 4.0 * dim if params.get("refine") else 0.0


def formula_bytes_per_vector(adapter: str, params: Mapping[str, Any], dim: int) -> dict[str, float]:
    """Published per-vector memory of an adapter's index; empty when no formula is known for it."""
    m = int(params.get("M", 0) or 0)
    if adapter in ("faiss-hnsw", "hnswlib"):
        return {"faiss_wiki": 4.0 * dim + _graph(m), "opensearch": 1.1 * (4 * dim + 8 * m)}
    if adapter == "faiss-ivf":
        return {"faiss_wiki": 4.0 * dim + IVF_ID_BYTES, "opensearch": 1.1 * 4 * dim}
    if adapter == "faiss-ivfpq":
        sub = int(params.get("m") or (dim // 2 if dim % 2 == 0 else dim))
        pq_code = sub * int(params.get("nbits", 8)) / 8
        return {"faiss_wiki": pq_code + IVF_ID_BYTES + _refine(params, dim)}
    code = _code_bytes(adapter, params, dim)
    if code is None:
        return {}
    if adapter.startswith("faiss-hnsw") or adapter in ("faiss-binary-hnsw", "usearch"):
        return {"code_plus_graph": code + _graph(m) + _refine(params, dim)}
    return {"code_plus_id": code + IVF_ID_BYTES + _refine(params, dim)}


def _code_bytes(adapter: str, params: Mapping[str, Any], dim: int) -> float | None:
    """Bytes of one vector's code in the quantized adapters (vecbench.indexes.faiss_quantized, usearch)."""
    if adapter in ("faiss-hnsw-sq", "faiss-ivf-sq"):
        return SQ_BYTES_PER_DIM[str(params.get("qtype", "sq8"))] * dim
    if adapter in ("faiss-ivf-rabitq", "faiss-hnsw-rabitq"):
        return dim * int(params.get("nbits", 1)) / 8 + RABITQ_FACTOR_BYTES
    if adapter == "faiss-ivf-pqfs":
        sub = int(params.get("m") or dim // 2)
        return sub * 4 / 8
    if adapter == "faiss-binary-hnsw":
        return ((dim + 7) // 8 * 8) / 8
    if adapter == "usearch":
        return USEARCH_BYTES_PER_DIM[str(params.get("dtype", "f16"))] * dim
    return None
