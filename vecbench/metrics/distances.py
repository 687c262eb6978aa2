"""One distance convention for every metric, so ground truth and recall compare like with like.

Smaller is always nearer: euclidean is the L2 distance, angular is 1 - cosine similarity, and
inner product is the negated dot product.
"""

from __future__ import annotations

import numpy as np

from vecbench.core.params import Metric


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Unit-length float32 copy of the rows (zero rows stay zero)."""
    out = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return (out / norms).astype(np.float32, copy=False)


def pairwise_distances(queries: np.ndarray, base: np.ndarray, metric: Metric) -> np.ndarray:
    """Distances (nq, n) between every query and every base row, in float32."""
    q = np.asarray(queries, dtype=np.float32)
    b = np.asarray(base, dtype=np.float32)
    if metric is Metric.ANGULAR:
        return (1.0 - normalised(q) @ normalised(b).T).astype(np.float32)
    if metric is Metric.INNER_PRODUCT:
        return -(q @ b.T)
    sq = (q * q).sum(1)[:, None] - 2.0 * (q @ b.T) + (b * b).sum(1)[None, :]
    return np.sqrt(np.maximum(sq, 0.0, out=sq))


def distances_to_ids(queries: np.ndarray, base: np.ndarray, ids: np.ndarray, metric: Metric) -> np.ndarray:
    """True distance from each query to each of its returned ids (nq, k); -1 ids give +inf."""
    q = np.asarray(queries, dtype=np.float64)
    ids = np.asarray(ids, dtype=np.int64)
    valid = ids >= 0
    rows = np.asarray(base[np.where(valid, ids, 0).ravel()], dtype=np.float64).reshape(*ids.shape, -1)
    if metric is Metric.ANGULAR:
        qn = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-30)
        rn = rows / np.maximum(np.linalg.norm(rows, axis=2, keepdims=True), 1e-30)
        dist = 1.0 - np.einsum("qd,qkd->qk", qn, rn)
    elif metric is Metric.INNER_PRODUCT:
        dist = -np.einsum("qd,qkd->qk", q, rows)
    else:
        dist = np.sqrt(((rows - q[:, None, :]) ** 2).sum(axis=2))
    return np.where(valid, dist, np.inf)
