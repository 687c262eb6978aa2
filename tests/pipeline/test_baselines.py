"""Baselines as stage-1 candidate generators: each checked against an independent computation."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.bench.pipeline_config import parse_pipeline_config
from vecbench.datasets.logs.base import build_log
from vecbench.datasets.logs.split import Ragged, Requests, SplitSpec, split_log
from vecbench.datasets.logs.synthetic import generate_log
from vecbench.errors import ConfigError
from vecbench.pipeline.baselines import (
    BaselineData,
    BaselineSpec,
    baseline_candidates,
    fitted_baseline,
)
from vecbench.pipeline.embeddings.base import interaction_matrix
from vecbench.pipeline.retrieval import StageFilter, popularity_candidates

DAY = 86_400
LOG = generate_log(3, n_users=120, n_items=80, events_per_user=15)
REPLAY = split_log(LOG, SplitSpec(train_fraction=0.7, replay_steps=2, min_history=2))


def fitted(kind: str, **params: object) -> object:
    return fitted_baseline(BaselineSpec(kind=kind, **params), BaselineData(REPLAY.train, REPLAY.log))


def requests_at(times: list[int], histories: list[list[int]]) -> Requests:
    n = len(times)
    rows = [np.asarray(h, dtype=np.int64) for h in histories]
    return Requests(
        user=np.arange(n), time=np.asarray(times, dtype=np.int64), step=np.zeros(n, dtype=np.int64),
        history_items=Ragged.from_rows(rows), history_times=Ragged.from_rows([np.zeros(len(h)) for h in rows]),
        targets=Ragged.from_rows([np.array([0]) for _ in rows]),
    )  # fmt: skip


def test_recent_popularity_counts_the_trailing_window_strictly_before_each_request() -> None:
    # item a: 3 events 10 days ago; item b: 2 events 2 days ago; item c: 5 events at the request second
    t = 100 * DAY
    log = build_log(
        "trend", users=list(range(10)), items=["a"] * 3 + ["b"] * 2 + ["c"] * 5,
        timestamps=[t - 10 * DAY] * 3 + [t - 2 * DAY] * 2 + [t] * 5,
    )  # fmt: skip
    data = BaselineData(log, log)
    dense = {str(i): n for n, i in enumerate(log.items.ids)}
    window = fitted_baseline(BaselineSpec(kind="recent_popularity", window_days=7), data)
    requests = requests_at([t, t + 1], [[], []])
    at_t = window.scores(requests, 0)  # type: ignore[attr-defined]
    assert at_t[dense["b"]] == 2 and not np.isfinite(at_t[dense["a"]]), "a is outside the window"
    assert not np.isfinite(at_t[dense["c"]]), "events at the request second are not before it"
    assert window.scores(requests, 1)[dense["c"]] == 5  # type: ignore[attr-defined]
    decayed = fitted_baseline(BaselineSpec(kind="recent_popularity", half_life_days=2), data)
    scores = decayed.scores(requests, 0)  # type: ignore[attr-defined]
    assert scores[dense["a"]] == pytest.approx(3 * 0.5**5) and scores[dense["b"]] == pytest.approx(2 * 0.5)
    found = baseline_candidates(window, requests_at([t], [[dense["b"]]]), 3)
    assert found.items[0].tolist() == [-1, -1, -1], "b is seen; a and c have no count in the window"


def test_popularity_baseline_matches_the_original_popularity_candidates() -> None:
    generator = fitted("popularity")
    allowed = np.arange(LOG.n_items) % 2 == 0
    for rule in (StageFilter(), StageFilter(allowed), StageFilter(allowed, exclude_seen=False)):
        ours = baseline_candidates(generator, REPLAY.requests, 20, rule)  # type: ignore[arg-type]
        theirs = popularity_candidates(REPLAY.train.item_counts(), REPLAY.requests.history_items, 20, rule)
        np.testing.assert_array_equal(ours.items, theirs.items)


def test_ease_equals_ridge_regression_of_each_item_on_the_others() -> None:
    generator = fitted("ease", **{"lambda": 20.0})
    x = interaction_matrix(REPLAY.train)[:, generator._items].toarray()  # type: ignore[attr-defined]
    weights = generator._weights.astype(np.float64)  # type: ignore[attr-defined]
    for j in (0, 7, x.shape[1] - 1):
        others = np.delete(np.arange(x.shape[1]), j)
        a = x[:, others]
        ridge = np.linalg.solve(a.T @ a + 20.0 * np.eye(others.size), a.T @ x[:, j])
        np.testing.assert_allclose(weights[others, j], ridge, rtol=1e-3, atol=1e-5)
        assert weights[j, j] == 0


def test_itemknn_is_cosine_over_co_occurrence_summed_over_the_history() -> None:
    generator = fitted("itemknn", neighbours=0)
    items = generator._items  # type: ignore[attr-defined]
    x = interaction_matrix(REPLAY.train)[:, items].toarray()
    unit = x / np.linalg.norm(x, axis=0)
    cosine = unit.T @ unit
    np.fill_diagonal(cosine, 0)
    r = 3
    history = REPLAY.requests.history_items.row(r)
    cols = np.unique(generator._column[history])  # type: ignore[attr-defined]
    expected = cosine[cols[cols >= 0]].sum(axis=0)
    np.testing.assert_allclose(generator.scores(REPLAY.requests, r)[items], expected, rtol=1e-5, atol=1e-6)  # type: ignore[attr-defined]
    found = baseline_candidates(generator, REPLAY.requests, 10)  # type: ignore[arg-type]
    assert not np.isin(found.items[r], history).any()
    assert found.items[r][0] == items[np.argmax(np.where(np.isin(items, history), -np.inf, expected))]


def test_config_takes_names_and_specs_and_refuses_bad_ones() -> None:
    base = {"kind": "pipeline", "name": "x", "log": {"name": "synthetic"}}
    config = parse_pipeline_config({**base, "baselines": ["popularity", {"kind": "recent_popularity", "window_days": 7}, "itemknn", "ease"]})
    assert [b.kind for b in config.baselines] == ["popularity", "recent_popularity", "itemknn", "ease"]
    assert parse_pipeline_config(base).baselines == [BaselineSpec(kind="popularity")]
    with pytest.raises(ConfigError, match="did you mean 'itemknn'"):
        parse_pipeline_config({**base, "baselines": ["itemkn"]})
    with pytest.raises(ConfigError, match="appear"):
        parse_pipeline_config({**base, "baselines": ["ease", {"kind": "ease", "lambda": 500.0}]})
    with pytest.raises(ConfigError, match="window_days"):
        parse_pipeline_config({**base, "baselines": [{"kind": "recent_popularity", "window_days": "x"}]})
