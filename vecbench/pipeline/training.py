"""Training examples for a learned scorer, from the training window alone.

The training window is split again at an inner cutoff: embeddings, item statistics and user
states are rebuilt from events before it, candidates are retrieved exactly, and a candidate is
positive when the user interacted with it between the inner cutoff and the real one. Nothing from
after the real cutoff is touched, and the features mean what they will mean at serving time.
Training ignores stage 1's attribute filter: the scorer orders whatever candidates it is given.
The examples keep their request (user, time, number of targets) so that the scorer can hold out
the latest requests and check itself against retrieval order before it is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.logs.base import InteractionLog
from vecbench.datasets.logs.split import SplitSpec, split_log
from vecbench.pipeline.embeddings.base import ItemEmbedder
from vecbench.pipeline.features import FEATURES, ItemStats, candidate_features
from vecbench.pipeline.retrieval import StageFilter, exact_candidates
from vecbench.pipeline.users import UserSpec, user_matrix


@dataclass(frozen=True)
class TrainingSet:
    """Candidate features and labels, row by row, and the request each row belongs to."""

    features: np.ndarray  # (rows, len(FEATURES)), each request's candidates in retrieval order
    labels: np.ndarray  # (rows,) bool: the user interacted with the candidate in the inner window
    request: np.ndarray  # (rows,) index into the per-request arrays below
    user: np.ndarray  # per request
    time: np.ndarray  # per request
    n_targets: np.ndarray  # per request: held-out items, found among the candidates or not

    def take(self, requests: np.ndarray) -> TrainingSet:
        """The rows of the given requests (renumbered)."""
        keep = np.isin(self.request, requests)
        renumber = np.full(self.user.size, -1, dtype=np.int64)
        renumber[requests] = np.arange(requests.size)
        return TrainingSet(
            self.features[keep], self.labels[keep], renumber[self.request[keep]],
            self.user[requests], self.time[requests], self.n_targets[requests],
        )  # fmt: skip


def learned_examples(
    train: InteractionLog,
    embedder: ItemEmbedder,
    metric: Metric,
    users: UserSpec,
    k: int,
    train_fraction: float,
    max_requests: int,
    seed: int,
    split: SplitSpec | None = None,
    exclude_seen: bool = True,
) -> TrainingSet:
    """Labelled candidates of requests replayed inside ``train``.

    The inner split copies the evaluation split's replay steps, minimum history and target limit
    (``split``), so the scorer learns on requests shaped like the ones it will serve.
    """
    like = split or SplitSpec()
    inner = split_log(
        train,
        SplitSpec(
            kind="global_time",
            train_fraction=train_fraction,
            replay_steps=like.replay_steps if like.kind == "global_time" else 1,
            min_history=like.min_history,
            targets_per_user=like.targets_per_user,
            max_requests=max_requests,
            seed=seed,
        ),
    )
    vectors = embedder.fit(inner.train, metric)
    stats = ItemStats.from_log(inner.train)
    user_vectors, has_vector = user_matrix(inner.requests, vectors, train.n_items, users)
    candidates = exact_candidates(
        vectors.vectors, vectors.items, user_vectors, has_vector, inner.requests.history_items, k, metric,
        StageFilter(exclude_seen=exclude_seen),
    )  # fmt: skip
    rows = vectors.rows_of(train.n_items)
    lengths = inner.requests.history_items.lengths()
    features, labels, owner = [], [], []
    kept: list[int] = []
    for r in range(len(inner.requests)):
        items = candidates.items[r][candidates.items[r] >= 0]
        if items.size == 0:
            continue
        features.append(
            candidate_features(user_vectors[r], items, vectors.vectors, rows, metric, stats, int(lengths[r]))
        )
        labels.append(np.isin(items, inner.requests.targets.row(r)))
        owner.append(np.full(items.size, len(kept), dtype=np.int64))
        kept.append(r)
    picked = np.array(kept, dtype=np.int64)
    if not features:
        empty = np.empty(0, dtype=np.int64)
        return TrainingSet(np.empty((0, len(FEATURES))), np.empty(0, dtype=bool), empty, empty, empty, empty)
    return TrainingSet(
        np.concatenate(features), np.concatenate(labels), np.concatenate(owner),
        inner.requests.user[picked], inner.requests.time[picked], inner.requests.targets.lengths()[picked],
    )  # fmt: skip
