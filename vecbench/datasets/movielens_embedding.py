"""A simple MovieLens embedding: truncated SVD of the user x item rating matrix, with NumPy.

Users become queries and items the base, under inner product: ``user . item`` is the rank-``dim``
reconstruction of the rating matrix (an affinity score), so nearest neighbours are recommendations.
It is a stand-in; the recommendation pipeline brings better embeddings and can replace this module.
"""

from __future__ import annotations

import numpy as np

from vecbench.datasets.movielens_items import Ratings


def svd_embedding(ratings: Ratings, n_users: int, n_items: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(user vectors (n_users, dim), item vectors (n_items, dim)) as float32, singular values split evenly."""
    matrix = np.zeros((n_users, n_items), dtype=np.float64)
    matrix[ratings.users, ratings.items] = ratings.ratings
    u, s, vt = np.linalg.svd(matrix, full_matrices=False)
    dim = min(dim, s.shape[0])
    root = np.sqrt(s[:dim])
    # Fix each component's sign (largest item loading positive) so the output is reproducible.
    signs = np.sign(vt[:dim][np.arange(dim), np.abs(vt[:dim]).argmax(axis=1)])
    signs[signs == 0] = 1.0
    users = (u[:, :dim] * root * signs).astype(np.float32)
    items = (vt[:dim].T * root * signs).astype(np.float32)
    return users, items
