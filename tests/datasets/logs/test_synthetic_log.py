"""The synthetic log: seeded, Zipf-skewed, clustered tastes, drifting, with a growing catalogue."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.datasets.logs.synthetic import generate_log
from vecbench.errors import ConfigError

SMALL = {"n_users": 300, "n_items": 200, "events_per_user": 20}


def test_same_seed_same_log_other_seed_other_log() -> None:
    a, b, c = generate_log(1, **SMALL), generate_log(1, **SMALL), generate_log(2, **SMALL)
    assert np.array_equal(a.item, b.item) and np.array_equal(a.timestamp, b.timestamp)
    assert not np.array_equal(a.item[:100], c.item[:100])


def test_popularity_is_skewed_and_tastes_are_clustered() -> None:
    log = generate_log(0, **SMALL)
    counts = np.sort(log.item_counts())[::-1]
    assert counts[: len(counts) // 10].sum() > 0.3 * counts.sum(), "the top 10% of items take > 30% of events"
    cluster = np.array([int(c[0].split("-")[1]) for c in log.items.categories])
    same = []
    for user in range(log.n_users):
        items = log.item[log.user == user]
        if items.size >= 5:
            same.append(np.bincount(cluster[items]).max() / items.size)
    assert np.mean(same) > 0.5, "a user's events concentrate in few clusters"


def test_catalogue_grows_and_no_user_repeats_an_item() -> None:
    log = generate_log(0, **SMALL)
    first_seen = np.full(log.n_items, np.iinfo(np.int64).max)
    np.minimum.at(first_seen, log.item, log.timestamp)
    seen = first_seen[first_seen < np.iinfo(np.int64).max]
    midpoint = log.timestamp[0] + (log.timestamp[-1] - log.timestamp[0]) / 2
    assert (seen > midpoint).sum() > 10, "items keep appearing in the second half"
    pairs = np.stack([log.user, log.item])
    assert np.unique(pairs, axis=1).shape[1] == log.n_events


def test_unknown_option_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match="did you mean 'n_users'"):
        generate_log(0, n_user=10)
