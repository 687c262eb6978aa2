"""Cold-start fallback: items without training events, which no collaborative embedding can index,
reached through popularity or item text and blended into every configuration's lists by one rule.

``retrieval.cold_start: {source: popularity | text, every: 10}``: in each stage's list, every
``every``-th position (10, 20, ... counting from 1) holds the next cold item for the request, and
the configuration's own items move down to make room (they keep their order; the list keeps its
length). Cold items are those the embedding has no vector for; they pass the stage filter and are
not in the request's history. ``popularity`` ranks them by the whole log's events strictly before
the request (so at the training cutoff none has any and nothing is inserted); ``text`` by cosine
between the item's MiniLM text and the recency-weighted mean text of the user's history. The
share of targets that are cold is written to ``checks.json`` so what is lost without it is known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from vecbench.datasets.logs.split import Replay
from vecbench.pipeline.retrieval import StageFilter
from vecbench.pipeline.stages import StageLists

DAY_S = 86_400.0


class ColdStartSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["popularity", "text"] = "popularity"
    every: int = Field(default=10, ge=1, description="every N-th list position holds a cold item")
    half_life_days: float = Field(default=30.0, gt=0, description="text: recency decay of the history mean")


@dataclass(frozen=True)
class ColdCandidates:
    """Per request, the cold items to insert, best first (-1 pads)."""

    items: np.ndarray
    every: int

    def blend(self, lists: StageLists) -> StageLists:
        """Every stage's lists with the cold items at the declared positions."""
        return replace(
            lists,
            retrieval=self._blend(lists.retrieval),
            scoring=self._blend(lists.scoring),
            final=self._blend(lists.final),
        )

    def _blend(self, ranked: np.ndarray) -> np.ndarray:
        n, length = ranked.shape
        out = np.full_like(ranked, -1)
        for r in range(n):
            cold = self.items[r][self.items[r] >= 0]
            main = ranked[r][ranked[r] >= 0]
            main = main[~np.isin(main, cold)]
            merged: list[int] = []
            ci = mi = 0
            for position in range(1, length + 1):
                if position % self.every == 0 and ci < cold.size:
                    merged.append(int(cold[ci]))
                    ci += 1
                elif mi < main.size:
                    merged.append(int(main[mi]))
                    mi += 1
            out[r, : len(merged)] = merged
        return out


def cold_items(replay: Replay, indexed: np.ndarray, rule: StageFilter) -> np.ndarray:
    """Dense items without a vector (no training events) that the stage filter passes."""
    mask = np.ones(replay.log.n_items, dtype=bool)
    mask[indexed] = False
    if rule.allowed is not None:
        mask &= rule.allowed
    return np.flatnonzero(mask)


def cold_target_share(replay: Replay, indexed: np.ndarray) -> float:
    """Share of all held-out targets that are items without a vector."""
    targets = replay.requests.targets.values
    return float(np.mean(~np.isin(targets, indexed))) if targets.size else 0.0


def cold_candidates(
    spec: ColdStartSpec, replay: Replay, indexed: np.ndarray, rule: StageFilter, length: int
) -> ColdCandidates:
    """The cold items each request gets (at most ``length // every``), by the spec's source."""
    pool = cold_items(replay, indexed, rule)
    requests = replay.requests
    need = max(length // spec.every, 1)
    out = np.full((len(requests), need), -1, dtype=np.int64)
    if pool.size == 0:
        return ColdCandidates(out, spec.every)
    scorer = _text_scores(spec, replay, pool) if spec.source == "text" else _popularity_scores(replay, pool)
    for r in range(len(requests)):
        scores = scorer(r)
        if rule.exclude_seen:
            scores[np.isin(pool, requests.history_items.row(r))] = -np.inf
        order = np.argsort(-scores, kind="stable")[:need]
        order = order[np.isfinite(scores[order])]
        out[r, : order.size] = pool[order]
    return ColdCandidates(out, spec.every)


def _popularity_scores(replay: Replay, pool: np.ndarray) -> Callable[[int], np.ndarray]:
    log, times = replay.log, replay.requests.time

    def scores(r: int) -> np.ndarray:
        end = int(np.searchsorted(log.timestamp, int(times[r]), side="left"))  # strictly before
        counts = np.bincount(log.item[:end], minlength=log.n_items)[pool].astype(np.float64)
        return np.where(counts > 0, counts, -np.inf)

    return scores


def _text_scores(spec: ColdStartSpec, replay: Replay, pool: np.ndarray) -> Callable[[int], np.ndarray]:
    from vecbench.pipeline.embeddings.text import TextEmbedder, item_texts

    log = replay.log
    embedder = TextEmbedder(fields="title,categories")
    vectors = embedder.encode(item_texts(log, np.arange(log.n_items), embedder.fields, 0))
    requests = replay.requests

    def scores(r: int) -> np.ndarray:
        history, stamps = requests.history_items.row(r), requests.history_times.row(r)
        if history.size == 0:
            return np.full(pool.size, -np.inf)
        weights = np.power(0.5, (int(requests.time[r]) - stamps) / (spec.half_life_days * DAY_S))
        user = (weights[:, None] * vectors[history]).sum(axis=0)
        return vectors[pool] @ (user / max(float(np.linalg.norm(user)), 1e-12))

    return scores
