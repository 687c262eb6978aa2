"""Scoring and re-ranking of retrieved candidates, per request, each stage timed on its own."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from vecbench.core.params import Metric
from vecbench.core.timing import gc_paused
from vecbench.datasets.logs.split import Requests
from vecbench.pipeline.features import ItemStats, candidate_features
from vecbench.pipeline.reranking import Reranker
from vecbench.pipeline.retrieval import Candidates
from vecbench.pipeline.scoring import Scorer


@dataclass(frozen=True)
class StageLists:
    """Ranked dense item indices (-1 pads) after each stage, and per-request latency of each stage."""

    retrieval: np.ndarray
    scoring: np.ndarray
    final: np.ndarray
    latency_ns: dict[str, np.ndarray]

    def lists(self) -> dict[str, np.ndarray]:
        return {"retrieval": self.retrieval, "scoring": self.scoring, "final": self.final}


@dataclass(frozen=True)
class StageInputs:
    """What scoring and re-ranking need besides the candidates."""

    requests: Requests
    user_vectors: np.ndarray
    item_vectors: np.ndarray
    rows: np.ndarray  # dense item index -> row of item_vectors
    unit_vectors: np.ndarray  # by dense item index, zeros where no vector
    metric: Metric
    stats: ItemStats
    categories: Sequence[tuple[str, ...]]
    stats_at: Callable[[int], ItemStats] | None = None  # split.as_of: request: statistics per request


def run_stages(
    candidates: Candidates,
    inputs: StageInputs,
    scorer: Scorer | None,
    rerankers: Sequence[Reranker],
    list_length: int,
) -> StageLists:
    """Score and re-rank every request's candidates; ``scorer`` None passes them through (baselines)."""
    n, k = candidates.items.shape
    scored = np.full((n, k), -1, dtype=np.int64)
    final = np.full((n, list_length), -1, dtype=np.int64)
    score_ns = np.zeros(n, dtype=np.int64)
    rerank_ns = np.zeros(n, dtype=np.int64)
    history_lengths = inputs.requests.history_items.lengths()
    clock = time.perf_counter_ns
    # One request at a time on one thread, as a serving process would: thread pools started
    # for a single small request cost more than the work (sklearn's predictor, BLAS).
    with gc_paused(), threadpool_limits(1):
        for r in range(n):
            row = candidates.items[r]
            items = row[row >= 0]
            if items.size == 0:
                continue
            start = clock()
            if scorer is None:
                scores = -np.arange(items.size, dtype=np.float64)
            else:
                features = candidate_features(
                    inputs.user_vectors[r], items, inputs.item_vectors, inputs.rows,
                    inputs.metric, inputs.stats if inputs.stats_at is None else inputs.stats_at(r),
                    int(history_lengths[r]),
                )  # fmt: skip
                scores = scorer.score(features)
            order = np.argsort(-scores, kind="stable")
            items, scores = items[order], scores[order]
            score_ns[r] = clock() - start
            scored[r, : items.size] = items
            start = clock()
            if scorer is not None:
                for reranker in rerankers:
                    items, scores = reranker.rerank(
                        items, scores, inputs.unit_vectors[items], inputs.categories
                    )
            rerank_ns[r] = clock() - start
            final[r, : min(list_length, items.size)] = items[:list_length]
    return StageLists(
        candidates.items,
        scored,
        final,
        {"retrieval": candidates.latency_ns, "scoring": score_ns, "final": rerank_ns},
    )
