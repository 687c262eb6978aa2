"""Beyond-accuracy metrics on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from vecbench.metrics import beyond_accuracy as ba

CATALOGUE = np.arange(4)


def test_coverage_gini_entropy_for_even_and_concentrated_exposure() -> None:
    even = np.array([[0, 1], [2, 3]])
    single = np.array([[0, -1], [0, -1]])
    assert ba.coverage(even, CATALOGUE) == 1.0 and ba.coverage(single, CATALOGUE) == 0.25
    assert ba.gini(even, CATALOGUE) == 0.0
    assert ba.gini(single, CATALOGUE) == pytest.approx(3 / 4)  # (n - 1) / n when one item takes all
    assert ba.entropy(even, CATALOGUE) == pytest.approx(1.0)
    assert ba.entropy(single, CATALOGUE) == 0.0


def test_novelty_popularity_and_long_tail() -> None:
    lists = np.array([[0, 1], [1, -1]])
    item_users = np.array([3, 0, 1, 1])  # of 3 training users
    novelty = ba.novelty(lists, item_users, n_users=3)
    assert novelty[0] == pytest.approx((-np.log2(4 / 4) - np.log2(1 / 4)) / 2)
    assert novelty[1] == pytest.approx(2.0)
    counts = np.array([10.0, 0.0, 3.0, 1.0])
    assert ba.average_popularity(lists, counts).tolist() == [5.0, 0.0]
    head = ba.head_items(counts)
    assert head.tolist() == [True, False, False, False]
    assert ba.long_tail_share(lists, head).tolist() == [0.5, 1.0]
    assert ba.popularity_buckets(counts).tolist() == [0, 2, 1, 2]


def test_intra_list_diversity() -> None:
    unit = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    ild = ba.intra_list_diversity(np.array([[0, 1, -1], [0, 2, -1], [0, -1, -1]]), unit)
    assert ild[0] == pytest.approx(1.0) and ild[1] == pytest.approx(0.0) and np.isnan(ild[2])
