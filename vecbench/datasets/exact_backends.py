"""Where exact search finds its float32 candidates: numpy, faiss (CPU) or torch (CUDA when present).

Every backend returns, per query, the ids of the ``count`` nearest base rows by float32 distance,
with the numpy path's rule at the cut (tied rows keep the smallest ids); ground truth then
re-ranks them in float64, so the backend changes the time, never the answer (beyond a float32
error larger than the re-rank margin). faiss and torch take ``count + 1`` neighbours: where the
last two tie, the row is redone with the full float32 row and a stable sort. The base is prepared
once per search (normalised for angular, squared norms for euclidean), not once per query block.
torch runs in true fp32 (``highest`` matmul precision: tf32 or bf16 change the top-10).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Literal, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict

from vecbench.core.params import Metric
from vecbench.errors import ConfigError
from vecbench.metrics.distances import normalised

Backend = Literal["auto", "numpy", "faiss", "torch"]
BACKENDS: tuple[str, ...] = get_args(Backend)
# Distance-matrix entries per query block: 64 MB of float32 on the CPU, 1 GiB on a GPU.
CPU_BLOCK_ENTRIES = 1 << 24
GPU_BLOCK_ENTRIES = 1 << 28

Finder = Callable[[np.ndarray], np.ndarray]  # a block of queries -> (n, count) candidate ids


class GroundTruthSpec(BaseModel):
    """``ground_truth: {backend: auto}`` in a config: which backend computes exact neighbours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Backend = "auto"


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_backend(backend: str) -> str:
    """``auto``: torch where CUDA is present, else faiss; a name outside the list is a ConfigError."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown ground-truth backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "torch" if cuda_available() else "faiss"
    return backend


class PreparedBase:
    """The base in float32 with what every block reuses: unit rows (angular) or squared norms."""

    def __init__(self, base: np.ndarray, metric: Metric) -> None:
        self.metric = metric
        vectors = np.ascontiguousarray(base, dtype=np.float32)
        self.vectors = normalised(vectors) if metric is Metric.ANGULAR else vectors
        self.sq_norms = (self.vectors * self.vectors).sum(1) if metric is Metric.EUCLIDEAN else None

    def distances(self, queries: np.ndarray) -> np.ndarray:
        """float32 distances (nq, n), the values of ``metrics.distances.pairwise_distances``."""
        q = np.asarray(queries, dtype=np.float32)
        if self.metric is Metric.ANGULAR:
            return (1.0 - normalised(q) @ self.vectors.T).astype(np.float32)
        if self.metric is Metric.INNER_PRODUCT:
            return -(q @ self.vectors.T)
        assert self.sq_norms is not None
        sq = (q * q).sum(1)[:, None] - 2.0 * (q @ self.vectors.T) + self.sq_norms[None, :]
        return np.sqrt(np.maximum(sq, 0.0, out=sq))


def smallest(approx: np.ndarray, count: int) -> np.ndarray:
    """Ids of the ``count`` smallest entries per row, ascending; ties at the cut keep the smallest ids."""
    n_rows, n_base = approx.shape
    if count >= n_base:
        return np.tile(np.arange(n_base, dtype=np.int64), (n_rows, 1))
    # Partitioning values and then masking is faster than argpartition, and sees every tie at the cut.
    cut = np.partition(approx, count - 1, axis=1)[:, count - 1 : count]
    within = approx <= cut
    exact = within.sum(axis=1) == count
    candidates = np.empty((n_rows, count), dtype=np.int64)
    candidates[exact] = np.nonzero(within[exact])[1].reshape(-1, count)
    for row in np.flatnonzero(~exact):
        candidates[row] = np.argsort(approx[row], kind="stable")[:count]
    return candidates


def _redo_ties(
    block: np.ndarray, values: np.ndarray, ids: np.ndarray, base: PreparedBase, count: int
) -> np.ndarray:
    """The first ``count`` of ``ids``, with rows whose last two values tie redone in full (numpy)."""
    out = np.ascontiguousarray(ids[:, :count], dtype=np.int64)
    tied = np.flatnonzero(values[:, count - 1] == values[:, count])
    if tied.size:
        out[tied] = smallest(base.distances(block[tied]), count)
    return out


def numpy_finder(base: PreparedBase, count: int) -> Finder:
    return lambda block: smallest(base.distances(block), count)


def faiss_finder(base: PreparedBase, count: int) -> Finder:
    import faiss

    n_base = base.vectors.shape[0]
    if count >= n_base:
        return numpy_finder(base, count)
    metric = faiss.METRIC_L2 if base.metric is Metric.EUCLIDEAN else faiss.METRIC_INNER_PRODUCT

    def find(block: np.ndarray) -> np.ndarray:
        q = np.ascontiguousarray(block, dtype=np.float32)
        if base.metric is Metric.ANGULAR:
            q = normalised(q)
        values, ids = faiss.knn(q, base.vectors, count + 1, metric=metric)
        if metric == faiss.METRIC_INNER_PRODUCT:
            values = -values  # faiss lists the largest products first: smaller is nearer here
        return _redo_ties(block, values, ids, base, count)

    return find


@contextlib.contextmanager
def _fp32_matmul(torch: Any) -> Iterator[None]:
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


def torch_finder(base: PreparedBase, count: int, device: str | None = None) -> Finder:
    """Candidates by torch matmul + topk, on CUDA when present (the base is copied there once)."""
    import torch

    n_base = base.vectors.shape[0]
    if count >= n_base:
        return numpy_finder(base, count)
    where = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    vectors = torch.from_numpy(base.vectors).to(where)
    sq_norms = torch.from_numpy(base.sq_norms).to(where) if base.sq_norms is not None else None

    def find(block: np.ndarray) -> np.ndarray:
        q = np.ascontiguousarray(block, dtype=np.float32)
        if base.metric is Metric.ANGULAR:
            q = normalised(q)
        with torch.no_grad(), _fp32_matmul(torch):
            queries = torch.from_numpy(q).to(where)
            products = queries @ vectors.T
            if sq_norms is None:  # angular (1 - cos) and inner product (-dot) rank alike by -dot
                dist = -products
            else:
                dist = (queries * queries).sum(1)[:, None] - 2.0 * products + sq_norms[None, :]
            values, ids = torch.topk(dist, count + 1, dim=1, largest=False, sorted=True)
        return _redo_ties(block, values.cpu().numpy(), ids.cpu().numpy(), base, count)

    return find


def make_finder(backend: str, base: PreparedBase, count: int) -> Finder:
    """The candidate search of a resolved backend name (``resolve_backend``)."""
    if backend == "numpy":
        return numpy_finder(base, count)
    if backend == "faiss":
        return faiss_finder(base, count)
    if backend == "torch":
        try:
            return torch_finder(base, count)
        except ImportError:
            raise ConfigError(
                "ground_truth backend 'torch' needs PyTorch: pip install 'vecbench[torch]'"
            ) from None
    raise ConfigError(f"unknown ground-truth backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def default_block_size(backend: str, n_base: int) -> int:
    """Queries per block: about 64 MB of distances on the CPU, 1 GiB on a GPU."""
    entries = GPU_BLOCK_ENTRIES if backend == "torch" and cuda_available() else CPU_BLOCK_ENTRIES
    return max(1, min(1 << 16 if entries == GPU_BLOCK_ENTRIES else 1024, entries // max(1, n_base)))
