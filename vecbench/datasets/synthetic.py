"""Seeded clustered Gaussian blobs: cheap at any size, identical for the same seed and options.

Cluster centres, base points and queries come from separate child streams of the seed, so changing
``n_base`` leaves the centres and the queries unchanged, and a smaller base is a prefix of a larger one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from vecbench.core.params import ParamSpec, resolve_params
from vecbench.datasets.memory import require_memory
from vecbench.datasets.raw import RawVectors

DEFAULT_N_BASE = 10_000
DEFAULT_N_QUERIES = 1_000
# Centres are drawn uniformly from this box, as in sklearn's make_blobs.
CENTER_BOX = 10.0

OPTIONS: Mapping[str, ParamSpec] = {
    "dim": ParamSpec(int, 32, "vector dimension", minimum=1),
    "n_clusters": ParamSpec(int, 64, "number of Gaussian blobs", minimum=1),
    "cluster_std": ParamSpec(float, 1.0, "standard deviation of each blob", minimum=0.0),
}


def make_blobs(
    n_base: int, n_queries: int, *, dim: int, n_clusters: int, cluster_std: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Base and query points (float32) drawn from the same mixture of isotropic Gaussians."""
    centers_seq, base_seq, query_seq = np.random.SeedSequence(seed).spawn(3)
    centers = (
        np.random.default_rng(centers_seq)
        .uniform(-CENTER_BOX, CENTER_BOX, size=(n_clusters, dim))
        .astype(np.float32)
    )
    return (
        _draw(base_seq, centers, n_base, cluster_std),
        _draw(query_seq, centers, n_queries, cluster_std),
    )


def _draw(seq: np.random.SeedSequence, centers: np.ndarray, n: int, std: float) -> np.ndarray:
    """Labels and noise come from separate streams, so the first m of n points equal m points drawn alone."""
    label_rng, noise_rng = (np.random.default_rng(child) for child in seq.spawn(2))
    labels = label_rng.integers(0, centers.shape[0], size=n)
    points = noise_rng.standard_normal((n, centers.shape[1]), dtype=np.float32)
    points *= np.float32(std)
    points += centers[labels]
    return points


def load_synthetic(n_base: int, n_queries: int, seed: int, options: Mapping[str, Any]) -> RawVectors:
    """Validate generator options (unknown names suggest the closest) and draw the data."""
    params = resolve_params("synthetic", OPTIONS, options)
    n = n_base + n_queries
    require_memory(
        n * (4 * params["dim"] + 8),  # float32 vectors, plus each point's int64 cluster label
        f"synthetic dataset n_base={n_base:,} n_queries={n_queries:,} dim={params['dim']:,}",
        "lower n_base, n_queries or dim",
    )
    base, queries = make_blobs(n_base, n_queries, seed=seed, **params)
    described = ", ".join(f"{k}={v}" for k, v in params.items())
    return RawVectors(base=base, queries=queries, source=f"synthetic blobs ({described}, seed={seed})")
