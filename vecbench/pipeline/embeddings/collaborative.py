"""Collaborative item embeddings learned from the training log.

- ``svd``: truncated SVD of the user x item matrix with item columns scaled by popularity^-beta
  (PureSVD with a popularity normalisation). Item vectors are the right singular vectors, so the
  mean of a history's vectors scores items by their projection, as PureSVD does.
- ``als``: implicit-feedback matrix factorisation (Hu, Koren, Volinsky 2008) from the ``implicit``
  package; users can be folded in from their history with the model's own least-squares solve.

Only items with at least ``min_count`` training events get a vector.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from vecbench.core.params import Metric, ParamSpec
from vecbench.datasets.logs.base import InteractionLog
from vecbench.errors import DatasetError
from vecbench.pipeline.embeddings.base import ItemEmbedder, ItemVectors, interaction_matrix


def _known_items(train: InteractionLog, min_count: int) -> np.ndarray:
    counts = train.item_counts()
    items = np.flatnonzero(counts >= min_count)
    if items.size < 2:
        raise DatasetError(
            f"{train.name}: only {items.size} item(s) have >= {min_count} training events; "
            "lower min_count or train on more of the log"
        )
    return items


class SvdEmbedder(ItemEmbedder):
    name: ClassVar[str] = "svd"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "dim": ParamSpec(int, 32, "number of singular vectors", minimum=1),
        "item_norm": ParamSpec(float, 0.25, "scale item columns by popularity^-item_norm", minimum=0.0),
        "min_count": ParamSpec(int, 1, "items need this many training events", minimum=1),
        "seed": ParamSpec(int, 0, "seed of the solver's start vector", minimum=0),
    }

    def fit(self, train: InteractionLog, metric: Metric) -> ItemVectors:
        from scipy.sparse.linalg import svds

        p = self.params
        items = _known_items(train, p["min_count"])
        matrix = interaction_matrix(train)[:, items]
        popularity = np.asarray(matrix.sum(axis=0)).ravel()
        scaled = matrix.multiply(1.0 / np.maximum(popularity, 1.0) ** p["item_norm"]).tocsr()
        dim = min(p["dim"], min(scaled.shape) - 1)
        if dim < 1:
            raise DatasetError(f"{train.name}: too little training data for an SVD of dim {p['dim']}")
        start = np.random.default_rng(p["seed"]).standard_normal(min(scaled.shape))
        _, singular, vt = svds(scaled, k=dim, v0=start)
        order = np.argsort(-singular)
        vectors = np.ascontiguousarray(vt[order].T, dtype=np.float32)
        return ItemVectors(items, vectors, metric, f"svd dim={dim} item_norm={p['item_norm']}")


class AlsEmbedder(ItemEmbedder):
    name: ClassVar[str] = "als"
    provides_user_factors: ClassVar[bool] = True
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "dim": ParamSpec(int, 32, "latent factors", minimum=1),
        "regularization": ParamSpec(float, 0.05, "L2 regularisation", minimum=0.0),
        "alpha": ParamSpec(float, 2.0, "confidence weight of observed events", minimum=0.0),
        "iterations": ParamSpec(int, 15, "ALS sweeps", minimum=1),
        "min_count": ParamSpec(int, 1, "items need this many training events", minimum=1),
        "seed": ParamSpec(int, 0, "random_state of the factor initialisation", minimum=0),
    }

    def fit(self, train: InteractionLog, metric: Metric) -> ItemVectors:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        p = self.params
        items = _known_items(train, p["min_count"])
        matrix = interaction_matrix(train)[:, items].tocsr().astype(np.float32)
        with threadpool_limits(1, "blas"):  # implicit's advice: BLAS threads fight its own
            model = AlternatingLeastSquares(
                factors=p["dim"],
                regularization=p["regularization"],
                alpha=p["alpha"],
                iterations=p["iterations"],
                random_state=p["seed"],
                num_threads=1,
            )
            model.fit(matrix, show_progress=False)
        vectors = np.ascontiguousarray(model.item_factors, dtype=np.float32)
        column = np.full(train.n_items, -1, dtype=np.int64)
        column[items] = np.arange(len(items))

        def fold_in(history: np.ndarray, weights: np.ndarray) -> np.ndarray:
            """The model's least-squares user factor for this history alone (recomputed, not stored)."""
            import scipy.sparse as sp

            cols = column[history]
            keep = cols >= 0
            row = sp.csr_matrix(
                (np.ones(int(keep.sum()), dtype=np.float32) * np.asarray(weights, np.float32)[keep] / max(float(np.max(weights)), 1e-12),
                 (np.zeros(int(keep.sum()), dtype=np.int64), cols[keep])),
                shape=(1, len(items)),
            )  # fmt: skip
            row.sum_duplicates()
            with threadpool_limits(1, "blas"):
                return np.asarray(model.recalculate_user(0, row), dtype=np.float32)

        description = f"als dim={p['dim']} reg={p['regularization']} alpha={p['alpha']} it={p['iterations']}"
        return ItemVectors(items, vectors, metric, description, fold_in=fold_in)
