"""A simple MovieLens embedding: truncated SVD of the user x item rating matrix, with NumPy.

Users become queries and items the base, under inner product: ``user . item`` is the rank-``dim``
reconstruction of the rating matrix (an affinity score), so nearest neighbours are recommendations.
The SVD is randomised (Halko et al. 2011, seeded, with power iterations): a full SVD of the matrix
costs seconds on a busy machine, and the runner and every worker compute it.
It is a stand-in; the recommendation pipeline brings better embeddings and can replace this module.
"""

from __future__ import annotations

import numpy as np

from vecbench.datasets.movielens_items import Ratings

OVERSAMPLE = 10
POWER_ITERATIONS = 4
SEED = 0


def svd_embedding(ratings: Ratings, n_users: int, n_items: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(user vectors (n_users, dim), item vectors (n_items, dim)) as float32, singular values split evenly."""
    matrix = np.zeros((n_users, n_items), dtype=np.float64)
    matrix[ratings.users, ratings.items] = ratings.ratings
    dim = min(dim, n_users, n_items)
    u, s, vt = randomized_svd(matrix, dim)
    root = np.sqrt(s)
    # Fix each component's sign (largest item loading positive) so the output is reproducible.
    signs = np.sign(vt[np.arange(dim), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1.0
    users = (u * root * signs).astype(np.float32)
    items = (vt.T * root * signs).astype(np.float32)
    return users, items


def randomized_svd(matrix: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The top ``rank`` singular triplets (u, s, vt) of ``matrix``, from a seeded random range finder."""
    width = min(rank + OVERSAMPLE, min(matrix.shape))
    probe = np.random.default_rng(SEED).standard_normal((matrix.shape[1], width))
    basis, _ = np.linalg.qr(matrix @ probe)
    for _ in range(POWER_ITERATIONS):
        basis, _ = np.linalg.qr(matrix.T @ basis)
        basis, _ = np.linalg.qr(matrix @ basis)
    small_u, s, vt = np.linalg.svd(basis.T @ matrix, full_matrices=False)
    return (basis @ small_u)[:, :rank], s[:rank], vt[:rank]
