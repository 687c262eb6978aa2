"""Training examples for a learned scorer, from the training window alone.

The training window is split again at an inner cutoff: embeddings, item statistics and user
states are rebuilt from events before it, candidates are retrieved exactly, and a candidate is
positive when the user interacted with it between the inner cutoff and the real one. Nothing from
after the real cutoff is touched, and the features mean what they will mean at serving time.
Training ignores stage 1's attribute filter: the scorer orders whatever candidates it is given.
"""

from __future__ import annotations

import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.logs.base import InteractionLog
from vecbench.datasets.logs.split import SplitSpec, split_log
from vecbench.pipeline.embeddings.base import ItemEmbedder
from vecbench.pipeline.features import ItemStats, candidate_features
from vecbench.pipeline.retrieval import StageFilter, exact_candidates
from vecbench.pipeline.users import UserSpec, user_matrix


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
) -> tuple[np.ndarray, np.ndarray]:
    """(features, labels) for candidates of requests replayed inside ``train``.

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
    features, labels = [], []
    for r in range(len(inner.requests)):
        items = candidates.items[r][candidates.items[r] >= 0]
        if items.size == 0:
            continue
        features.append(
            candidate_features(user_vectors[r], items, vectors.vectors, rows, metric, stats, int(lengths[r]))
        )
        labels.append(np.isin(items, inner.requests.targets.row(r)))
    if not features:
        return np.empty((0, 6)), np.empty(0, dtype=bool)
    return np.concatenate(features), np.concatenate(labels)
