"""Held-out queries for datasets that ship none: seeded, and never also present in the base set."""

from __future__ import annotations

import numpy as np


def held_out_rows(n_base: int, n_queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(base rows, query rows) of the split ``held_out_split`` makes, as indices into the file's rows.

    Attributes stored per file row are selected with the same indices as the vectors.
    """
    order = np.random.default_rng(seed).permutation(n_base + n_queries)
    return np.sort(order[n_queries:]), order[:n_queries]


def held_out_split(
    vectors: np.ndarray, n_base: int, n_queries: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split the first ``n_base + n_queries`` rows into (base, queries).

    The rows are permuted with ``seed``; the first ``n_queries`` of the permutation are the queries
    (in permutation order) and the rest is the base in original row order. Taking a prefix first
    keeps frequency-ordered vocabularies (GloVe) on their most common words.
    """
    head = vectors[: n_base + n_queries]
    base_rows, query_rows = held_out_rows(n_base, n_queries, seed)
    return np.asarray(head[base_rows]), np.asarray(head[query_rows])
