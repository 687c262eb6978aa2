"""Stage 3: re-rank the scored list. Pluggable and chainable; two re-rankers here.

- ``mmr``: maximal marginal relevance over the top ``pool`` items: pick greedily the item maximising
  lambda * relevance - (1 - lambda) * max cosine similarity to the items already picked
  (relevance is the score scaled to [0, 1] within the list);
- ``category_cap``: walk down the list keeping an item only while none of its categories has
  ``max_per_category`` items yet; skipped items fill the end so the list keeps its length.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from vecbench.core.params import ParamSpec, resolve_params
from vecbench.core.registry import Registry
from vecbench.pipeline.components import ComponentSpec


class Reranker(abc.ABC):
    name: ClassVar[str]
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {}

    def __init__(self, **params: Any) -> None:
        self.params = resolve_params(f"reranker {self.name}", self.param_specs, params)

    @abc.abstractmethod
    def rerank(
        self,
        items: np.ndarray,
        scores: np.ndarray,
        unit_vectors: np.ndarray,
        categories: Sequence[tuple[str, ...]],
    ) -> tuple[np.ndarray, np.ndarray]:
        """New order of ``items`` (dense indices, best first) with their scores carried along.

        ``unit_vectors`` are the items' normalised embeddings, row for row; ``categories`` is indexed
        by dense item index.
        """


class MMRReranker(Reranker):
    name: ClassVar[str] = "mmr"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "lambda": ParamSpec(
            float, 0.8, "weight of relevance against novelty in the list", minimum=0.0, maximum=1.0
        ),
        "pool": ParamSpec(int, 100, "re-rank only the top pool items; the rest keep their order", minimum=1),
    }

    def rerank(
        self,
        items: np.ndarray,
        scores: np.ndarray,
        unit_vectors: np.ndarray,
        categories: Sequence[tuple[str, ...]],
    ) -> tuple[np.ndarray, np.ndarray]:
        lam, pool = self.params["lambda"], min(self.params["pool"], items.size)
        if pool < 2:
            return items, scores
        top = scores[:pool]
        span = top.max() - top.min()
        relevance = (top - top.min()) / span if span > 0 else np.ones(pool)
        sims = unit_vectors[:pool] @ unit_vectors[:pool].T
        chosen = [int(np.argmax(relevance))]
        max_sim = sims[chosen[0]].copy()
        free = np.ones(pool, dtype=bool)
        free[chosen[0]] = False
        for _ in range(pool - 1):
            gain = np.where(free, lam * relevance - (1 - lam) * max_sim, -np.inf)
            pick = int(np.argmax(gain))
            chosen.append(pick)
            free[pick] = False
            np.maximum(max_sim, sims[pick], out=max_sim)
        order = np.concatenate([np.array(chosen), np.arange(pool, items.size)])
        return items[order], scores[order]


class CategoryCapReranker(Reranker):
    name: ClassVar[str] = "category_cap"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "max_per_category": ParamSpec(int, 3, "items of one category allowed in the list", minimum=1),
        "length": ParamSpec(int, 10, "the capped list length (the rest follows in order)", minimum=1),
    }

    def rerank(
        self,
        items: np.ndarray,
        scores: np.ndarray,
        unit_vectors: np.ndarray,
        categories: Sequence[tuple[str, ...]],
    ) -> tuple[np.ndarray, np.ndarray]:
        cap, length = self.params["max_per_category"], self.params["length"]
        used: dict[str, int] = {}
        kept: list[int] = []
        skipped: list[int] = []
        for position, item in enumerate(items.tolist()):
            cats = categories[item]
            if len(kept) < length and all(used.get(c, 0) < cap for c in cats):
                kept.append(position)
                for c in cats:
                    used[c] = used.get(c, 0) + 1
            else:
                skipped.append(position)
        order = np.array(kept + skipped, dtype=np.int64)
        return items[order], scores[order]


class RerankSpec(ComponentSpec):
    """``{kind: mmr, lambda: 0.8}``: a re-ranker and its parameters."""


RERANKERS: Registry[type[Reranker]] = Registry(
    "reranker",
    {
        "mmr": "vecbench.pipeline.reranking:MMRReranker",
        "category_cap": "vecbench.pipeline.reranking:CategoryCapReranker",
    },
    base=Reranker,
)


def make_reranker(spec: RerankSpec) -> Reranker:
    cls = RERANKERS.get(spec.kind)
    return cls(**spec.params())
