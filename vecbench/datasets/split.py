"""Held-out queries for datasets that ship none: seeded, and never also present in the base set."""

from __future__ import annotations

import numpy as np


def held_out_split(
    vectors: np.ndarray, n_base: int, n_queries: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split the first ``n_base + n_queries`` rows into (base, queries).

    The rows are permuted with ``seed``; the first ``n_queries`` of the permutation are the queries
    (in permutation order) and the rest is the base in original row order. Taking a prefix first
    keeps frequency-ordered vocabularies (GloVe) on their most common words.
    """
    head = vectors[: n_base + n_queries]
    order = np.random.default_rng(seed).permutation(head.shape[0])
    query_rows = order[:n_queries]
    base_rows = np.sort(order[n_queries:])
    return np.asarray(head[base_rows]), np.asarray(head[query_rows])
