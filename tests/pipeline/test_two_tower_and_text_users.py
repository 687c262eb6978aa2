"""The two-tower embedder (reproducible, learns, answers with its own user tower), user-as-text
summaries, and the cold-start blend."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.datasets.logs.split import SplitSpec, split_log
from vecbench.datasets.logs.synthetic import generate_log
from vecbench.errors import ConfigError
from vecbench.indexes.base import Metric
from vecbench.pipeline.cold_start import ColdCandidates
from vecbench.pipeline.embeddings.base import EmbeddingSpec, ItemVectors, make_embedder
from vecbench.pipeline.embeddings.text import UserTexts
from vecbench.pipeline.embeddings.two_tower import training_examples
from vecbench.pipeline.retrieval import StageFilter, exact_candidates
from vecbench.pipeline.stages import StageLists
from vecbench.pipeline.users import UserSpec, user_matrix

pytest.importorskip("torch", reason="the torch extra is not installed")

LOG = generate_log(1, n_users=150, n_items=100, events_per_user=20)
REPLAY = split_log(LOG, SplitSpec(train_fraction=0.8, min_history=3))
SPEC = EmbeddingSpec(kind="two_tower", dim=16, epochs=3, batch_size=128, history=10)


def hit_rate(vectors: ItemVectors, queries: np.ndarray, ok: np.ndarray, k: int = 10) -> float:
    found = exact_candidates(vectors.vectors, vectors.items, queries, ok, REPLAY.requests.history_items, k,
                             Metric.INNER_PRODUCT, StageFilter())  # fmt: skip
    targets = REPLAY.requests.targets
    return float(np.mean([np.isin(found.items[r], targets.row(r)).any() for r in range(len(targets))]))


def test_two_tower_is_reproducible_and_beats_its_untrained_self() -> None:
    first = make_embedder(SPEC).fit(REPLAY.train, Metric.INNER_PRODUCT)
    again = make_embedder(SPEC).fit(REPLAY.train, Metric.INNER_PRODUCT)
    np.testing.assert_array_equal(first.vectors, again.vectors)
    assert first.native_users and first.fold_in is not None
    np.testing.assert_allclose(np.linalg.norm(first.vectors, axis=1), 1.0, rtol=1e-5)
    queries, ok = user_matrix(REPLAY.requests, first, LOG.n_items, UserSpec())  # kind mean: the tower answers
    r = int(np.flatnonzero(ok)[0])
    np.testing.assert_allclose(queries[r], first.fold_in(REPLAY.requests.history_items.row(r), np.ones(1)), rtol=1e-6)
    untrained = make_embedder(EmbeddingSpec(**{**SPEC.model_dump(), "lr": 0.0})).fit(REPLAY.train, Metric.INNER_PRODUCT)
    baseline_queries, baseline_ok = user_matrix(REPLAY.requests, untrained, LOG.n_items, UserSpec())
    assert hit_rate(first, queries, ok) > hit_rate(untrained, baseline_queries, baseline_ok) + 0.05


def test_two_tower_popularity_bias_ranks_by_the_trained_logit() -> None:
    spec = EmbeddingSpec(**{**SPEC.model_dump(), "popularity_bias": True, "epochs": 1})
    vectors = make_embedder(spec).fit(REPLAY.train, Metric.INNER_PRODUCT)
    assert vectors.dim == 17, "the index holds [v, T * b]"
    np.testing.assert_allclose(np.linalg.norm(vectors.vectors[:, :16], axis=1), 1.0, rtol=1e-5)
    assert vectors.fold_in is not None
    query = vectors.fold_in(REPLAY.requests.history_items.row(0), np.ones(1))
    assert query[-1] == 1.0 and abs(np.linalg.norm(query[:16]) - 1.0) < 1e-5
    counts = REPLAY.train.item_counts()[vectors.items]
    # biases start at log popularity: after one epoch the more popular half still has the larger bias
    order = np.argsort(counts)
    half = order.size // 2
    assert vectors.vectors[order[half:], -1].mean() > vectors.vectors[order[:half], -1].mean()
    with pytest.raises(ConfigError, match="popularity_bias ranks by inner product"):
        make_embedder(spec).fit(REPLAY.train, Metric.ANGULAR)


def test_two_tower_examples_use_only_events_strictly_before_each_one() -> None:
    column = np.arange(REPLAY.train.n_items)
    histories, positives = training_examples(REPLAY.train, column, 5)
    assert histories.shape == (positives.size, 5) and positives.size < REPLAY.train.n_events
    assert (histories[:, -1] > 0).all(), "every example has a past, most recent last"


def test_user_text_summarises_the_most_recent_items_before_the_request() -> None:
    users = UserTexts(LOG, ("title", "categories"), lambda texts: np.ones((len(texts), 3)))
    history = np.array([5, 9, 2])
    text = users.text(history, now=10**12, last_n=2)
    titles = [LOG.items.titles[i] for i in (2, 9)]
    assert text.startswith(titles[0]) and titles[1] in text and LOG.items.titles[5] not in text
    with pytest.raises(ConfigError, match="needs a text embedding"):
        svd = make_embedder(EmbeddingSpec(kind="svd", dim=4)).fit(REPLAY.train, Metric.INNER_PRODUCT)
        user_matrix(REPLAY.requests, svd, LOG.n_items, UserSpec(kind="text"))


def test_cold_start_blend_puts_cold_items_at_every_nth_position() -> None:
    cold = ColdCandidates(np.array([[90, 91, -1], [-1, -1, -1]]), every=3)
    ranked = np.array([[1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, -1, -1]])
    lists = StageLists(ranked, ranked, ranked, {})
    blended = cold.blend(lists).final
    assert blended[0].tolist() == [1, 2, 90, 3, 4, 91, 5]
    assert blended[1].tolist() == ranked[1].tolist(), "nothing cold to add: the list is unchanged"
