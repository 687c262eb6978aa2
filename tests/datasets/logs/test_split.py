"""Temporal splits and replay: nothing from the future reaches a request or the model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pydantic import ValidationError

from vecbench.datasets.logs.base import InteractionLog
from vecbench.datasets.logs.split import SplitSpec, split_log
from vecbench.datasets.logs.synthetic import generate_log
from vecbench.errors import DatasetError
from vecbench.indexes.base import Metric
from vecbench.pipeline.embeddings.collaborative import SvdEmbedder
from vecbench.pipeline.users import UserSpec, recency_weights, user_vector

LOG = generate_log(5, n_users=300, n_items=150, events_per_user=25)


def test_global_time_requests_see_only_the_past_and_targets_are_next() -> None:
    replay = split_log(LOG, SplitSpec(train_fraction=0.7, replay_steps=3, min_history=2))
    cutoff = replay.cutoff
    assert cutoff is not None and replay.train.timestamp.max() < cutoff
    assert replay.train.n_events == int((LOG.timestamp < cutoff).sum())
    requests = replay.requests
    assert len(requests) > 50 and np.all(np.diff(requests.time) >= 0), "replayed in time order"
    edges = [*replay.step_times, int(LOG.timestamp[-1]) + 1]
    for r in range(len(requests)):
        t, user = int(requests.time[r]), int(requests.user[r])
        history, times = requests.history_items.row(r), requests.history_times.row(r)
        assert times.size >= 2 and times.max() < t
        mine = LOG.user == user
        assert np.array_equal(np.sort(history), np.sort(LOG.item[mine & (LOG.timestamp < t)]))
        end = edges[int(requests.step[r]) + 1]
        window = LOG.item[mine & (LOG.timestamp >= t) & (LOG.timestamp < end)]
        assert set(requests.targets.row(r)) == set(window) - set(history)


def test_leave_last_n_holds_out_each_users_last_events() -> None:
    replay = split_log(LOG, SplitSpec(kind="leave_last_n", n=2, min_history=3))
    for r in range(len(replay.requests)):
        user, t = int(replay.requests.user[r]), int(replay.requests.time[r])
        mine = np.flatnonzero(LOG.user == user)
        assert set(replay.requests.targets.row(r)) <= set(LOG.item[mine[-2:]])
        assert replay.requests.history_times.row(r).max() < t
        assert not np.any((replay.train.user == user) & (replay.train.timestamp >= t))


def rewrite_future(log: InteractionLog, after: int, seed: int) -> InteractionLog:
    """The same log with every event at or after ``after`` replaced by random items."""
    item = log.item.copy()
    future = log.timestamp >= after
    item[future] = np.random.default_rng(seed).integers(0, log.n_items, int(future.sum()))
    return dataclasses.replace(log, item=item)


def test_changing_the_future_changes_neither_the_model_nor_any_user_state() -> None:
    """The proof of no leakage: rewrite everything after t and nothing computed for t moves."""
    spec = SplitSpec(train_fraction=0.75, replay_steps=2, min_history=2)
    replay = split_log(LOG, spec)
    cutoff = replay.cutoff
    assert cutoff is not None
    altered = split_log(rewrite_future(LOG, cutoff, seed=9), spec)
    embedder = SvdEmbedder(dim=8)
    original = embedder.fit(replay.train, Metric.INNER_PRODUCT)
    changed = embedder.fit(altered.train, Metric.INNER_PRODUCT)
    assert np.array_equal(original.items, changed.items)
    assert np.allclose(original.vectors, changed.vectors)
    rows = original.rows_of(LOG.n_items)
    users = UserSpec(half_life_days=7)
    # Every first-window request: its state at t, from the original and from a log whose events at
    # or after t were all rewritten, must be identical.
    first = replay.requests
    for r in np.flatnonzero(first.step == 0)[:40]:
        t = int(first.time[r])
        user = int(first.user[r])
        rewritten = rewrite_future(LOG, t, seed=r)
        mine = (rewritten.user == user) & (rewritten.timestamp < t)
        state_a = user_vector(first.history_items.row(r), first.history_times.row(r), t, original, rows, users)
        state_b = user_vector(rewritten.item[mine], rewritten.timestamp[mine], t, original, rows, users)
        assert state_a is not None and state_b is not None and np.allclose(state_a, state_b)


def test_user_state_refuses_events_at_or_after_t() -> None:
    with pytest.raises(ValueError, match="strictly before"):
        recency_weights(np.array([5, 10]), now=10, half_life_days=1.0)
    weights = recency_weights(np.array([0, 86_400]), now=2 * 86_400, half_life_days=1.0)
    assert weights.tolist() == [0.25, 0.5]


def test_bad_splits_are_refused() -> None:
    with pytest.raises(ValidationError, match="does not take n"):
        SplitSpec(kind="global_time", n=3)
    with pytest.raises(DatasetError, match="no request"):
        split_log(LOG, SplitSpec(min_history=10_000))
    with pytest.raises(DatasetError, match="leaves no events"):
        split_log(LOG, SplitSpec(cutoff=int(LOG.timestamp[-1]) + 10))


def _same_second_log() -> InteractionLog:
    from vecbench.datasets.logs.base import build_log

    # user u: a@10, b@20, c@30 and d@30 (same second), e@35; user v fills the log
    return build_log(
        "tie", users=["u", "u", "u", "u", "u", "v", "v", "v"], items=["a", "b", "c", "d", "e", "a", "e", "b"],
        timestamps=[10, 20, 30, 30, 35, 5, 6, 40],
    )  # fmt: skip


def test_same_second_decides_whether_events_at_the_request_are_history_targets_or_neither() -> None:
    log = _same_second_log()
    name = {i: str(log.items.ids[i]) for i in range(log.n_items)}
    seen = {}
    for rule in ("after", "before", "drop"):
        replay = split_log(log, SplitSpec(cutoff=30, same_second=rule))
        r = int(np.flatnonzero(log.user_ids[replay.requests.user] == "u")[0])
        history = sorted(name[i] for i in replay.requests.history_items.row(r))
        targets = sorted(name[i] for i in replay.requests.targets.row(r))
        assert replay.requests.history_times.row(r).max() < replay.requests.time[r], "state strictly before"
        seen[rule] = (history, targets)
    assert seen == {
        "after": (["a", "b"], ["c", "d", "e"]),
        "before": (["a", "b", "c", "d"], ["e"]),
        "drop": (["a", "b"], ["e"]),
    }
    # leave_last_n (n=2): d and e are held out; c shares d's second
    with pytest.raises(ValidationError, match="leave_last_n takes same_second drop or after"):
        SplitSpec(kind="leave_last_n", same_second="before")
    for rule, history, targets in (("drop", ["a", "b"], ["d", "e"]), ("after", ["a", "b"], ["c", "d", "e"])):
        replay = split_log(log, SplitSpec(kind="leave_last_n", n=2, same_second=rule))
        r = int(np.flatnonzero(log.user_ids[replay.requests.user] == "u")[0])
        assert sorted(name[i] for i in replay.requests.history_items.row(r)) == history, rule
        assert sorted(name[i] for i in replay.requests.targets.row(r)) == targets, rule
        assert "d" not in {name[i] for i in replay.train.item[replay.train.user == replay.requests.user[r]]}


def test_as_of_request_is_only_for_leave_last_n_and_marks_the_replay() -> None:
    with pytest.raises(ValidationError, match="as_of"):
        SplitSpec(kind="global_time", as_of="request")
    replay = split_log(LOG, SplitSpec(kind="leave_last_n", as_of="request"))
    assert replay.as_of_request and not split_log(LOG, SplitSpec(kind="leave_last_n")).as_of_request


def test_as_of_request_statistics_use_only_events_before_each_request() -> None:
    from vecbench.pipeline.baselines import BaselineData, BaselineSpec, fitted_baseline
    from vecbench.pipeline.features import RequestStats

    replay = split_log(LOG, SplitSpec(kind="leave_last_n", as_of="request"))
    requests = replay.requests
    popularity = fitted_baseline(BaselineSpec(kind="popularity"), BaselineData(replay.train, LOG, True))
    stats = RequestStats(LOG, requests.time)
    for r in (0, len(requests) // 2, len(requests) - 1):
        before = LOG.timestamp < requests.time[r]
        expected = np.bincount(LOG.item[before], minlength=LOG.n_items)
        scores = popularity.scores(requests, r)
        np.testing.assert_array_equal(np.where(np.isfinite(scores), scores, 0), expected)
        np.testing.assert_array_equal(stats(r).counts, expected)
        assert stats(r).as_of <= requests.time[r]
    leaky = fitted_baseline(BaselineSpec(kind="popularity"), BaselineData(replay.train, LOG))
    assert not np.array_equal(leaky.scores(requests, 0), popularity.scores(requests, 0)), "the train log leaks"
