"""The embedder protocol, the vectors it returns, and the registry of embedder kinds.

An embedder follows the adapters' contract: the constructor stores validated parameters, ``fit``
does the work on a training log and returns ``ItemVectors``. Whether a model also yields user
factors is declared (``provides_user_factors``), never probed.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from vecbench.core.params import Metric, ParamSpec, resolve_params
from vecbench.core.registry import Registry
from vecbench.datasets.logs.base import InteractionLog
from vecbench.pipeline.components import ComponentSpec

# Folds a history (dense item indices, weights) into a user vector in the items' space.
FoldIn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ItemVectors:
    """Vectors for the items in ``items`` (dense item indices, ascending), row for row."""

    items: np.ndarray
    vectors: np.ndarray
    metric: Metric
    description: str
    fold_in: FoldIn | None = None
    native_users: bool = False  # the model has its own user tower: queries always come from fold_in
    user_texts: Any = None  # text models: encodes a user's recent history as text (users: {kind: text})

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def rows_of(self, n_items: int) -> np.ndarray:
        """Lookup: dense item index -> row in ``vectors`` (-1 for items without a vector)."""
        rows = np.full(n_items, -1, dtype=np.int64)
        rows[self.items] = np.arange(len(self.items))
        return rows


class ItemEmbedder(abc.ABC):
    """Base class of embedders: declare ``name``, ``param_specs`` and ``default_metric``."""

    name: ClassVar[str]
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {}
    default_metric: ClassVar[Metric] = Metric.INNER_PRODUCT
    provides_user_factors: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        self.params = resolve_params(f"embedding {self.name}", self.param_specs, params)

    @abc.abstractmethod
    def fit(self, train: InteractionLog, metric: Metric) -> ItemVectors:
        """Item vectors from what is known at the end of ``train`` (never anything later)."""


class EmbeddingSpec(ComponentSpec):
    """``{kind: svd, dim: 32}``: the kind and its parameters (checked against the kind's specs)."""


# Adding an embedder is one line here and one class.
EMBEDDERS: Registry[type[ItemEmbedder]] = Registry(
    "embedding kind",
    {
        "svd": "vecbench.pipeline.embeddings.collaborative:SvdEmbedder",
        "als": "vecbench.pipeline.embeddings.collaborative:AlsEmbedder",
        "text": "vecbench.pipeline.embeddings.text:TextEmbedder",
        "file": "vecbench.pipeline.embeddings.supplied:FileEmbedder",
        "two_tower": "vecbench.pipeline.embeddings.two_tower:TwoTowerEmbedder",
    },
    base=ItemEmbedder,
)


def make_embedder(spec: EmbeddingSpec) -> ItemEmbedder:
    """Instantiate the embedder a spec names, validating its parameters."""
    cls = EMBEDDERS.get(spec.kind)
    return cls(**spec.params())


def interaction_matrix(train: InteractionLog, binary: bool = True, weights: np.ndarray | None = None) -> Any:
    """Users x items CSR matrix of the training events (repeat events summed, or 1 when binary)."""
    import scipy.sparse as sp

    values = np.ones(train.n_events, dtype=np.float64) if weights is None else weights.astype(np.float64)
    matrix = sp.csr_matrix((values, (train.user, train.item)), shape=(train.n_users, train.n_items))
    matrix.sum_duplicates()
    if binary:
        matrix.data[:] = 1.0
    return matrix
