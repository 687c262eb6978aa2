"""Checks on item vectors before they are indexed, reported with every pipeline run.

Hard failures (DatasetError): no vectors, inconsistent dimension, NaN or infinite values.
Reported but allowed: near-empty (zero-norm) vectors, duplicate vectors, catalogue items without
a vector. A nearest-neighbour sample of the most popular items, shown with titles, lets a person
judge at a glance whether the space makes sense.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from vecbench.datasets.logs.base import InteractionLog
from vecbench.errors import DatasetError
from vecbench.indexes.base import Metric
from vecbench.metrics.distances import pairwise_distances
from vecbench.pipeline.embeddings.base import ItemVectors

NEAR_ZERO_NORM = 1e-8
SMALL_NORM = 0.05  # a vector this small against the median norm carries almost no signal


@dataclass(frozen=True)
class EmbeddingReport:
    n_vectors: int
    dim: int
    catalogue_items: int
    items_without_vector: int
    zero_norm_vectors: int
    duplicate_vectors: int
    mean_norm: float
    neighbours: dict[str, list[str]]
    small_norm_vectors: int = 0  # norm below SMALL_NORM x the median (few training events)
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [
            f"{self.n_vectors} vectors of dim {self.dim}; {self.items_without_vector} of "
            f"{self.catalogue_items} training items have none; {self.zero_norm_vectors} near-empty, "
            f"{self.duplicate_vectors} duplicate(s); mean norm {self.mean_norm:.3g}"
        ]
        for title, near in self.neighbours.items():
            out.append(f"  {title} -> {'; '.join(near)}")
        return out + [f"warning: {w}" for w in self.warnings]


def check_vectors(
    vectors: ItemVectors, train: InteractionLog, sample: int = 3, k: int = 5
) -> EmbeddingReport:
    """Validate ``vectors`` (raising on unusable input) and describe them."""
    array = np.asarray(vectors.vectors)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise DatasetError(f"embedding {vectors.description}: no vectors to index (shape {array.shape})")
    if array.shape[0] != len(vectors.items):
        raise DatasetError(
            f"embedding {vectors.description}: {array.shape[0]} vectors for {len(vectors.items)} items"
        )
    finite = np.isfinite(array).all(axis=1)
    if not finite.all():
        bad = vectors.items[~finite][:5]
        titles = [train.items.titles[i] for i in bad]
        raise DatasetError(
            f"embedding {vectors.description}: {int((~finite).sum())} vector(s) hold NaN or inf "
            f"(e.g. {titles}); fix the source vectors"
        )
    norms = np.linalg.norm(array.astype(np.float64), axis=1)
    _, first = np.unique(array, axis=0, return_index=True)
    counts = train.item_counts()
    trained = np.flatnonzero(counts > 0)
    small = int((norms < SMALL_NORM * float(np.median(norms))).sum())
    warnings = []
    if small and vectors.metric is Metric.ANGULAR and vectors.description.startswith(("svd", "als")):
        warnings.append(
            f"angular metric on {vectors.description}: {small} of {len(norms)} items have near-empty vectors "
            f"(norm < {SMALL_NORM:g} x the median; items with few training events), which normalising turns "
            "into unit-length noise; prefer metric inner_product or raise min_count"
        )
    return EmbeddingReport(
        n_vectors=int(array.shape[0]),
        dim=int(array.shape[1]),
        catalogue_items=int(trained.size),
        items_without_vector=int(np.setdiff1d(trained, vectors.items).size),
        zero_norm_vectors=int((norms < NEAR_ZERO_NORM).sum()),
        duplicate_vectors=int(array.shape[0] - first.size),
        mean_norm=float(norms.mean()),
        neighbours=neighbour_sample(vectors, train, counts, sample, k),
        small_norm_vectors=small,
        warnings=tuple(warnings),
    )


def neighbour_sample(
    vectors: ItemVectors, train: InteractionLog, counts: np.ndarray, sample: int, k: int
) -> dict[str, list[str]]:
    """Titles of the exact nearest neighbours of the ``sample`` most popular embedded items."""
    probes = np.argsort(-counts[vectors.items], kind="stable")[:sample]
    distances = pairwise_distances(vectors.vectors[probes], vectors.vectors, vectors.metric)
    distances[np.arange(len(probes)), probes] = np.inf
    out: dict[str, list[str]] = {}
    for row, probe in enumerate(probes.tolist()):
        nearest = np.argsort(distances[row], kind="stable")[:k]
        out[train.items.titles[vectors.items[probe]]] = [
            train.items.titles[vectors.items[j]] for j in nearest
        ]
    return out
